// The Z3 searches (solver/): class witnesses are well-formed scenarios whose
// predictions the model and the kernel both confirm; coexist answers sat
// and unsat cases right; asymmetric finds the listen-order case of
// SO_REUSEADDR; diff finds what net.ipv6.bindv6only changes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "check/driver.h"
#include "check/witness_confirmation.h"
#include "model/kernel_variations.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "solver/coexist.h"
#include "solver/search.h"

namespace sockspec::solver {
namespace {

// Runs a witness and checks every decisive line: its expectation held and,
// in lockstep, the model gave the kernel's result.
void expect_confirmed(const Witness& w, Mode mode) {
  SCOPED_TRACE(w.name + "\n" + w.scenario);
  const Program program = parse_scenario(w.scenario, w.name);
  const ScenarioVerdict v = run_scenario(program, mode, DriverConfig{});
  EXPECT_TRUE(v.passed()) << v.error;
  int seen = 0;
  for (const LineVerdict& lv : v.lines)
    for (const Decisive& d : w.decisive)
      if (lv.line->line_no == d.line_no) {
        ++seen;
        EXPECT_FALSE(lv.expectation_failed) << "line " << d.line_no;
        EXPECT_FALSE(lv.unsupported) << "line " << d.line_no << ": " << lv.note;
      }
  EXPECT_EQ(seen, static_cast<int>(w.decisive.size()));
}

bool kernel_available() {
  static const bool ok = !enter_sandbox().has_value();
  return ok;
}

TEST(SolverClasses, EveryRuleButOtherDeviceHasAClassAndEveryWitnessParses) {
  const auto classes = enumerate_classes();
  std::set<std::size_t> rules;
  std::set<std::string> names;
  for (const auto& c : classes) {
    rules.insert(c.key.rule);
    EXPECT_TRUE(names.insert(c.witness.name).second) << "duplicate name " << c.witness.name;
    EXPECT_NO_THROW(parse_scenario(c.witness.scenario, c.witness.name)) << c.witness.scenario;
    ASSERT_EQ(c.witness.decisive.size(), 1u);
    EXPECT_EQ(c.witness.decisive[0].rule, kBindConflictRules[c.key.rule].name);
    EXPECT_EQ(c.predicted, kBindConflictRules[c.key.rule].outcome);
    // the witness's sockets fit the class key
    EXPECT_EQ(c.holder.proto, c.key.holder_proto);
    EXPECT_EQ(c.newcomer.proto, c.key.newcomer_proto);
    EXPECT_EQ(c.holder.role, c.key.role);
    EXPECT_EQ(c.holder.family, c.key.holder_family);
    EXPECT_EQ(c.newcomer.family, c.key.newcomer_family);
  }
  // witnesses never bind to a device, so other_device is infeasible, and the
  // solver searches the reference kernel, where the 6.1.y-only
  // mapped_any_misses_mapped never holds; every other rule decides some class
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i) {
    const std::string_view name = kBindConflictRules[i].name;
    const bool infeasible = name == "bind.conflict.other_device" || name == "bind.conflict.mapped_any_misses_mapped";
    EXPECT_EQ(rules.count(i), infeasible ? 0u : 1u) << name;
  }
  // UDP has no listen and no TIME_WAIT; TCP's SO_REUSEADDR rule needs a holder not listening
  for (const auto& c : classes) {
    if (c.key.holder_proto == Proto::Udp) EXPECT_TRUE(c.key.role == Role::Bound || c.key.role == Role::Connected);
    if (c.key.holder_proto == Proto::Mptcp) EXPECT_NE(c.key.role, Role::TimeWait);
    if (short_rule(c.key.rule) == "tcp_reuseaddr") EXPECT_NE(c.key.role, Role::Listening);
  }
}

TEST(SolverClasses, EveryPredictionHoldsOnTheModel) {
  for (const auto& c : enumerate_classes()) expect_confirmed(c.witness, Mode::Model);
}

TEST(SolverClasses, EveryPredictionHoldsOnTheKernelInLockstep) {
  if (!kernel_available()) GTEST_SKIP() << "no namespace permission here";
  for (const auto& c : enumerate_classes()) expect_confirmed(c.witness, Mode::Lockstep);
}

// MPTCP binds in TCP's table (mptcp.bind.first_subflow): the search finds
// an MPTCP socket keeping a TCP one off its address, the kernel confirms it,
// and against UDP an MPTCP holder only ever meets other_protocol.
TEST(SolverClasses, AnMptcpHolderKeepsTcpOffItsAddressOnTheKernel) {
  const auto classes = enumerate_classes();
  const auto mptcp_tcp = std::find_if(classes.begin(), classes.end(), [](const ClassResult& c) {
    return c.key.holder_proto == Proto::Mptcp && c.key.newcomer_proto == Proto::Tcp && c.key.role == Role::Listening &&
           short_rule(c.key.rule) == "same_address";
  });
  ASSERT_NE(mptcp_tcp, classes.end());
  EXPECT_EQ(mptcp_tcp->predicted, BindOutcome::Conflict);
  EXPECT_NE(mptcp_tcp->witness.scenario.find("stream mptcp"), std::string::npos) << mptcp_tcp->witness.scenario;
  for (const auto& c : classes)
    if ((c.key.holder_proto == Proto::Mptcp) != (c.key.newcomer_proto == Proto::Mptcp) &&
        (c.key.holder_proto == Proto::Udp || c.key.newcomer_proto == Proto::Udp))
      EXPECT_EQ(short_rule(c.key.rule), "other_protocol") << c.witness.name;
  if (!kernel_available()) GTEST_SKIP() << "no namespace permission here";
  EXPECT_TRUE(confirm_witness(mptcp_tcp->witness).confirmed()) << mptcp_tcp->witness.scenario;
}

// The searches answer for the reference kernel; a witness whose pair the
// 6.1.y variation of the relation decides otherwise says so in an `@COND`
// clause, and the model answering for such a kernel holds it.
TEST(SolverClasses, AWitnessTheVariationChangesCarriesItsKernelClause) {
  const KernelCondition hole = variation_rule(Variation::MappedAnyMissesMapped).when;
  int with_clause = 0;
  for (const auto& c : enumerate_classes()) {
    const Program program = parse_scenario(c.witness.scenario, c.witness.name);
    for (const Line& line : program.lines) {
      if (line.line_no != c.witness.decisive[0].line_no || line.on_kernels.empty()) continue;
      ++with_clause;
      ASSERT_EQ(line.on_kernels.size(), 1u);
      EXPECT_EQ(line.on_kernels[0].when, hole) << c.witness.name;
      EXPECT_EQ(c.predicted, BindOutcome::Conflict) << c.witness.name;
      DriverConfig on_hole;
      on_hole.profile = profile_where(hole);
      EXPECT_TRUE(run_scenario(program, Mode::Model, on_hole).passed()) << c.witness.scenario;
      DriverConfig reference;
      reference.profile = reference_kernel_profile();
      EXPECT_TRUE(run_scenario(program, Mode::Model, reference).passed()) << c.witness.scenario;
    }
  }
  EXPECT_GT(with_clause, 0);
}

// A holder that bound [::] and connected to ::1 is dual-stack on ::1: the
// search finds 0.0.0.0 refused by it, and the witness binds the wildcard.
TEST(SolverClasses, AnInet6HolderConnectedFromTheWildcardKeepsAny4Off) {
  const auto classes = enumerate_classes();
  const auto it = std::find_if(classes.begin(), classes.end(), [](const ClassResult& c) {
    return short_rule(c.key.rule) == "any4_covers_connected_v6" && c.key.holder_proto == Proto::Tcp &&
           c.key.newcomer_proto == Proto::Tcp && c.key.role == Role::Connected;
  });
  ASSERT_NE(it, classes.end());
  EXPECT_TRUE(it->holder.wild_connect);
  EXPECT_EQ(it->newcomer.addr, AddrClass::Any4);
  EXPECT_NE(it->witness.scenario.find("bind a [::]:40000 -> ok"), std::string::npos) << it->witness.scenario;
  if (!kernel_available()) GTEST_SKIP() << "no namespace permission here";
  EXPECT_TRUE(confirm_witness(it->witness).confirmed()) << it->witness.scenario;
}

// `solve`'s confirmation must be able to fail: a witness whose decisive line
// predicts the wrong result is not confirmed, and one that does not parse
// says why instead of crashing.
TEST(WitnessConfirmation, AWrongPredictionOrABrokenScenarioIsNotConfirmed) {
  if (!kernel_available()) GTEST_SKIP() << "no namespace permission here";
  const auto classes = enumerate_classes();
  const auto conflict = std::find_if(classes.begin(), classes.end(), [](const ClassResult& c) {
    return c.predicted == BindOutcome::Conflict && !c.witness.decisive.empty();
  });
  ASSERT_NE(conflict, classes.end());
  Witness w = conflict->witness;
  EXPECT_TRUE(confirm_witness(w).confirmed()) << w.scenario;
  // the decisive line's `-> EADDRINUSE` becomes `-> ok`
  const auto at = w.scenario.rfind("-> EADDRINUSE");
  ASSERT_NE(at, std::string::npos) << w.scenario;
  w.scenario.replace(at, 13, "-> ok");
  const Confirmation wrong = confirm_witness(w);
  EXPECT_FALSE(wrong.as_predicted);
  EXPECT_FALSE(wrong.confirmed());
  EXPECT_EQ(wrong.kernel.find("EADDRINUSE"), 0u) << wrong.kernel;
  w.scenario += "\nbind nowhere\n";
  const Confirmation broken = confirm_witness(w);
  EXPECT_FALSE(broken.confirmed());
  EXPECT_NE(broken.problem.find(w.name), std::string::npos) << broken.problem;
  const std::string table = witness_table({{w, "EADDRINUSE", wrong}}, "class");
  EXPECT_NE(table.find("1 witnesses: 0 confirmed"), std::string::npos) << table;
}

TEST(SolverAsymmetric, FindsTheListenOrderCaseOfSoReuseaddr) {
  // A listening, then B binds: SO_REUSEADDR never beats a listener, so it
  // conflicts; B bound first, then A binds: both SO_REUSEADDR, B not
  // listening, so it does not (the d-wildcard-listener example's story).
  const auto found = enumerate_asymmetric();
  ASSERT_FALSE(found.empty());
  const auto listen_order = std::find_if(found.begin(), found.end(), [](const AsymmetricResult& r) {
    // B holds its port without listening: bound, or connected (the solver picks either)
    return r.a.role == Role::Listening && r.b.role != Role::Listening && short_rule(r.rule_ba) == "tcp_reuseaddr";
  });
  ASSERT_NE(listen_order, found.end());
  EXPECT_TRUE(listen_order->a.reuseaddr && listen_order->b.reuseaddr);
  for (const auto& r : found) {
    EXPECT_NE(kBindConflictRules[r.rule_ab].outcome, kBindConflictRules[r.rule_ba].outcome);
    expect_confirmed(r.witness, Mode::Model);
    if (kernel_available()) expect_confirmed(r.witness, Mode::Lockstep);
  }
}

TEST(SolverDiff, Bindv6onlyTurnsAWildcardConflictIntoNone) {
  const auto found = enumerate_diff(Knob::BindV6Only);
  ASSERT_FALSE(found.empty());
  const bool wildcard = std::any_of(found.begin(), found.end(), [](const DiffResult& r) {
    return short_rule(r.rule_off) == "wildcard_v6" && short_rule(r.rule_on) == "disjoint_addresses";
  });
  EXPECT_TRUE(wildcard);
  for (const auto& r : found) {
    expect_confirmed(r.witness, Mode::Model);
    if (kernel_available()) expect_confirmed(r.witness, Mode::Lockstep);
  }
}

TEST(SolverDiff, TheLegacySwitchOnlyChangesAny4AgainstPlainIpv6) {
  for (const auto& r : enumerate_diff(Knob::LegacyAny4CoversIp6)) {
    const auto a = r.holder.addr, b = r.newcomer.addr;
    EXPECT_TRUE((a == AddrClass::Any4 && b == AddrClass::Ip6) || (a == AddrClass::Ip6 && b == AddrClass::Any4));
    EXPECT_EQ(r.outcome_off, BindOutcome::NoConflict);  // today: no overlap
  }
}

TEST(SolverCoexist, DualStackAndIpv4ListenersCoexistWithV6only) {
  const auto problem = parse_coexist(
      "tcp listen [::]:443 v6only=? reuseaddr=? reuseport=?\n"
      "tcp listen 0.0.0.0:443 reuseaddr=? reuseport=?\n");
  const CoexistAnswer a = solve_coexist(problem);
  ASSERT_TRUE(a.sat);
  ASSERT_EQ(a.sockets.size(), 2u);
  // no SO_REUSEADDR helps two listeners; SO_REUSEPORT would too, but the
  // simplest answer is IPV6_V6ONLY on the dual-stack one
  EXPECT_TRUE(a.sockets[0].v6only_set && a.sockets[0].v6only_value);
  EXPECT_FALSE(a.sockets[0].reuseport || a.sockets[1].reuseport);
  expect_confirmed(a.witness, Mode::Model);
  if (kernel_available()) expect_confirmed(a.witness, Mode::Lockstep);
}

TEST(SolverCoexist, TwoListenersOfDifferentUidsOnOneAddressAreUnsat) {
  const auto problem = parse_coexist(
      "tcp listen 127.0.0.1:8080 reuseaddr=? reuseport=?\n"
      "tcp listen 127.0.0.1:8080 reuseaddr=? reuseport=? uid=1000\n");
  const CoexistAnswer a = solve_coexist(problem);
  EXPECT_FALSE(a.sat);
  EXPECT_EQ(a.conflicting, (std::vector<std::pair<int, int>>{{1, 2}}));
}

TEST(SolverCoexist, SoReuseportLetsTwoListenersShareWhenTheUidIsOpen) {
  const CoexistAnswer a = solve_coexist(parse_coexist(
      "tcp listen 127.0.0.1:8080 reuseport=?\n"
      "tcp listen 127.0.0.1:8080 reuseport=? uid=?\n"));
  ASSERT_TRUE(a.sat);
  EXPECT_TRUE(a.sockets[0].reuseport && a.sockets[1].reuseport);
  EXPECT_EQ(a.sockets[0].uid, a.sockets[1].uid);
}

TEST(SolverCoexist, AnMptcpListenerAndATcpListenerShareAPortOnlyWithReuseport) {
  const auto answer = solve_coexist(parse_coexist(
      "mptcp listen 127.0.0.1:8080 reuseport=?\n"
      "tcp listen 127.0.0.1:8080 reuseport=?\n"));
  ASSERT_TRUE(answer.sat);
  EXPECT_TRUE(answer.sockets[0].reuseport && answer.sockets[1].reuseport);
  EXPECT_NE(answer.witness.scenario.find("s1 = socket inet stream mptcp"), std::string::npos) << answer.witness.scenario;
  EXPECT_FALSE(solve_coexist(parse_coexist("mptcp listen 127.0.0.1:8080\ntcp listen 127.0.0.1:8080\n")).sat);
  if (!kernel_available()) GTEST_SKIP() << "no namespace permission here";
  expect_confirmed(answer.witness, Mode::Lockstep);
}

TEST(SolverCoexist, BadInputNamesTheLine) {
  auto error_of = [](std::string_view text) {
    try {
      parse_coexist(text, "f");
    } catch (const CoexistError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("tcp listen [::]:443 v6only=2\n"), "f:1: v6only must be 0, 1 or ?, not `2`");
  EXPECT_EQ(error_of("\nudp listen 0.0.0.0:53\n"), "f:2: only tcp and mptcp sockets listen");
  EXPECT_EQ(error_of("tcp bind 0.0.0.0:0\n"), "f:1: `0.0.0.0:0`: the port must not be 0");
  EXPECT_EQ(error_of("tcp bind 0.0.0.0:80 v6only=1\n"), "f:1: v6only is an option of inet6 sockets");
  EXPECT_EQ(error_of("# nothing\n"), "f:1: no sockets: expected lines like `tcp listen [::]:443 v6only=?`");
  EXPECT_NE(error_of("tcp bind nonsense\n").find("f:1: `nonsense` is not an address"), std::string::npos);
  EXPECT_EQ(error_of("sctp bind 0.0.0.0:80\n"), "f:1: expected tcp, udp, mptcp or sysctl, not `sctp`");
}

}  // namespace
}  // namespace sockspec::solver
