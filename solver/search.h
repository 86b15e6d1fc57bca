// Z3 searches over the bind-conflict relation, each answered with witness
// scenarios (solver/witness.h).
//
// Contract: every search builds its formula from bind_conflict_path<Z3Domain>
// (model/bind_conflict.h) over sockets of the space in solver/bind_space.h,
// so it searches exactly the relation the model checks. Each result carries
// the scenario text, the lines that hold a prediction and the rule behind
// each prediction; running them on the kernel is the caller's business
// (tools/solve_command.cc). Searches are deterministic for a given Z3 build.
#pragma once

#include <z3++.h>

#include <optional>
#include <string>
#include <vector>

#include "solver/bind_space.h"
#include "solver/witness.h"

namespace sockspec::solver {

// What every search hands back: one witness scenario.
struct Witness {
  std::string name;      // a file name stem: "tcp-listening-inet-inet6-wildcard_v6"
  std::string title;     // one line for tables
  std::string scenario;  // the text, header comment included
  std::vector<Decisive> decisive;
};

// Returns a model of the solver's assertions that keeps as many of
// `preferences` as it can (tried in order), or nullopt when unsat.
std::optional<z3::model> solve_simply(z3::solver& s, const std::vector<z3::expr>& preferences);

// ---------------------------------------------------------------- classes

// A decision path of "newcomer B binds while holder A holds its binding",
// refined by the protocols, families and A's role.
struct ClassKey {
  Proto holder_proto = Proto::Tcp, newcomer_proto = Proto::Tcp;
  Role role = Role::Bound;
  Family holder_family = Family::Inet, newcomer_family = Family::Inet;
  std::size_t rule = 0;  // index in kBindConflictRules
};

struct ClassResult {
  ClassKey key;
  SocketChoice holder, newcomer;
  KnobChoice knobs;
  bool explicit_port = true;
  BindOutcome predicted = BindOutcome::NoConflict;
  Witness witness;
};

// Every feasible class, with a witness each.
std::vector<ClassResult> enumerate_classes();

// ---------------------------------------------------------------- asymmetric

// Two sockets whose outcome depends on which binds first: A held (in its
// role) and B binding is decided by `rule_ab`, B held and A binding by
// `rule_ba`, and the two outcomes differ.
struct AsymmetricResult {
  std::size_t rule_ab = 0, rule_ba = 0;
  SocketChoice a, b;
  KnobChoice knobs;
  Witness witness;  // two namespaces: A then B, and B then A
};
std::vector<AsymmetricResult> enumerate_asymmetric();

// ---------------------------------------------------------------- diff

// A knob whose two settings can change a bind's outcome.
enum class Knob {
  BindV6Only,        // net.ipv6.bindv6only 0 vs 1
  LegacyAny4CoversIp6,  // before bhash2 (Linux < 6.1): 0.0.0.0 also covered an
                        // inet6 socket on a plain IPv6 address (see relation comment)
};
std::string_view knob_name(Knob k);

struct DiffResult {
  Knob knob;
  std::size_t rule_off = 0, rule_on = 0;  // deciding rules with the knob off and on
  BindOutcome outcome_off{}, outcome_on{};
  SocketChoice holder, newcomer;
  Witness witness;  // for a sysctl: one namespace per setting; for the legacy switch: today's kernel
};
std::vector<DiffResult> enumerate_diff(Knob knob);

// ---------------------------------------------------------------- helpers

std::string_view short_rule(std::size_t rule);    // "wildcard_v6"
std::string_view expect_word(BindOutcome o);      // "ok" or "EADDRINUSE"

}  // namespace sockspec::solver
