// An interrupted run says where it stopped (docs/reports.md "Interrupted
// runs"): SIGINT or SIGTERM during `check` or `run` lets the lines in
// progress finish, prints the summary so far (what passed and failed, where
// it stopped, how many scenarios were not run) and leaves check-summary.json
// and the JUnit file complete, never empty or half-written; before the end
// they are absent. The scenarios are generated at test time: slow ones
// (`sleep` lines), so that the signal lands in the middle of the run.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kScenarios = 30;

// kScenarios slow scenarios (1.2 s each) in a fresh directory under the build tree.
fs::path make_slow_suite(const std::string& name) {
  const fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / ("interrupt-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir / "suite");
  for (int i = 0; i < kScenarios; ++i)
    std::ofstream(dir / "suite" / ("slow" + std::to_string(100 + i) + ".scn"))
        << "s = socket inet stream -> ok\nsleep 400 -> ok\nsleep 400 -> ok\nsleep 400 -> ok\n";
  return dir;
}

struct Child {
  pid_t pid = -1;
  fs::path out, err;
};

// sockspec ARGS with its output in files, started with the default signal
// dispositions (a shell's background job would ignore SIGINT).
Child start(const fs::path& dir, const std::vector<std::string>& args) {
  Child c{-1, dir / "stdout", dir / "stderr"};
  c.pid = ::fork();
  if (c.pid == 0) {
    if (::chdir(SOCKSPEC_SOURCE_DIR) != 0) ::_exit(126);
    ::dup2(::open(c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    ::dup2(::open(c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    std::vector<char*> argv{const_cast<char*>(SOCKSPEC_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SOCKSPEC_BINARY, argv.data());
    ::_exit(127);
  }
  return c;
}

// Waits until `text` appears in the child's stdout; false after 30 s.
bool wait_for_output(const Child& c, const std::string& text) {
  for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
    if (read_text(c.out).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// The child's wait status; SIGKILL (and -1) when it has not ended within 20 s.
int wait_for_end(const Child& c) {
  int status = 0;
  for (auto until = std::chrono::steady_clock::now() + 20s; std::chrono::steady_clock::now() < until;) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) return status;
    std::this_thread::sleep_for(20ms);
  }
  ::kill(c.pid, SIGKILL);
  ::waitpid(c.pid, &status, 0);
  return -1;
}

TEST(Interrupt, SigintDuringCheckPrintsTheSummarySoFarAndWritesCompleteFiles) {
  const fs::path dir = make_slow_suite("check");
  const fs::path out = dir / "out", junit = dir / "junit.xml";
  Child c = start(dir, {"check", "-j", "1", "--out", out.string(), "--junit", junit.string(), (dir / "suite").string()});
  ASSERT_TRUE(wait_for_output(c, "PASS ")) << read_text(c.err);
  // during the run the summary and the JUnit file do not exist: not empty, not partial
  EXPECT_FALSE(fs::exists(out / "check-summary.json"));
  EXPECT_FALSE(fs::exists(junit));
  ASSERT_EQ(::kill(c.pid, SIGINT), 0);
  const int status = wait_for_end(c);
  const std::string stdout_text = read_text(c.out), stderr_text = read_text(c.err);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << stderr_text;
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGINT) << stderr_text;

  // the summary so far, and where it stopped
  const nlohmann::json summary = nlohmann::json::parse(read_text(out / "check-summary.json"));
  const int run = summary.at("scenarios"), not_run = summary.at("scenarios_not_run");
  EXPECT_EQ(summary.at("interrupted"), "SIGINT");
  EXPECT_GE(run, 1);
  EXPECT_GE(not_run, 1);
  EXPECT_EQ(run + not_run, kScenarios);
  EXPECT_NE(stdout_text.find("interrupted by SIGINT: " + std::to_string(not_run) + " of 30 scenario(s) not run"),
            std::string::npos)
      << stdout_text;
  // the scenario in progress was stopped between lines, and is named with the line
  const std::string stopped = summary.at("stopped_at");
  EXPECT_NE(stopped.find("interrupted by SIGINT before line"), std::string::npos) << stopped;
  EXPECT_NE(stdout_text.find("stopped in " + stopped), std::string::npos) << stdout_text;
  EXPECT_NE(stdout_text.find("FAIL " + stopped.substr(0, stopped.find(": "))), std::string::npos) << stdout_text;
  // every scenario that ran is one complete record of check.jsonl
  std::ifstream jsonl(out / "check.jsonl");
  int records = 0;
  for (std::string line; std::getline(jsonl, line); ++records) EXPECT_NO_THROW((void)nlohmann::json::parse(line));
  EXPECT_EQ(records, run);
  // JUnit: whole, with the cases that ran and the interruption
  const std::string xml = read_text(junit);
  EXPECT_NE(xml.find("</testsuites>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("tests=\"" + std::to_string(run) + "\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<property name=\"interrupted\" value=\"SIGINT: "), std::string::npos) << xml;
  // no temporary file left behind
  for (const fs::path& d : {out, dir})
    for (const auto& entry : fs::directory_iterator(d))
      EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  fs::remove_all(dir);
}

TEST(Interrupt, SigtermDuringRunPrintsTheSummarySoFar) {
  const fs::path dir = make_slow_suite("run");
  Child c = start(dir, {"run", "-j", "2", (dir / "suite").string()});
  ASSERT_TRUE(wait_for_output(c, "PASS ")) << read_text(c.err);
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  const int status = wait_for_end(c);
  const std::string stdout_text = read_text(c.out);
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << read_text(c.err);
  EXPECT_EQ(WEXITSTATUS(status), 128 + SIGTERM);
  EXPECT_NE(stdout_text.find(" passed, "), std::string::npos) << stdout_text;
  EXPECT_NE(stdout_text.find("interrupted by SIGTERM: "), std::string::npos) << stdout_text;
  EXPECT_NE(stdout_text.find("stopped in "), std::string::npos) << stdout_text;
  EXPECT_EQ(stdout_text.find("PASS " + (dir / "suite" / "slow129.scn").string()), std::string::npos)
      << "the last scenario must not have run: " << stdout_text;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sockspec::testing
