// What `sockspec report DIR` reads: a check run's or a fuzz campaign's
// output directory, gathered into one ReportData for the renderers
// (check/markdown_report.h, check/html_report.h).
//
// Contract: read_report_inputs reads, all optional but at least one present:
// - DIR/check.jsonl and DIR/check-summary.json (`check --out DIR`,
//   check/check_outputs.h): every scenario that failed becomes a problem
//   shown line by line; every step's rules count toward rule coverage;
// - DIR/findings/*.scn or DIR/*.scn (fuzz findings, check/finding.h): each
//   becomes a problem; its header gives the signature;
// - DIR/last-campaign.log (`sockspec fuzz`): libFuzzer's fork-mode status
//   lines (`#N: cov: C ft: F corp: K exec/s: E ... time: Ts`) and the
//   fuzzer's `sockspec-fuzz: NEW FINDING` lines give the campaign timeline;
// - DIR/kernels-diff.md and .html (`sockspec kernels diff --out DIR`,
//   check/kernels_diff.h): shown as a section of its own;
// - DIR/*.json: a fuzz summary (`sockspec fuzz --json`, has "execs") or a
//   solver table (`sockspec solve classes --json`, an array of objects with
//   "class"), recognised by their content.
// It only reads (everything into memory), so the caller may then enter the
// oracle's sandbox, whose private /tmp hides the files. run_findings then
// runs every finding (in lockstep, or on the model alone) to show each line
// with both results. Bad input (a malformed JSON line, a finding that does
// not parse) becomes a warning in the report, never a crash.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "check/driver.h"
#include "check/finding_families.h"
#include "scenario/ast.h"

namespace sockspec {

struct ReportLine {
  int line_no = 0;
  std::string op, expect, kernel, model, note;
  std::vector<std::string> rules;
  bool diverged = false, expectation_failed = false, unsupported = false, skipped = false;
};

// A finding, or a scenario of a check run that failed.
struct ReportProblem {
  std::string kind;       // "finding" or "check"
  std::string file;       // as the run named it
  std::string signature;  // the first divergence's (check/finding.h); "" for a failed expectation
  std::string summary;    // one line: what went wrong
  bool known = false;     // a baseline accepts it
  std::vector<ReportLine> lines;
};

struct CampaignPoint {
  double seconds = 0;
  long execs = 0, coverage = 0, corpus = 0;
  int findings = 0;  // found so far
};

struct SolverRow {
  std::string klass, rules, predicted, kernel, model;
  bool confirmed = false;
};

struct ReportData {
  std::filesystem::path dir;
  std::optional<nlohmann::json> check_summary, fuzz_summary;
  int scenarios_checked = 0, scenarios_failed = 0, scenarios_partial = 0;
  std::vector<ReportProblem> problems;
  std::map<std::string, int> rule_uses;  // rule -> lines citing it
  std::vector<SolverRow> solver;
  std::vector<CampaignPoint> timeline;
  std::vector<std::string> warnings;
  std::string kernels_diff_markdown, kernels_diff_html;  // DIR/kernels-diff.{md,html}, "" when absent

  // findings read but not yet run (run_findings fills their lines)
  std::vector<Program> finding_programs;
  std::vector<std::string> finding_signatures;  // from each finding's header

  // the findings by root cause (check/finding_families.h); run_findings
  // groups them, marking the families the caller's known list names
  KnownFamilies known_families;
  std::vector<FindingFamily> families;
};

// Throws std::runtime_error when DIR is not a directory or holds nothing
// a report can be made of.
ReportData read_report_inputs(const std::filesystem::path& dir);

// Runs each finding in `mode`, adds it to data.problems and groups the
// findings into data.families.
void run_findings(ReportData& data, Mode mode);

// The campaign's and the run's figures, as (label, value) rows, for both
// renderers: scenarios checked and failed, divergences, findings, and the
// fuzz summary's executions, rate, corpus and rule coverage.
std::vector<std::pair<std::string, std::string>> report_figures(const ReportData& data);

struct RuleCoverage {
  std::string rule, spec_file;  // spec_file "" for a rule the registry lacks
  int lines = 0;
};
// Every registered rule with the lines citing it, then cited rules the
// registry does not know.
std::vector<RuleCoverage> rule_coverage(const ReportData& data);

// The timeline of a libFuzzer fork-mode log (exposed for tests).
std::vector<CampaignPoint> parse_campaign_log(std::string_view log);

}  // namespace sockspec
