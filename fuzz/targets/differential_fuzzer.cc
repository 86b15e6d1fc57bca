// The differential fuzzer: each input is a scenario, run in lockstep on the
// kernel and the model inside this process's own sandbox (no fork per
// input). A divergence is confirmed by a second run, minimized, and written
// to the findings directory once per signature (check/finding.h); the
// campaign then goes on, unless SOCKSPEC_FUZZ_ABORT=1 asks for a crash so
// libFuzzer's own crash handling takes over.
//
// In a `sockspec fuzz` campaign the fuzzing processes only fuzz: a confirmed
// divergence is written, as found, to a pending directory, and the campaign
// runs this binary again afterwards in minimizing mode, which minimizes and
// records every pending divergence and exits (docs/fuzzing.md).
//
// Environment (set by `sockspec fuzz`; docs/fuzzing.md):
//   SOCKSPEC_FUZZ_FINDINGS  findings directory (default: fuzz-findings in the start directory)
//   SOCKSPEC_FUZZ_PENDING   write confirmed divergences here, unminimized (default: minimize at once)
//   SOCKSPEC_FUZZ_MINIMIZE  minimizing mode: this pending directory's divergences, then exit;
//                           SOCKSPEC_FUZZ_SHARD=i/n takes every n-th file from the i-th
//   SOCKSPEC_FUZZ_STATS     a directory for this process's covered rules (rules.<pid>) and
//                           the kernel profile its model answered for (kernel.<pid>), optional
//   SOCKSPEC_FUZZ_ABORT=1   abort on a new finding
//   SOCKSPEC_FUZZ_COUNTS    a directory where each fuzzing (not merging) process writes, at exit,
//                           the inputs and scenario lines it ran (counts.<pid>: "INPUTS LINES"),
//                           for the benchmark's lines/s (scripts/bench.sh), optional
//   SOCKSPEC_FUZZ_SETTLE_MS / SOCKSPEC_FUZZ_DELIVERY_MS  the oracle's waits (default 20 / 5)
//   SOCKSPEC_FUZZ_LOOPBACK_DELIVERY_MS  a receive that finds nothing looks again after this
//                           long (default 0; a guest under emulation needs it, docs/kernels.md)
//   SOCKSPEC_FUZZ_PLANT_FAULT  a spec rule whose model results are made wrong, as
//                           `check --plant-fault RULE` does (tests of the campaign)
#include <cerrno>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "check/driver.h"
#include "check/finding.h"
#include "check/minimize.h"
#include "fuzz/input.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace {

using namespace sockspec;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Campaign {
  DriverConfig driver;
  fs::path findings;
  fs::path pending;  // empty: minimize each divergence at once
  fs::path stats;    // empty: no stats file
  bool abort_on_finding = false;
  std::set<std::string> signatures;    // seen by this process
  std::set<std::string> rules;         // covered by this process
  std::size_t rules_written = 0;
  bool kernel_written = false;
  Clock::time_point next_stats = Clock::now();
  fs::path counts;                     // empty: not counted
  std::size_t inputs_run = 0, lines_run = 0;
};

Campaign* g_campaign = nullptr;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// Relative paths are taken from the directory we start in: the sandbox
// moves the working directory into its private /tmp.
fs::path env_path(const char* name, const fs::path& fallback) {
  const char* v = std::getenv(name);
  return fs::absolute(v && *v ? fs::path(v) : fallback);
}

void write_stats(Campaign& c) {
  if (c.stats.empty() || c.rules.size() == c.rules_written || Clock::now() < c.next_stats) return;
  std::string text;
  for (const auto& r : c.rules) text += r + "\n";
  fs::create_directories(c.stats);
  write_file_atomically(c.stats / fmt::format("rules.{}", getpid()), text);
  c.rules_written = c.rules.size();
  c.next_stats = Clock::now() + std::chrono::seconds(2);
}

// The kernel profile the model answers for (measured by the oracle), once.
void write_kernel(Campaign& c, const KernelProfile& profile) {
  if (c.stats.empty() || c.kernel_written) return;
  fs::create_directories(c.stats);
  write_file_atomically(c.stats / fmt::format("kernel.{}", getpid()), profile.describe() + "\n");
  c.kernel_written = true;
}

