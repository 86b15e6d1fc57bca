// Scenario files named on a command line.
//
// Contract: expand_scenario_paths turns FILE|DIR arguments into the sorted
// list of `.scn` files (directories recursively); load_programs parses them
// all and checks their limits, or throws the first ParseError (a limit is
// reported as a ParseError at the line that crosses it), so nothing runs on
// bad input.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "check/limits.h"
#include "scenario/ast.h"

namespace sockspec {

// A directory holding no scenario: the commands report it as a warning
// (nothing was wrong with the scenarios; there were none) and exit 2.
struct NoScenarios : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error for a path that does not exist, NoScenarios for
// a directory holding no scenario.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& args);
std::vector<Program> load_programs(const std::vector<std::string>& files,
                                   const ScenarioLimits& limits = {});

}  // namespace sockspec
