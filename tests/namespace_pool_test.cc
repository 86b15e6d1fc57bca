// The namespace pool (oracle/namespace_pool.h): a namespace goes back to
// the pool only when it is provably as good as fresh, and a scenario that
// gets a reused namespace sees exactly what it would see in a fresh one.
//
// Each test runs scenarios on this thread (one pool) and watches the pool's
// process-wide counters: `created` says whether a run had to make a
// namespace, `swept` whether leftover TCP sockets were destroyed first.
// enter_sandbox() runs in main(), before gtest could start a thread.
#include <gtest/gtest.h>

#include <sched.h>

#include <cstdio>
#include <string>

#include "check/driver.h"
#include "oracle/namespace_pool.h"
#include "oracle/oracle.h"
#include "oracle/sandbox.h"
#include "scenario/parser.h"

namespace sockspec::testing {

std::optional<std::string> g_sandbox_error;  // set by main

namespace {

// Runs `text` in lockstep; every expectation must hold and the model agree.
void run_passing(const std::string& text) {
  Program program = parse_scenario(text);
  ScenarioVerdict v = run_scenario(program, Mode::Lockstep, DriverConfig{});
  ASSERT_TRUE(v.error.empty()) << v.error;
  for (const LineVerdict& line : v.lines) {
    EXPECT_FALSE(line.expectation_failed) << "line " << line.line->line_no << " of\n" << text;
    EXPECT_FALSE(line.diverged) << "line " << line.line->line_no << " of\n" << text;
  }
}

// Namespaces made while `text` runs next.
std::uint64_t namespaces_made_by_next(const std::string& text) {
  const auto before = oracle::namespace_stats().created;
  run_passing(text);
  return oracle::namespace_stats().created - before;
}

// `held` counts the namespaces the pool keeps idle (nothing is in use
// between runs): a run that may not give its namespace back lowers it.
std::int64_t namespaces_kept_after(const std::string& text) {
  run_passing("s = socket inet dgram -> ok\n");  // at least one idle now
  const auto before = static_cast<std::int64_t>(oracle::namespace_stats().held);
  run_passing(text);
  return static_cast<std::int64_t>(oracle::namespace_stats().held) - before;
}

// A scenario that leaves a TIME-WAIT socket behind: the active closer of a
// connection whose both ends were closed by the scenario itself.
const char* kLeavesTimeWait = R"(l = socket inet stream -> ok
bind l 127.0.0.1:7100 -> ok
listen l 1 -> ok
c = socket inet stream -> ok
connect c 127.0.0.1:7100 -> ok
a = accept l -> ok
close c -> ok
close a -> ok
ss -> tcp LISTEN 127.0.0.1:7100 *:* q=0/1; tcp TIME-WAIT 127.0.0.1:$p 127.0.0.1:7100 q=0/0
)";

const char* kEmptyNamespace = R"(ss -> none
s = socket inet stream -> ok
bind s 127.0.0.1:7100 -> ok
getsockname s -> 127.0.0.1:7100
)";

TEST(NamespacePool, TimeWaitIsSweptAndTheNamespaceReused) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  run_passing(kLeavesTimeWait);
  const auto before = oracle::namespace_stats();
  run_passing(kLeavesTimeWait);  // in the namespace the first run left, once swept
  run_passing(kEmptyNamespace);  // and nothing of it shows
  const auto after = oracle::namespace_stats();
  EXPECT_EQ(after.created, before.created);
  EXPECT_EQ(after.swept, before.swept + 1);  // the second run's TIME-WAIT
}

TEST(NamespacePool, ASysctlIsPutBackBeforeReuse) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  // 61000 is outside the default range 32768-60999, so a range left behind
  // would show in the getsockname below.
  const char* narrows = R"(sysctl net.ipv4.ip_local_port_range 61000 61000 -> ok
s = socket inet dgram -> ok
bind s 127.0.0.1:0 -> ok
getsockname s -> 127.0.0.1:61000
)";
  const char* default_range = R"(s = socket inet dgram -> ok