// At exit: the inputs and lines this process ran (SOCKSPEC_FUZZ_COUNTS).
void write_counts() {
  const Campaign& c = *g_campaign;
  if (c.counts.empty() || c.inputs_run == 0) return;
  fs::create_directories(c.counts);
  write_file_atomically(c.counts / fmt::format("counts.{}", getpid()), fmt::format("{} {}\n", c.inputs_run, c.lines_run));
}

// libFuzzer's merge passes (-merge=1, and the -merge_inner=1 processes fork
// mode starts) run inputs to sort a corpus, not to fuzz.
bool merging(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with("-merge")) return true;
  return false;
}

bool shows(const Program& program, const DriverConfig& driver, const std::string& signature) {
  ScenarioVerdict verdict = run_scenario(program, Mode::Lockstep, driver);
  return find_divergence(program, verdict, signature).has_value();
}

// A new divergence: confirm, minimize, record.
void report(Campaign& c, const Program& program, const Divergence& first) {
  if (!shows(program, c.driver, first.signature)) {
    fmt::print(stderr, "sockspec-fuzz: not reproducible on a second run, ignored: {}\n", first.signature);
    return;
  }
  MinimizeStats stats;
  Program small = minimize(
      program, [&](const Program& p) { return shows(p, c.driver, first.signature); }, 400, &stats);
  ScenarioVerdict verdict = run_scenario(small, Mode::Lockstep, c.driver);
  auto divergence = find_divergence(small, verdict, first.signature);
  if (!divergence) {  // the last run disagreed with the minimizer's: keep the original
    small = program;
    divergence = first;
  }
  if (auto path = record_finding(c.findings, small, *divergence, c.driver.oracle))
    fmt::print(stderr, "sockspec-fuzz: NEW FINDING {} ({} -> {} lines, {} runs): {}\n", path->string(),
               stats.lines_before, stats.lines_after, stats.tests, divergence->signature);
  if (c.abort_on_finding) std::abort();
}

// A new divergence in a campaign: confirmed, then left for minimizing mode.
void set_aside(Campaign& c, const Program& program, const Divergence& first) {
  if (!shows(program, c.driver, first.signature)) {
    fmt::print(stderr, "sockspec-fuzz: not reproducible on a second run, ignored: {}\n", first.signature);
    return;
  }
  fs::create_directories(c.pending);
  write_file_atomically(c.pending / (finding_id(first.signature) + ".scn"), print_program(program));
}

bool known(const Campaign& c, const std::string& signature) {
  const std::string file = finding_id(signature) + ".scn";
  return fs::exists(c.findings / file) || (!c.pending.empty() && fs::exists(c.pending / file));
}

