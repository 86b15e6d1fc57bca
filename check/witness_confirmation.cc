#include "check/witness_confirmation.h"

#include <fmt/format.h>

#include "check/driver.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {

using solver::Decisive;
using solver::Witness;

namespace {

std::string result_or_dash(const std::optional<Result>& r) { return r ? print_result(*r) : "-"; }

// The first line that went wrong, as the table prints it under the row.
std::string line_problem(const LineVerdict& lv) {
  return fmt::format("line {}: {} -> kernel {}, model {}{}", lv.line->line_no, print_operation(*lv.line),
                     result_or_dash(lv.kernel), result_or_dash(lv.model),
                     lv.unsupported ? fmt::format(" (unsupported: {})", lv.note) : "");
}

void record_decisive(const LineVerdict& lv, const Decisive& d, Confirmation* c) {
  const std::string sep = c->kernel.empty() ? "" : ", ";
  c->kernel += sep + result_or_dash(lv.kernel);
  c->model += sep + result_or_dash(lv.model);
  c->as_predicted &= !lv.expectation_failed && !lv.skipped;
  c->model_agrees &= !lv.diverged && !lv.unsupported && !lv.skipped;
  c->rule_cited &= d.rule.empty() || lv.rules.contains(d.rule);
}

std::string rules_of(const Witness& w) {
  std::string r;
  for (const Decisive& d : w.decisive) r += fmt::format("{}{}", r.empty() ? "" : ", ", d.rule);
  return r;
}

}  // namespace

Confirmation confirm_witness(const Witness& w) {
  Confirmation c;
  Program program;
  try {
    program = parse_scenario(w.scenario, w.name + ".scn");
  } catch (const ParseError& e) {  // a witness the writer got wrong: report, never crash
    c.problem = e.what();
    c.as_predicted = c.model_agrees = c.rule_cited = false;
    return c;
  }
  const ScenarioVerdict v = run_scenario(program, Mode::Lockstep, DriverConfig{});
  if (!v.error.empty()) c.problem = v.error;
  for (const LineVerdict& lv : v.lines) {
    const bool bad = lv.expectation_failed || lv.diverged || lv.unsupported;
    if (bad && c.problem.empty()) c.problem = line_problem(lv);
    for (const Decisive& d : w.decisive)
      if (lv.line->line_no == d.line_no) record_decisive(lv, d, &c);
  }
  return c;
}

std::vector<ConfirmedWitness> confirm_witnesses(std::vector<Witness> witnesses, std::vector<std::string> predicted) {
  std::vector<ConfirmedWitness> out;
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    Confirmation c = confirm_witness(witnesses[i]);
    out.push_back({std::move(witnesses[i]), i < predicted.size() ? std::move(predicted[i]) : "", std::move(c)});
  }
  return out;
}

bool all_confirmed(const std::vector<ConfirmedWitness>& confirmed) {
  for (const ConfirmedWitness& cw : confirmed)
    if (!cw.confirmation.confirmed()) return false;
  return true;
}

std::string witness_table(const std::vector<ConfirmedWitness>& confirmed, std::string_view what) {
  constexpr std::string_view kRow = "{:<58} {:<34} {:<16} {:<16} {:<9} {:<6} {}\n";
  std::string out = fmt::format(kRow, what, "rule on the path", "predicted", "kernel", "model", "cited", "confirmed");
  int confirmed_count = 0, cited = 0;
  for (const auto& [w, predicted, c] : confirmed) {
    confirmed_count += c.confirmed();
    cited += c.rule_cited;
    out += fmt::format(kRow, w.title, rules_of(w), predicted, c.kernel, c.model_agrees ? "agrees" : "DIFFERS",
                       c.rule_cited ? "yes" : "no", c.confirmed() ? "yes" : "NO");
    if (!c.problem.empty()) out += fmt::format("    {}: {}\n", w.name, c.problem);
  }
  out += fmt::format("{} witnesses: {} confirmed on the kernel, {} with the path's rule cited by the model\n",
                     confirmed.size(), confirmed_count, cited);
  return out;
}

nlohmann::json witness_json(const std::vector<ConfirmedWitness>& confirmed) {
  nlohmann::json all = nlohmann::json::array();
  for (const auto& [w, predicted, c] : confirmed)
    all.push_back({{"name", w.name},
                   {"class", w.title},
                   {"rules", rules_of(w)},
                   {"predicted", predicted},
                   {"kernel", c.kernel},
                   {"model", c.model},
                   {"kernel_as_predicted", c.as_predicted},
                   {"model_agrees", c.model_agrees},
                   {"rule_cited", c.rule_cited},
                   {"confirmed", c.confirmed()},
                   {"problem", c.problem},
                   {"scenario", w.scenario}});
  return all;
}

std::string coexist_text(const solver::CoexistProblem& problem, const solver::CoexistAnswer& answer,
                         const Confirmation& c) {
  std::string out;
  if (!answer.sat) {
    out += "unsat: no option values let these sockets bind in this order.\n";
    for (auto [j, k] : answer.conflicting)
      out += fmt::format("  socket {} (line {}) conflicts with socket {} (line {})\n", k,
                         problem.sockets[k - 1].line_no, j, problem.sockets[j - 1].line_no);
    out += "(together these conflicts leave no solution; each is needed)\n";
    return out;
  }
  out += fmt::format("sat: every socket binds with these values ({}):\n", solver::describe(answer.knobs));
  for (std::size_t k = 0; k < answer.sockets.size(); ++k)
    out += fmt::format("  socket {} (line {}): {}\n", k + 1, problem.sockets[k].line_no,
                       solver::describe(answer.sockets[k]));
  out += fmt::format("\n{}\n", answer.witness.scenario);
  out += fmt::format("confirmed on the kernel: {}\n", c.confirmed() ? "yes" : fmt::format("NO ({})", c.problem));
  return out;
}

nlohmann::json coexist_json(const std::string& file, const solver::CoexistAnswer& answer, const Confirmation& c) {
  if (!answer.sat) return {{"file", file}, {"sat", false}, {"conflicting", answer.conflicting}};
  nlohmann::json socks = nlohmann::json::array();
  for (const auto& sc : answer.sockets) socks.push_back(solver::describe(sc));
  return {{"file", file},
          {"sat", true},
          {"bindv6only", answer.knobs.bindv6only},
          {"sockets", socks},
          {"scenario", answer.witness.scenario},
          {"confirmed", c.confirmed()},
          {"problem", c.problem}};
}

}  // namespace sockspec