bind s 127.0.0.1:0 -> ok
getsockname s -> 127.0.0.1:32768-60999
sysctl net.ipv6.bindv6only 1 -> ok
sysctl net.ipv6.bindv6only 0 -> ok
)";
  EXPECT_EQ(namespaces_kept_after(narrows), 0);
  // the pool lends its most recently returned namespace first: this run
  // gets the one whose range was narrowed
  EXPECT_EQ(namespaces_made_by_next(default_range), 0u);
  EXPECT_EQ(namespaces_kept_after(default_range), 0);
}

TEST(NamespacePool, AnAddedAddressALinkOrAUidDiscardsTheNamespace) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  EXPECT_EQ(namespaces_kept_after("s = socket inet stream -> ok\n"), 0);
  EXPECT_EQ(namespaces_kept_after("addr add 10.9.0.1 -> ok\n"), -1);
  EXPECT_EQ(namespaces_kept_after("link add v0 -> ok\n"), -1);
  EXPECT_EQ(namespaces_kept_after("uid 1000\ns = socket inet stream\n"), -1);
  // a sysctl outside the restorable ones (per-device conf/) discards it too
  EXPECT_EQ(namespaces_kept_after("sysctl net.ipv4.conf.lo.forwarding 1 -> ok\n"), -1);
  // and the namespace that had 10.9.0.1 is never lent again
  for (int i = 0; i < 4; ++i) run_passing("s = socket inet stream -> ok\nbind s 10.9.0.1:80 -> EADDRNOTAVAIL\n");
}

TEST(NamespacePool, FreshNamespacesWhenReuseIsOff) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  DriverConfig fresh;
  fresh.oracle.reuse_namespaces = false;
  Program program = parse_scenario("s = socket inet stream -> ok\n");
  const auto before = oracle::namespace_stats().created;
  for (int i = 0; i < 3; ++i) run_scenario(program, Mode::Kernel, fresh);
  EXPECT_EQ(oracle::namespace_stats().created, before + 3);
}

std::string read_sysctl(const char* name) {
  std::string path = std::string("/proc/sys/net/ipv4/") + name, value;
  if (FILE* f = std::fopen(path.c_str(), "re")) {
    char buf[64];
    if (std::fgets(buf, sizeof buf, f)) value = buf;
    std::fclose(f);
  }
  return value;
}

// A pooled namespace has a private TCP hash of kPrivateTcpHashEntries
// buckets, and the two sysctls the kernel derives from the hash size are
// those of a namespace with the shared hash (the base namespace has it).
TEST(NamespacePool, PrivateTcpHashKeepsTheSharedHashDefaults) {
  if (g_sandbox_error) GTEST_SKIP() << *g_sandbox_error;
  if (!oracle::private_tcp_hash_in_use()) GTEST_SKIP() << "namespaces share the TCP hash here";
  ASSERT_EQ(setns(oracle::base_netns_fd(), CLONE_NEWNET), 0);
  const std::string syn = read_sysctl("tcp_max_syn_backlog"), tw = read_sysctl("tcp_max_tw_buckets");
  ASSERT_NE(read_sysctl("tcp_ehash_entries").rfind('-', 0), std::string::npos)  // "-N": the shared hash
      << read_sysctl("tcp_ehash_entries");
  std::string error;
  auto lent = oracle::NamespacePool::shared().acquire(&error);
  ASSERT_TRUE(lent) << error;
  EXPECT_EQ(read_sysctl("tcp_ehash_entries"), std::to_string(oracle::kPrivateTcpHashEntries) + "\n");
  EXPECT_EQ(read_sysctl("tcp_max_syn_backlog"), syn);
  EXPECT_EQ(read_sysctl("tcp_max_tw_buckets"), tw);
  setns(oracle::base_netns_fd(), CLONE_NEWNET);
  oracle::NamespacePool::shared().release(std::move(*lent), true);
}

}  // namespace
}  // namespace sockspec::testing

int main(int argc, char** argv) {
  sockspec::testing::g_sandbox_error = sockspec::enter_sandbox();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
