// The matcher: expectations against results, variable binding, resolve.

#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include <fmt/format.h>

#include "scenario/address_builders.h"
#include "scenario/match.h"
#include "scenario/parser.h"

namespace sockspec {
namespace {

// The expectation of a one-line scenario whose operation is `op`.
Expectation expect(std::string_view op, std::string_view expectation) {
  std::string text = std::string(op) + " -> " + std::string(expectation);
  return *parse_scenario(text).lines.at(0).expect;
}


bool holds(std::string_view op, std::string_view expectation, const Result& r) {
  Bindings b;
  return matches(expect(op, expectation), r, b);
}

TEST(ScenarioMatch, ExactResults) {
  EXPECT_TRUE(holds("close s", "ok", Result::ok()));
  EXPECT_FALSE(holds("close s", "ok", Result::err(EBADF)));
  EXPECT_TRUE(holds("recv s 1", "EWOULDBLOCK", Result::err(EAGAIN)));  // errnos by number
  EXPECT_FALSE(holds("recv s 1", "EAGAIN", Result::num(EAGAIN)));
  EXPECT_TRUE(holds("send s \"ab\"", "2", Result::num(2)));
  EXPECT_TRUE(holds("recv s 4", "\"ab\"", Result::bytes("ab")));
  EXPECT_FALSE(holds("recv s 4", "\"ab\"", Result::bytes("abc")));
  EXPECT_TRUE(holds("connect s 127.0.0.1:1", "pending", Result::pending()));
  EXPECT_TRUE(holds("getsockopt s SO_LINGER", "off", Result::word("off")));
  EXPECT_TRUE(holds("getsockopt s SO_ERROR", "0", Result::num(0)));
}

TEST(ScenarioMatch, PollEventsCompareAsSets) {
  EXPECT_TRUE(holds("poll s", "out|in", Result::events(kPollIn | kPollOut)));
  EXPECT_FALSE(holds("poll s", "in", Result::events(kPollIn | kPollOut)));
  EXPECT_TRUE(holds("poll s", "none", Result::events(0)));
}

TEST(ScenarioMatch, WildcardsAndAlternatives) {
  EXPECT_TRUE(holds("bind s 127.0.0.1:1", "error", Result::err(EINVAL)));
  EXPECT_FALSE(holds("bind s 127.0.0.1:1", "error", Result::ok()));
  EXPECT_TRUE(holds("bind s 127.0.0.1:1", "*", Result::err(EINVAL)));
  EXPECT_TRUE(holds("bind s 127.0.0.1:1", "*", Result::skip()));
  EXPECT_TRUE(holds("bind s 127.0.0.1:1", "skip", Result::skip()));
  EXPECT_FALSE(holds("bind s 127.0.0.1:1", "skip", Result::ok()));
  EXPECT_TRUE(holds("bind s 127.0.0.1:1", "EINVAL or EAFNOSUPPORT", Result::err(EAFNOSUPPORT)));
  EXPECT_FALSE(holds("bind s 127.0.0.1:1", "EINVAL or EAFNOSUPPORT", Result::ok()));
}

TEST(ScenarioMatch, AddressPatterns) {
  EXPECT_TRUE(holds("getsockname s", "127.0.0.1:8080", Result::addr(inet4_address(127, 0, 0, 1, 8080))));
  EXPECT_FALSE(holds("getsockname s", "127.0.0.1:8080", Result::addr(inet4_address(127, 0, 0, 2, 8080))));
  EXPECT_TRUE(holds("getsockname s", "127.0.0.1:*", Result::addr(inet4_address(127, 0, 0, 1, 41234))));
  EXPECT_TRUE(holds("getsockname s", "127.0.0.1:40000-40001", Result::addr(inet4_address(127, 0, 0, 1, 40001))));
  EXPECT_FALSE(holds("getsockname s", "127.0.0.1:40000-40001", Result::addr(inet4_address(127, 0, 0, 1, 40002))));
  EXPECT_FALSE(holds("getsockname s", "[::]:*", Result::addr(inet4_address(0, 0, 0, 0, 1))));  // family matters
  Address u;
  u.kind = AddressKind::Unix;
  u.path = "@a";
  EXPECT_TRUE(holds("getsockname s", "unix:@a", Result::addr(u)));
  EXPECT_FALSE(holds("getsockname s", "unix:", Result::addr(u)));
}

TEST(ScenarioMatch, PortVariableBindsOnceThenMustAgree) {
  Bindings b;
  EXPECT_TRUE(matches(expect("getsockname c", "127.0.0.1:$p"), Result::addr(inet4_address(127, 0, 0, 1, 40000)), b));
  EXPECT_EQ(b.ports.at("p"), 40000);
  EXPECT_TRUE(matches(expect("getpeername a", "127.0.0.1:$p"), Result::addr(inet4_address(127, 0, 0, 1, 40000)), b));
  EXPECT_FALSE(matches(expect("getpeername a", "127.0.0.1:$p"), Result::addr(inet4_address(127, 0, 0, 1, 40001)), b));
}

TEST(ScenarioMatch, BindsOnlyWhenTheWholeAlternativeMatches) {
  Bindings b;
  // the port would bind, but the host differs: nothing is bound
  EXPECT_FALSE(matches(expect("getsockname c", "127.0.0.2:$p"), Result::addr(inet4_address(127, 0, 0, 1, 5)), b));
  EXPECT_TRUE(b.ports.empty());
  // the first alternative fails after binding $p tentatively; the second binds $q only
  Result from;
  from.kind = Result::Kind::From;
  from.text = "x";
  from.address = inet4_address(127, 0, 0, 1, 7);
  EXPECT_TRUE(matches(expect("recvfrom u 4", "\"y\" from 127.0.0.1:$p or \"x\" from 127.0.0.1:$q"), from, b));
  EXPECT_FALSE(b.ports.contains("p"));
  EXPECT_EQ(b.ports.at("q"), 7);
}

TEST(ScenarioMatch, AddressVariable) {
  Bindings b;
  Address a = inet4_address(10, 0, 0, 1, 99);
  EXPECT_TRUE(matches(expect("getsockname s", "$a"), Result::addr(a), b));
  EXPECT_EQ(b.addresses.at("a"), a);
  EXPECT_FALSE(matches(expect("getpeername s", "$a"), Result::addr(inet4_address(10, 0, 0, 1, 98)), b));
}

TEST(ScenarioMatch, From) {
  Result r;
  r.kind = Result::Kind::From;
  r.text = "over udp";
  r.address = inet4_address(127, 0, 0, 1, 5555);
  EXPECT_TRUE(holds("recvfrom u 16", "\"over udp\" from 127.0.0.1:*", r));
  EXPECT_FALSE(holds("recvfrom u 16", "\"over udp\" from none", r));
  EXPECT_FALSE(holds("recvfrom u 16", "8 from 127.0.0.1:*", r));  // not MSG_TRUNC's form
  r.address.reset();
  EXPECT_TRUE(holds("recvfrom u 16", "\"over udp\" from none", r));
  r.from_truncated = true;
  r.integer = 8;
  r.text.clear();
  EXPECT_TRUE(holds("recvfrom u 16 MSG_TRUNC", "8 from none", r));
}

Result table(std::vector<SsRow> rows) {
  Result r;
  r.kind = Result::Kind::Table;
  r.rows = std::move(rows);
  return r;
}

TEST(ScenarioMatch, SsRowsMatchInAnyOrderAsAMultiset) {
  SsRow listen{"tcp", "LISTEN", inet4_address(127, 0, 0, 1, 8080), std::nullopt, 1, 5};
  SsRow client{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 40000), inet4_address(127, 0, 0, 1, 8080), 0, 0};
  SsRow server{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 8080), inet4_address(127, 0, 0, 1, 40000), 0, 0};
  Result t = table({server, listen, client});
  EXPECT_TRUE(holds("ss", "tcp LISTEN 127.0.0.1:8080 *:* q=1/5; tcp ESTAB * * q=0/0; tcp ESTAB * * q=0/0", t));
  // counts must be equal: two patterns cannot share one row, no row may be left over
  EXPECT_FALSE(holds("ss", "tcp LISTEN 127.0.0.1:8080 *:* q=1/5; tcp ESTAB * * q=0/0", t));
  EXPECT_FALSE(holds("ss", "tcp LISTEN * *:* *; tcp LISTEN * * *; tcp ESTAB * * *", t));
  // `*:*` is "no address", `*` is anything
  EXPECT_FALSE(holds("ss", "tcp LISTEN * 127.0.0.1:* *; * ESTAB * * *; * ESTAB * * *", t));
  EXPECT_TRUE(holds("ss", "* * * * *; * * * * *; * * * * *", t));
  EXPECT_TRUE(holds("ss", "tcp LISTEN * * q=*/5; * * * * *; * * * * *", t));
  EXPECT_FALSE(holds("ss", "tcp LISTEN * * q=*/6; * * * * *; * * * * *", t));
  EXPECT_TRUE(holds("ss", "none", table({})));
  EXPECT_FALSE(holds("ss", "none", t));
}

