// What the oracle keeps of root's privileges once it is in its sandbox
// (oracle/sandbox.cc, drop_privileges; docs/safety.md "Privileges"): six
// capabilities, in every set a process has, with no_new_privs, inherited
// by whatever it executes — and that root's answers stay root's answers.
//
// These tests enter the sandbox in the test process itself (gtest starts no
// thread), so they live in their own executable.
#include <gtest/gtest.h>

#include <linux/capability.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "check/driver.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

// Written out independently of sandbox.cc: a change there must change this.
constexpr std::uint64_t bit(int capability) { return std::uint64_t{1} << capability; }
constexpr std::uint64_t kKept = bit(CAP_SYS_ADMIN) | bit(CAP_NET_ADMIN) | bit(CAP_SETUID) |
                                bit(CAP_NET_BIND_SERVICE) | bit(CAP_NET_RAW) | bit(CAP_DAC_OVERRIDE);

// A field of a /proc/PID/status text, e.g. "CapEff" -> its hex mask.
std::uint64_t status_field(const std::string& status, const std::string& key) {
  auto at = status.find("\n" + key + ":");
  if (at == std::string::npos) ADD_FAILURE() << key << " not in " << status;
  return at == std::string::npos ? ~std::uint64_t{0} : std::stoull(status.substr(at + key.size() + 2), nullptr, 16);
}

SandboxInfo sandbox() {
  SandboxInfo info;
  if (auto why = enter_sandbox(&info)) ADD_FAILURE() << *why;
  return info;
}

void expect_only_kept(const std::string& status) {
  EXPECT_EQ(status_field(status, "CapBnd") & ~kKept, 0u) << "bounding set";
  EXPECT_EQ(status_field(status, "CapPrm") & ~kKept, 0u) << "permitted set";
  EXPECT_EQ(status_field(status, "CapEff"), status_field(status, "CapPrm")) << "effective set";
  EXPECT_EQ(status_field(status, "CapInh"), 0u) << "inheritable set";
  EXPECT_EQ(status_field(status, "CapAmb"), 0u) << "ambient set";
  EXPECT_EQ(status_field(status, "NoNewPrivs"), 1u);
}

TEST(Privileges, TheSandboxKeepsOnlyWhatTheOracleNeeds) {
  sandbox();
  expect_only_kept("\n" + read_text("/proc/self/status"));
  // every kept one is still there (the container may have had fewer)
  std::uint64_t permitted = status_field("\n" + read_text("/proc/self/status"), "CapPrm");
  EXPECT_NE(permitted & bit(CAP_SYS_ADMIN), 0u);
  EXPECT_NE(permitted & bit(CAP_NET_ADMIN), 0u);
}

// A root program executed from the sandbox (a shell, libFuzzer's -fork
// children) gets no more than the sandbox kept: the bounding set and
// no_new_privs cap what execve(2) would grant root.
TEST(Privileges, WhatTheSandboxExecutesCannotRegainThem) {
  sandbox();
  auto r = run_command("cat /proc/self/status");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_only_kept("\n" + r.out);
}

// CAP_DAC_OVERRIDE is kept for results, not for the machinery: real root
// connects to a unix socket file owned by another uid (unix_find_bsd ->
// path_permission(MAY_WRITE)), and without it the kernel would say EACCES.
TEST(Privileges, RootStillConnectsToAnotherUsersUnixSocket) {
  if (!sandbox().root) GTEST_SKIP() << "`uid 1000` needs real root";
  Program p = parse_scenario(
      "uid 1000\n"
      "a = socket unix stream\n"
      "bind a unix:/tmp/theirs -> ok\n"
      "listen a 1 -> ok\n"
      "uid 0\n"
      "b = socket unix stream\n"
      "connect b unix:/tmp/theirs -> ok\n"
      "s = socket inet stream\n"
      "bind s 127.0.0.1:80 -> ok\n");  // CAP_NET_BIND_SERVICE
  ScenarioVerdict v = run_scenario(p, Mode::Kernel, DriverConfig{});
  EXPECT_TRUE(v.passed()) << "expectation failures " << v.expectation_failures() << ", divergences "
                          << v.divergences() << " " << v.error;
}

}  // namespace
}  // namespace sockspec::testing
