// The inet model alone (no kernel): each test runs a few parsed lines and
// checks the result of the last one and the rule that decided it.
#include <gtest/gtest.h>

#include <cerrno>

#include "model/bind_conflict.h"
#include "model/model.h"
#include "model/world.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

// Runs every line on one model; returns the step of the last line.
Step run(Model& model, const std::string& text) {
  const Program program = parse_scenario(text);
  Step last;
  for (const Line& line : program.lines) last = model.step(line);
  return last;
}

Step run(const std::string& text) {
  Model model;
  return run(model, text);
}

std::string printed(const Step& s) { return print_result(s.result); }

TEST(ModelInet, WildcardListenerBeatsSpecificBindEvenWithReuseaddr) {
  Step s = run(
      "w = socket inet stream\nbind w 0.0.0.0:8080\nlisten w 5\n"
      "o = socket inet stream\nsetsockopt o SO_REUSEADDR 1\nbind o 127.0.0.2:8080\n");
  EXPECT_EQ(printed(s), "EADDRINUSE");
  EXPECT_TRUE(s.rules.contains("bind.conflict.wildcard_v4"));
}

TEST(ModelInet, ListenRechecksTheConflict) {
  Step s = run(
      "w = socket inet stream\nsetsockopt w SO_REUSEADDR 1\nbind w 0.0.0.0:8080\n"
      "o = socket inet stream\nsetsockopt o SO_REUSEADDR 1\nbind o 127.0.0.2:8080\n"
      "listen w 5\nlisten o 5\n");
  EXPECT_EQ(printed(s), "EADDRINUSE");
  EXPECT_TRUE(s.rules.contains("listen.port.recheck_conflict"));
}

// `unspec` has the length of the socket's own family (scenario-language.md):
// on inet6 a whole sockaddr_in6, so the family check is what refuses it.
TEST(ModelInet, UnspecTakesTheLengthOfTheSocketsFamily) {
  Step v6 = run("a = socket inet6 stream\nbind a unspec\n");
  EXPECT_EQ(printed(v6), "EAFNOSUPPORT");
  EXPECT_TRUE(v6.rules.contains("bind.family.mismatch_eafnosupport"));
  Step v4 = run("a = socket inet dgram\nbind a unspec\ngetsockname a\n");
  EXPECT_EQ(printed(v4).substr(0, 8), "0.0.0.0:");
}

