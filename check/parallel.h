// Running many scenarios at once: scenarios are independent, so they are
// spread over worker threads (in-process; no fork per scenario).
//
// Contract: run_scenarios runs every program with run_scenario on up to
// `jobs` threads and hands each verdict to on_verdict on the calling thread,
// in input order, as soon as it and every verdict before it are done. The
// verdicts are exactly those of a sequential run: each scenario gets its own
// KernelRun on its worker thread, and every worker has its own /tmp, its
// own namespace pool and its own SIGURG count (oracle/oracle.h,
// oracle/sandbox.h). jobs <= 1 runs on the calling thread. A scenario that
// throws (the oracle cannot make a namespace) gets a verdict whose `error`
// says why, instead of ending the process. When config.stop_signal is set
// (an interrupted run), scenarios not yet started are not run: on_verdict
// gets the verdicts up to the first of them, in order, and no later one.
#pragma once

#include <functional>
#include <vector>

#include "check/driver.h"

namespace sockspec {

// The number of cores: the default for `-j`.
int default_jobs();

void run_scenarios(const std::vector<Program>& programs, Mode mode, const DriverConfig& config, int jobs,
                   const std::function<void(ScenarioVerdict&&)>& on_verdict);

// The same, collecting the verdicts in input order.
std::vector<ScenarioVerdict> run_scenarios(const std::vector<Program>& programs, Mode mode,
                                           const DriverConfig& config, int jobs);

}  // namespace sockspec
