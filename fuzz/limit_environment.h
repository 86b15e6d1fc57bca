// The scenario limits (check/limits.h) of a `sockspec fuzz` campaign, handed
// to the fuzzer processes it starts through their environment.
//
// Contract: limit_environment(l) is one `SOCKSPEC_FUZZ_MAX_<NAME>=<value>`
// entry per `--max-<name>` flag (tools/limit_options.h), e.g.
// SOCKSPEC_FUZZ_MAX_SOCKETS=256; limits_from_environment() reads them back,
// a missing or malformed entry (not a whole number of at least 1) reading as
// the default. The fuzzer refuses an input over a limit (it stays out of the
// corpus), and a pending divergence over one is dropped with the limit's
// message, which names the `sockspec fuzz` flag that lifts it.
#pragma once

#include <string>
#include <vector>

#include "check/limits.h"

namespace sockspec::fuzz {

std::vector<std::string> limit_environment(const ScenarioLimits& limits);

ScenarioLimits limits_from_environment();

// The same limits as `sockspec fuzz` flags (`--max-lines`, `5000`, ...), for
// the campaign a guest runs (fuzz/guest_campaign.h).
std::vector<std::string> limit_flags(const ScenarioLimits& limits);

}  // namespace sockspec::fuzz
