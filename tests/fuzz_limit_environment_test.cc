// The campaign's --max-* limits reach the fuzzer processes through their
// environment (fuzz/limit_environment.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/limit_environment.h"
#include "tests/command_runner.h"

namespace sockspec::fuzz {
namespace {

void set_environment(const std::vector<std::string>& env) {
  for (const std::string& entry : env) {
    const auto eq = entry.find('=');
    ::setenv(entry.substr(0, eq).c_str(), entry.substr(eq + 1).c_str(), 1);
  }
}

TEST(FuzzLimitEnvironment, EveryLimitGoesThroughTheEnvironmentAndBack) {
  ScenarioLimits limits;
  limits.max_lines = 7;
  limits.max_sockets = 3;
  limits.max_namespaces = 2;
  limits.max_links = 1;
  limits.max_bytes_sent = 5'000'000'000;  // over 32 bits
  limits.max_sleep_ms = 9;
  const auto env = limit_environment(limits);
  ASSERT_EQ(env.size(), 6u);
  EXPECT_EQ(env[4], "SOCKSPEC_FUZZ_MAX_BYTES_SENT=5000000000");
  set_environment(env);
  const ScenarioLimits back = limits_from_environment();
  EXPECT_EQ(back.max_lines, 7);
  EXPECT_EQ(back.max_sockets, 3);
  EXPECT_EQ(back.max_namespaces, 2);
  EXPECT_EQ(back.max_links, 1);
  EXPECT_EQ(back.max_bytes_sent, 5'000'000'000);
  EXPECT_EQ(back.max_sleep_ms, 9);
}

TEST(FuzzLimitEnvironment, TheLimitsAsFlagsForAGuestsCampaign) {
  ScenarioLimits limits;
  limits.max_bytes_sent = 77;
  const std::vector<std::string> flags = limit_flags(limits);
  ASSERT_EQ(flags.size(), 12u);
  EXPECT_EQ(flags[0], "--max-lines");
  EXPECT_EQ(flags[1], "5000");
  EXPECT_EQ(flags[8], "--max-bytes-sent");
  EXPECT_EQ(flags[9], "77");
  EXPECT_EQ(flags[10], "--max-sleep-ms");
}

TEST(FuzzLimitEnvironment, AMissingOrMalformedEntryReadsAsTheDefault) {
  set_environment(limit_environment(ScenarioLimits{}));
  ::setenv("SOCKSPEC_FUZZ_MAX_LINES", "12x", 1);
  ::setenv("SOCKSPEC_FUZZ_MAX_SOCKETS", "0", 1);
  ::setenv("SOCKSPEC_FUZZ_MAX_NAMESPACES", "-4", 1);
  ::unsetenv("SOCKSPEC_FUZZ_MAX_LINKS");
  ::setenv("SOCKSPEC_FUZZ_MAX_SLEEP_MS", "99999999999999999999999", 1);
  const ScenarioLimits read = limits_from_environment(), fallback;
  EXPECT_EQ(read.max_lines, fallback.max_lines);
  EXPECT_EQ(read.max_sockets, fallback.max_sockets);
  EXPECT_EQ(read.max_namespaces, fallback.max_namespaces);
  EXPECT_EQ(read.max_links, fallback.max_links);
  EXPECT_EQ(read.max_sleep_ms, fallback.max_sleep_ms);
}

// `sockspec fuzz --max-*` reaches the fuzzer: a stand-in fuzzer prints its
// environment, which the campaign copies into its log.
TEST(FuzzLimitEnvironment, TheCampaignHandsItsLimitsToTheFuzzerProcesses) {
  namespace fs = std::filesystem;
  for (const std::string& entry : limit_environment(ScenarioLimits{}))  // what the tests above set
    ::unsetenv(entry.substr(0, entry.find('=')).c_str());
  ::setenv("SOCKSPEC_FUZZ_MAX_SOCKETS", "99", 1);  // inherited: the flag must win over it
  const fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "fuzz-limit-environment";
  fs::remove_all(dir);
  fs::create_directories(dir / "seeds");
  const fs::path fuzzer = dir / "print-environment";
  std::ofstream(fuzzer) << "#!/bin/sh\nenv\n";
  fs::permissions(fuzzer, fs::perms::owner_all);
  const auto r = sockspec::testing::run_command(
      sockspec::testing::sockspec_binary() + " fuzz --fuzzer " + fuzzer.string() + " --seconds 1 -j 1 --seeds " +
      (dir / "seeds").string() + " --workdir " + (dir / "work").string() + " --max-sockets 7 --max-sleep-ms 33");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string log = sockspec::testing::read_text(dir / "work" / "last-campaign.log");
  EXPECT_NE(log.find("SOCKSPEC_FUZZ_MAX_SOCKETS=7\n"), std::string::npos) << log;
  EXPECT_EQ(log.find("SOCKSPEC_FUZZ_MAX_SOCKETS=99"), std::string::npos) << log;
  EXPECT_NE(log.find("SOCKSPEC_FUZZ_MAX_SLEEP_MS=33\n"), std::string::npos) << log;
  EXPECT_NE(log.find("SOCKSPEC_FUZZ_MAX_LINES=5000\n"), std::string::npos) << log;  // the default
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sockspec::fuzz
