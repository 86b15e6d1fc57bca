// RuleTrace keeps every rule a step cites, past its inline capacity too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/rules.h"

namespace sockspec {
namespace {

TEST(RuleTrace, KeepsEveryRuleInOrderPastTheInlineCapacity) {
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("rule." + std::to_string(i));
  RuleTrace trace;
  for (const auto& n : names) trace.add(n);
  ASSERT_EQ(trace.size(), names.size());
  std::size_t i = 0;
  for (std::string_view r : trace) EXPECT_EQ(r, names[i++]);
  EXPECT_TRUE(trace.contains("rule.39"));
  RuleTrace copy = trace;
  EXPECT_TRUE(copy == trace);
  trace.clear();
  EXPECT_EQ(trace.size(), 0u);
  trace.add("again");
  EXPECT_EQ(*trace.begin(), "again");
}

}  // namespace
}  // namespace sockspec
