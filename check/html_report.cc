#include "check/html_report.h"

#include "check/kernels_diff.h"

#include <fmt/format.h>

#include <algorithm>

#include "check/junit.h"  // xml_escape: HTML needs the same five escapes

namespace sockspec {

namespace {

constexpr std::string_view kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #1d1d1f; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f4; }
td.num { text-align: right; }
code, td.code { font-family: ui-monospace, monospace; font-size: .92em; white-space: pre-wrap; }
td.code { overflow-wrap: anywhere; }
table.lines { width: 100%; }
.figures td:first-child { color: #555; }
.problem { border: 1px solid #d0d0d8; border-radius: 6px; padding: .4em 1em 1em; margin: 1em 0; }
.problem h3 { margin: .4em 0; }
.summary { font-weight: 600; }
.signature { color: #555; }
tr.diverged td { background: #fde2e1; }
tr.failed td { background: #fff3cd; }
tr.skipped td { color: #888; }
.mark { color: #b00020; font-weight: 700; }
.known { color: #555; font-weight: 400; font-size: .8em; }
td.zero { color: #b00020; font-weight: 700; }
.warning { color: #8a5300; }
svg text { font-family: system-ui, sans-serif; font-size: 11px; }
)";

// The part of kernels-diff.html between its section markers
// (check/kernels_diff.h), with its own title dropped.
std::string kernels_diff_section(const std::string& page) {
  const auto from = page.find(kKernelsDiffBegin), to = page.find(kKernelsDiffEnd);
  if (from == std::string::npos || to == std::string::npos || to < from) return "";
  return page.substr(from + kKernelsDiffBegin.size(), to - from - kKernelsDiffBegin.size());
}

std::string esc(std::string_view text) { return xml_escape(text); }

// The findings by root cause (check/finding_families.h): one row a family.
std::string families_section(const std::vector<FindingFamily>& families) {
  const std::size_t fresh = count_families(families).fresh;
  std::string out = fmt::format(
      "<h2 id=\"families\">Families ({}, {} new)</h2>\n<table><tr><th>family (operation | deciding rule | kernel | "
      "model)</th><th>signatures</th><th>smallest scenario</th><th>known</th></tr>\n",
      families.size(), fresh);
  for (const FindingFamily& f : families)
    out += fmt::format("<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code> ({} lines)</td><td>{}</td></tr>\n",
                       esc(f.family), f.signatures.size(), esc(f.smallest), f.smallest_lines,
                       f.known() ? esc(f.reason) : "<strong>new</strong>");
  return out + "</table>\n";
}

void append_problem(std::string& out, std::size_t index, const ReportProblem& p) {
  out += fmt::format(R"(<section class="problem" id="problem-{}" data-file="{}" data-signature="{}">)", index,
                     esc(p.file), esc(p.signature));
  out += fmt::format("<h3>{}. {} <code>{}</code>{}</h3>\n", index, p.kind == "finding" ? "Finding" : "Failed scenario",
                     esc(p.file), p.known ? R"( <span class="known">(known: in the baseline)</span>)" : "");
  out += fmt::format("<p class=\"summary\">{}</p>\n", esc(p.summary));
  if (!p.signature.empty()) out += fmt::format("<p class=\"signature\">signature: <code>{}</code></p>\n", esc(p.signature));
  out += "<table class=\"lines\"><tr><th>line</th><th>operation</th><th>expected</th><th>kernel</th><th>model</th>"
         "<th>rules</th></tr>\n";
  for (const ReportLine& l : p.lines) {
    const char* cls = l.diverged ? "diverged" : l.expectation_failed ? "failed" : l.skipped ? "skipped" : "";
    const char* mark = l.diverged ? "DIVERGES" : l.expectation_failed ? "FAILED" : l.unsupported ? "unsupported" : "";
    std::string rules;
    for (const auto& r : l.rules) rules += (rules.empty() ? "" : "<br>") + esc(r);
    out += fmt::format(
        "<tr class=\"{}\"><td class=\"num\">{}{}</td><td class=\"code\">{}</td><td class=\"code\">{}</td>"
        "<td class=\"code\">{}</td><td class=\"code\">{}</td><td class=\"code\">{}</td></tr>\n",
        cls, l.line_no, *mark ? fmt::format(" <span class=\"mark\">{}</span>", mark) : "", esc(l.op), esc(l.expect),
        esc(l.kernel), esc(l.model), rules);
  }
  out += "</table></section>\n";
}

}  // namespace

std::string timeline_svg(const std::vector<CampaignPoint>& timeline) {
  if (timeline.empty()) return "";
  constexpr double kW = 720, kH = 260, kLeft = 60, kRight = 60, kTop = 20, kBottom = 40;
  const double plot_w = kW - kLeft - kRight, plot_h = kH - kTop - kBottom;
  double max_t = 1, max_cov = 1, max_findings = 1;
  for (const CampaignPoint& p : timeline) {
    max_t = std::max(max_t, p.seconds);
    max_cov = std::max(max_cov, static_cast<double>(p.coverage));
    max_findings = std::max(max_findings, static_cast<double>(p.findings));
  }
  auto x = [&](double t) { return kLeft + t / max_t * plot_w; };
  auto y = [&](double v, double max) { return kTop + plot_h - v / max * plot_h; };
  std::string coverage, findings;
  int previous_findings = 0;
  for (const CampaignPoint& p : timeline) {
    coverage += fmt::format("{:.1f},{:.1f} ", x(p.seconds), y(static_cast<double>(p.coverage), max_cov));
    // findings as a step: they are counted when they happen
    findings += fmt::format("{:.1f},{:.1f} {:.1f},{:.1f} ", x(p.seconds), y(previous_findings, max_findings),
                            x(p.seconds), y(p.findings, max_findings));
    previous_findings = p.findings;
  }
  std::string out = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" role="img" aria-label="coverage and findings over time">)",
      kW, kH);
  out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#bbb"/>)", kLeft, kTop, plot_w,
                     plot_h);
  out += fmt::format(R"(<polyline class="coverage" fill="none" stroke="#1f6feb" stroke-width="2" points="{}"/>)",
                     coverage);
  out += fmt::format(R"(<polyline class="findings" fill="none" stroke="#d1242f" stroke-width="2" points="{}"/>)",
                     findings);
  // axes: 0 and the maximum on each, the time below
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{:.0f}</text>)", kLeft - 6, kTop + 4, max_cov);
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">0</text>)", kLeft - 6, kTop + plot_h);
  out += fmt::format(R"(<text x="{}" y="{}" fill="#d1242f">{:.0f}</text>)", kLeft + plot_w + 6, kTop + 4, max_findings);
  out += fmt::format(R"(<text x="{}" y="{}" fill="#d1242f">0</text>)", kLeft + plot_w + 6, kTop + plot_h);
  out += fmt::format(R"(<text x="{}" y="{}">0 s</text>)", kLeft, kH - kBottom + 16);
  out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{:.0f} s</text>)", kLeft + plot_w, kH - kBottom + 16, max_t);
  out += fmt::format(R"(<text x="{}" y="{}" fill="#1f6feb">edge coverage (left)</text>)", kLeft, kH - 6);
  out += fmt::format(R"(<text x="{}" y="{}" fill="#d1242f" text-anchor="end">findings (right)</text>)", kLeft + plot_w,
                     kH - 6);
  return out + "</svg>";
}

std::string html_report(const ReportData& data) {
  const std::string title = "sockspec report: " + data.dir.filename().string();
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title><style>{1}</style></head>\n"
      "<body>\n<h1>{0}</h1>\n",
      esc(title), kStyle);
  out += "<table class=\"figures\">\n";
  for (const auto& [label, value] : report_figures(data))
    out += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", esc(label), esc(value));
  out += "</table>\n";
  for (const auto& w : data.warnings) out += fmt::format("<p class=\"warning\">warning: {}</p>\n", esc(w));

  if (!data.families.empty()) out += families_section(data.families);
  out += fmt::format("<h2 id=\"problems\">Problems ({})</h2>\n", data.problems.size());
  if (data.problems.empty()) out += "<p>None: the model and the kernel agree, and every expectation holds.</p>\n";
  for (std::size_t i = 0; i < data.problems.size(); ++i) append_problem(out, i + 1, data.problems[i]);

  if (!data.timeline.empty()) {
    out += "<h2 id=\"timeline\">Campaign timeline</h2>\n" + timeline_svg(data.timeline) + "\n";
  }
  if (!data.solver.empty()) {
    out += "<h2 id=\"solver\">Solver classes</h2>\n<table><tr><th>class</th><th>rules</th><th>predicted</th>"
           "<th>kernel</th><th>model</th><th>confirmed</th></tr>\n";
    for (const SolverRow& r : data.solver)
      out += fmt::format("<tr><td>{}</td><td class=\"code\">{}</td><td class=\"code\">{}</td><td class=\"code\">{}</td>"
                         "<td class=\"code\">{}</td><td>{}</td></tr>\n",
                         esc(r.klass), esc(r.rules), esc(r.predicted), esc(r.kernel), esc(r.model),
                         r.confirmed ? "yes" : "<span class=\"mark\">NO</span>");
    out += "</table>\n";
  }
  if (!data.kernels_diff_html.empty())
    out += "<h2 id=\"kernels\">Kernels</h2>\n" + kernels_diff_section(data.kernels_diff_html) +
           "<p><a href=\"kernels-diff.html\">kernels-diff.html</a></p>\n";
  const auto coverage = rule_coverage(data);
  const auto covered = std::count_if(coverage.begin(), coverage.end(), [](const RuleCoverage& r) { return r.lines > 0; });
  out += fmt::format("<h2 id=\"rules\">Rule coverage</h2>\n<details><summary>{} of {} rules cited</summary>\n"
                     "<table><tr><th>rule</th><th>spec</th><th>lines citing it</th></tr>\n",
                     covered, coverage.size());
  for (const RuleCoverage& r : coverage)
    out += fmt::format("<tr><td class=\"code\">{}</td><td>{}</td><td class=\"num{}\">{}</td></tr>\n", esc(r.rule),
                       r.spec_file.empty() ? "(not registered)" : esc(r.spec_file), r.lines == 0 ? " zero" : "",
                       r.lines);
  out += "</table></details>\n</body></html>\n";
  return out;
}

}  // namespace sockspec
