// `sockspec run | model | check | rules`: scenarios on the kernel, on the
// model, or both in lockstep.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "check/check_outputs.h"
#include "check/driver.h"
#include "check/files.h"
#include "check/guest_run.h"
#include "check/gvisor_findings.h"
#include "check/interruption.h"
#include "check/parallel.h"
#include "check/progress.h"
#include "check/report.h"
#include "check/rule_usage.h"
#include "check/verdict_codec.h"
#include "guest/gvisor.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"
#include "tools/limit_options.h"

namespace sockspec::cli {

namespace {

struct ScenarioOptions {
  std::vector<std::string> paths;
  DriverConfig driver;
  ScenarioLimits limits;  // --max-*
  bool json = false;
  bool verbose = false;
  int jobs = default_jobs();
  CheckOutputOptions outputs;  // check: --out, --junit, --baseline, --write-baseline
  // --kernel: run/check: "" or "host", else a kernel to boot in a guest
  // (check/guest_run.h); model: the profile to answer for ("" the reference).
  std::string kernel;
  bool verdict_stream = false;  // --verdict-stream: verdicts as data (what a guest sends back)
  std::string isolated_by;      // --isolated-by gvisor:VERSION: what the gVisor launcher declares
};

void add_common_options(CLI::App* cmd, ScenarioOptions& o) {
  cmd->add_option("paths", o.paths, "scenario files (.scn) or directories (searched recursively)")->required();
  cmd->add_option("--settle-ms", o.driver.oracle.settle_ms,
                  "how long `connect` waits for a handshake before it answers `pending`")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--delivery-ms", o.driver.oracle.delivery_ms,
                  "how long recv/accept/sockatmark/poll wait for data still in flight")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--loopback-delivery-ms", o.driver.oracle.loopback_delivery_ms,
                  "the same wait where only loopback carries the data (0: none, loopback delivers at once; "
                  "a --kernel guest waits 10 ms unless set)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--time-limit-ms", o.driver.time_limit_ms,
                  "per-scenario time limit; a scenario over it is stopped and reported")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 3600 * 1000));
  cmd->add_option("-j,--jobs", o.jobs, "scenarios run at once, one worker thread each (output keeps the input order)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--verdict-stream", o.verdict_stream,
                "print each verdict as one JSON record of check/verdict_codec.h (what a guest sends back)")
      ->group("");  // internal: not in --help
  cmd->add_option("--isolated-by", o.isolated_by,
                  "gvisor:RUNSC_VERSION: this run is inside a gVisor sandbox (what --kernel gvisor passes in)")
      ->check([](const std::string& v) {
        return v.starts_with("gvisor:") && v.size() > 7 ? std::string() : "expected gvisor:RUNSC_VERSION, got " + v;
      })
      ->group("");  // internal: not in --help
  add_limit_options(cmd, o.limits);
}

void add_kernel_option(CLI::App* cmd, ScenarioOptions& o, bool model) {
  if (model)
    cmd->add_option("--kernel", o.kernel,
                    "answer for this kernel: 6.1, 6.12.113, 6.18+tcp-role-lock, or host (measured here); "
                    "default: the reference profile (docs/kernels.md)");
  else
    cmd->add_option("--kernel", o.kernel,
                    "the kernel to run on: host (default), 6.1 or 6.12 (Debian's, booted under qemu, fetched "
                    "once into the cache), the path of a vmlinuz (docs/kernels.md), or gvisor (gVisor's "
                    "netstack under runsc, docs/gvisor.md)");
}

