// `sockspec rules` counts (check/rule_usage.h): each line that cites a rule
// counts once for it; rules no line cites are the unexercised ones.
#include "check/rule_usage.h"

#include <gtest/gtest.h>

#include "model/rules.h"
#include "scenario/parser.h"

namespace sockspec {
namespace {

TEST(RuleUsage, CountsTheLinesThatCiteEachRule) {
  const Program p = parse_scenario(
      "a = socket inet stream -> ok\n"
      "bind a 127.0.0.1:8080 -> ok\n"
      "b = socket inet stream -> ok\n"
      "bind b 127.0.0.1:8080 -> EADDRINUSE\n",
      "two-binds.scn");
  const RuleUsage usage = count_rule_uses({p, p}, Mode::Model);
  EXPECT_EQ(usage.programs, 2u);
  // two sockets created and two binds to a local address, in each of two copies
  EXPECT_EQ(usage.uses.at("socket.create.ok"), 4);
  EXPECT_EQ(usage.uses.at("bind.address.local"), 4);
  // the second bind conflicts with the first: one line per copy
  EXPECT_EQ(usage.uses.at("bind.conflict.same_address"), 2);
  EXPECT_EQ(usage.uses.at("listen.backlog.clamped_to_somaxconn"), 0);
  EXPECT_GT(usage.unexercised(), 0);
  EXPECT_LT(usage.unexercised(), static_cast<int>(all_rules().size()));
  const std::string text = rule_usage_text(usage);
  EXPECT_NE(text.find("     2  bind.conflict.same_address"), std::string::npos) << text;
  EXPECT_NE(text.find("exercised by 2 scenarios"), std::string::npos) << text;
}

}  // namespace
}  // namespace sockspec
