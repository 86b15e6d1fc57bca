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

// The first of a check record's lists that is something else, or "".
std::string field_not_a_list_of_objects(const json& record) {
  for (const char* key : {"steps", "divergences", "expect_failures"}) {
    auto it = record.find(key);
    if (it == record.end()) continue;
    if (!it->is_array() || !std::all_of(it->begin(), it->end(), [](const json& e) { return e.is_object(); }))
      return key;
  }
  return "";
}

// The first field of a summary whose type is not the one the report reads,
// or "" when every field present is readable.
std::string mistyped_field(const json& summary, std::initializer_list<const char*> numbers) {
  for (const char* key : numbers)
    if (auto it = summary.find(key); it != summary.end() && !it->is_number()) return key;
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
    if (auto key = field_not_a_list_of_objects(v); !key.empty()) {
      data.warnings.push_back(fmt::format("{}:{}: `{}` is not a list of objects, skipped", jsonl.string(), line_no, key));
      continue;
    }
    add_checked_scenario(data, v);
  }
}

// A summary the report can read, or a warning naming the field that is not.
bool readable_summary(ReportData& data, const fs::path& file, const json& j,
                      std::initializer_list<const char*> numbers) {
  std::string why = !j.is_object() ? "not a JSON object" : "";
  if (why.empty())
    if (auto key = mistyped_field(j, numbers); !key.empty()) why = fmt::format("`{}` is not a number", key);
  if (why.empty()) return true;
  data.warnings.push_back(fmt::format("{}: {}, skipped", file.string(), why));
  return false;
}

void read_json_files(ReportData& data) {
  for (const fs::path& file : files_with_extension(data.dir, ".json")) {
    json j = json::parse(read_text(file), nullptr, false);
    if (j.is_discarded()) {
      data.warnings.push_back(fmt::format("{}: not JSON, skipped", file.string()));
    } else if (file.filename() == "check-summary.json") {
      if (readable_summary(data, file, j, {"seconds", "divergences"})) data.check_summary = j;
    } else if (j.is_object() && j.contains("execs")) {
      if (readable_summary(data, file, j,
                           {"seconds", "jobs", "execs", "exec_per_s", "corpus_before", "corpus_after",
                            "rules_covered", "rules_total"}))
        data.fuzz_summary = j;
    } else if (j.is_array() && !j.empty() && j[0].is_object() && j[0].contains("class")) {
      for (const auto& w : j)
        data.solver.push_back({string_or_empty(w, "class"), string_or_empty(w, "rules"),
                               string_or_empty(w, "predicted"), string_or_empty(w, "kernel"),
                               string_or_empty(w, "model"), flag(w, "confirmed")});
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
  static const std::regex status(R"(^#(\d+):? +cov: (\d+).* corp: (\d+).* time: (\d+)s)");
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
