// The output-reader fuzzer: the readers of the files sockspec itself writes,
// fed what a damaged, truncated or hostile copy of one could hold, in a
// build with ASan and UBSan (the fuzz preset). No kernel.
//
// An input is one file: its first byte picks which (kFiles below), the rest
// is its content. Report inputs are written into a scratch directory and
// read by `report`'s path (read_report_inputs, then run_findings on the
// model, then both renderers); a baseline goes to read_baseline (`check
// --baseline`), a known-families list to read_known_families (`report` and
// `fuzz --known-families`); the findings' headers to finding_header_signature
// and group_findings (what `fuzz` reads of the findings it resumes from).
//
// What it checks, per input: every reader either succeeds or throws the one
// exception its command catches, whose message names the file (or, for
// report, the directory); any other exception, crash, memory error,
// undefined behaviour or hang is a bug.
//
// Two modes (docs/fuzzing.md): by default structure-aware (LLVMFuzzerCustomMutator
// below: a JSON input is parsed and one of its values replaced by one of
// another type or size, a key or element dropped or added, or the text cut
// short; other files have lines duplicated, dropped, swapped or cut, or a
// number made longer than any integer type holds); with
// SOCKSPEC_READER_FUZZ_MODE=bytes, libFuzzer's byte mutations alone.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "check/baseline.h"
#include "check/finding.h"
#include "check/finding_families.h"
#include "check/html_report.h"
#include "check/markdown_report.h"
#include "check/report_data.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

enum class Reader { Report, Baseline, KnownFamilies };

struct File {
  const char* name;  // in the scratch directory
  Reader reader;
  bool json_lines;   // JSON, one value a line
  bool json;         // one JSON value
};

constexpr File kFiles[] = {
    {"check.jsonl", Reader::Report, true, false},
    {"check-summary.json", Reader::Report, false, true},
    {"fuzz-summary.json", Reader::Report, false, true},  // `sockspec fuzz --json`
    {"classes.json", Reader::Report, false, true},       // `sockspec solve classes --json`
    {"findings/f.scn", Reader::Report, false, false},
    {"last-campaign.log", Reader::Report, false, false},
    {"kernels-diff.md", Reader::Report, false, false},
    {"baseline.txt", Reader::Baseline, false, false},
    {"families.txt", Reader::KnownFamilies, false, false},
};
constexpr std::size_t kFileCount = sizeof kFiles / sizeof kFiles[0];

const File& file_of(const uint8_t* data) { return kFiles[data[0] % kFileCount]; }

fs::path g_scratch;

bool names(const std::exception& e, const fs::path& path) {
  return std::string_view(e.what()).find(path.string()) != std::string_view::npos;
}

void read_report(const fs::path& dir) {
  sockspec::ReportData data;
  try {
    data = sockspec::read_report_inputs(dir);
  } catch (const std::runtime_error& e) {  // what `report` catches and prints
    if (!names(e, dir)) __builtin_trap();
    return;
  }
  sockspec::run_findings(data, sockspec::Mode::Model);
  // outside any try, as in `report`: a throw here is a crash of the command
  (void)sockspec::markdown_report(data);
  (void)sockspec::html_report(data);
}

