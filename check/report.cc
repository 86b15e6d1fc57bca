#include "check/report.h"

#include <fmt/format.h>

#include <cctype>

#include "scenario/printer.h"

namespace sockspec {

namespace {

std::string rules_text(const RuleTrace& rules) {
  std::string out;
  for (auto r : rules) out += out.empty() ? std::string(r) : ", " + std::string(r);
  return out;
}

const Result& shown(const LineVerdict& v, Mode mode) {
  return mode == Mode::Model ? *v.model : *v.kernel;
}

// Whether the verdicts are of gVisor (scenario/kernel_profile.h): there a
// divergence is a finding about gVisor, the model speaking for Linux.
bool about_gvisor(const ScenarioVerdict& verdict) { return is_gvisor_release(verdict.profile.release); }

// `  12  bind o 127.0.0.2:8080 -> EADDRINUSE` plus the marks that apply.
void append_line(std::string& out, const LineVerdict& v, Mode mode, bool gvisor) {
  const Line& line = *v.line;
  std::string result = (v.kernel || v.model) ? print_result(shown(v, mode)) : "(not run)";
  out += fmt::format("{:5}  {} -> {}", line.line_no, print_operation(line), result);
  if (mode == Mode::Model && v.rules.size() > 0) out += fmt::format("    [{}]", rules_text(v.rules));
  out += '\n';
  if (v.expectation_failed)
    out += fmt::format("       FAILED: expected {}\n", print_expectation(*v.expect));
  if (v.diverged && gvisor)
    out += fmt::format("       GVISOR DIVERGES from Linux: gVisor {}, Linux {}  breaks [{}]{}\n", print_result(*v.kernel),
                       print_result(*v.model), rules_text(v.rules), v.note.empty() ? "" : "  (" + v.note + ")");
  else if (v.diverged)
    out += fmt::format("       DIVERGES: kernel {}, model {}  [{}]{}\n", print_result(*v.kernel),
                       print_result(*v.model), rules_text(v.rules), v.note.empty() ? "" : "  (" + v.note + ")");
  if (v.unsupported) out += fmt::format("       UNSUPPORTED by the model: {}\n", v.note);
  if (v.skipped && !v.note.empty() && !v.unsupported) out += fmt::format("       not run: {}\n", v.note);
}

// `PASS f.scn (19 lines, 3 skipped)`, `PARTIAL f.scn (19 lines, 2 unsupported)`,
// `FAIL f.scn (19 lines): 1 divergence(s)`.
std::string status_line(const ScenarioVerdict& verdict, Mode mode) {
  std::string counts = fmt::format("{} lines", verdict.lines.size());
  if (int n = verdict.skipped()) counts += fmt::format(", {} skipped", n);
  if (mode != Mode::Kernel)
    if (int n = verdict.unsupported()) counts += fmt::format(", {} unsupported", n);
  std::vector<std::string> parts;
  if (int n = verdict.expectation_failures()) parts.push_back(fmt::format("{} failed expectation(s)", n));
  if (int n = verdict.divergences()) parts.push_back(fmt::format("{} divergence(s)", n));
  if (!verdict.error.empty()) parts.push_back(verdict.error);
  if (!verdict.limitation.empty()) parts.push_back(verdict.limitation);
  std::string detail;
  for (const auto& p : parts) detail += (detail.empty() ? ": " : ", ") + p;
  return fmt::format("{} {} ({}){}\n", status_word(verdict.status()), verdict.file, counts, detail);
}

}  // namespace

std::string verdict_text_full(const ScenarioVerdict& verdict, Mode mode) {
  std::string out = fmt::format("== {}\n", verdict.file);
  for (const auto& v : verdict.lines) append_line(out, v, mode, about_gvisor(verdict));
  out += status_line(verdict, mode);
  return out;
}

std::string verdict_text_summary(const ScenarioVerdict& verdict, Mode mode) {
  std::string out = status_line(verdict, mode);
  for (const auto& v : verdict.lines)
    if (v.expectation_failed || v.diverged || v.unsupported) append_line(out, v, mode, about_gvisor(verdict));
  return out;
}

nlohmann::json verdict_json(const ScenarioVerdict& verdict) {
  using nlohmann::json;
  json expect_failures = json::array(), divergences = json::array(), unsupported = json::array(),
       skipped = json::array();
  for (const auto& v : verdict.lines) {
    const Line& line = *v.line;
    const Result* observed = v.kernel ? &*v.kernel : v.model ? &*v.model : nullptr;
    if (v.expectation_failed)
      expect_failures.push_back({{"line", line.line_no},
                                 {"expected", print_expectation(*v.expect)},
                                 {"kernel", observed ? print_result(*observed) : ""}});
    if (v.diverged) {
      json rules = json::array();
      for (auto r : v.rules) rules.push_back(std::string(r));
      divergences.push_back({{"line", line.line_no},
                             {"op", print_operation(line)},
                             {"kernel", print_result(*v.kernel)},
                             {"model", print_result(*v.model)},
                             {"rules", rules}});
      if (about_gvisor(verdict)) divergences.back()["about"] = "gvisor";  // the model is Linux
    }
    if (v.unsupported) unsupported.push_back({{"line", line.line_no}, {"op", print_operation(line)}});
    if (v.skipped && !v.unsupported) skipped.push_back(line.line_no);
  }
  std::string status = status_word(verdict.status());
  for (char& c : status) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  json out = {{"file", verdict.file},
              {"status", status},
              {"kernel", verdict.profile.name()},
              {"lines", verdict.lines.size()},
              {"agree", verdict.divergences() == 0},
              {"expect_failures", expect_failures},
              {"divergences", divergences},
              {"unsupported", unsupported},
              {"skipped", skipped}};
  if (!verdict.error.empty()) out["error"] = verdict.error;
  if (!verdict.limitation.empty()) out["limitation"] = verdict.limitation;
  return out;
}

}  // namespace sockspec
