// check/parallel.h: a parallel run gives exactly the sequential verdicts, in
// input order, and workers never see each other's /tmp or SIGURGs.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "check/files.h"
#include "check/parallel.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"

namespace sockspec {
namespace {

const std::vector<Program>& corpus() {
  static const auto programs = load_programs(expand_scenario_paths({SOCKSPEC_SOURCE_DIR "/corpus"}));
  return programs;
}

// enter_sandbox must come before any thread exists; the first kernel test
// calls it, and gtest starts no threads of its own.
void need_sandbox() {
  static const std::optional<std::string> error = enter_sandbox();
  if (error) GTEST_SKIP() << *error;
}

// What a verdict says about one line, apart from values the kernel picks
// afresh on every run (ephemeral ports and the ss rows that show them):
// its flags and the kinds of the results.
struct LineOutcome {
  bool expectation_failed, diverged, unsupported, skipped;
  std::optional<Result::Kind> kernel, model;
  std::optional<std::int64_t> kernel_errno;
  friend bool operator==(const LineOutcome&, const LineOutcome&) = default;
};

LineOutcome outcome(const LineVerdict& v) {
  LineOutcome o{v.expectation_failed, v.diverged, v.unsupported, v.skipped, {}, {}, {}};
  if (v.kernel) o.kernel = v.kernel->kind;
  if (v.model) o.model = v.model->kind;
  if (v.kernel && v.kernel->kind == Result::Kind::Errno) o.kernel_errno = v.kernel->integer;
  return o;
}

std::vector<LineOutcome> outcomes(const ScenarioVerdict& verdict) {
  std::vector<LineOutcome> out;
  for (const auto& line : verdict.lines) out.push_back(outcome(line));
  return out;
}

// A few corpus lines race a kernel timer (time-wait-restart.scn's `ss`
// right after a close sees FIN-WAIT-1 or FIN-WAIT-2 depending on the
// delayed ACK, about 1 run in 15 even sequentially on an idle machine). So
// a scenario whose outcomes differ is run again, alone and beside a copy of
// itself, until the two agree: a difference that parallelism causes
// persists, a rare timing outcome does not.
bool agrees_when_run_again(const Program& program) {
  const std::vector<Program> two{program, program};
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto alone = run_scenarios({program}, Mode::Lockstep, DriverConfig{}, 1);
    auto beside = run_scenarios(two, Mode::Lockstep, DriverConfig{}, 2);
    if (outcomes(alone[0]) == outcomes(beside[0]) && alone[0].error == beside[0].error) return true;
  }
  return false;
}

void expect_same_outcomes(const std::vector<Program>& programs, const std::vector<ScenarioVerdict>& sequential,
                          const std::vector<ScenarioVerdict>& parallel) {
  ASSERT_EQ(sequential.size(), programs.size());
  ASSERT_EQ(parallel.size(), programs.size());
  for (std::size_t i = 0; i < programs.size(); ++i) {
    ASSERT_EQ(sequential[i].file, programs[i].file);
    ASSERT_EQ(parallel[i].file, programs[i].file) << "verdicts out of input order at " << i;
    bool same = sequential[i].error == parallel[i].error && outcomes(sequential[i]) == outcomes(parallel[i]);
    if (!same) {
      EXPECT_TRUE(agrees_when_run_again(programs[i])) << programs[i].file;
    }
  }
}

TEST(Parallel, ModelVerdictsAreExactlyTheSequentialOnes) {
  // The model is deterministic, so every result must be equal, not just alike.
  auto sequential = run_scenarios(corpus(), Mode::Model, DriverConfig{}, 1);
  for (int jobs : {2, 5}) {
    auto parallel = run_scenarios(corpus(), Mode::Model, DriverConfig{}, jobs);
    ASSERT_EQ(sequential.size(), parallel.size());
    for (std::size_t i = 0; i < sequential.size(); ++i) {
      ASSERT_EQ(sequential[i].file, parallel[i].file);
      ASSERT_EQ(sequential[i].lines.size(), parallel[i].lines.size());
      for (std::size_t l = 0; l < sequential[i].lines.size(); ++l) {
        EXPECT_EQ(sequential[i].lines[l].model, parallel[i].lines[l].model) << sequential[i].file;
        const RuleTrace& a = sequential[i].lines[l].rules;
        const RuleTrace& b = parallel[i].lines[l].rules;
        EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << sequential[i].file;
      }
    }
  }
}

TEST(Parallel, LockstepOverTheCorpusMatchesASequentialRun) {
  need_sandbox();
  auto sequential = run_scenarios(corpus(), Mode::Lockstep, DriverConfig{}, 1);
  auto parallel = run_scenarios(corpus(), Mode::Lockstep, DriverConfig{}, 3);
  expect_same_outcomes(corpus(), sequential, parallel);
}

TEST(Parallel, VerdictsArriveInInputOrder) {
  std::vector<std::string> seen;
  run_scenarios(corpus(), Mode::Model, DriverConfig{}, 4, [&](ScenarioVerdict&& v) { seen.push_back(v.file); });
  ASSERT_EQ(seen.size(), corpus().size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], corpus()[i].file);
}

// Many copies of a scenario that binds a fixed path and one that counts
// SIGURGs, at once: a shared /tmp would give EADDRINUSE, a shared signal
// count wrong `sigurg` results.
TEST(Parallel, WorkersHaveTheirOwnTmpAndSigurgCount) {
  need_sandbox();
  const Program path_user = parse_scenario(R"(
s = socket unix stream -> ok
bind s unix:/tmp/fixed -> ok
listen s 1 -> ok
c = socket unix stream -> ok
connect c unix:/tmp/fixed -> ok
)",
                                           "path.scn");
  const Program urgent = parse_scenario_file(SOCKSPEC_SOURCE_DIR "/corpus/oracle/urgent-signals.scn");
  std::vector<Program> programs;
  for (int i = 0; i < 12; ++i) {
    programs.push_back(path_user);
    programs.push_back(urgent);
  }
  for (const auto& verdict : run_scenarios(programs, Mode::Kernel, DriverConfig{}, 4))
    EXPECT_TRUE(verdict.passed()) << verdict.file << " " << verdict.error;
}

}  // namespace
}  // namespace sockspec
