// run_scenario: the line loop shared by `run`, `model` and `check`.
#include "check/driver.h"

#include <cerrno>
#include <chrono>
#include <fmt/format.h>

#include <set>
#include <variant>

#include "check/interruption.h"
#include "scenario/match.h"
#include "scenario/printer.h"

namespace sockspec {

namespace {

using Clock = std::chrono::steady_clock;

int count(const ScenarioVerdict& v, bool LineVerdict::*flag) {
  int n = 0;
  for (const auto& line : v.lines) n += (line.*flag) ? 1 : 0;
  return n;
}

// The result expectations are matched against: the kernel's, unless only the
// model ran.
const Result& observed(const LineVerdict& v) { return v.kernel ? *v.kernel : *v.model; }

// A result that differs from `right`: what a wrong rule would answer.
Result planted_wrong(const Result& right) {
  return right.kind == Result::Kind::Ok ? Result::err(EPERM) : Result::ok();
}

// Sockets whose history the model lost because a line on them was outside
// the model: later lines on them (and `ss`, which shows every socket) are
// reported unsupported too, instead of as divergences the model could not
// have avoided.
// A name given to a new socket the model does track is tracked again (the
// lost socket lives on unnamed, so `ss` stays unsupported).
struct Untracked {
  std::set<std::string, std::less<>> names;
  int first_line = 0;  // 0: nothing lost yet

