// Scenario resource limits: each one is enforced with a message naming it.
#include <gtest/gtest.h>

#include "check/limits.h"
#include "scenario/parser.h"
#include "tests/command_runner.h"

namespace sockspec {
namespace {

std::string repeat(const std::string& line, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += line;
  return out;
}

TEST(Limits, AnOrdinaryScenarioIsWithinEveryLimit) {
  auto p = parse_scenario("s = socket inet stream\nbind s 127.0.0.1:0\nsend s \"abc\"\n");
  EXPECT_EQ(check_limits(p, ScenarioLimits{}), std::nullopt);
}

TEST(Limits, SocketsCountSocketAcceptAndTwoPerSocketpair) {
  ScenarioLimits limits;
  limits.max_sockets = 4;
  auto within = parse_scenario("a = socket inet stream\nb = accept a\nx, y = socketpair unix stream\n");
  EXPECT_EQ(check_limits(within, limits), std::nullopt);
  auto over = parse_scenario("a = socket inet stream\nb = accept a\nx, y = socketpair unix stream\nc = socket inet dgram\n");
  auto why = check_limits(over, limits);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("uses 5 sockets"), std::string::npos) << *why;
  EXPECT_NE(why->find("--max-sockets"), std::string::npos) << *why;
}

TEST(Limits, NamespacesCountMainAndLinkPeers) {
  ScenarioLimits limits;
  limits.max_namespaces = 2;
  EXPECT_EQ(check_limits(parse_scenario("ns a\n"), limits), std::nullopt);  // main + a
  auto why = check_limits(parse_scenario("ns a\nlink add v0 ns b\n"), limits);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("uses 3 network namespaces"), std::string::npos) << *why;
}

TEST(Limits, BytesSentAndSleepAndLines) {
  ScenarioLimits limits;
  limits.max_bytes_sent = 5;
  limits.max_sleep_ms = 100;
  limits.max_lines = 3;
  auto bytes = check_limits(parse_scenario("s = socket inet stream\nsend s \"abc\"\nsend s \"def\"\n"), limits);
  ASSERT_TRUE(bytes);
  EXPECT_NE(bytes->find("6 bytes of send/sendto data; the limit is 5"), std::string::npos) << *bytes;
  auto sleep = check_limits(parse_scenario("sleep 60\nsleep 60\n"), limits);
  ASSERT_TRUE(sleep);
  EXPECT_NE(sleep->find("120 ms of sleep"), std::string::npos) << *sleep;
  auto lines = check_limits(parse_scenario(repeat("sleep 0\n", 4)), limits);
  ASSERT_TRUE(lines);
  EXPECT_NE(lines->find("4 lines"), std::string::npos) << *lines;
}

TEST(Limits, TheCommandRefusesAScenarioOverALimitAsBadInput) {
  auto r = testing::run_command(testing::sockspec_binary() + " run tests/data/too-many-sockets.scn");
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("tests/data/too-many-sockets.scn"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the limit is 256"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sockspec
