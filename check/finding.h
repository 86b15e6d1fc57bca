// Findings: divergences between the model and the kernel, as files.
//
// Contract:
// - A divergence's signature is (operation kind, the rules the model used,
//   each once in the order first used, the kernel's result class, the
//   model's result class), e.g.
//   `bind | bind.conflict.wildcard_v4 | EADDRINUSE | ok`. A result class is
//   the result with what varies between runs of the same bug left out: an
//   errno by name, `ok`, `pending`, integers, events and words as printed,
//   but data only by length, addresses only by family, and an `ss` table
//   as the `proto state` of its rows the other side does not have. Two
//   divergences with the same signature are one finding.
// - record_finding writes <dir>/<id>.scn (the minimized scenario, with a
//   header comment saying the kernel's and the model's results and the
//   rules) and <id>.c (check/reproducer.h), each atomically: written to a
//   temporary file, fsync'd, then renamed into place, so a reader (or a
//   crash) never sees half a finding, and several fuzzing processes may
//   share one directory. <id> is a hash of the signature: a signature
//   already in the directory is not written again.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check/driver.h"
#include "scenario/ast.h"

namespace sockspec {

struct Divergence {
  std::size_t line = 0;  // index into Program::lines
  std::string operation;  // the line as written, without expectation
  Result kernel, model;
  std::vector<std::string> rules;
  std::string signature;
  KernelProfile profile;  // the kernel it was seen on
};

std::string divergence_signature(const Line& line, const LineVerdict& verdict);

// The first divergent line of a verdict of `program`, or of one whose
// signature is `signature` when that is given.
std::optional<Divergence> find_divergence(const Program& program, const ScenarioVerdict& verdict,
                                          std::string_view signature = {});

// A short stable name for a signature (16 hex digits of FNV-1a).
std::string finding_id(std::string_view signature);

// The .scn text of a finding: the header comment, then the program.
std::string finding_scenario_text(const Program& program, const Divergence& divergence);

// The signature a finding's header names (`# signature: ...`), or "".
std::string finding_header_signature(std::string_view text);

// Throws std::system_error when the file cannot be written.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

// Writes the finding unless its signature is already recorded in `dir`;
// returns the .scn path written, or nullopt when it was known.
std::optional<std::filesystem::path> record_finding(const std::filesystem::path& dir, const Program& program,
                                                    const Divergence& divergence, const OracleConfig& config = {});

}  // namespace sockspec
