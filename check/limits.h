// Resource limits of one scenario, checked before anything runs.
//
// Contract: check_limits returns nullopt when the program stays within
// every limit, else a message naming the limit, the amount used and the
// flag that changes it. Everything is counted from the text alone (a
// socket-creating line counts whether or not it will succeed), so a hostile
// or generated scenario is refused before it reaches the kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

struct ScenarioLimits {
  int max_lines = 5000;                 // statements
  int max_sockets = 256;                // socket, accept (one each), socketpair (two)
  int max_namespaces = 64;              // distinct `ns` names, `main` included
  int max_links = 16;                   // `link add` lines
  std::int64_t max_bytes_sent = 1 << 20;  // data of send/sendto lines, in bytes
  std::int64_t max_sleep_ms = 5000;     // the sum of `sleep` lines
};

std::optional<std::string> check_limits(const Program& program, const ScenarioLimits& limits);

}  // namespace sockspec