  bool covers(const Line& line) const {
    if (first_line == 0) return false;
    return names.contains(line.socket) || std::holds_alternative<op::Ss>(line.op);
  }
  void add(const Line& line) {
    if (first_line == 0) first_line = line.line_no;
    if (!line.socket.empty()) names.insert(line.socket);
    names.insert(line.names.begin(), line.names.end());
  }
  void renamed(const Line& line) {
    for (const auto& name : line.names) names.erase(name);
  }
};

// Runs one line on the kernel and/or the model and fills in the verdict.
void step_line(const Line& line, KernelRun* kernel, Model* model, const std::string& planted_fault,
               Untracked& untracked, LineVerdict& v) {
  if (kernel) {
    v.kernel = kernel->execute(line);
    // A line the kernel could not run (`uid` without privilege) is not run
    // on the model either: both must keep seeing the same history.
    if (v.kernel->kind == Result::Kind::Skip) {
      v.skipped = true;
      return;
    }
  }
  if (!model) return;
  if (untracked.covers(line)) {
    untracked.add(line);
    v.unsupported = true;
    v.note = fmt::format("acts on a socket the model lost track of at line {}", untracked.first_line);
    return;
  }
  std::optional<Observation> seen;
  if (kernel) seen = kernel->observe(line);
  Step step = model->step(line, seen ? &*seen : nullptr);
  v.model = std::move(step.result);
  v.rules = step.rules;
  v.unsupported = step.unsupported;
  v.note = std::move(step.note);
  if (!planted_fault.empty() && v.rules.contains(planted_fault)) {
    v.model = planted_wrong(*v.model);
    v.note = "planted fault in " + planted_fault;
  }
  if (v.unsupported) untracked.add(line);
  else untracked.renamed(line);
  if (kernel && !v.unsupported) v.diverged = !(*v.model == *v.kernel);
  if (!kernel && v.model->kind == Result::Kind::Skip) v.skipped = true;
}

}  // namespace

int ScenarioVerdict::expectation_failures() const { return count(*this, &LineVerdict::expectation_failed); }
int ScenarioVerdict::divergences() const { return count(*this, &LineVerdict::diverged); }
int ScenarioVerdict::unsupported() const { return count(*this, &LineVerdict::unsupported); }

int ScenarioVerdict::skipped() const {
  int n = 0;
  for (const auto& line : lines) n += line.skipped && !line.unsupported;
  return n;
}

ScenarioStatus ScenarioVerdict::status() const {
  if (!passed()) return ScenarioStatus::Fail;
  if (!limitation.empty()) return ScenarioStatus::Unrunnable;
  return unsupported() > 0 ? ScenarioStatus::Partial : ScenarioStatus::Pass;
}

const char* status_word(ScenarioStatus status) {
  switch (status) {
    case ScenarioStatus::Pass: return "PASS";
    case ScenarioStatus::Partial: return "PARTIAL";
    case ScenarioStatus::Unrunnable: return "UNRUNNABLE";
    case ScenarioStatus::Fail: return "FAIL";
  }
  return "FAIL";
}

namespace {

// `not runnable on gVisor runsc 20221219: line 5 (ns b): setns(2) ...`
std::string limitation_text(const KernelProfile& profile, const Line& line, std::string_view what) {
  const std::string target = is_gvisor_release(profile.release) ? profile.release : "this kernel";
  return fmt::format("not runnable on {}: line {} ({}): {}", target, line.line_no, print_operation(line), what);
}

}  // namespace

ScenarioVerdict run_scenario(const Program& program, Mode mode, const DriverConfig& config) {
  ScenarioVerdict verdict;
  verdict.file = program.file;
  verdict.lines.reserve(program.lines.size());

  std::optional<KernelRun> kernel;
  if (mode != Mode::Model) kernel.emplace(config.oracle);
  const KernelProfile profile = config.profile    ? *config.profile
                                : mode != Mode::Model ? host_kernel_profile()
                                                      : reference_kernel_profile();
  verdict.profile = profile;
  std::optional<Model> model;
  if (mode != Mode::Kernel) model.emplace(profile);

  Bindings bindings;
  Untracked untracked;
  const auto deadline = Clock::now() + std::chrono::milliseconds(config.time_limit_ms);
  for (const Line& line : program.lines) {
    LineVerdict& v = verdict.lines.emplace_back();
    v.line = &line;
    if (!verdict.error.empty() || !verdict.limitation.empty()) {
      v.skipped = true;
      continue;
    }
    if (config.stop_signal && config.stop_signal->load() != 0) {
      verdict.error = fmt::format("interrupted by {} before line {}", signal_name(*config.stop_signal), line.line_no);
      verdict.interrupted = true;
      v.skipped = true;
      continue;
    }
    if (Clock::now() > deadline) {
      verdict.error = fmt::format("stopped at line {}: the scenario exceeded its time limit of {} ms",
                                  line.line_no, config.time_limit_ms);
      v.skipped = true;
      continue;
    }
    std::optional<Line> resolved;
    if (has_variables(line)) {
      std::string unbound;
      resolved = resolve(line, bindings, &unbound);
      if (!resolved) {
        v.skipped = true;
        v.note = fmt::format("${} has no value: the expectation that should bind it did not hold", unbound);
        continue;
      }
    }
    if (config.before_model_step && model) config.before_model_step(resolved ? *resolved : line, *model);
    try {
      step_line(resolved ? *resolved : line, kernel ? &*kernel : nullptr, model ? &*model : nullptr,
                config.planted_fault, untracked, v);
    } catch (const TargetLimitation& e) {
      verdict.limitation = limitation_text(profile, line, e.what());
      v = LineVerdict();
      v.line = &line;
      v.skipped = true;
      v.note = e.what();
      continue;
    }
    const Expectation* expect = expectation_for(line, profile);
    v.expect = expect;
    if (!expect) continue;
    const Result& result = observed(v);
    // `-> skip` holds for a skipped line; any other expectation is not
    // judged on a line that could not run here.
    MatchLimit limit{deadline};
    if (v.skipped && result.kind == Result::Kind::Skip && !matches(*expect, result, bindings, &limit)) continue;
    v.expectation_failed = !matches(*expect, result, bindings, &limit);
    if (limit.exceeded)
      verdict.error = fmt::format("stopped at line {}: matching its expectation exceeded the time limit of {} ms",
                                  line.line_no, config.time_limit_ms);
  }
  return verdict;
}

}  // namespace sockspec