// The profile `model --kernel NAME` answers for; nullopt after reporting a
// bad name (exit 2) or a host that cannot be measured (exit 3).
std::optional<KernelProfile> model_profile(const std::string& name) {
  if (name.empty()) return reference_kernel_profile();
  if (name == "host") {
    if (auto why = enter_sandbox()) {
      fmt::print(stderr, "sockspec: measuring the host kernel needs the oracle, which cannot run here: {}\n", *why);
      exit_code() = kNoOracle;
      return std::nullopt;
    }
    return host_kernel_profile();
  }
  if (auto p = parse_kernel_profile(name)) return p;
  std::string variants;
  for (const auto& v : kernel_variant_names()) variants += fmt::format(" +{}", v.name);
  fmt::print(stderr, "sockspec: --kernel {}: expected host or a version such as 6.1 or 6.12.113, optionally with "
                     "variants:{}\n", name, variants);
  exit_code() = kBadInput;
  return std::nullopt;
}

// Parses every file first: on a parse error nothing runs (exit 2).
std::optional<std::vector<Program>> load_or_report(const std::vector<std::string>& paths,
                                                   const ScenarioLimits& limits) {
  try {
    return load_programs(expand_scenario_paths(paths), limits);
  } catch (const ParseError& e) {
    fmt::print(stderr, "{}\n", e.what());
  } catch (const NoScenarios& e) {
    fmt::print(stderr, "sockspec: warning: {}\n", e.what());
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
  }
  exit_code() = kBadInput;
  return std::nullopt;
}

// `run|check --kernel K`: the run in a guest; false (exit code set) when it
// could not be had.
bool run_guest_or_report(const ScenarioOptions& o, Mode mode, const DriverConfig& driver,
                         const std::vector<Program>& programs, const std::function<void(ScenarioVerdict&&)>& on_verdict) {
  auto progress = [](std::string_view message) { fmt::print(stderr, "sockspec: {}\n", message); };
  try {
    const GuestRunReport r = run_in_kernel_guest(o.kernel, programs, mode, driver, o.jobs, on_verdict, progress);
    if (r.gvisor)
      fmt::print(stderr, "sockspec: {} scenarios on {} (runsc do): {:.1f} s\n", r.verdicts, r.release,
                 r.total_seconds);
    else
      fmt::print(stderr, "sockspec: {} scenarios on {} in a qemu guest: {:.1f} s, boot {:.1f} s\n", r.verdicts,
                 r.release, r.total_seconds, r.boot_seconds);
    return true;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "sockspec: --kernel {}: {}\n", o.kernel, e.what());
    exit_code() = kBadInput;
  } catch (const GuestUnavailable& e) {
    fmt::print(stderr, "sockspec: --kernel {}: {}\n", o.kernel, e.what());
    exit_code() = kNoOracle;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: --kernel {}: {}\n", o.kernel, e.what());
    exit_code() = kNoOracle;
  }
  return false;
}

bool enter_sandbox_or_report() {
  if (auto why = enter_sandbox()) {
    fmt::print(stderr, "sockspec: the kernel oracle cannot run here: {}\n", *why);
    exit_code() = kNoOracle;
    return false;
  }
  return true;
}

// What the verdicts of a run came to.
struct RunCounts {
  int passed = 0, partial = 0, unrunnable = 0, failed = 0;  // passed excludes partial and unrunnable
  std::string stopped_at;                   // the scenario an interruption stopped, and where

  int scenarios() const { return passed + partial + unrunnable + failed; }
  void count(const ScenarioVerdict& verdict, bool failed_run) {
    if (failed_run) ++failed;
    else if (verdict.status() == ScenarioStatus::Partial) ++partial;
    else if (verdict.status() == ScenarioStatus::Unrunnable) ++unrunnable;
    else ++passed;
    if (verdict.interrupted) stopped_at = fmt::format("{}: {}", verdict.file, verdict.error);
  }
};

void print_verdict(const ScenarioOptions& o, Mode mode, const ScenarioVerdict& verdict) {
  if (o.verdict_stream) {
    fmt::print("{}\n", encode_verdict(verdict).dump());
  } else if (o.json) {
    fmt::print("{}\n", verdict_json(verdict).dump());
  } else if (mode == Mode::Lockstep && !o.verbose) {
    fmt::print("{}", verdict_text_summary(verdict, mode));
  } else {
    fmt::print("{}\n", verdict_text_full(verdict, mode));
  }
  std::fflush(stdout);
}

