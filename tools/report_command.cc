// `sockspec report DIR`: DIR/report.md and a self-contained DIR/report.html
// from a check run's output (`sockspec check --out DIR`) or a fuzz
// campaign's directory (check/report_data.h says what is read).
#include <fmt/format.h>

#include <fstream>

#include "check/html_report.h"
#include "check/markdown_report.h"
#include "check/report_data.h"
#include "oracle/oracle.h"
#include "tools/commands.h"

namespace sockspec::cli {

namespace {

namespace fs = std::filesystem;

struct ReportOptions {
  std::string dir;
  bool model_only = false;
  std::string known_families;  // --known-families FILE
};

void make_report(const ReportOptions& o) {
  const fs::path dir = fs::absolute(o.dir);
  ReportData data;
  try {
    data = read_report_inputs(dir);
    if (!o.known_families.empty()) data.known_families = read_known_families(o.known_families);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec report: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  // opened now: the oracle's sandbox below hides a DIR under /tmp
  std::ofstream markdown(dir / "report.md"), html(dir / "report.html");
  if (!markdown || !html) {
    fmt::print(stderr, "sockspec report: cannot write into {}\n", dir.string());
    exit_code() = kBadInput;
    return;
  }
  Mode mode = Mode::Model;
  if (!data.finding_programs.empty() && !o.model_only) {
    if (auto why = enter_sandbox())
      fmt::print(stderr, "sockspec report: the kernel oracle cannot run here ({}); findings shown on the model alone\n",
                 *why);
    else
      mode = Mode::Lockstep;
  }
  run_findings(data, mode);
  markdown << markdown_report(data);
  html << html_report(data);
  markdown.close();
  html.close();
  if (!markdown || !html) {
    fmt::print(stderr, "sockspec report: writing the report into {} failed\n", dir.string());
    exit_code() = kFailed;
    return;
  }
  for (const auto& w : data.warnings) fmt::print(stderr, "sockspec report: warning: {}\n", w);
  fmt::print("{} problem(s) reported in {} and {}\n", data.problems.size(), (dir / "report.md").string(),
             (dir / "report.html").string());
}

}  // namespace

void add_report_command(CLI::App& app) {
  static ReportOptions o;
  auto* cmd = app.add_subcommand(
      "report", "write DIR/report.md and DIR/report.html from `check --out DIR` or a fuzz campaign's directory");
  cmd->add_option("dir", o.dir, "the directory: check.jsonl, findings/*.scn, last-campaign.log, *.json")->required();
  cmd->add_flag("--model-only", o.model_only, "show findings on the model alone, without re-running the kernel");
  cmd->add_option("--known-families", o.known_families,
                  "a known-families list (divergences/families.txt): findings of those families are marked known");
  cmd->callback([] { make_report(o); });
}

}  // namespace sockspec::cli
