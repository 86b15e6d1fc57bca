// CLI11 validators for the flags that name rules and paths; each rejects a
// bad value at parse time (exit 2) with a message naming the flag's value and
// what is wrong. Numeric ranges use CLI::Range directly.
#pragma once

#include <CLI/CLI.hpp>

namespace sockspec::cli {

// A rule the model can cite (model/rules.h; `sockspec rules` lists them).
const CLI::Validator& registered_rule();
// A directory, or a path not there yet (it will be created).
const CLI::Validator& directory_or_absent();
// A file that can be written: not a directory, in an existing writable directory.
const CLI::Validator& writable_file();

}  // namespace sockspec::cli
