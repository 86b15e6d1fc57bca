#include "check/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace sockspec {
namespace {

// The profile run_scenario would have named: the kernel's measured one when
// it has been measured, else the one asked for, else the reference.
KernelProfile profile_of_stopped_run(Mode mode, const DriverConfig& config) {
  if (config.profile) return *config.profile;
  if (mode == Mode::Model || !in_sandbox()) return reference_kernel_profile();
  try {
    return host_kernel_profile();
  } catch (const std::exception&) {
    return reference_kernel_profile();
  }
}

ScenarioVerdict run_one(const Program& program, Mode mode, const DriverConfig& config) {
  try {
    return run_scenario(program, mode, config);
  } catch (const std::exception& e) {
    // every line, none run: a verdict streamed from a guest keeps the
    // program's shape (check/verdict_codec.h), and the profile it was for
    ScenarioVerdict verdict;
    verdict.file = program.file;
    verdict.error = e.what();
    verdict.profile = profile_of_stopped_run(mode, config);
    for (const Line& line : program.lines) {
      LineVerdict& v = verdict.lines.emplace_back();
      v.line = &line;
      v.skipped = true;
    }
    return verdict;
  }
}

bool stopped(const DriverConfig& config) { return config.stop_signal && config.stop_signal->load() != 0; }

// Verdicts finished by the workers, waiting to be handed out in order; a
// scenario not run (the run was interrupted before it started) is nullopt.
class InOrderQueue {
 public:
  explicit InOrderQueue(std::size_t n) : slots_(n) {}

  void put(std::size_t index, std::optional<ScenarioVerdict>&& verdict) {
    {
      std::lock_guard lock(mutex_);
      slots_[index].emplace(std::move(verdict));  // engaged, even when the verdict is not
    }
    ready_.notify_one();
  }

  std::optional<ScenarioVerdict> take(std::size_t index) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return slots_[index].has_value(); });
    std::optional<ScenarioVerdict> verdict = std::move(*slots_[index]);
    slots_[index].reset();
    return verdict;
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<std::optional<std::optional<ScenarioVerdict>>> slots_;
};

}  // namespace

int default_jobs() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

void run_scenarios(const std::vector<Program>& programs, Mode mode, const DriverConfig& config, int jobs,
                   const std::function<void(ScenarioVerdict&&)>& on_verdict) {
  const std::size_t workers = std::min<std::size_t>(static_cast<std::size_t>(std::max(jobs, 1)), programs.size());
  if (workers <= 1) {
    for (const Program& program : programs) {
      if (stopped(config)) return;
      on_verdict(run_one(program, mode, config));
    }
    return;
  }
  InOrderQueue finished(programs.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::jthread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w)
    threads.emplace_back([&] {
      for (std::size_t i; (i = next.fetch_add(1)) < programs.size();)
        finished.put(i, stopped(config) ? std::nullopt : std::optional(run_one(programs[i], mode, config)));
    });
  for (std::size_t i = 0; i < programs.size(); ++i) {
    std::optional<ScenarioVerdict> verdict = finished.take(i);
    if (!verdict) return;  // interrupted: this one and every later one not run (the workers drain the rest)
    on_verdict(std::move(*verdict));
  }
}

std::vector<ScenarioVerdict> run_scenarios(const std::vector<Program>& programs, Mode mode,
                                           const DriverConfig& config, int jobs) {
  std::vector<ScenarioVerdict> verdicts;
  verdicts.reserve(programs.size());
  run_scenarios(programs, mode, config, jobs, [&](ScenarioVerdict&& v) { verdicts.push_back(std::move(v)); });
  return verdicts;
}

}  // namespace sockspec
