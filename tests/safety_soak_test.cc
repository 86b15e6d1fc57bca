// Soak: the whole corpus, run 20 times in lockstep in one process, leaks
// nothing. After a first warm-up pass (which fills the namespace pool, the
// oracle's buffers and the allocator's arenas), open file descriptors,
// threads, namespaces and resident memory must stay where they were, and
// every pass must give the same verdicts as the first (docs/safety.md).
//
// enter_sandbox() runs in main(), before gtest or anything else could start a
// thread (it refuses a multi-threaded caller when it needs a user namespace).
#include <gtest/gtest.h>

#include <dirent.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "check/driver.h"
#include "check/files.h"
#include "oracle/namespace_pool.h"
#include "oracle/oracle.h"

namespace sockspec::testing {

std::optional<std::string> g_sandbox_error;  // set by main

namespace {

constexpr int kPasses = 20;
// Bounds on growth between the end of the warm-up pass and the end of the
// last: descriptors and threads not at all; memory by a few allocator
// pages (glibc keeps freed chunks; a leak of one object per scenario would
// already exceed this: 244 scenarios x 19 passes).
constexpr int kMaxFdGrowth = 0;
constexpr int kMaxThreadGrowth = 0;
constexpr long kMaxRssGrowthKb = 4096;

struct Usage {
  int fds = 0;
  int threads = 0;
  long rss_kb = 0;
  int awaiting_destruction = 0;  // released namespaces the kernel has not freed yet
};

// Open descriptors, not counting those of the namespaces the pool keeps
// idle (it keeps up to a bound, and how many depends on which namespaces
// the last scenarios could give back).
int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
    closedir(d);
  }
  const auto pooled = static_cast<int>(oracle::namespace_stats().held) * oracle::kFdsPerNamespace;
  return n - 1 - pooled;  // nor the descriptor opendir holds
}

long status_field_kb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}

Usage usage() {
  return {.fds = open_fds(),
          .threads = static_cast<int>(status_field_kb("Threads")),
          .rss_kb = status_field_kb("VmRSS"),
          .awaiting_destruction = oracle::namespaces_awaiting_destruction()};
}

// What a pass must reproduce: per scenario, which lines failed an
// expectation, diverged or were skipped, and whether it was stopped.
std::vector<std::string> run_corpus(const std::vector<Program>& corpus) {
  std::vector<std::string> verdicts;
  verdicts.reserve(corpus.size());
  for (const Program& program : corpus) {
    ScenarioVerdict v = run_scenario(program, Mode::Lockstep, DriverConfig{});
    std::string summary = v.file + (v.error.empty() ? "" : " stopped");
    for (const LineVerdict& line : v.lines)
      if (line.expectation_failed || line.diverged || line.skipped)
        summary += " " + std::to_string(line.line->line_no) + (line.diverged ? "d" : line.skipped ? "s" : "e");
    verdicts.push_back(std::move(summary));
  }
  return verdicts;
}

void print(const char* when, const Usage& u) {
  std::printf("%-22s fds %3d  threads %2d  VmRSS %7ld kB  namespaces awaiting destruction %d\n", when, u.fds,
              u.threads, u.rss_kb, u.awaiting_destruction);
}

TEST(Soak, TwentyCorpusPassesLeakNothing) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  auto corpus = load_programs(expand_scenario_paths({SOCKSPEC_SOURCE_DIR "/corpus"}));
  ASSERT_GT(corpus.size(), 100u);
  print("before", usage());
  auto first = run_corpus(corpus);
  Usage warm = usage();
  print("after warm-up pass", warm);
  Usage peak = warm;
  for (int pass = 2; pass <= kPasses; ++pass) {
    auto verdicts = run_corpus(corpus);
    for (std::size_t i = 0; i < corpus.size(); ++i)
      EXPECT_EQ(verdicts[i], first[i]) << "pass " << pass << " differs from the first";
    Usage now = usage();
    peak.fds = std::max(peak.fds, now.fds);
    peak.threads = std::max(peak.threads, now.threads);
    peak.rss_kb = std::max(peak.rss_kb, now.rss_kb);
    peak.awaiting_destruction = std::max(peak.awaiting_destruction, now.awaiting_destruction);
  }
  Usage last = usage();
  print("after the last pass", last);
  print("peak after warm-up", peak);
  EXPECT_LE(peak.fds - warm.fds, kMaxFdGrowth) << "file descriptors leak";
  EXPECT_LE(peak.threads - warm.threads, kMaxThreadGrowth) << "threads leak";
  EXPECT_LE(last.rss_kb - warm.rss_kb, kMaxRssGrowthKb) << "memory grows pass after pass";
  // the throttle's own bound (oracle/namespace_pool.h): dying namespaces do
  // not pile up however many scenarios run
  EXPECT_LE(peak.awaiting_destruction, oracle::kMaxAwaitingDestruction + 1);
}

}  // namespace
}  // namespace sockspec::testing

int main(int argc, char** argv) {
  sockspec::testing::g_sandbox_error = sockspec::enter_sandbox();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
