// Known divergences: `check --write-baseline` then `check --baseline` fails
// only on divergences the baseline does not know.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "check/baseline.h"
#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

fs::path output(const std::string& name) {
  fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "test-output" / "baseline";
  fs::create_directories(dir);
  return dir / name;
}

// The planted fault makes the model wrong on d's binds and listen (two
// signatures: bind and listen) and on l's UDP autobinds (two more).
constexpr const char* kPlanted = "--plant-fault bind.conflict.wildcard_v4 corpus/examples";

TEST(Baseline, WrittenThenAcceptedWhileNewDivergencesStillFail) {
  fs::path file = output("examples.txt");
  auto written = run_command(sockspec(std::string("check --write-baseline ") + file.string() + " " + kPlanted));
  EXPECT_EQ(written.exit_code, 1) << "writing a baseline does not hide the divergences";
  auto signatures = read_baseline(file);
  EXPECT_EQ(signatures.size(), 4u);
  EXPECT_TRUE(signatures.contains("bind | bind.address.local,bind.conflict.wildcard_v4 | EADDRINUSE | ok"));

  auto accepted = run_command(sockspec(std::string("check --baseline ") + file.string() + " " + kPlanted));
  EXPECT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;
  EXPECT_NE(accepted.err.find("baseline: 5 known divergence(s) accepted"), std::string::npos) << accepted.err;

  // drop the bind signature: its two divergent lines are new again
  std::string text = read_text(file);
  text.erase(text.find("bind | bind.address.local,bind.conflict.wildcard_v4 | EADDRINUSE | ok"));
  fs::path partial = output("partial.txt");
  std::ofstream(partial) << text;
  auto fails = run_command(sockspec(std::string("check --baseline ") + partial.string() + " " + kPlanted));
  EXPECT_EQ(fails.exit_code, 1) << fails.out;
  EXPECT_NE(fails.out.find("FAIL corpus/examples/d-wildcard-listener.scn"), std::string::npos) << fails.out;
}

TEST(Baseline, SignaturesNoLongerSeenAreReported) {
  fs::path file = output("stale.txt");
  std::ofstream(file) << "# a comment\n\n  bind | bind.conflict.gone | EADDRINUSE | ok  \n";
  EXPECT_EQ(read_baseline(file), std::set<std::string>{"bind | bind.conflict.gone | EADDRINUSE | ok"});
  auto r = run_command(sockspec("check --baseline " + file.string() + " corpus/examples/a-tcp-and-udp-share-a-port.scn"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("not seen in this run"), std::string::npos) << r.err;
}

TEST(Baseline, MissingFileIsBadInput) {
  auto r = run_command(sockspec("check --baseline no/such/baseline.txt corpus/examples"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot read the baseline no/such/baseline.txt"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sockspec::testing
