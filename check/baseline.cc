#include "check/baseline.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "check/finding.h"
#include "scenario/input_file.h"
#include "scenario/message_text.h"
#include "scenario/printer.h"

namespace sockspec {

std::vector<BaselineEntry> divergence_entries(const ScenarioVerdict& verdict) {
  std::vector<BaselineEntry> entries;
  for (const LineVerdict& v : verdict.lines) {
    if (!v.diverged) continue;
    entries.push_back({divergence_signature(*v.line, v),
                       fmt::format("{}:{}  {}", verdict.file, v.line->line_no, print_operation(*v.line))});
  }
  return entries;
}

std::set<std::string> read_baseline(const std::filesystem::path& path) {
  std::istringstream in;
  try {
    in.str(read_input_file(path.string()));
  } catch (const InputFileError& e) {
    throw std::runtime_error(fmt::format("cannot read the baseline {}: {}", path.string(), e.problem()));
  }
  std::set<std::string> signatures;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    std::string signature = line.substr(first, last - first + 1);
    // a damaged or foreign file (JSON, a cut line) would match nothing and accept nothing, silently
    if (std::count(signature.begin(), signature.end(), '|') < 3)  // poll events hold more
      throw std::runtime_error(fmt::format("{}:{}: not a divergence signature (OPERATION | RULES | KERNEL | MODEL): {}",
                                           path.string(), line_no, escape_raw_bytes(signature.substr(0, 60))));
    signatures.insert(std::move(signature));
  }
  return signatures;
}

std::string baseline_text(const std::vector<BaselineEntry>& entries) {
  std::string out =
      "# sockspec baseline: divergences accepted as known (`sockspec check --baseline THIS_FILE`).\n"
      "# One signature a line: operation | rules | kernel result class | model result class.\n"
      "# Delete a line once the model is fixed; `check --write-baseline` rewrites the file.\n";
  std::set<std::string> written;
  for (const BaselineEntry& e : entries) {
    if (!written.insert(e.signature).second) continue;
    out += fmt::format("\n# {}\n{}\n", e.seen_at, e.signature);
  }
  return out;
}

}  // namespace sockspec