// `3 passed, 1 PARTIAL, 0 failed on KERNEL`, and for an interrupted run
// where it stopped and how many scenarios it left unrun (on stderr too, so
// that --json output keeps one object a line).
void print_summary(const ScenarioOptions& o, Mode mode, const RunCounts& counts, const RunEnd& end,
                   const std::string& kernel) {
  std::string interrupted;
  if (end.signal != 0) {
    interrupted = fmt::format("interrupted by {}: {} of {} scenario(s) not run", signal_name(end.signal), end.not_run,
                              end.not_run + counts.scenarios());
    if (!end.stopped_at.empty()) interrupted += fmt::format("; stopped in {}", end.stopped_at);
    fmt::print(stderr, "sockspec: {}\n", interrupted);
  }
  if (o.json || o.verdict_stream) return;
  std::string partial = counts.partial ? fmt::format("{} PARTIAL (lines unsupported by the model), ", counts.partial) : "";
  if (counts.unrunnable)
    partial += fmt::format("{} UNRUNNABLE (the kernel under test cannot run them as written), ", counts.unrunnable);
  fmt::print("{} passed, {}{} failed{}{}\n", counts.passed, partial, counts.failed,
             kernel.empty() ? "" : (mode == Mode::Model ? " (the model answering for " + kernel + ")" : " on " + kernel),
             interrupted.empty() ? "" : "; " + interrupted);
}

void run_all(const ScenarioOptions& o, Mode mode) {
  auto programs = load_or_report(o.paths, o.limits);
  if (!programs) return;
  DriverConfig driver = o.driver;
  if (mode == Mode::Model) {
    driver.profile = model_profile(o.kernel);
    if (!driver.profile) return;
  }
  const bool in_guest = mode != Mode::Model && !o.kernel.empty() && o.kernel != "host";
  std::optional<CheckOutputs> outputs;  // before the sandbox: it changes the working directory
  // --out DIR on gVisor: DIR/gvisor-findings/ (check/gvisor_findings.h)
  const std::filesystem::path gvisor_findings_dir =
      o.kernel == kGvisorKernelName && mode == Mode::Lockstep && !o.outputs.out_dir.empty()
          ? std::filesystem::absolute(o.outputs.out_dir) / "gvisor-findings"
          : std::filesystem::path();
  try {
    outputs.emplace(o.outputs, mode);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  if (!o.isolated_by.empty()) declare_isolated_by_gvisor(o.isolated_by.substr(7));
  if (mode != Mode::Model && !in_guest && !enter_sandbox_or_report()) return;
  InterruptWatch interrupt;  // after the sandbox: it starts a thread
  driver.stop_signal = &interrupt.signal();
  RunCounts counts;
  std::string kernel;  // the profile the verdicts were for, described
  const auto start = std::chrono::steady_clock::now();
  ProgressMeter progress(programs->size());  // only when stderr is a terminal
  std::size_t next_program = 0;  // verdicts come in the programs' order
  auto on_verdict = [&](ScenarioVerdict&& verdict) {
    const bool failed = outputs->add(verdict);
    if (!gvisor_findings_dir.empty() && next_program < programs->size()) try {
        record_gvisor_findings(gvisor_findings_dir, (*programs)[next_program], verdict, driver.oracle);
      } catch (const std::exception& e) {
        fmt::print(stderr, "sockspec: {}\n", e.what());
      }
    ++next_program;
    counts.count(verdict, failed);
    kernel = verdict.profile.describe();
    progress.finish();  // clear the status line before printing
    print_verdict(o, mode, verdict);
    progress.advance(verdict.file);
  };
  if (in_guest) {
    if (!run_guest_or_report(o, mode, driver, *programs, on_verdict)) return;
  } else {
    run_scenarios(*programs, mode, driver, o.jobs, on_verdict);
  }
  progress.finish();
  RunEnd end{std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), interrupt.signal(),
             static_cast<int>(programs->size()) - counts.scenarios(), counts.stopped_at};
  try {
    outputs->finish(end, stderr);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
    counts.failed++;
  }
  print_summary(o, mode, counts, end, kernel);
  exit_code() = end.signal != 0 ? 128 + end.signal : counts.failed == 0 ? kOk : kFailed;
}