void read(const File& file, const fs::path& path) {
  switch (file.reader) {
    case Reader::Report:
      read_report(g_scratch);
      // what `fuzz` reads of the findings it resumes from
      if (std::string_view(file.name).ends_with(".scn")) {
        std::ifstream in(path, std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        (void)sockspec::group_findings({{path.string(), sockspec::finding_header_signature(text), 1}}, {});
      }
      break;
    case Reader::Baseline:
      try {
        (void)sockspec::read_baseline(path);
      } catch (const std::runtime_error& e) {
        if (!names(e, path)) __builtin_trap();
      }
      break;
    case Reader::KnownFamilies:
      try {
        (void)sockspec::read_known_families(path);
      } catch (const sockspec::FamiliesError& e) {
        if (!names(e, path)) __builtin_trap();
      }
      break;
  }
}

// ------------------------------------------------------------ structure-aware mutation

// Values of every type and of awkward sizes.
json hostile_value(std::mt19937& rng) {
  switch (rng() % 16) {
    case 0: return nullptr;
    case 1: return true;
    case 2: return -1;
    case 3: return 0;
    case 4: return std::numeric_limits<std::int64_t>::min();
    case 5: return std::numeric_limits<std::uint64_t>::max();
    case 6: return 1e300;
    case 7: return -1e300;
    case 8: return 0.5;
    case 9: return "";
    case 10: return std::string(1 + rng() % 2000, 'x');
    case 11: return json::array();
    case 12: return json::object();
    case 13: {
      json deep = json::array();
      for (int i = 0; i < 64; ++i) deep = json::array({deep});
      return deep;
    }
    case 14: return json::array({json::object(), 1, "a"});
    default: return "line | rule | EINVAL | ok";
  }
}

// The field names sockspec's own files use.
const char* known_key(std::mt19937& rng) {
  static const char* keys[] = {"file",     "steps",      "divergences", "expect_failures", "unsupported", "error",
                               "line",     "op",         "expect",      "kernel",          "model",       "rules",
                               "diverged", "skipped",    "known",       "signature",       "seconds",     "execs",
                               "jobs",     "exec_per_s", "corpus_before", "corpus_after",  "rules_covered",
                               "rules_total", "class",   "predicted",   "confirmed",       "kernel_described",
                               "expected", "note",       "expectation_failed", "scenarios", "passed", "failed"};
  return keys[rng() % (sizeof keys / sizeof keys[0])];
}

void collect(json& j, std::vector<json*>& nodes) {
  nodes.push_back(&j);
  if (j.is_structured())
    for (auto& child : j) collect(child, nodes);
}

void mutate_json(json& root, std::mt19937& rng) {
  std::vector<json*> nodes;
  collect(root, nodes);
  json& node = *nodes[rng() % nodes.size()];
  switch (rng() % 4) {
    case 0: node = hostile_value(rng); break;
    case 1:  // drop a key or an element
      if (node.is_object() && !node.empty()) node.erase(std::next(node.begin(), rng() % node.size()));
      else if (node.is_array() && !node.empty()) node.erase(node.begin() + static_cast<long>(rng() % node.size()));
      break;
    case 2:  // add one
      if (node.is_object()) node[known_key(rng)] = hostile_value(rng);
      else if (node.is_array()) node.push_back(node.empty() ? hostile_value(rng) : json(node[rng() % node.size()]));
      break;
    default: node = json::array({node}); break;
  }
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    lines.emplace_back(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  return text;
}

// One JSON value mutated, or "" when the text is not JSON.
std::string mutated_json_text(const std::string& text, std::mt19937& rng) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return "";
  mutate_json(j, rng);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string mutated_content(const File& file, const std::string& content, std::mt19937& rng) {
  std::vector<std::string> lines = lines_of(content);
  if (file.json && rng() % 8 != 0) {
    std::string text = mutated_json_text(content, rng);
    if (!text.empty()) return text;
  }
  if (lines.empty()) return "";
  const std::size_t at = rng() % lines.size();
  switch (rng() % 7) {
    case 0:
      if (file.json_lines) {
        std::string text = mutated_json_text(lines[at], rng);
        if (!text.empty()) lines[at] = text;
        break;
      }
      [[fallthrough]];
    case 1: lines.insert(lines.begin() + static_cast<long>(at), lines[at]); break;
    case 2: lines.erase(lines.begin() + static_cast<long>(at)); break;
    case 3: std::swap(lines[at], lines[rng() % lines.size()]); break;
    case 4: lines[at].resize(rng() % (lines[at].size() + 1)); break;  // cut short
    case 5: {  // a number of the line too long for any integer type
      const auto digit = lines[at].find_first_of("0123456789", rng() % (lines[at].size() + 1));
      if (digit != std::string::npos) lines[at].insert(digit, std::string(1 + rng() % 30, '9'));
      break;
    }
    default: return content.substr(0, rng() % (content.size() + 1));  // the file cut short
  }
  return joined(lines);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/sockspec-reader-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return 1;
  g_scratch = pattern;
  std::atexit([] { std::error_code ec; fs::remove_all(g_scratch, ec); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  const File& file = file_of(data);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(g_scratch, ec)) fs::remove_all(entry.path(), ec);
  const fs::path path = g_scratch / file.name;
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data + 1), static_cast<long>(size - 1));
  read(file, path);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  static const bool bytes_only = [] {
    const char* mode = std::getenv("SOCKSPEC_READER_FUZZ_MODE");
    return mode && std::string_view(mode) == "bytes";
  }();
  std::mt19937 rng(seed);
  if (bytes_only || size < 2 || rng() % 5 == 0) return LLVMFuzzerMutate(data, size, max_size);
  const std::string content(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string mutated = mutated_content(file_of(data), content, rng);
  if (mutated.size() + 1 > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data + 1, mutated.data(), mutated.size());
  return mutated.size() + 1;
}
