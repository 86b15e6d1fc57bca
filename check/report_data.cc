#include "check/report_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "check/finding.h"
#include "model/rules.h"
#include "scenario/input_file.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_text(const fs::path& path) { return read_input_file(path.string()); }

std::vector<fs::path> files_with_extension(const fs::path& dir, std::string_view extension) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == extension) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Field readers that take a record of any shape: a missing field, a field of
// another type or a record that is no object reads as the default.
std::string string_or_empty(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int int_or_zero(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}
bool flag(const json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
const json& array_or_empty(const json& j, const char* key) {
  static const json empty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : empty;
}

// What check/check_outputs.cc writes in a check.jsonl record: each field's
// JSON type, and the fields of the objects in its lists.
using FieldTypes = std::initializer_list<std::pair<const char*, json::value_t>>;
constexpr auto kString = json::value_t::string, kArray = json::value_t::array, kBool = json::value_t::boolean,
               kNumber = json::value_t::number_integer,  // an integer (a double out of range would not convert)
    kReal = json::value_t::number_float;                 // any number
const FieldTypes kRecordFields = {{"file", kString},         {"status", kString},    {"kernel", kString},
                                  {"lines", kNumber},        {"agree", kBool},       {"steps", kArray},
                                  {"divergences", kArray},   {"expect_failures", kArray},
                                  {"unsupported", kArray},   {"skipped", kArray},    {"error", kString}};
const FieldTypes kStepFields = {{"line", kNumber}, {"op", kString}, {"expect", kString}, {"kernel", kString},
                                {"model", kString}, {"note", kString}, {"rules", kArray}, {"diverged", kBool},
                                {"expectation_failed", kBool}, {"unsupported", kBool}, {"skipped", kBool}};
const FieldTypes kDivergenceFields = {{"line", kNumber},      {"op", kString},        {"kernel", kString},
                                      {"model", kString},     {"rules", kArray},      {"signature", kString},
                                      {"known", kBool}};
// check-summary.json (check/check_outputs.cc) and a fuzz summary (fuzz/campaign.cc)
const FieldTypes kCheckSummaryFields = {
    {"mode", kString},       {"scenarios", kNumber}, {"failed", kNumber},          {"partial", kNumber},
    {"divergences", kNumber}, {"known_divergences", kNumber}, {"seconds", kReal}, {"kernel", kString},
    {"kernel_described", kString}, {"interrupted", kString}, {"scenarios_not_run", kNumber},
    {"stopped_at", kString}};
const FieldTypes kFuzzSummaryFields = {
    {"fuzzer", kString},        {"seconds", kReal},          {"jobs", kNumber},          {"execs", kNumber},
    {"exec_per_s", kNumber},    {"seeds", kNumber},          {"corpus_dir", kString},    {"corpus_before", kNumber},
    {"corpus_after", kNumber},  {"rules_covered", kNumber},  {"rules_total", kNumber},   {"findings_dir", kString},
    {"findings_total", kNumber}, {"new_findings", kArray},   {"new_families", kNumber},
    {"new_families_unknown", kNumber}, {"fuzzer_exit", kNumber}, {"merge_exit", kNumber},
    {"resumed_from", kArray},   {"resources", json::value_t::object}};
const FieldTypes kFailureFields = {{"line", kNumber}, {"expected", kString}, {"kernel", kString}};
// a row of `sockspec solve classes --json`
const FieldTypes kSolverFields = {{"class", kString}, {"rules", kString}, {"predicted", kString},
                                  {"kernel", kString}, {"model", kString}, {"confirmed", kBool}};

bool has_type(const json& value, json::value_t type) {
  return type == kNumber ? value.is_number_integer() : type == kReal ? value.is_number() : value.type() == type;
}

// The first field of `object` (named `prefix`.field) of another type than
// `fields` says, or "".
std::string mistyped(const json& object, const FieldTypes& fields, const std::string& prefix) {
  for (const auto& [key, type] : fields)
    if (auto it = object.find(key); it != object.end() && !has_type(*it, type)) return prefix + key;
  return "";
}

// The first field of a check record, or of an object in one of its lists,
// whose type is not the one check/check_outputs.cc writes, or "".
std::string mistyped_record_field(const json& record) {
  if (auto key = mistyped(record, kRecordFields, ""); !key.empty()) return key;
  for (const auto& [list, fields] : {std::pair{"steps", &kStepFields}, {"divergences", &kDivergenceFields},
                                     {"expect_failures", &kFailureFields}}) {
    const json& items = array_or_empty(record, list);
    for (std::size_t i = 0; i < items.size(); ++i) {
      const std::string at = fmt::format("{}[{}]", list, i);
      if (!items[i].is_object()) return at;
      if (auto key = mistyped(items[i], *fields, at + "."); !key.empty()) return key;
      const json& rules = array_or_empty(items[i], "rules");  // rule names
      if (!std::all_of(rules.begin(), rules.end(), [](const json& r) { return r.is_string(); })) return at + ".rules";
    }
  }
  return "";
}

ReportLine line_from_step(const json& step) {
  ReportLine l;
  l.line_no = int_or_zero(step, "line");
  l.op = string_or_empty(step, "op");
  l.expect = string_or_empty(step, "expect");
  l.kernel = string_or_empty(step, "kernel");
  l.model = string_or_empty(step, "model");
  l.note = string_or_empty(step, "note");
  if (step.is_object())
    for (const auto& rule : array_or_empty(step, "rules"))
      if (rule.is_string()) l.rules.push_back(rule.get<std::string>());
  l.diverged = flag(step, "diverged");
  l.expectation_failed = flag(step, "expectation_failed");
  l.unsupported = flag(step, "unsupported");
  l.skipped = flag(step, "skipped");
  return l;
}

// One scenario object of check.jsonl.
void add_checked_scenario(ReportData& data, const json& v) {
  ++data.scenarios_checked;
  std::vector<ReportLine> lines;
  for (const auto& step : array_or_empty(v, "steps")) {
    lines.push_back(line_from_step(step));
    for (const auto& rule : lines.back().rules) data.rule_uses[rule]++;
  }
  const json& divergences = array_or_empty(v, "divergences");
  const json& failures = array_or_empty(v, "expect_failures");
  const std::string error = string_or_empty(v, "error");
  if (divergences.empty() && failures.empty() && error.empty()) {
    // PARTIAL (check/driver.h): passed, but some lines the model does not cover
    data.scenarios_partial += !array_or_empty(v, "unsupported").empty();
    return;
  }
  ++data.scenarios_failed;
  ReportProblem p;
  p.kind = "check";
  p.file = string_or_empty(v, "file");
  p.known = !divergences.empty();
  for (const auto& d : divergences) p.known &= flag(d, "known");
  p.known &= failures.empty() && error.empty();
  if (!divergences.empty()) {
    const json& d = divergences[0];
    p.signature = string_or_empty(d, "signature");
    p.summary = fmt::format("line {}: `{}`: the kernel says {}, the model says {}", int_or_zero(d, "line"),
                            string_or_empty(d, "op"), string_or_empty(d, "kernel"), string_or_empty(d, "model"));
  } else if (!failures.empty()) {
    const json& f = failures[0];
    p.summary = fmt::format("line {}: expected {}, the kernel says {}", int_or_zero(f, "line"),
                            string_or_empty(f, "expected"), string_or_empty(f, "kernel"));
  } else {
    p.summary = error;
  }
  p.lines = std::move(lines);
  data.problems.push_back(std::move(p));
}

void read_check_output(ReportData& data, const fs::path& jsonl) {
  std::istringstream in(read_text(jsonl));
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    json v = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (v.is_discarded() || !v.is_object()) {
      data.warnings.push_back(fmt::format("{}:{}: not a JSON object, skipped", jsonl.string(), line_no));
      continue;
    }
    if (auto key = mistyped_record_field(v); !key.empty()) {
      data.warnings.push_back(
          fmt::format("{}:{}: `{}` is not of the type `check --out` writes, skipped", jsonl.string(), line_no, key));
      continue;
    }
    add_checked_scenario(data, v);
  }
}

// A summary the report can read, or a warning naming the field that is not.
bool readable_summary(ReportData& data, const fs::path& file, const json& j, const FieldTypes& fields) {
  std::string why = !j.is_object() ? "not a JSON object" : "";
  if (why.empty())
    if (auto key = mistyped(j, fields, ""); !key.empty()) why = fmt::format("`{}` is not of the type sockspec writes", key);
  if (why.empty()) return true;
  data.warnings.push_back(fmt::format("{}: {}, skipped", file.string(), why));
  return false;
}

void read_solver_table(ReportData& data, const fs::path& file, const json& table) {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (auto key = table[i].is_object() ? mistyped(table[i], kSolverFields, "") : "a row"; !key.empty()) {
      data.warnings.push_back(fmt::format("{}: row {}: `{}` is not of the type `solve classes --json` writes, skipped",
                                          file.string(), i + 1, key));
      return;
    }
  for (const auto& w : table)
    data.solver.push_back({string_or_empty(w, "class"), string_or_empty(w, "rules"), string_or_empty(w, "predicted"),
                           string_or_empty(w, "kernel"), string_or_empty(w, "model"), flag(w, "confirmed")});
}

void read_json_files(ReportData& data) {
  for (const fs::path& file : files_with_extension(data.dir, ".json")) {
    json j = json::parse(read_text(file), nullptr, false);
    if (j.is_discarded()) {
      data.warnings.push_back(fmt::format("{}: not JSON, skipped", file.string()));
    } else if (file.filename() == "check-summary.json") {
      if (readable_summary(data, file, j, kCheckSummaryFields)) data.check_summary = j;
    } else if (j.is_object() && j.contains("execs")) {
      if (readable_summary(data, file, j, kFuzzSummaryFields))
        data.fuzz_summary = j;
    } else if (j.is_array() && !j.empty() && j[0].is_object() && j[0].contains("class")) {
      read_solver_table(data, file, j);
    } else {
      data.warnings.push_back(
          fmt::format("{}: neither a fuzz summary (`fuzz --json`) nor a solver table (`solve classes --json`), skipped",
                      file.string()));
    }
  }
}

void read_findings(ReportData& data) {
  fs::path findings = fs::is_directory(data.dir / "findings") ? data.dir / "findings" : data.dir;
  for (const fs::path& file : files_with_extension(findings, ".scn")) {
    const std::string text = read_text(file);
    try {
      Program program = parse_scenario(text, fs::relative(file, data.dir).string());
      data.finding_programs.push_back(std::move(program));
      data.finding_signatures.push_back(finding_header_signature(text));
    } catch (const ParseError& e) {
      data.warnings.push_back(fmt::format("finding not readable: {}", e.what()));
    }
  }
}

}  // namespace

