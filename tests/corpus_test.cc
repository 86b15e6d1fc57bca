// The corpus is the spec's evidence: on this kernel every line of it agrees
// between model and kernel, every expectation holds, no line is outside the
// model, and every rule of the spec is exercised by some line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>

#include "check/finding_families.h"

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

TEST(Corpus, ModelAndKernelAgreeOnEveryLineWithNothingUnsupported) {
  auto r = run_command(sockspec_binary() + " check --json corpus/");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  int scenarios = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    ++scenarios;
    EXPECT_TRUE(j["agree"].get<bool>()) << j.dump(2);
    EXPECT_TRUE(j["expect_failures"].empty()) << j.dump(2);
    EXPECT_TRUE(j["unsupported"].empty()) << j.dump(2);
  }
  EXPECT_GT(scenarios, 100);
}

TEST(Corpus, EveryRuleIsExercised) {
  auto r = run_command(sockspec_binary() + " rules --require-all corpus/");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// divergences/ holds the counterexamples the model does not yet explain,
// with their signatures in a baseline: the check passes only while every
// divergence there is a known one (a fixed one moves back to corpus/).
TEST(KnownDivergences, OnlyTheBaselinedSignaturesDiverge) {
  auto r = run_command(sockspec_binary() + " check --baseline divergences/baseline.txt divergences/");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// divergences/families.txt names the root causes of those divergences: every
// family a scenario there shows is listed with its reason, and every listed
// family names its scenario there (a fixed one leaves the list with it).
TEST(KnownDivergences, TheFamiliesListIsExactlyTheFamiliesShown) {
  const std::filesystem::path out = std::filesystem::path(SOCKSPEC_BINARY).parent_path() / "test-output" / "families";
  std::filesystem::remove_all(out);
  auto r = run_command(sockspec_binary() + " check --out " + out.string() + " divergences/");
  std::istringstream lines(read_text(out / "check.jsonl"));
  std::set<std::string> shown;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    const auto scenario = nlohmann::json::parse(line);
    for (const auto& d : scenario["divergences"])
      shown.insert(finding_family(d["signature"].get<std::string>()));
  }
  ASSERT_FALSE(shown.empty()) << r.out << r.err;
  std::set<std::string> listed;
  for (const auto& [family, reason] : read_known_families(std::filesystem::path(SOCKSPEC_SOURCE_DIR) / "divergences/families.txt")) listed.insert(family);
  for (const auto& f : shown) EXPECT_TRUE(listed.contains(f)) << "not in divergences/families.txt: " << f;
  // a listed family names the scenario that shows it; whether that scenario
  // still diverges on this host's kernel build is the baseline test's report
  for (const auto& [family, reason] : read_known_families(std::filesystem::path(SOCKSPEC_SOURCE_DIR) / "divergences/families.txt")) {
    const auto at = reason.rfind("(divergences/");
    ASSERT_NE(at, std::string::npos) << family << ": the reason names no scenario";
    const std::string file = reason.substr(at + 1, reason.find(')', at) - at - 1);
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(SOCKSPEC_SOURCE_DIR) / file)) << family << ": " << file;
  }
}

// The checker's four verdicts, each produced by a scenario.
TEST(Verdicts, UnsupportedLinesAndTheLinesThatFollowFromThemAreReportedAsSuch) {
  // an MPTCP connection winding down: the peer's recv and `ss` wait on the
  // kernel's schedule (mptcp.close.data_fin_unsettled)
  auto r = run_command(sockspec_binary() + " check --json tests/data/mptcp-unsettled.scn");
  EXPECT_EQ(r.exit_code, 0) << "unsupported is not a disagreement: " << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["unsupported"].size(), 2u) << j.dump(2);
  EXPECT_EQ(j["unsupported"][0]["op"], "recv a 10");
  EXPECT_EQ(j["unsupported"][1]["op"], "ss");
  EXPECT_TRUE(j["divergences"].empty()) << j.dump(2);
}

}  // namespace
}  // namespace sockspec::testing
