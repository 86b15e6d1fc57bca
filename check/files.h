// Scenario files named on a command line.
//
// Contract: expand_scenario_paths turns FILE|DIR arguments into the sorted
// list of `.scn` files (directories recursively); load_programs parses them
// all, or throws the first ParseError, so nothing runs on bad input.
#pragma once

#include <string>
#include <vector>

#include "scenario/ast.h"

namespace sockspec {

// Throws std::runtime_error for a path that does not exist.
std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& args);
std::vector<Program> load_programs(const std::vector<std::string>& files);

}  // namespace sockspec
