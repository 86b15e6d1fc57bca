// The scenario resource limits (check/limits.h) as flags: every subcommand
// that loads scenarios gets the same `--max-*` flags, so that the flag a
// limit's message names is one the subcommand has.
#pragma once

#include <CLI/CLI.hpp>

#include "check/limits.h"

namespace sockspec::cli {

// --max-lines, --max-sockets, --max-namespaces, --max-links,
// --max-bytes-sent, --max-sleep-ms, each at least 1, default ScenarioLimits{}.
void add_limit_options(CLI::App* cmd, ScenarioLimits& limits);

}  // namespace sockspec::cli
