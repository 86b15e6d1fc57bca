// Running one scenario: on the kernel, on the model, or both in lockstep.
//
// Contract: run_scenario executes every line in order, resolving variables
// from earlier expectations, and returns a verdict per line. In Lockstep the
// oracle runs each line first and the model then checks the kernel's result
// (adopting the kernel's choices from what the oracle observed, scenario/observation.h); a line diverges
// when the two results differ. Expectations are matched against the kernel's
// result (Kernel, Lockstep) or the model's (Model). A line the kernel skips
// is skipped by the model too. Never throws on a well-formed Program.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "oracle/oracle.h"
#include "scenario/ast.h"

namespace sockspec {

enum class Mode { Kernel, Model, Lockstep };

struct LineVerdict {
  const Line* line = nullptr;
  std::optional<Result> kernel;  // Kernel, Lockstep
  std::optional<Result> model;   // Model, Lockstep
  RuleTrace rules;               // the rules the model used
  bool expectation_failed = false;
  bool diverged = false;
  bool unsupported = false;      // the model does not cover this line
  bool skipped = false;          // `skip`, or not run after an error
  const Expectation* expect = nullptr;  // the expectation held for this kernel (expectation_for), if any
  std::string note;              // the model's note, or why the line was not run
};

// What a scenario's verdict comes to. PARTIAL is a pass of the lines the
// model covers, with some it does not (their results were not compared):
// it does not fail a run, and is never reported as a plain PASS.
// UNRUNNABLE: the kernel under test could not run the scenario to its end
// (a TargetLimitation, oracle/oracle.h): the lines before it were judged and
// agreed, the rest was not run. It does not fail a run either.
enum class ScenarioStatus { Pass, Partial, Unrunnable, Fail };
// PASS, PARTIAL, UNRUNNABLE, FAIL (JSON: the same in lower case)
const char* status_word(ScenarioStatus status);

struct ScenarioVerdict {
  std::string file;
  KernelProfile profile;  // the kernel the lines were run or answered for
  std::vector<LineVerdict> lines;
  std::string error;  // non-empty when the scenario was stopped (time limit, ...)
  bool interrupted = false;  // stopped by a signal (DriverConfig::stop_signal); `error` says before which line
  // Non-empty when the kernel under test cannot run the scenario as written
  // (`not runnable on gVisor runsc 20221219: line 5 ns b: setns(2) ...`):
  // a fact about that kernel, not a fault of the model or the scenario.
  std::string limitation;

  int expectation_failures() const;
  int divergences() const;
  int unsupported() const;
  int skipped() const;  // lines not run (`skip`, after an error, an unbound variable), the unsupported ones aside
  // every expectation held, no divergence, no error
  bool passed() const { return error.empty() && expectation_failures() == 0 && divergences() == 0; }
  ScenarioStatus status() const;
};

struct DriverConfig {
  OracleConfig oracle;
  // The kernel the model answers for and expectations are chosen for
  // (`@COND ->` clauses). Unset: the oracle's measured profile when the
  // kernel runs (host_kernel_profile), the reference profile otherwise.
  std::optional<KernelProfile> profile;
  int time_limit_ms = 10000;  // per scenario
  // Mutation testing: every model step that cites this rule gets a wrong
  // result, as if the rule were written wrong. Shows what the corpus catches
  // (`sockspec check --plant-fault RULE`) and produces a real divergence for
  // tests and demonstrations. Empty: off.
  std::string planted_fault;
  // Called with each line (variables resolved) and the model as it is just
  // before the model steps that line; `sockspec explain` reads the sockets
  // a line met there (check/explain.h). Empty: not called.
  std::function<void(const Line& line, const Model& model)> before_model_step;
  // Set to a signal's number when the run is interrupted (check/interruption.h):
  // checked between lines, the rest of the scenario is not run. Null: never.
  const std::atomic<int>* stop_signal = nullptr;
};

// `program` must outlive the verdict (LineVerdict points into it).
ScenarioVerdict run_scenario(const Program& program, Mode mode, const DriverConfig& config);

}  // namespace sockspec