TEST(ModelInet, TcpAndUdpPortsAreApart) {
  Step s = run("t = socket inet stream\nbind t 127.0.0.1:80\nu = socket inet dgram\nbind u 127.0.0.1:80\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_TRUE(s.rules.contains("bind.conflict.other_protocol"));
}

TEST(ModelInet, DualStackWildcardCoversIpv4UnlessV6only) {
  EXPECT_EQ(printed(run("a = socket inet6 stream\nbind a [::]:80\nb = socket inet stream\nbind b 127.0.0.1:80\n")),
            "EADDRINUSE");
  Step s = run(
      "a = socket inet6 stream\nsetsockopt a IPV6_V6ONLY 1\nbind a [::]:80\n"
      "b = socket inet stream\nbind b 127.0.0.1:80\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_TRUE(s.rules.contains("bind.conflict.disjoint_addresses"));
}

// connect gives a [::]-bound socket the route's source but leaves it
// dual-stack; one that bound ::1 itself is IPv6-only and keeps 0.0.0.0 off
// nothing (bind.conflict.any4_covers_connected_v6).
TEST(ModelInet, AnInet6SocketConnectedFromTheWildcardKeepsAny4Off) {
  const std::string connected =
      "l = socket inet6 stream\nbind l [::]:9000\nlisten l 5\n"
      "a = socket inet6 stream\nbind a [::]:8080\nconnect a [::1]:9000\n";
  Step s = run(connected + "w = socket inet stream\nbind w 0.0.0.0:8080\n");
  EXPECT_EQ(printed(s), "EADDRINUSE");
  EXPECT_TRUE(s.rules.contains("bind.conflict.any4_covers_connected_v6"));
  s = run(connected + "w = socket inet stream\nbind w 127.0.0.1:8080\n");
  EXPECT_EQ(printed(s), "ok");
  s = run(connected + "w = socket inet6 stream\nbind w [::ffff:0.0.0.0]:8080\n");
  EXPECT_EQ(printed(s), "ok");
  s = run("a = socket inet6 stream\nsetsockopt a IPV6_V6ONLY 0\nbind a [::1]:8080\n"
          "w = socket inet stream\nbind w 0.0.0.0:8080\n");
  EXPECT_EQ(printed(s), "ok");
  s = run("l = socket inet6 stream\nbind l [::]:9000\nlisten l 5\n"
          "a = socket inet6 stream\nsetsockopt a IPV6_V6ONLY 1\nbind a [::]:8080\nconnect a [::1]:9000\n"
          "w = socket inet stream\nbind w 0.0.0.0:8080\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_TRUE(s.rules.contains("bind.conflict.disjoint_addresses"));
}

TEST(ModelInet, ReuseportNeedsTheSameOwner) {
  const std::string both =
      "a = socket inet stream\nsetsockopt a SO_REUSEPORT 1\nbind a 127.0.0.1:8080\nlisten a 5\n";
  Step same = run(both + "b = socket inet stream\nsetsockopt b SO_REUSEPORT 1\nbind b 127.0.0.1:8080\n");
  EXPECT_EQ(printed(same), "ok");
  EXPECT_TRUE(same.rules.contains("bind.conflict.reuseport"));
  Step other = run(both + "uid 1000\nc = socket inet stream\nsetsockopt c SO_REUSEPORT 1\nbind c 127.0.0.1:8080\n");
  EXPECT_EQ(printed(other), "EADDRINUSE");
  // below ip_unprivileged_port_start, uid 1000 is refused before any conflict
  EXPECT_EQ(printed(run("uid 1000\nd = socket inet stream\nbind d 127.0.0.1:80\n")), "EACCES");
}

TEST(ModelInet, NonLocalAddressAndFreebind) {
  EXPECT_EQ(printed(run("s = socket inet stream\nbind s 192.0.2.1:80\n")), "EADDRNOTAVAIL");
  Step s = run("s = socket inet stream\nsetsockopt s IP_FREEBIND 1\nbind s 192.0.2.1:80\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_TRUE(s.rules.contains("bind.address.nonlocal_allowed"));
}

TEST(ModelInet, FamilyAndStateErrors) {
  EXPECT_EQ(printed(run("s = socket inet stream\nbind s [::1]:80\n")), "EAFNOSUPPORT");
  EXPECT_EQ(printed(run("s = socket inet6 stream\nbind s 127.0.0.1:80\n")), "EINVAL");
  Step s = run("s = socket inet stream\nbind s 127.0.0.1:80\nbind s 127.0.0.1:81\n");
  EXPECT_EQ(printed(s), "EINVAL");
  EXPECT_TRUE(s.rules.contains("bind.state.already_bound_einval"));
}

TEST(ModelInet, CanonicalEphemeralPorts) {
  Model model;
  run(model, "sysctl net.ipv4.ip_local_port_range 40000 40003\nl = socket inet stream\nbind l 127.0.0.1:8080\nlisten l 5\n"
             "c = socket inet stream\nconnect c 127.0.0.1:8080\nb = socket inet stream\nbind b 127.0.0.2:0\n");
  const World& w = model.world();
  EXPECT_EQ(w.sock(w.names.at("c")).local->port, 40000);  // connect: even offsets first
  EXPECT_EQ(w.sock(w.names.at("b")).local->port, 40001);  // bind: odd offsets first
}

TEST(ModelInet, ExhaustionErrorsDifferByCall) {
  const std::string used =
      "sysctl net.ipv4.ip_local_port_range 40000 40000\nl = socket inet stream\nbind l 127.0.0.1:8080\nlisten l 5\n"
      "c = socket inet stream\nconnect c 127.0.0.1:8080\n";
  EXPECT_EQ(printed(run(used + "d = socket inet stream\nconnect d 127.0.0.1:8080\n")), "EADDRNOTAVAIL");
  EXPECT_EQ(printed(run(used + "b = socket inet stream\nbind b 127.0.0.1:0\n")), "EADDRINUSE");
  EXPECT_EQ(printed(run("sysctl net.ipv4.ip_local_port_range 40000 40000\nu = socket inet dgram\nbind u 0.0.0.0:0\n"
                        "v = socket inet dgram\nconnect v 127.0.0.1:9\n")),
            "EAGAIN");
}

TEST(ModelInet, AcceptQueueHoldsBacklogPlusOne) {
  Step s = run(
      "l = socket inet stream\nbind l 127.0.0.1:80\nlisten l 1\n"
      "a = socket inet stream\nconnect a 127.0.0.1:80\nb = socket inet stream\nconnect b 127.0.0.1:80\n"
      "c = socket inet stream\nconnect c 127.0.0.1:80\n");
  EXPECT_EQ(printed(s), "pending");
  EXPECT_TRUE(s.rules.contains("connect.listener.queue_full_pending"));
}

TEST(ModelInet, RefusedAndDualStackAccept) {
  EXPECT_EQ(printed(run("c = socket inet stream\nconnect c 127.0.0.1:80\n")), "ECONNREFUSED");
  Model model;
  run(model, "l = socket inet6 stream\nbind l [::]:80\nlisten l 5\nc = socket inet stream\nconnect c 127.0.0.1:80\n");
  Step s = run(model, "a = accept l\ngetsockname a\n");
  EXPECT_EQ(printed(s), "[::ffff:127.0.0.1]:80");
}

TEST(ModelInet, AcceptErrors) {
  EXPECT_EQ(printed(run("l = socket inet stream\na = accept l\n")), "EINVAL");
  EXPECT_EQ(printed(run("l = socket inet stream\nlisten l 5\na = accept l\n")), "EAGAIN");
  EXPECT_EQ(printed(run("u = socket inet dgram\na = accept u\n")), "EOPNOTSUPP");
}

TEST(ModelInet, TimeWaitNeedsReuseaddrOnBothSides) {
  const std::string restart =
      "l = socket inet stream\nsetsockopt l SO_REUSEADDR 1\nbind l 127.0.0.1:80\nlisten l 5\n"
      "c = socket inet stream\nconnect c 127.0.0.1:80\na = accept l\nclose a\nclose c\nclose l\n";
  Step ok = run(restart + "r = socket inet stream\nsetsockopt r SO_REUSEADDR 1\nbind r 127.0.0.1:80\n");
  EXPECT_EQ(printed(ok), "ok");
  EXPECT_TRUE(ok.rules.contains("bind.conflict.tcp_reuseaddr"));
  EXPECT_EQ(printed(run(restart + "r = socket inet stream\nbind r 127.0.0.1:80\n")), "EADDRINUSE");
}

TEST(ModelInet, UdpUnspecUndoesAnAutomaticBinding) {
  Step s = run("u = socket inet dgram\nconnect u 127.0.0.1:9\nconnect u unspec\ngetsockname u\n");
  EXPECT_EQ(printed(s), "0.0.0.0:0");
}

TEST(ModelInet, NamespacesKeepPortsApart) {
  Step s = run("ns a\nx = socket inet stream\nbind x 127.0.0.1:80\nns b\ny = socket inet stream\nbind y 127.0.0.1:80\n");
  EXPECT_EQ(printed(s), "ok");
}

TEST(ModelInet, SsShowsListenerQueueAndBacklog) {
  Step s = run("l = socket inet stream\nbind l 127.0.0.1:80\nlisten l -1\nss\n");
  EXPECT_EQ(printed(s), "tcp LISTEN 127.0.0.1:80 *:* q=0/4096");
}

// The concrete relation: exactly one rule decides every pair, and the
// decision does not depend on the order of unrelated fields.
TEST(BindConflict, FirstMatchingRuleDecides) {
  BindView<ConcreteDomain> h{};
  h.space = 0; h.addr = static_cast<std::int64_t>(AddrClass::Any4); h.port = 80;
  BindView<ConcreteDomain> n = h;
  n.addr = static_cast<std::int64_t>(AddrClass::Ip4);
  n.v4 = 0x7f000002;
  auto d = decide_bind_conflict(h, n, {true});
  EXPECT_EQ(d.outcome, BindOutcome::Conflict);
  EXPECT_EQ(d.rule, "bind.conflict.wildcard_v4");
  n.port = 81;
  EXPECT_EQ(decide_bind_conflict(h, n, {true}).rule, "bind.conflict.other_port");
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i) {
    const bool path = bind_conflict_path<ConcreteDomain>(i, h, n, {true});
    EXPECT_EQ(path, kBindConflictRules[i].name == "bind.conflict.other_port") << kBindConflictRules[i].name;
  }
}

// Every rule of the relation is one row, whose name goes with its guard:
// the guard is chosen by the row's rule, not by its position.
TEST(BindConflict, EveryRuleIsOneRowAndItsGuardIsItsOwn) {
  for (int r = 0; r <= static_cast<int>(BindRule::WildcardV4); ++r) {
    const std::size_t i = bind_rule_index(static_cast<BindRule>(r));
    ASSERT_LT(i, kBindConflictRules.size());
    EXPECT_EQ(static_cast<int>(kBindConflictRules[i].rule), r);
  }
  // other_port's guard is "the ports differ", whatever its position
  BindView<ConcreteDomain> h{};
  BindView<ConcreteDomain> n = h;
  n.port = 1;
  EXPECT_TRUE(bind_conflict_guard<ConcreteDomain>(bind_rule_index(BindRule::OtherPort), h, n, {true}));
  EXPECT_FALSE(bind_conflict_guard<ConcreteDomain>(bind_rule_index(BindRule::OtherProtocol), h, n, {true}));
}

}  // namespace
}  // namespace sockspec

namespace sockspec {
namespace {

constexpr const char* kCable =
    "ns a\nlink add ab peer ba ns b\naddr add 10.0.0.1/24 dev ab\nns b\naddr add 10.0.0.2/24 dev ba\n"
    "l = socket inet stream\nbind l 10.0.0.2:80\nlisten l 5\nns a\n";

TEST(ModelRoute, AVethPeerIsReachedFromTheLinksAddress) {
  Model model;
  run(model, kCable);
  Step connect = run(model, "c = socket inet stream\nconnect c 10.0.0.2:80\n");
  EXPECT_EQ(connect.result, Result::ok());
  EXPECT_TRUE(connect.rules.contains("connect.route.veth_peer"));
  EXPECT_EQ(printed(run(model, "getsockname c\n")).rfind("10.0.0.1:", 0), 0u);
  EXPECT_EQ(run(model, "ns b\na = accept l\n").result, Result::ok());
}

TEST(ModelRoute, NoPrefixHoldsTheDestination) {
  Model model;
  run(model, kCable);
  Step s = run(model, "c = socket inet stream\nconnect c 10.9.0.1:80\n");
  EXPECT_EQ(s.result, Result::err(ENETUNREACH));
  EXPECT_TRUE(s.rules.contains("connect.address.no_route_enetunreach"));
  EXPECT_EQ(run(model, "u = socket inet dgram\nsendto u \"x\" 10.9.0.1:53\n").result, Result::err(ENETUNREACH));
}

TEST(ModelRoute, AnUnknownScopeIsEnodev) {
  Step s = run("c = socket inet6 stream\nconnect c [fe80::1%nosuch]:80\n");
  EXPECT_EQ(s.result, Result::err(ENODEV));
  EXPECT_TRUE(s.rules.contains("socket.address.unknown_scope_enodev"));
}

// With no conflict, every holder on the port says why it lets the newcomer
// in, even when a holder on another port was examined after it.
TEST(BindConflict, EveryHolderOnThePortCitesItsRule) {
  Step s = run("a = socket inet dgram\nsetsockopt a SO_REUSEADDR 1\nbind a 127.0.0.1:7000\n"
               "t = socket inet stream\nbind t 127.0.0.1:7000\no = socket inet dgram\nbind o 127.0.0.1:7001\n"
               "b = socket inet dgram\nsetsockopt b SO_REUSEADDR 1\nbind b 127.0.0.1:7000\n");
  EXPECT_EQ(s.result, Result::ok());
  EXPECT_TRUE(s.rules.contains("bind.conflict.udp_reuseaddr"));
  EXPECT_TRUE(s.rules.contains("bind.conflict.other_protocol"));
  EXPECT_FALSE(s.rules.contains("bind.conflict.other_port"));
  EXPECT_TRUE(run("o = socket inet dgram\nbind o 127.0.0.1:7001\nb = socket inet dgram\nbind b 127.0.0.1:7000\n")
                  .rules.contains("bind.conflict.other_port"));
}

}  // namespace
}  // namespace sockspec