// `sockspec rules`: how many corpus lines cite each rule.
void list_rules(const std::vector<std::string>& paths, const ScenarioLimits& limits, bool model_only, bool require_all) {
  auto programs = load_or_report(paths, limits);
  if (!programs) return;
  Mode mode = model_only ? Mode::Model : Mode::Lockstep;
  if (mode == Mode::Lockstep && !enter_sandbox_or_report()) return;
  const RuleUsage usage = count_rule_uses(*programs, mode);
  fmt::print("{}", rule_usage_text(usage));
  exit_code() = (require_all && usage.unexercised() > 0) ? kFailed : kOk;
}

}  // namespace

void add_scenario_commands(CLI::App& app) {
  static ScenarioOptions run_opts, model_opts, check_opts;

  auto* run = app.add_subcommand("run", "run scenarios on the kernel; print every line with its result");
  add_common_options(run, run_opts);
  run->add_flag("--json", run_opts.json, "one JSON object per scenario");
  add_kernel_option(run, run_opts, false);
  run->callback([] { run_all(run_opts, Mode::Kernel); });

  auto* model = app.add_subcommand("model", "run scenarios on the model alone, with the rules it used");
  add_common_options(model, model_opts);
  model->add_flag("--json", model_opts.json, "one JSON object per scenario");
  add_kernel_option(model, model_opts, true);
  model->callback([] { run_all(model_opts, Mode::Model); });

  auto* check = app.add_subcommand(
      "check", "model and kernel in lockstep; exit 0 when they agree and every expectation holds");
  add_common_options(check, check_opts);
  check->add_flag("--json", check_opts.json, "one JSON object per scenario (schema: docs/reports.md)");
  check->add_flag("-v,--verbose", check_opts.verbose, "print every line, not only the ones that fail");
  add_kernel_option(check, check_opts, false);
  check->add_option("--plant-fault", check_opts.driver.planted_fault,
                    "mutation testing: make the model answer wrongly wherever it cites RULE")
      ->check(registered_rule());
  check->add_option("--out", check_opts.outputs.out_dir,
                    "write DIR/check.jsonl (every verdict, line by line) for `sockspec report DIR`");
  check->add_option("--junit", check_opts.outputs.junit_path, "write JUnit XML: a test case per scenario")
      ->check(writable_file());
  check->add_option("--baseline", check_opts.outputs.baseline_path,
                    "accepted divergences (docs/reports.md): fail only on divergences not in FILE");
  check->add_option("--write-baseline", check_opts.outputs.write_baseline_path,
                    "write every divergence of this run into FILE as a baseline")
      ->check(writable_file());
  check->callback([] { run_all(check_opts, Mode::Lockstep); });

  static std::vector<std::string> rule_paths{"corpus"};
  static bool model_only = false, require_all = false;
  static ScenarioLimits rule_limits;
  auto* rules = app.add_subcommand("rules", "every spec rule with how many corpus lines exercise it");
  rules->add_option("paths", rule_paths, "scenarios to count over")->capture_default_str();
  rules->add_flag("--model-only", model_only, "count on the model alone (no kernel needed)");
  rules->add_flag("--require-all", require_all, "exit 1 when a rule is exercised by no line");
  add_limit_options(rules, rule_limits);
  rules->callback([] { list_rules(rule_paths, rule_limits, model_only, require_all); });
}

}  // namespace sockspec::cli
