// `sockspec explain FILE:LINE`: the rules that decided a line, in the words
// of spec/, and the sockets the line met.
#include <gtest/gtest.h>

#include "check/explain.h"
#include "model/rules.h"
#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

// d-wildcard-listener.scn line 13: `bind o 127.0.0.2:8080` while w holds
// 0.0.0.0:8080 (inet_csk_bind_conflict: a wildcard covers every address).
TEST(Explain, NamesTheRuleItsStatementAndTheSocketHoldingThePort) {
  auto r = run_command(sockspec("explain corpus/examples/d-wildcard-listener.scn:13"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("corpus/examples/d-wildcard-listener.scn:13: bind o 127.0.0.2:8080"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("result: EADDRINUSE (the kernel and the model agree)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("because (bind.conflict.wildcard_v4): "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kernel: `ipv4_rcv_saddr_equal`"), std::string::npos) << "from spec/bind.md: " << r.out;
  EXPECT_NE(r.out.find("w: inet stream, bound 0.0.0.0:8080, LISTEN"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("o: inet stream, unbound"), std::string::npos) << r.out;
}

// Error messages print FILE:LINE:COL; explain takes that form as it is.
TEST(Explain, TakesTheFileLineColumnFormOfErrorMessages) {
  auto with_column = run_command(sockspec("explain --model-only corpus/examples/d-wildcard-listener.scn:13:3"));
  ASSERT_EQ(with_column.exit_code, 0) << with_column.err;
  auto without = run_command(sockspec("explain --model-only corpus/examples/d-wildcard-listener.scn:13"));
  EXPECT_EQ(with_column.out, without.out);
  EXPECT_NE(with_column.out.find("corpus/examples/d-wildcard-listener.scn:13: bind o 127.0.0.2:8080"), std::string::npos)
      << with_column.out;
}

TEST(Explain, ADivergenceSaysBothResultsAndExitsOne) {
  auto r = run_command(sockspec("explain --plant-fault bind.conflict.wildcard_v4 corpus/examples/d-wildcard-listener.scn:13"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("the kernel says EADDRINUSE, but the model says ok: they DIVERGE"), std::string::npos) << r.out;
}

TEST(Explain, OnTheModelAlone) {
  auto r = run_command(sockspec("explain --model-only corpus/examples/d-wildcard-listener.scn:13"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("result: EADDRINUSE (the model alone)"), std::string::npos) << r.out;
}

TEST(Explain, BadLocationsAreBadInput) {
  for (const char* where : {"corpus/examples/d-wildcard-listener.scn", "corpus/examples/d-wildcard-listener.scn:x",
                            "corpus/examples/d-wildcard-listener.scn:1", "no/such.scn:3",
                            "corpus/examples/d-wildcard-listener.scn:13:x", "corpus/examples/d-wildcard-listener.scn:0:4"}) {
    auto r = run_command(sockspec(std::string("explain ") + where));
    EXPECT_EQ(r.exit_code, 2) << where << ": " << r.out;
    EXPECT_FALSE(r.err.empty()) << where;
  }
}

// The statements come from spec/*.md: every registered rule must have one.
TEST(Explain, EveryRuleHasAStatementInSpec) {
  auto docs = read_rule_docs(SOCKSPEC_SOURCE_DIR "/spec");
  for (const Rule& rule : all_rules()) {
    auto it = docs.find(rule.name);
    ASSERT_NE(it, docs.end()) << rule.name;
    EXPECT_FALSE(it->second.statement.empty()) << rule.name;
    EXPECT_EQ(it->second.file, "spec/" + std::string(rule.area) + ".md") << rule.name;
  }
}

}  // namespace
}  // namespace sockspec::testing
