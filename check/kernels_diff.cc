#include "check/kernels_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "check/guest_run.h"
#include "check/junit.h"  // xml_escape
#include "check/parallel.h"
#include "model/kernel_variations.h"
#include "oracle/oracle.h"
#include "scenario/printer.h"

namespace sockspec {

namespace {

bool agrees(const ScenarioVerdict& v) { return v.error.empty() && v.divergences() == 0; }

// How the diff names a side: gVisor by its release, a Linux by its profile.
std::string side_name(const KernelProfile& p) { return is_gvisor_release(p.release) ? p.release : p.name(); }

std::string shown(const std::optional<Result>& r) { return r ? print_result(*r) : "(not run)"; }

// The versioned rule the line cites on the side where it holds and the
// other side does not have it, or nullptr.
const VariationRule* explaining_rule(const LineVerdict& la, const LineVerdict& lb, const KernelProfile& a,
                                     const KernelProfile& b) {
  for (const VariationRule& v : variation_rules()) {
    const bool on_a = v.holds(a), on_b = v.holds(b);
    if (on_a == on_b) continue;
    if ((on_a && la.rules.contains(v.rule)) || (on_b && lb.rules.contains(v.rule))) return &v;
  }
  return nullptr;
}

std::string rules_cited(const RuleTrace& rules) {
  std::vector<std::string_view> cited;  // each once: an `ss` line cites a row's rule per row
  std::string out;
  for (auto r : rules) {
    if (std::find(cited.begin(), cited.end(), r) != cited.end()) continue;
    cited.push_back(r);
    out += (out.empty() ? "" : ", ") + std::string(r);
  }
  return out.empty() ? "(no rule)" : out;
}

// Scenario s's first line where gVisor (b) diverged from the model and
// Linux (a) agreed with it, by the rules the model decided it with; the
// divergent lines after it are counted as follow-on.
void add_broken_rule(const ScenarioVerdict& a, const ScenarioVerdict& b, std::map<std::string, BrokenRule>& by_rules,
                     int& follow_on) {
  if (a.lines.size() != b.lines.size()) return;
  bool earlier = false;  // an earlier line of the scenario diverged on gVisor
  for (std::size_t i = 0; i < b.lines.size(); ++i) {
    const LineVerdict &la = a.lines[i], &lb = b.lines[i];
    if (!lb.diverged) continue;
    if (std::exchange(earlier, true)) {
      ++follow_on;
      continue;
    }
    if (la.diverged || !la.kernel || !lb.kernel || *la.kernel == *lb.kernel) continue;
    const std::string rules = rules_cited(lb.rules);
    BrokenRule& row = by_rules[rules];
    row.rules = rules;
    row.lines.push_back({b.file, lb.line->line_no, print_operation(*lb.line), shown(la.kernel), shown(lb.kernel)});
  }
}

}  // namespace

KernelsDiff diff_kernels(const std::vector<ScenarioVerdict>& a, const std::vector<ScenarioVerdict>& b) {
  KernelsDiff diff;
  if (!a.empty()) diff.a = a.front().profile;
  if (!b.empty()) diff.b = b.front().profile;
  std::map<std::string_view, KernelDifference> by_rule;
  std::map<std::string, BrokenRule> broken;
  diff.b_is_gvisor = is_gvisor_release(diff.b.release);
  for (const VariationRule& v : variation_rules())
    if (v.holds(diff.a) != v.holds(diff.b))
      by_rule[v.rule] = {std::string(v.rule), v.conditions(), std::string(v.changed_by), v.holds(diff.a), {}};
  for (std::size_t s = 0; s < std::min(a.size(), b.size()); ++s) {
    ++diff.scenarios;
    diff.disagreeing_a += !agrees(a[s]);
    diff.disagreeing_b += !agrees(b[s]);
    if (diff.b_is_gvisor) {
      add_broken_rule(a[s], b[s], broken, diff.follow_on_b);
      if (!b[s].limitation.empty()) diff.unrunnable_b.emplace_back(b[s].file, b[s].limitation);
    }
    if (!agrees(a[s]) || !agrees(b[s]) || a[s].lines.size() != b[s].lines.size()) continue;
    bool differed = false;  // an earlier line of this scenario differed
    for (std::size_t i = 0; i < a[s].lines.size(); ++i) {
      const LineVerdict &la = a[s].lines[i], &lb = b[s].lines[i];
      if (!la.kernel || !lb.kernel || *la.kernel == *lb.kernel) continue;
      KernelDifferenceLine line{a[s].file, la.line->line_no, print_operation(*la.line), shown(la.kernel),
                                shown(lb.kernel)};
      if (const VariationRule* v = explaining_rule(la, lb, diff.a, diff.b))
        by_rule[v->rule].lines.push_back(std::move(line));
      // once the two kernels' states parted, later lines may differ as a
      // consequence; and an ephemeral port or a queue figure may differ
      // between two runs of one kernel: only the first line of a scenario
      // whose results differ in kind (an errno, a value) is a change the
      // spec does not explain
      else if (differed)
        ++diff.follow_on;
      else if (la.kernel->kind != lb.kernel->kind || la.kernel->integer != lb.kernel->integer)
        diff.unexplained.push_back(std::move(line));
      differed = true;
    }
  }
  for (auto& [name, d] : by_rule) diff.rules.push_back(std::move(d));
  for (auto& [name, r] : broken) diff.broken.push_back(std::move(r));
  return diff;
}

namespace {

// The table a gVisor developer wants: each Linux rule gVisor breaks, what
// Linux does and what gVisor does instead, and where; then what it cannot run.
std::string broken_rules_markdown(const KernelsDiff& d) {
  std::string out = fmt::format("\n## Linux rules {} breaks\n\n", d.b.release);
  out += fmt::format("Lines where {} agreed with the model and gVisor did not, by the rules that decided them.\n\n",
                     d.a.describe());
  out += "| rule | Linux | gVisor | first seen | scenarios |\n|---|---|---|---|---|\n";
  for (const BrokenRule& r : d.broken) {
    const KernelDifferenceLine& l = r.lines.front();
    out += fmt::format("| `{}` | `{}` | `{}` | {}:{} `{}` | {} |\n", r.rules, l.result_a, l.result_b, l.file, l.line_no,
                       l.op, r.lines.size());
  }
  if (d.broken.empty()) out += "| (none) | | | | |\n";
  out += fmt::format("\nEach scenario's first divergent line only: {} later lines diverged after it (possibly as "
                     "consequences, the two stacks' states having parted).\n", d.follow_on_b);
  if (!d.unrunnable_b.empty()) {
    out += fmt::format("\n## Scenarios {} cannot run ({})\n\n", d.b.release, d.unrunnable_b.size());
    for (const auto& [file, why] : d.unrunnable_b) out += fmt::format("- {}: {}\n", file, why);
  }
  return out;
}

}  // namespace

std::string kernels_diff_markdown(const KernelsDiff& d) {
  std::string out = fmt::format("# Socket semantics: {} against {}\n\n", d.a.describe(), d.b.describe());
  out += fmt::format("{} scenarios run on both; the model disagreed with {} on {} and with {} on {} of them.\n\n",
                     d.scenarios, side_name(d.a), d.disagreeing_a, side_name(d.b), d.disagreeing_b);
  out += fmt::format("| rule | holds on | since / until | confirmed by | {} | {} |\n|---|---|---|---|---|---|\n",
                     side_name(d.a), side_name(d.b));
  for (const KernelDifference& r : d.rules) {
    const std::string where = r.holds_on_a ? side_name(d.a) : side_name(d.b);
    if (r.lines.empty()) {
      out += fmt::format("| `{}` | {} (`@{}`) | {} | not confirmed: no corpus line showed it | | |\n", r.rule, where,
                         r.condition, r.changed_by);
      continue;
    }
    const KernelDifferenceLine& l = r.lines.front();
    out += fmt::format("| `{}` | {} (`@{}`) | {} | {}:{} `{}` ({} lines) | `{}` | `{}` |\n", r.rule, where, r.condition,
                       r.changed_by, l.file, l.line_no, l.op, r.lines.size(), l.result_a, l.result_b);
  }
  if (d.follow_on > 0)
    out += fmt::format("\n{} more lines differ after an earlier difference in their scenario (consequences, not "
                       "listed).\n", d.follow_on);
  if (!d.unexplained.empty()) {
    out += "\n## Differences no versioned rule explains\n\n";
    for (const auto& l : d.unexplained)
      out += fmt::format("- {}:{} `{}`: `{}` against `{}`\n", l.file, l.line_no, l.op, l.result_a, l.result_b);
  }
  if (d.b_is_gvisor) out += broken_rules_markdown(d);
  return out;
}

std::string kernels_diff_html(const KernelsDiff& d) {
  auto e = [](std::string_view t) { return xml_escape(t); };
  std::string out = "<!doctype html><meta charset=\"utf-8\"><title>sockspec kernels diff</title>\n"
                    "<style>body{font-family:sans-serif}td,th{border:1px solid #ccc;padding:4px}"
                    "table{border-collapse:collapse}code{font-size:90%}</style>\n";
  out += fmt::format("<h1>Socket semantics: {} against {}</h1>\n{}\n<p>{} against {}: {} scenarios run on both.</p>\n",
                     e(d.a.describe()), e(d.b.describe()), kKernelsDiffBegin, e(d.a.describe()), e(d.b.describe()),
                     d.scenarios);
  out += fmt::format("<table><tr><th>rule</th><th>holds on</th><th>since / until</th><th>confirmed by</th>"
                     "<th>{}</th><th>{}</th></tr>\n", e(side_name(d.a)), e(side_name(d.b)));
  for (const KernelDifference& r : d.rules) {
    const std::string where = r.holds_on_a ? side_name(d.a) : side_name(d.b);
    const bool confirmed = !r.lines.empty();
    out += fmt::format("<tr><td><code>{}</code></td><td>{} (<code>@{}</code>)</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       e(r.rule), e(where), e(r.condition), e(r.changed_by),
                       confirmed ? e(fmt::format("{}:{} {} ({} lines)", r.lines[0].file, r.lines[0].line_no,
                                                 r.lines[0].op, r.lines.size()))
                                 : "not confirmed",
                       confirmed ? "<code>" + e(r.lines[0].result_a) + "</code>" : "",
                       confirmed ? "<code>" + e(r.lines[0].result_b) + "</code>" : "");
  }
  out += "</table>\n";
  if (!d.unexplained.empty()) {
    out += "<h2>Differences no versioned rule explains</h2><ul>\n";
    for (const auto& l : d.unexplained)
      out += fmt::format("<li>{}:{} <code>{}</code>: <code>{}</code> against <code>{}</code></li>\n", e(l.file),
                         l.line_no, e(l.op), e(l.result_a), e(l.result_b));
    out += "</ul>\n";
  }
  if (d.b_is_gvisor) {
    out += fmt::format("<h2>Linux rules {} breaks</h2>\n<table><tr><th>rule</th><th>Linux</th><th>gVisor</th>"
                       "<th>first seen</th><th>scenarios</th></tr>\n", e(d.b.release));
    for (const BrokenRule& r : d.broken) {
      const KernelDifferenceLine& l = r.lines.front();
      out += fmt::format("<tr><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td>"
                         "<td>{}:{} <code>{}</code></td><td>{}</td></tr>\n",
                         e(r.rules), e(l.result_a), e(l.result_b), e(l.file), l.line_no, e(l.op), r.lines.size());
    }
    out += "</table>\n";
  }
  return out + std::string(kKernelsDiffEnd) + "\n";
}

// "host", or the host's own series named by version (`6.18` on a 6.18.44
// host), runs here; anything else boots a guest.
bool names_this_host(const std::string& kernel) {
  if (kernel == "host" || kernel == "linux") return true;
  auto c = parse_kernel_condition(kernel);
  if (!c || c->kind != KernelCondition::Kind::Series) return false;
  KernelProfile here;
  utsname_version(&here);
  return c->holds(here);
}

namespace {

std::vector<ScenarioVerdict> verdicts_on(const std::string& kernel, const std::vector<Program>& programs, int jobs,
                                         const std::function<void(std::string_view)>& progress) {
  std::vector<ScenarioVerdict> out;
  auto keep = [&](ScenarioVerdict&& v) { out.push_back(std::move(v)); };
  if (names_this_host(kernel)) {
    if (auto why = enter_sandbox()) throw GuestUnavailable("the kernel oracle cannot run here: " + *why);
    run_scenarios(programs, Mode::Lockstep, DriverConfig{}, jobs, keep);
  } else {
    run_in_kernel_guest(kernel, programs, Mode::Lockstep, DriverConfig{}, jobs, keep, progress);
  }
  return out;
}

}  // namespace

KernelsDiff diff_on_kernels(const std::string& a, const std::string& b, const std::vector<Program>& programs,
                            int jobs, const std::function<void(std::string_view)>& progress) {
  std::vector<ScenarioVerdict> va, vb;
  if (names_this_host(a)) {
    vb = verdicts_on(b, programs, jobs, progress);
    va = verdicts_on(a, programs, jobs, progress);
  } else {
    va = verdicts_on(a, programs, jobs, progress);
    vb = verdicts_on(b, programs, jobs, progress);
  }
  return diff_kernels(va, vb);
}

}  // namespace sockspec