TEST(ScenarioMatch, SsRowsBindVariablesConsistently) {
  SsRow client{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 40000), inet4_address(127, 0, 0, 1, 8080), 0, 0};
  SsRow server{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 8080), inet4_address(127, 0, 0, 1, 40000), 0, 0};
  SsRow other{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 8080), inet4_address(127, 0, 0, 1, 40001), 0, 0};
  // the first row pattern could take either ESTAB row; only one choice lets the second match
  const char* both = "tcp ESTAB 127.0.0.1:$p * *; tcp ESTAB 127.0.0.1:8080 127.0.0.1:$p *";
  Bindings b;
  EXPECT_TRUE(matches(expect("ss", both), table({server, client}), b));
  EXPECT_EQ(b.ports.at("p"), 40000);
  Bindings none;
  EXPECT_FALSE(matches(expect("ss", both), table({other, server}), none));
  EXPECT_TRUE(none.ports.empty());
}

TEST(ScenarioMatch, ManyIdenticalWildcardRowsStayFast) {
  std::vector<SsRow> rows(40, SsRow{"tcp", "ESTAB", std::nullopt, std::nullopt, 0, 0});
  std::string patterns;
  for (int i = 0; i < 39; ++i) patterns += "* * * * *; ";
  patterns += "udp * * * *";  // matches nothing: a naive backtracking search would take 39! steps
  EXPECT_FALSE(holds("ss", patterns, table(rows)));
}

