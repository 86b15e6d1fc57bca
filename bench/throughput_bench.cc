// sockspec_bench: how fast the model, the kernel oracle and lockstep checking
// run on a fixed mix of corpus scenarios. scripts/bench.sh runs it and turns
// its JSON into the table of docs/performance.md (with the ratios the
// project targets); this file only measures.
//
// The mix is every corpus scenario without a `sleep` or `link add` line or a
// connect expected to stay pending (those measure the kernel's timers, veth
// set-up and the oracle's settle wait, not our overhead),
// parsed once. Every benchmark runs the whole mix per iteration and reports
// rates as counters: lines/s for the model, scenarios/s for the rest.
//
// With SOCKSPEC_BENCH_FUZZ_INPUTS=DIR (a fuzz campaign's corpus), one more:
// BM_CheckFuzzInputs, `check -j1` on the inputs the fuzzer runs, each read
// as the differential fuzzer reads it (fuzz::parse_input: cut to FuzzLimits,
// `sleep` lines dropped), so its lines/s is the fuzzer's yardstick.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "check/files.h"
#include "check/parallel.h"
#include "fuzz/input.h"
#include "scenario/input_file.h"
#include "oracle/namespace_pool.h"
#include "oracle/oracle.h"

namespace sockspec {
namespace {

// A connect expected to stay pending: the oracle waits out its settle time
// (oracle.h) for a handshake that does not come.
bool expects_pending(const Line& line) {
  if (!line.expect) return false;
  for (const Pattern& p : line.expect->alternatives)
    if (p.kind == Pattern::Kind::Exact && p.exact.kind == Result::Kind::Pending) return true;
  return false;
}

bool waits_on_the_kernel(const Program& program) {
  for (const Line& line : program.lines)
    if (std::holds_alternative<op::Sleep>(line.op) || std::holds_alternative<op::LinkAdd>(line.op) ||
        expects_pending(line))
      return true;
  return false;
}

const std::vector<Program>& mix() {
  static const std::vector<Program> programs = [] {
    std::vector<Program> kept;
    for (Program& p : load_programs(expand_scenario_paths({SOCKSPEC_SOURCE_DIR "/corpus"})))
      if (!waits_on_the_kernel(p)) kept.push_back(std::move(p));
    return kept;
  }();
  return programs;
}

// The scenarios of the mix that leave every namespace clean, so that the
// pool can give them back (no TIME-WAIT, no changed sysctl, ...): found by
// running each twice and seeing whether the second run made a namespace.
// Here the pool's gain shows undiluted. Made on the benchmark thread, after
// the sandbox is entered.
const std::vector<Program>& reusable_mix() {
  static const std::vector<Program> programs = [] {
    std::vector<Program> kept;
    for (const Program& p : mix()) {
      run_scenario(p, Mode::Kernel, DriverConfig{});
      const auto before = oracle::namespace_stats().created;
      run_scenario(p, Mode::Kernel, DriverConfig{});
      if (oracle::namespace_stats().created == before) kept.push_back(p);
    }
    return kept;
  }();
  return programs;
}

std::size_t lines_of(const std::vector<Program>& programs) {
  std::size_t n = 0;
  for (const Program& p : programs) n += p.lines.size();
  return n;
}

void set_rates(benchmark::State& state, const std::vector<Program>& programs) {
  const double iterations = static_cast<double>(state.iterations());
  state.counters["scenarios_per_s"] =
      benchmark::Counter(iterations * static_cast<double>(programs.size()), benchmark::Counter::kIsRate);
  state.counters["lines_per_s"] =
      benchmark::Counter(iterations * static_cast<double>(lines_of(programs)), benchmark::Counter::kIsRate);
  state.counters["scenarios"] = static_cast<double>(programs.size());
}

// Sequential runs on the benchmark's own thread (its namespace pool lives
// as long as the thread, as in `sockspec run -j1`).
void run_mix(benchmark::State& state, Mode mode, const DriverConfig& config,
             const std::vector<Program>& programs = mix()) {
  const auto before = oracle::namespace_stats();
  int failed = 0;
  for (auto _ : state)
    for (const Program& program : programs) {
      ScenarioVerdict verdict = run_scenario(program, mode, config);
      failed += verdict.error.empty() ? 0 : 1;
      benchmark::DoNotOptimize(verdict);
    }
  set_rates(state, programs);
  const auto after = oracle::namespace_stats();
  const double runs = static_cast<double>(state.iterations() * programs.size());
  state.counters["namespaces_created_per_scenario"] = static_cast<double>(after.created - before.created) / runs;
  state.counters["namespaces_swept_per_scenario"] = static_cast<double>(after.swept - before.swept) / runs;
  state.counters["throttle_waits"] = static_cast<double>(after.throttle_waits - before.throttle_waits);
  state.counters["stopped_scenarios"] = failed;
}

void BM_ModelAlone(benchmark::State& state) { run_mix(state, Mode::Model, DriverConfig{}); }

void BM_KernelPool(benchmark::State& state) { run_mix(state, Mode::Kernel, DriverConfig{}); }

void BM_KernelFresh(benchmark::State& state) {
  DriverConfig config;
  config.oracle.reuse_namespaces = false;
  run_mix(state, Mode::Kernel, config);
  state.counters["awaiting_destruction_after"] = oracle::namespaces_awaiting_destruction();
}

void BM_KernelPoolReusable(benchmark::State& state) { run_mix(state, Mode::Kernel, DriverConfig{}, reusable_mix()); }

void BM_KernelFreshReusable(benchmark::State& state) {
  DriverConfig config;
  config.oracle.reuse_namespaces = false;
  run_mix(state, Mode::Kernel, config, reusable_mix());
}

void BM_Lockstep(benchmark::State& state) { run_mix(state, Mode::Lockstep, DriverConfig{}); }

// `sockspec check -jN`: the mix spread over N worker threads (started per
// iteration, so each pays its first namespace and its /tmp once).
void BM_LockstepJobs(benchmark::State& state) {
  const int jobs = static_cast<int>(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(run_scenarios(mix(), Mode::Lockstep, DriverConfig{}, jobs));
  set_rates(state, mix());
}

// Every file of `dir` that parses as a fuzzer input, as the fuzzer runs it.
std::vector<Program> fuzz_inputs(const std::filesystem::path& dir) {
  std::vector<Program> programs;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = read_input_file(entry.path().string());
    auto program = fuzz::parse_input(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (program) programs.push_back(std::move(*program));
  }
  return programs;
}

void BM_CheckFuzzInputs(benchmark::State& state, const std::vector<Program>* programs) {
  for (auto _ : state) benchmark::DoNotOptimize(run_scenarios(*programs, Mode::Lockstep, DriverConfig{}, 1));
  set_rates(state, *programs);
}

BENCHMARK(BM_ModelAlone)->Unit(benchmark::kMillisecond)->MinTime(1.0);  // CPU time: no waits
BENCHMARK(BM_KernelPool)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_KernelFresh)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_KernelPoolReusable)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_KernelFreshReusable)->Unit(benchmark::kMillisecond)->MinTime(1.0)->UseRealTime();
BENCHMARK(BM_Lockstep)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_LockstepJobs)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

}  // namespace
}  // namespace sockspec

// The sandbox must be entered before any thread exists.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (auto why = sockspec::enter_sandbox()) {
    std::fprintf(stderr, "sockspec_bench: the kernel oracle cannot run here: %s\n", why->c_str());
    return 3;
  }
  std::vector<sockspec::Program> fuzz_programs;
  if (const char* dir = std::getenv("SOCKSPEC_BENCH_FUZZ_INPUTS"); dir && *dir) {
    fuzz_programs = sockspec::fuzz_inputs(dir);
    benchmark::RegisterBenchmark("BM_CheckFuzzInputs", sockspec::BM_CheckFuzzInputs, &fuzz_programs)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
