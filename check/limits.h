// Resource limits of one scenario, checked before anything runs.
//
// Contract: check_limits returns nullopt when the program stays within
// every limit, else the first line that crosses one, with a message naming
// the limit, the amount that line reaches and the flag that lifts it (every
// limit is a flag of run, model, check, explain and kernels diff:
// tools/limit_options.h). Everything is counted from the text alone (a
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
  // distinct `ns` names, `main` included: a suite of a hundred independent
  // cases, each in its own namespace, fits
  int max_namespaces = 128;
  int max_links = 16;                   // `link add` lines
  std::int64_t max_bytes_sent = 1 << 20;  // data of send/sendto lines, in bytes
  std::int64_t max_sleep_ms = 5000;     // the sum of `sleep` lines
};

struct LimitCrossed {
  int line_no = 0;      // the line that crosses the limit
  std::string message;  // what it reaches, the limit, and the flag that lifts it
};

std::optional<LimitCrossed> check_limits(const Program& program, const ScenarioLimits& limits);

}  // namespace sockspec
