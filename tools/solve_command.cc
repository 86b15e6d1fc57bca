// `sockspec solve classes | asymmetric | diff | coexist FILE`: Z3 searches
// over the bind-conflict relation (solver/), each witness run in lockstep on
// the kernel and the model (docs/solver.md).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "check/driver.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "scenario/printer.h"
#include "solver/coexist.h"
#include "solver/search.h"
#include "tools/commands.h"

namespace sockspec::cli {

namespace {

using namespace sockspec::solver;

struct SolveOptions {
  bool json = false;
  std::string write_dir;  // write witnesses here ("" = do not)
  std::string knob = "bindv6only";
  std::string coexist_file;
};

// What the kernel and the model said about one witness.
struct Confirmation {
  std::string kernel, model;  // the results of the decisive lines, joined
  bool as_predicted = true;   // every decisive line's expectation held on the kernel
  bool model_agrees = true;   // the model gave the kernel's result on every line
  bool rule_cited = true;     // the model cited the path's rule on every decisive line
  std::string problem;        // the first line that went wrong, when any did
  bool confirmed() const { return as_predicted && model_agrees && problem.empty(); }
};

Confirmation confirm(const Witness& w) {
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
    if (bad && c.problem.empty())
      c.problem = fmt::format("line {}: {} -> kernel {}, model {}{}", lv.line->line_no, print_operation(*lv.line),
                              lv.kernel ? print_result(*lv.kernel) : "-", lv.model ? print_result(*lv.model) : "-",
                              lv.unsupported ? fmt::format(" (unsupported: {})", lv.note) : "");
    for (const Decisive& d : w.decisive) {
      if (lv.line->line_no != d.line_no) continue;
      const std::string sep = c.kernel.empty() ? "" : ", ";
      c.kernel += sep + (lv.kernel ? print_result(*lv.kernel) : "-");
      c.model += sep + (lv.model ? print_result(*lv.model) : "-");
      c.as_predicted &= !lv.expectation_failed && !lv.skipped;
      c.model_agrees &= !lv.diverged && !lv.unsupported && !lv.skipped;
      c.rule_cited &= d.rule.empty() || lv.rules.contains(d.rule);
    }
  }
  return c;
}

bool write_witness(const std::string& dir, const Witness& w) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::ofstream out(std::filesystem::path(dir) / (w.name + ".scn"));
  out << w.scenario;
  if (!out) {
    fmt::print(stderr, "sockspec: cannot write {}/{}.scn\n", dir, w.name);
    return false;
  }
  return true;
}

std::string rules_of(const Witness& w) {
  std::string r;
  for (const Decisive& d : w.decisive) r += fmt::format("{}{}", r.empty() ? "" : ", ", d.rule);
  return r;
}

// Confirms every witness, prints the table (or JSON), writes the files.
// A witness is confirmed when the kernel gave the predicted result and the
// model agreed with the kernel on every line; whether the model also cited
// the path's rule is reported beside it.
void report(const SolveOptions& o, const std::vector<Witness>& witnesses,
            const std::vector<std::string>& predicted, std::string_view what) {
  int confirmed = 0, cited = 0;
  nlohmann::json all = nlohmann::json::array();
  constexpr std::string_view kRow = "{:<58} {:<34} {:<16} {:<16} {:<9} {:<6} {}\n";
  if (!o.json) fmt::print(kRow, what, "rule on the path", "predicted", "kernel", "model", "cited", "confirmed");
  for (std::size_t i = 0; i < witnesses.size(); ++i) {
    const Witness& w = witnesses[i];
    const Confirmation c = confirm(w);
    confirmed += c.confirmed();
    cited += c.rule_cited;
    if (!o.write_dir.empty() && !write_witness(o.write_dir, w)) exit_code() = kFailed;
    if (o.json) {
      all.push_back({{"name", w.name},
                     {"class", w.title},
                     {"rules", rules_of(w)},
                     {"predicted", predicted[i]},
                     {"kernel", c.kernel},
                     {"model", c.model},
                     {"kernel_as_predicted", c.as_predicted},
                     {"model_agrees", c.model_agrees},
                     {"rule_cited", c.rule_cited},
                     {"confirmed", c.confirmed()},
                     {"problem", c.problem},
                     {"scenario", w.scenario}});
      continue;
    }
    fmt::print(fmt::runtime(kRow), w.title, rules_of(w), predicted[i], c.kernel, c.model_agrees ? "agrees" : "DIFFERS",
               c.rule_cited ? "yes" : "no", c.confirmed() ? "yes" : "NO");
    if (!c.problem.empty()) fmt::print("    {}: {}\n", w.name, c.problem);
  }
  if (o.json)
    fmt::print("{}\n", all.dump(1));
  else
    fmt::print("{} witnesses: {} confirmed on the kernel, {} with the path's rule cited by the model\n",
               witnesses.size(), confirmed, cited);
  if (confirmed != static_cast<int>(witnesses.size())) exit_code() = kFailed;
}

// The sandbox moves the process into a private /tmp and changes directory
// there, so paths given relative to where sockspec started are fixed first.
bool sandbox_or_report(SolveOptions* o = nullptr) {
  if (o && !o->write_dir.empty()) o->write_dir = std::filesystem::absolute(o->write_dir).string();
  if (auto why = enter_sandbox()) {
    fmt::print(stderr, "sockspec: the kernel oracle cannot run here: {}\n", *why);
    exit_code() = kNoOracle;
    return false;
  }
  return true;
}