std::vector<CampaignPoint> parse_campaign_log(std::string_view log) {
  // at most 15 digits a number: a longer one (a damaged log) would not fit a long, and the line is skipped
  static const std::regex status(R"(^#(\d{1,15}):? +cov: (\d{1,15}).* corp: (\d{1,15}).* time: (\d{1,15})s)");
  std::vector<CampaignPoint> points;
  CampaignPoint now;
  std::istringstream in{std::string(log)};
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, status)) {
      now.execs = std::stol(m[1]);
      now.coverage = std::stol(m[2]);
      now.corpus = std::stol(m[3]);
      now.seconds = std::stod(m[4]);
      points.push_back(now);
    } else if (line.find("sockspec-fuzz: NEW FINDING") != std::string::npos) {
      ++now.findings;  // at the time of the latest status line
      if (!points.empty()) points.back().findings = now.findings;
    }
  }
  return points;
}

ReportData read_report_inputs(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw std::runtime_error(fmt::format("{} is not a directory", dir.string()));
  ReportData data;
  data.dir = dir;
  if (fs::exists(dir / "check.jsonl")) read_check_output(data, dir / "check.jsonl");
  read_json_files(data);
  read_findings(data);
  if (fs::exists(dir / "last-campaign.log")) data.timeline = parse_campaign_log(read_text(dir / "last-campaign.log"));
  if (fs::exists(dir / "kernels-diff.md")) data.kernels_diff_markdown = read_text(dir / "kernels-diff.md");
  if (fs::exists(dir / "kernels-diff.html")) data.kernels_diff_html = read_text(dir / "kernels-diff.html");
  if (data.scenarios_checked == 0 && data.finding_programs.empty() && !data.fuzz_summary && data.solver.empty() &&
      data.timeline.empty() && data.kernels_diff_markdown.empty())
    throw std::runtime_error(fmt::format(
        "{} holds nothing to report: no check.jsonl (`sockspec check --out DIR`), no findings (*.scn or "
        "findings/*.scn), no last-campaign.log, no fuzz or solve JSON",
        dir.string()));
  return data;
}

