#include "check/files.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "scenario/message_text.h"
#include "scenario/parser.h"

namespace sockspec {

std::vector<std::string> expand_scenario_paths(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const auto& arg : args) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::recursive_directory_iterator(arg, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".scn") found.push_back(entry.path().string());
      if (found.empty()) throw NoScenarios(escape_raw_bytes(arg) + ": a directory without scenarios (no .scn file in it): nothing to run");
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(fs::symlink_status(arg, ec))) {
      files.push_back(arg);  // the reader says what else is wrong (a FIFO, a symlink loop, ...)
    } else {
      throw std::runtime_error(escape_raw_bytes(arg) + ": no such file or directory");
    }
  }
  return files;
}

std::vector<Program> load_programs(const std::vector<std::string>& files, const ScenarioLimits& limits) {
  std::vector<Program> programs;
  programs.reserve(files.size());
  for (const auto& file : files) {
    programs.push_back(parse_scenario_file(file));
    if (auto over = check_limits(programs.back(), limits)) throw ParseError(file, over->line_no, 1, over->message);
  }
  return programs;
}

}  // namespace sockspec
