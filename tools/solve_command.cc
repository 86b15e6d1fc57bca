// `sockspec solve classes | asymmetric | diff | coexist FILE`: Z3 searches
// over the bind-conflict relation (solver/), each witness run in lockstep on
// the kernel and the model (docs/solver.md).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "check/witness_confirmation.h"
#include "oracle/oracle.h"
#include "solver/coexist.h"
#include "solver/search.h"
#include "scenario/input_file.h"
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

// Confirms every witness, prints the table (or JSON), writes the files.
void report(const SolveOptions& o, std::vector<Witness> witnesses, std::vector<std::string> predicted,
            std::string_view what) {
  const auto confirmed = confirm_witnesses(std::move(witnesses), std::move(predicted));
  for (const ConfirmedWitness& cw : confirmed)
    if (!o.write_dir.empty() && !write_witness(o.write_dir, cw.witness)) exit_code() = kFailed;
  if (o.json)
    fmt::print("{}\n", witness_json(confirmed).dump(1));
  else
    fmt::print("{}", witness_table(confirmed, what));
  if (!all_confirmed(confirmed)) exit_code() = kFailed;
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
  report(o, std::move(ws), std::move(predicted), "class");
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
  report(o, std::move(ws), std::move(predicted), "pair (A then B; B then A)");
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
  report(o, std::move(ws), std::move(predicted), "knob: off -> on");
}

// `solve coexist FILE`: 0 when the answer holds (a witness confirmed on the
// kernel, or unsat), 1 when the witness fails on the kernel, 2 bad input.
void solve_coexist_command(const std::string& file, bool json) {
  CoexistProblem problem;
  try {
    problem = parse_coexist(read_input_file(file), file);
  } catch (const InputFileError& e) {
    fmt::print(stderr, "sockspec solve: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  } catch (const CoexistError& e) {
    fmt::print(stderr, "{}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  if (!sandbox_or_report()) return;
  const CoexistAnswer answer = solve_coexist(problem);
  const Confirmation c = answer.sat ? confirm_witness(answer.witness) : Confirmation{};
  if (json)
    fmt::print("{}\n", coexist_json(file, answer, c).dump());
  else
    fmt::print("{}", coexist_text(problem, answer, c));
  if (answer.sat && !c.confirmed()) exit_code() = kFailed;
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
