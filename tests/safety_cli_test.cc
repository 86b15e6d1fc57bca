// Safety as the `sockspec` command shows it (docs/safety.md): a scenario over
// its time limit is stopped with a message naming the limit and the run goes
// on; an ordinary user gets the same answers as root, except for the lines
// that need root's privilege and say `skip`; bad input of any size is a
// clear error, never a crash or a hang.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

// A directory of scenario files written by the test, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() : path_(fs::temp_directory_path() / ("sockspec-safety-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return (path_ / name).string();
  }

 private:
  fs::path path_;
};

TEST(TimeLimit, AScenarioOverItsLimitIsStoppedAndTheRunGoesOn) {
  ScratchDir dir;
  // the limit leaves 400 ms for the namespace set-up on a loaded machine
  std::string slow = dir.write("slow.scn", "sleep 600 -> ok\nsleep 600 -> ok\nsleep 600 -> ok\nsleep 600 -> ok\n"
                                           "sleep 600 -> ok\nsleep 600 -> ok\n");
  std::string fine = dir.write("fine.scn", "s = socket inet stream -> ok\nbind s 127.0.0.1:8080 -> ok\n");
  auto r = run_command(sockspec("check --time-limit-ms 1000 " + slow + " " + fine));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  // checked between lines: after two sleeps (1.2 s) the third does not start
  EXPECT_NE(r.out.find("FAIL " + slow + " (6 lines, 4 skipped): stopped at line 3: the scenario exceeded its time limit of 1000 ms"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PASS " + fine), std::string::npos) << "the run must go on: " << r.out;
  EXPECT_NE(r.out.find("1 passed, 1 failed"), std::string::npos) << r.out;
}

// ------------------------------------------------------------ unprivileged

// Per scenario, the line numbers of failed expectations and divergences.
std::map<std::string, std::set<int>> failing_lines(const std::string& json_lines) {
  std::map<std::string, std::set<int>> out;
  std::istringstream in(json_lines);
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    auto& lines = out[j["file"]];
    for (const auto& e : j["expect_failures"]) lines.insert(e["line"].get<int>());
    for (const auto& d : j["divergences"]) lines.insert(d["line"].get<int>());
  }
  return out;
}

// The whole corpus as uid 65534 (through a user namespace) and as root:
// the ordinary user fails nowhere root does not; `uid` lines skip.
TEST(Unprivileged, TheCorpusFailsNowhereRootDoesNot) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to switch to uid 65534";
  auto user = run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " + sockspec("check --json corpus"));
  auto root = run_command(sockspec("check --json corpus"));
  ASSERT_LE(user.exit_code, 1) << user.err;
  ASSERT_LE(root.exit_code, 1) << root.err;
  auto as_user = failing_lines(user.out), as_root = failing_lines(root.out);
  ASSERT_GT(as_user.size(), 100u);
  EXPECT_EQ(as_user.size(), as_root.size());
  for (const auto& [file, lines] : as_user)
    for (int line : lines)
      EXPECT_TRUE(as_root[file].contains(line)) << file << ":" << line << " fails only as an ordinary user";
  EXPECT_NE(user.out.find("\"skipped\":[1"), std::string::npos) << "no `uid` line was skipped: was it root?";
}

// ------------------------------------------------------------ bad input

// Inputs too big to commit are generated here: each must be refused as bad
// input (exit 2) with a message naming the limit, quickly.
TEST(BadInput, HugeInputsAreRefusedWithTheLimitNamed) {
  ScratchDir dir;
  struct Case {
    std::string name, text, message;
  };
  const Case cases[] = {
      {"long-line.scn", "s = socket inet stream\nsend s \"" + std::string(1 << 20, 'a') + "\"\n",
       ":2:65537: line too long: at most 65536 bytes"},
      {"many-lines.scn", std::string(100001, '\n') + "s = socket inet stream\n",
       ":100001:1: too many lines: at most 100000"},
      {"huge-file.scn", std::string(17 << 20, '#'), "huge-file.scn: file too large: at most 16777216 bytes"},
      {"huge-number.scn", "sleep " + std::string(5000, '9') + "\n", " out of range: expected milliseconds from 0 to 2000"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = run_command("timeout 20 " + sockspec("check " + dir.write(c.name, c.text)));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err.substr(0, 300);
  }
}

}  // namespace
}  // namespace sockspec::testing
