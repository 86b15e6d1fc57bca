#include "check/markdown_report.h"

#include <fmt/format.h>

namespace sockspec {

namespace {

// A table cell: `|` would end it, a newline would end the table.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

std::string code(std::string_view text) { return text.empty() ? "" : fmt::format("`{}`", cell(text)); }

void append_problem(std::string& out, std::size_t index, const ReportProblem& p) {
  out += fmt::format("### {}. {} `{}`{}\n\n", index, p.kind == "finding" ? "Finding" : "Failed scenario", p.file,
                     p.known ? " (known: in the baseline)" : "");
  out += p.summary + "\n\n";
  if (!p.signature.empty()) out += fmt::format("Signature: `{}`\n\n", p.signature);
  out += "| line | operation | expected | kernel | model | rules |\n|---:|---|---|---|---|---|\n";
  for (const ReportLine& l : p.lines) {
    std::string mark = l.diverged ? " **DIVERGES**" : l.expectation_failed ? " **FAILED**" : l.unsupported ? " (unsupported)" : "";
    std::string rules;
    for (const auto& r : l.rules) rules += (rules.empty() ? "" : ", ") + r;
    out += fmt::format("| {}{} | {} | {} | {} | {} | {} |\n", l.line_no, mark, code(l.op), code(l.expect),
                       code(l.kernel), code(l.model), cell(rules));
  }
  out += "\n";
}

}  // namespace

// The findings by root cause (check/finding_families.h): one row a family.
std::string families_section(const std::vector<FindingFamily>& families) {
  const FamilyCounts n = count_families(families);
  std::string out = fmt::format(
      "## Families\n\n{} signatures in {} families (operation | deciding rule | kernel | model), {} not in the known "
      "list\n\n| family | signatures | smallest scenario | known |\n|---|---|---|---|\n",
      n.signatures, n.families, n.fresh);
  for (const FindingFamily& f : families)
    out += fmt::format("| {} | {} | {} ({} lines) | {} |\n", code(f.family), f.signatures.size(), code(f.smallest),
                       f.smallest_lines, f.known() ? cell(f.reason) : "**new**");
  return out + "\n";
}

std::string markdown_report(const ReportData& data) {
  std::string out = fmt::format("# sockspec report: {}\n\n", data.dir.filename().string());
  out += "| figure | value |\n|---|---|\n";
  for (const auto& [label, value] : report_figures(data)) out += fmt::format("| {} | {} |\n", label, cell(value));
  out += "\n";
  for (const auto& w : data.warnings) out += fmt::format("> warning: {}\n", w);

  if (!data.families.empty()) out += families_section(data.families);
  out += fmt::format("## Problems ({})\n\n", data.problems.size());
  if (data.problems.empty()) out += "None: the model and the kernel agree, and every expectation holds.\n\n";
  for (std::size_t i = 0; i < data.problems.size(); ++i) append_problem(out, i + 1, data.problems[i]);

  if (!data.timeline.empty()) {
    out += "## Campaign timeline\n\n| time (s) | executions | edge coverage | corpus | findings |\n|---:|---:|---:|---:|---:|\n";
    // at most about 20 rows: every k-th status line, and the last
    const std::size_t step = std::max<std::size_t>(1, data.timeline.size() / 20);
    for (std::size_t i = 0; i < data.timeline.size(); ++i) {
      if (i % step != 0 && i + 1 != data.timeline.size()) continue;
      const CampaignPoint& p = data.timeline[i];
      out += fmt::format("| {:.0f} | {} | {} | {} | {} |\n", p.seconds, p.execs, p.coverage, p.corpus, p.findings);
    }
    out += "\n";
  }
  if (!data.solver.empty()) {
    out += "## Solver classes\n\n| class | rules | predicted | kernel | model | confirmed |\n|---|---|---|---|---|---|\n";
    for (const SolverRow& r : data.solver)
      out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(r.klass), cell(r.rules), code(r.predicted),
                         code(r.kernel), code(r.model), r.confirmed ? "yes" : "**NO**");
    out += "\n";
  }
  if (!data.kernels_diff_markdown.empty()) {
    // its own `# ` title becomes a section of this report
    std::string section = data.kernels_diff_markdown;
    for (std::size_t at = 0; (at = section.find('#', at)) != std::string::npos; at += 2)
      if (at == 0 || section[at - 1] == '\n') section.insert(at, "#");
    out += section + "\n";
  }
  out += "## Rule coverage\n\n| rule | spec | lines citing it |\n|---|---|---:|\n";
  for (const RuleCoverage& r : rule_coverage(data))
    out += fmt::format("| `{}` | {} | {} |\n", r.rule, r.spec_file.empty() ? "(not registered)" : r.spec_file,
                       r.lines == 0 ? "**0**" : std::to_string(r.lines));
  return out;
}

}  // namespace sockspec