// 200 connections to 127.0.0.1:8080 from distinct ports, listed out of order.
std::vector<SsRow> clients_out_of_order(int n) {
  std::vector<SsRow> rows;
  for (int i = 0; i < n; ++i) {
    auto port = static_cast<std::uint16_t>(40000 + (i * 7) % n);  // 7 is coprime with 200
    rows.push_back(SsRow{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, port), inet4_address(127, 0, 0, 1, 8080), 0, 0});
  }
  return rows;
}

TEST(ScenarioMatch, TwoHundredUnboundRowsBindInTableOrder) {
  const std::vector<SsRow> rows = clients_out_of_order(200);
  std::string patterns;
  for (int i = 0; i < 200; ++i) patterns += fmt::format("{}tcp ESTAB 127.0.0.1:$p{} 127.0.0.1:8080 *", i ? "; " : "", i);
  Bindings b;
  ASSERT_TRUE(matches(expect("ss", patterns), table(rows), b));
  // every row fits every pattern: the first assignment in pattern order pairs them in table order
  for (int i = 0; i < 200; ++i) EXPECT_EQ(b.ports.at(fmt::format("p{}", i)), rows[i].local->port) << i;
  // one pattern that fits no row: no match, nothing bound
  Bindings none;
  std::string last_wrong = patterns.substr(0, patterns.rfind(';')) + "; udp ESTAB 127.0.0.1:$q * *";
  EXPECT_FALSE(matches(expect("ss", last_wrong), table(rows), none));
  EXPECT_TRUE(none.ports.empty());
}