void solve_classes(SolveOptions o) {
  if (!sandbox_or_report(&o)) return;
  std::vector<Witness> ws;
  std::vector<std::string> predicted;
  for (auto& r : enumerate_classes()) {
    predicted.emplace_back(expect_word(r.predicted));
    ws.push_back(std::move(r.witness));
  }
  report(o, ws, predicted, "class");
}

void solve_asymmetric(SolveOptions o) {
  if (!sandbox_or_report(&o)) return;
  std::vector<Witness> ws;
  std::vector<std::string> predicted;
  for (auto& r : enumerate_asymmetric()) {
    predicted.push_back(fmt::format("{}, {}", expect_word(kBindConflictRules[r.rule_ab].outcome),
                                    expect_word(kBindConflictRules[r.rule_ba].outcome)));
    ws.push_back(std::move(r.witness));
  }
  report(o, ws, predicted, "pair (A then B; B then A)");
}

void solve_diff(SolveOptions o) {
  Knob knob;
  if (o.knob == "bindv6only") knob = Knob::BindV6Only;
  else if (o.knob == "legacy") knob = Knob::LegacyAny4CoversIp6;
  else {
    fmt::print(stderr, "sockspec solve diff: unknown knob `{}` (bindv6only or legacy)\n", o.knob);
    exit_code() = kBadInput;
    return;
  }
  if (!sandbox_or_report(&o)) return;
  std::vector<Witness> ws;
  std::vector<std::string> predicted;
  for (auto& r : enumerate_diff(knob)) {
    predicted.push_back(knob == Knob::BindV6Only
                            ? fmt::format("{}, {}", expect_word(r.outcome_off), expect_word(r.outcome_on))
                            : std::string(expect_word(r.outcome_off)));
    ws.push_back(std::move(r.witness));
  }
  report(o, ws, predicted, "knob: off -> on");
}

// `solve coexist FILE`: 0 when the answer holds (a witness confirmed on the
// kernel, or unsat), 1 when the witness fails on the kernel, 2 bad input.
void solve_coexist_command(const std::string& file, bool json) {
  std::ifstream in(file);
  if (!in) {
    fmt::print(stderr, "sockspec: cannot read {}\n", file);
    exit_code() = kBadInput;
    return;
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CoexistProblem problem;
  try {
    problem = parse_coexist(text, file);
  } catch (const CoexistError& e) {
    fmt::print(stderr, "{}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  if (!sandbox_or_report()) return;
  const CoexistAnswer answer = solve_coexist(problem);
  if (!answer.sat) {
    if (json) {
      fmt::print("{}\n", nlohmann::json{{"file", file}, {"sat", false}, {"conflicting", answer.conflicting}}.dump());
    } else {
      fmt::print("unsat: no option values let these sockets bind in this order.\n");
      for (auto [j, k] : answer.conflicting)
        fmt::print("  socket {} (line {}) conflicts with socket {} (line {})\n", k, problem.sockets[k - 1].line_no, j,
                   problem.sockets[j - 1].line_no);
      fmt::print("(together these conflicts leave no solution; each is needed)\n");
    }
    return;
  }
  const Confirmation c = confirm(answer.witness);
  if (json) {
    nlohmann::json socks = nlohmann::json::array();
    for (const auto& sc : answer.sockets) socks.push_back(describe(sc));
    fmt::print("{}\n", nlohmann::json{{"file", file},
                                      {"sat", true},
                                      {"bindv6only", answer.knobs.bindv6only},
                                      {"sockets", socks},
                                      {"scenario", answer.witness.scenario},
                                      {"confirmed", c.confirmed()},
                                      {"problem", c.problem}}
                           .dump());
  } else {
    fmt::print("sat: every socket binds with these values ({}):\n", describe(answer.knobs));
    for (std::size_t k = 0; k < answer.sockets.size(); ++k)
      fmt::print("  socket {} (line {}): {}\n", k + 1, problem.sockets[k].line_no, describe(answer.sockets[k]));
    fmt::print("\n{}\n", answer.witness.scenario);
    fmt::print("confirmed on the kernel: {}\n", c.confirmed() ? "yes" : fmt::format("NO ({})", c.problem));
  }
  if (!c.confirmed()) exit_code() = kFailed;
}

}  // namespace

void add_solve_command(CLI::App& app) {
  static SolveOptions opts;
  auto* solve = app.add_subcommand("solve", "Z3 searches over the bind-conflict relation, witnesses checked on the kernel");
  solve->require_subcommand(1);
  auto common = [](CLI::App* cmd) {
    cmd->add_flag("--json", opts.json, "a JSON array, one object per witness");
    cmd->add_option("--write", opts.write_dir, "write every witness scenario into this directory");
  };
  auto* classes = solve->add_subcommand("classes", "every decision path of `B binds while A holds its port`");
  common(classes);
  classes->callback([] { solve_classes(opts); });
  auto* asym = solve->add_subcommand("asymmetric", "pairs whose outcome depends on which binds first");
  common(asym);
  asym->callback([] { solve_asymmetric(opts); });
  auto* diff = solve->add_subcommand("diff", "binds whose outcome a knob changes");
  common(diff);
  diff->add_option("--knob", opts.knob, "bindv6only (the sysctl) or legacy (0.0.0.0 vs IPv6 before Linux 6.1)")
      ->capture_default_str();
  diff->callback([] { solve_diff(opts); });
  auto* coexist = solve->add_subcommand("coexist", "find option values letting every socket of FILE bind (docs/solver.md)");
  coexist->add_option("file", opts.coexist_file, "the sockets, one a line")->required();
  coexist->add_flag("--json", opts.json, "a JSON object");
  coexist->callback([] { solve_coexist_command(opts.coexist_file, opts.json); });
}

}  // namespace sockspec::cli
