// The `sockspec` command as users meet it: exit codes, error messages, the
// unprivileged path, and the JSON schema of `check --json`.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

TEST(Cli, MalformedScenarioIsBadInputWithItsPosition) {
  auto r = run_command(sockspec("run tests/data/malformed-op.scn"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tests/data/malformed-op.scn:3:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("->"), std::string::npos) << "nothing may run on bad input: " << r.out;
}

TEST(Cli, MissingFileIsBadInput) {
  auto r = run_command(sockspec("check tests/data/no-such-file.scn"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no-such-file.scn"), std::string::npos) << r.err;
}

TEST(Cli, UnknownFlagIsBadInput) {
  EXPECT_EQ(run_command(sockspec("check --no-such-flag corpus/examples")).exit_code, 2);
}

// `--kernel` (docs/kernels.md): a name that names no kernel is bad input;
// a guest that cannot be had (no qemu, no apt on PATH) is exit 3 with the
// command that installs what is missing.
TEST(Cli, KernelThatNamesNoneIsBadInput) {
  for (const char* args : {"check --kernel 7.99x corpus/examples", "run --kernel /no/such/vmlinuz corpus/examples",
                           "model --kernel 6.1+no-such-variant corpus/examples"}) {
    auto r = run_command(sockspec(args));
    EXPECT_EQ(r.exit_code, 2) << args << r.err;
    EXPECT_NE(r.err.find("--kernel"), std::string::npos) << args << r.err;
  }
}

TEST(Cli, GuestWithoutQemuIsExit3WithTheInstallCommand) {
  auto r = run_command("env PATH=/nonexistent SOCKSPEC_KERNEL_CACHE=/nonexistent/cache " +
                       sockspec("check --kernel 6.1 corpus/examples"));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("apt-get install"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("PASS"), std::string::npos) << r.out;
}

TEST(Cli, GvisorWithoutRunscIsExit3WithTheInstallCommand) {
  auto r = run_command("env PATH=/nonexistent " + sockspec("check --kernel gvisor corpus/examples"));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("--kernel gvisor: runsc not found: apt-get install runsc"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("PASS"), std::string::npos) << r.out;
}

// The model answers for the profile named: the role-locked one refuses the
// listen of a socket whose connect was refused; the reference one does not.
TEST(Cli, ModelAnswersForTheKernelNamed) {
  auto locked = run_command(sockspec("model --kernel 6.18+tcp-role-lock corpus/kernels/role-lock.scn"));
  EXPECT_EQ(locked.exit_code, 0) << locked.out << locked.err;
  EXPECT_NE(locked.out.find("listen s 5 -> EINVAL"), std::string::npos) << locked.out;
  EXPECT_NE(locked.out.find("the model answering for Linux 6.18, tcp-role-lock"), std::string::npos) << locked.out;
  auto upstream = run_command(sockspec("model corpus/kernels/role-lock.scn"));
  EXPECT_EQ(upstream.exit_code, 0) << upstream.out << upstream.err;
  EXPECT_NE(upstream.out.find("listen s 5 -> ok"), std::string::npos) << upstream.out;
}

TEST(Cli, ExamplesPassOnTheKernel) {
  auto r = run_command(sockspec("run corpus/examples"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("12 passed, 0 failed"), std::string::npos) << r.out;
}

// Scenario namespaces have a private TCP hash unless asked not to
// (oracle/namespace_pool.h); the whole corpus holds either way.
TEST(Cli, CorpusHoldsWithTheSharedTcpHashToo) {
  for (const char* shared : {"0", "1"}) {
    auto r = run_command(std::string("SOCKSPEC_SHARED_TCP_HASH=") + shared + " " + sockspec("check corpus"));
    EXPECT_EQ(r.exit_code, 0) << "SOCKSPEC_SHARED_TCP_HASH=" << shared << "\n" << r.out << r.err;
    EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  }
}

// Everything after `--` goes to libFuzzer, also after --seeds.
TEST(Cli, FuzzHandsFlagsAfterDoubleDashToLibFuzzer) {
  auto r = run_command(sockspec("fuzz --fuzzer no/such/fuzzer --seeds corpus/examples -- -entropic=0"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("no fuzzer binary (no/such/fuzzer)"), std::string::npos) << r.err;
}

TEST(Cli, FailedExpectationExitsOneAndSaysWhatWasExpected) {
  auto r = run_command(sockspec("run tests/data/wrong-expectation.scn"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED: expected EADDRNOTAVAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 passed, 1 failed"), std::string::npos) << r.out;
}

// An ordinary user runs everything through a user namespace; `uid` lines
// (example b) give `skip` and are not judged.
TEST(Cli, ExamplesPassAsAnOrdinaryUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to uid 65534";
  auto r = run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " + sockspec("run corpus/examples"));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("-> skip"), std::string::npos) << "uid 1000 cannot be honoured unprivileged";
}

// Inside a user namespace without a uid mapping nothing can create a network
// namespace: the oracle must refuse with exit 3, not run in the host's.
TEST(Cli, NoNamespacePermissionExitsThree) {
  auto r = run_command("unshare -U " + sockspec("run corpus/examples/i-self-connect.scn"));
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("cannot run here"), std::string::npos) << r.err;
}

TEST(Cli, CheckJsonFollowsTheSchema) {
  auto r = run_command(sockspec("check --json corpus/examples/a-tcp-and-udp-share-a-port.scn"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (auto key : {"file", "status", "lines", "agree", "expect_failures", "divergences", "unsupported", "skipped"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["agree"], true);
  EXPECT_EQ(j["lines"], 16);  // statements, not text lines
}

// Mutation testing: a rule made wrong on purpose is caught by the corpus,
// and the divergence names it.
TEST(Cli, PlantedFaultIsReportedAsADivergenceWithItsRule) {
  auto r = run_command(sockspec("check --json --plant-fault bind.conflict.wildcard_v4 corpus/examples/d-wildcard-listener.scn"));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  ASSERT_FALSE(j["divergences"].empty()) << r.out;
  auto d = j["divergences"][0];
  EXPECT_EQ(d["op"], "bind o 127.0.0.2:8080");
  EXPECT_EQ(d["kernel"], "EADDRINUSE");
  EXPECT_EQ(d["model"], "ok");
  EXPECT_NE(d["rules"].dump().find("bind.conflict.wildcard_v4"), std::string::npos);
}

// A scenario with lines the model does not cover passes only in part: it is
// PARTIAL, never a plain PASS, in the text, --json, the summary file, JUnit
// and the report; it does not fail the run (docs/reports.md).
TEST(Cli, AScenarioWithUnsupportedLinesIsPartialEverywhere) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "cli-partial";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string scn = (dir / "scoped.scn").string();  // scoped IPv6 addresses are outside the model
  std::ofstream(scn) << "s = socket inet6 dgram -> ok\nbind s [fe80::1%lo]:80\nbind s [fe80::2%lo]:81\n";
  const std::string junit = (dir / "junit.xml").string(), out = (dir / "out").string();
  auto text = run_command(sockspec("check --out " + out + " --junit " + junit + " " + scn));
  EXPECT_EQ(text.exit_code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("PARTIAL " + scn + " (3 lines, 2 unsupported)"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("PASS " + scn), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 passed, 1 PARTIAL (lines unsupported by the model), 0 failed"), std::string::npos) << text.out;
  auto json = run_command(sockspec("check --json " + scn));
  EXPECT_EQ(nlohmann::json::parse(json.out).at("status"), "partial") << json.out;
  EXPECT_EQ(nlohmann::json::parse(read_text(fs::path(out) / "check-summary.json")).at("partial"), 1);
  EXPECT_NE(read_text(junit).find("<system-out>PARTIAL: 2 line(s) unsupported by the model, their results not "
                                  "compared: line(s) 2, 3"),
            std::string::npos)
      << read_text(junit);
  auto report = run_command(sockspec("report --model-only " + out));
  EXPECT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(read_text(fs::path(out) / "report.md").find("| scenarios PARTIAL (passed, some lines unsupported by the model) | 1 |"),
            std::string::npos)
      << read_text(fs::path(out) / "report.md");
  fs::remove_all(dir);
}

// A directory without scenarios is a warning naming it, and exit 2: there is nothing to run.
TEST(Cli, ADirectoryWithoutScenariosIsAWarningAndExitTwo) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "cli-no-scenarios";
  fs::remove_all(dir);
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "other");
  std::ofstream(dir / "other" / "notes.txt") << "not a scenario\n";
  for (const char* cmd : {"check", "run", "model"})
    for (const char* sub : {"empty", "other"}) {
      const std::string path = (dir / sub).string();
      auto r = run_command(sockspec(std::string(cmd) + " " + path));
      EXPECT_EQ(r.exit_code, 2) << cmd << " " << sub;
      EXPECT_NE(r.err.find("warning: " + path + ": a directory without scenarios"), std::string::npos) << r.err;
    }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sockspec::testing