TEST(ScenarioMatch, SharedVariablesAcrossManyRows) {
  // 40 connections, each seen from both ends: $pI is the client's port on both rows
  std::vector<SsRow> rows;
  std::string patterns;
  for (int i = 0; i < 40; ++i) {
    auto port = static_cast<std::uint16_t>(40000 + (i * 3) % 40);
    rows.push_back(SsRow{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, 8080), inet4_address(127, 0, 0, 1, port), 0, 0});
    rows.push_back(SsRow{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, port), inet4_address(127, 0, 0, 1, 8080), 0, 0});
    patterns += fmt::format("{}tcp ESTAB 127.0.0.1:8080 127.0.0.1:$p{} *; tcp ESTAB 127.0.0.1:$p{} 127.0.0.1:8080 *",
                            i ? "; " : "", i, i);
  }
  Bindings b;
  ASSERT_TRUE(matches(expect("ss", patterns), table(rows), b));
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 40; ++i) ports.insert(b.ports.at(fmt::format("p{}", i)));
  EXPECT_EQ(ports.size(), 40u);  // each variable took a different connection
  EXPECT_EQ(b.ports.at("p0"), 40000);  // the first value that works, in table order
}

TEST(ScenarioMatch, AnExpiredDeadlineStopsMatching) {
  const std::vector<SsRow> rows = clients_out_of_order(200);
  std::string patterns;
  for (int i = 0; i < 200; ++i) patterns += fmt::format("{}tcp ESTAB 127.0.0.1:$p{} * *", i ? "; " : "", i);
  Bindings b;
  MatchLimit limit{std::chrono::steady_clock::now() - std::chrono::seconds(1)};
  EXPECT_FALSE(matches(expect("ss", patterns), table(rows), b, &limit));
  EXPECT_TRUE(limit.exceeded);
  EXPECT_TRUE(b.ports.empty());
}

TEST(ScenarioMatch, ResolveSubstitutesVariables) {
  Program p = parse_scenario("getsockname s -> $a\ngetsockname t -> 127.0.0.1:$p\nconnect c 127.0.0.2:$p\nsendto d \"x\" $a\nbind e 127.0.0.1:1");
  Bindings b;
  b.ports["p"] = 40000;
  b.addresses["a"] = inet4_address(10, 0, 0, 1, 7);
  EXPECT_TRUE(has_variables(p.lines[2]));
  EXPECT_FALSE(has_variables(p.lines[4]));
  auto connect = resolve(p.lines[2], b, nullptr);
  ASSERT_TRUE(connect.has_value());
  const AddressTerm& c = std::get<op::Connect>(connect->op).addr;
  EXPECT_EQ(c.base, inet4_address(127, 0, 0, 2, 40000));
  EXPECT_EQ(c.port.kind, PortTerm::Kind::Exact);
  auto sendto = resolve(p.lines[3], b, nullptr);
  EXPECT_EQ(std::get<op::SendTo>(sendto->op).addr.base, inet4_address(10, 0, 0, 1, 7));
  EXPECT_FALSE(has_variables(*sendto));
  Bindings empty;
  std::string unbound;
  EXPECT_FALSE(resolve(p.lines[2], empty, &unbound).has_value());
  EXPECT_EQ(unbound, "p");
}

}  // namespace
}  // namespace sockspec