void run_findings(ReportData& data, Mode mode) {
  for (std::size_t i = 0; i < data.finding_programs.size(); ++i) {
    const Program& program = data.finding_programs[i];
    const ScenarioVerdict verdict = run_scenario(program, mode, DriverConfig{});
    ReportProblem p;
    p.kind = "finding";
    p.file = program.file;
    for (const LineVerdict& v : verdict.lines) {
      ReportLine l;
      l.line_no = v.line->line_no;
      l.op = print_operation(*v.line);
      if (v.expect) l.expect = print_expectation(*v.expect);
      if (v.kernel) l.kernel = print_result(*v.kernel);
      if (v.model) l.model = print_result(*v.model);
      for (auto r : v.rules) {
        l.rules.emplace_back(r);
        data.rule_uses[std::string(r)]++;
      }
      l.diverged = v.diverged;
      l.expectation_failed = v.expectation_failed;
      l.unsupported = v.unsupported;
      l.skipped = v.skipped;
      l.note = v.note;
      if (v.diverged && p.signature.empty()) {
        p.signature = divergence_signature(*v.line, v);
        p.summary = fmt::format("line {}: `{}`: the kernel says {}, the model says {}", l.line_no, l.op, l.kernel,
                                l.model);
      }
      p.lines.push_back(std::move(l));
    }
    if (p.signature.empty()) p.signature = data.finding_signatures[i];
    if (p.summary.empty())
      p.summary = mode == Mode::Lockstep ? "does not diverge any more: the model or the kernel changed"
                                         : "shown on the model alone (the kernel oracle could not run)";
    data.problems.push_back(std::move(p));
  }
  // a finding that no longer diverges on the kernel belongs to no open family
  std::vector<FindingRecord> records;
  for (const ReportProblem& p : data.problems) {
    const bool open = mode != Mode::Lockstep ||
                      std::any_of(p.lines.begin(), p.lines.end(), [](const ReportLine& l) { return l.diverged; });
    if (p.kind == "finding" && open) records.push_back({p.file, p.signature, p.lines.size()});
  }
  data.families = group_findings(records, data.known_families);
}