// Minimizing mode: every pending divergence of this process's share is
// minimized and recorded (or dropped when it no longer shows), and its
// pending file removed. Returns the exit status.
int minimize_pending(Campaign& c, const fs::path& pending, const std::string& shard) {
  unsigned index = 0, shares = 1;
  if (!shard.empty() && (std::sscanf(shard.c_str(), "%u/%u", &index, &shares) != 2 || shares == 0)) {
    fmt::print(stderr, "sockspec-fuzz: SOCKSPEC_FUZZ_SHARD must be i/n, not {}\n", shard);
    return 2;
  }
  std::set<fs::path> files;
  for (const auto& e : fs::directory_iterator(pending))
    if (e.path().extension() == ".scn") files.insert(e.path());
  unsigned k = 0;
  for (const fs::path& file : files) {
    if (k++ % shares != index) continue;
    try {
      Program program = parse_scenario_file(file.string());
      ScenarioVerdict verdict = run_scenario(program, Mode::Lockstep, c.driver);
      auto divergence = find_divergence(program, verdict);
      if (!divergence) fmt::print(stderr, "sockspec-fuzz: no longer diverges, dropped: {}\n", file.string());
      else if (!fs::exists(c.findings / (finding_id(divergence->signature) + ".scn"))) report(c, program, *divergence);
    } catch (const std::exception& e) {
      fmt::print(stderr, "sockspec-fuzz: {}: {}\n", file.string(), e.what());
    }
    fs::remove(file);
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static Campaign campaign;
  campaign.findings = env_path("SOCKSPEC_FUZZ_FINDINGS", "fuzz-findings");
  if (std::getenv("SOCKSPEC_FUZZ_STATS")) campaign.stats = env_path("SOCKSPEC_FUZZ_STATS", {});
  campaign.abort_on_finding = env_int("SOCKSPEC_FUZZ_ABORT", 0) == 1;
  campaign.driver.oracle.settle_ms = env_int("SOCKSPEC_FUZZ_SETTLE_MS", 20);
  campaign.driver.oracle.delivery_ms = env_int("SOCKSPEC_FUZZ_DELIVERY_MS", 5);
  campaign.driver.oracle.loopback_delivery_ms = env_int("SOCKSPEC_FUZZ_LOOPBACK_DELIVERY_MS", 0);
  if (const char* rule = std::getenv("SOCKSPEC_FUZZ_PLANT_FAULT")) campaign.driver.planted_fault = rule;
  campaign.driver.time_limit_ms = 2000;
  // Before libFuzzer starts any thread: the sandbox's unshare needs a
  // single-threaded process.
  fs::path start = fs::current_path();
  if (auto why = enter_sandbox()) {
    // Exits at once, before any input: on a runner without namespaces (a
    // GitHub Actions job's unprivileged container, as ClusterFuzzLite runs
    // fuzzers) every input would fail the same way.
    fmt::print(stderr,
               "sockspec-fuzz: the kernel oracle cannot run here: {}\n"
               "sockspec-fuzz: differential_fuzzer needs to create user, mount and network namespaces "
               "(root with CAP_SYS_ADMIN, or unprivileged user namespaces, and no seccomp filter blocking "
               "unshare): run it in a privileged container (docker run --privileged), or fuzz here with "
               "model_fuzzer and parser_fuzzer, which need no kernel\n",
               *why);
    std::exit(3);
  }
  // The sandbox moved us into its /tmp; libFuzzer's own paths (argv[0] for
  // -fork jobs, relative corpus directories) are relative to where we
  // started. The first scenario moves this thread into a /tmp of its own
  // again (oracle::prepare_thread), so fork-mode parents, which run no
  // scenario, keep the start directory.
  fs::current_path(start);
  g_campaign = &campaign;
  if (std::getenv("SOCKSPEC_FUZZ_COUNTS") && !merging(*argc, *argv)) {
    campaign.counts = env_path("SOCKSPEC_FUZZ_COUNTS", {});
    std::atexit(write_counts);
  }
  if (std::getenv("SOCKSPEC_FUZZ_PENDING")) campaign.pending = env_path("SOCKSPEC_FUZZ_PENDING", {});
  if (std::getenv("SOCKSPEC_FUZZ_MINIMIZE")) {
    const char* shard = std::getenv("SOCKSPEC_FUZZ_SHARD");
    std::exit(minimize_pending(campaign, env_path("SOCKSPEC_FUZZ_MINIMIZE", {}), shard ? shard : ""));
  }
  return 0;
}

// A campaign killed with SIGKILL cannot stop its fuzzer; libFuzzer's -fork
// jobs sit behind a shell, so PR_SET_PDEATHSIG would not reach them either.
// Every process of the campaign therefore checks, once a second, that the
// `sockspec fuzz` that started it (SOCKSPEC_FUZZ_CAMPAIGN_PID) still exists,
// and leaves when it does not: nothing keeps writing after the campaign died.
void exit_if_campaign_gone() {
  static const long campaign = env_int("SOCKSPEC_FUZZ_CAMPAIGN_PID", 0);
  static auto next_check = std::chrono::steady_clock::now();
  if (campaign <= 0 || std::chrono::steady_clock::now() < next_check) return;
  next_check = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  if (::kill(static_cast<pid_t>(campaign), 0) != 0 && errno == ESRCH) std::_Exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  exit_if_campaign_gone();
  auto program = sockspec::fuzz::parse_input(data, size);
  if (!program) return -1;  // not a scenario: keep it out of the corpus
  Campaign& c = *g_campaign;
  ScenarioVerdict verdict = run_scenario(*program, Mode::Lockstep, c.driver);
  ++c.inputs_run;
  c.lines_run += program->lines.size();
  for (const LineVerdict& line : verdict.lines)
    for (auto rule : line.rules) c.rules.emplace(rule);
  write_stats(c);
  write_kernel(c, verdict.profile);
  if (verdict.divergences() == 0) return 0;
  auto divergence = find_divergence(*program, verdict);
  // Each signature is minimized once: not again in this process, nor when
  // another process (a -fork job, an earlier campaign) recorded it already.
  if (!divergence || !c.signatures.insert(divergence->signature).second) return 0;
  if (known(c, divergence->signature)) return 0;
  if (c.pending.empty()) report(c, *program, *divergence);
  else set_aside(c, *program, *divergence);
  return 0;
}