std::vector<std::pair<std::string, std::string>> report_figures(const ReportData& data) {
  std::vector<std::pair<std::string, std::string>> rows;
  int findings = 0, divergent = 0, known = 0;
  for (const ReportProblem& p : data.problems) {
    findings += p.kind == "finding";
    divergent += std::any_of(p.lines.begin(), p.lines.end(), [](const ReportLine& l) { return l.diverged; });
    known += p.known;
  }
  if (data.scenarios_checked > 0) {
    rows.emplace_back("scenarios checked", std::to_string(data.scenarios_checked));
    rows.emplace_back("scenarios failed", std::to_string(data.scenarios_failed));
    if (data.scenarios_partial > 0)
      rows.emplace_back("scenarios PARTIAL (passed, some lines unsupported by the model)",
                        std::to_string(data.scenarios_partial));
  }
  if (data.check_summary) {
    if (data.check_summary->contains("kernel_described"))
      rows.emplace_back("kernel", string_or_empty(*data.check_summary, "kernel_described"));
    rows.emplace_back("check run time", fmt::format("{:.2f} s", data.check_summary->value("seconds", 0.0)));
    rows.emplace_back("divergent lines", std::to_string(data.check_summary->value("divergences", 0)));
  }
  rows.emplace_back("problems with a divergence", std::to_string(divergent));
  if (known > 0) rows.emplace_back("accepted by the baseline", std::to_string(known));
  rows.emplace_back("fuzz findings", std::to_string(findings));
  if (const auto& f = data.fuzz_summary) {
    rows.emplace_back("campaign time", fmt::format("{:.0f} s on {} jobs", f->value("seconds", 0.0), f->value("jobs", 0)));
    rows.emplace_back("executions", fmt::format("{} ({} per second)", f->value("execs", 0L), f->value("exec_per_s", 0L)));
    rows.emplace_back("corpus", fmt::format("{} -> {}", f->value("corpus_before", 0), f->value("corpus_after", 0)));
    rows.emplace_back("spec rules exercised by the campaign",
                      fmt::format("{} of {}", f->value("rules_covered", 0), f->value("rules_total", 0)));
  }
  if (!data.timeline.empty()) {
    const CampaignPoint& last = data.timeline.back();
    rows.emplace_back("campaign log", fmt::format("{} status lines over {:.0f} s, edge coverage {}",
                                                  data.timeline.size(), last.seconds, last.coverage));
  }
  int covered = 0;
  for (const Rule& rule : all_rules()) covered += data.rule_uses.contains(std::string(rule.name));
  rows.emplace_back("spec rules cited by the reported runs", fmt::format("{} of {}", covered, all_rules().size()));
  return rows;
}

std::vector<RuleCoverage> rule_coverage(const ReportData& data) {
  std::vector<RuleCoverage> rows;
  for (const Rule& rule : all_rules()) {
    auto it = data.rule_uses.find(std::string(rule.name));
    rows.push_back({std::string(rule.name), fmt::format("spec/{}.md", rule.area), it == data.rule_uses.end() ? 0 : it->second});
  }
  for (const auto& [rule, n] : data.rule_uses)
    if (!find_rule(rule)) rows.push_back({rule, "", n});
  return rows;
}

}  // namespace sockspec
