// Findings about gVisor: lines where gVisor's netstack gives a result the
// Linux model does not allow, written as finding files whose C reproducer
// runs under `runsc do` (docs/gvisor.md).
//
// Contract: record_gvisor_findings takes a lockstep verdict of `program` run
// on gVisor (is_gvisor_release(verdict.profile.release)) and writes, for
// each divergence signature it shows that `dir` does not hold yet, the
// finding <dir>/<id>.scn and <id>.c (check/finding.h record_finding: the
// .scn's header names the line, gVisor's result, Linux's (the model's) and
// the Linux rules that decided it). Returns the .scn paths written. A
// verdict of any other kernel writes nothing.
#pragma once

#include <filesystem>
#include <vector>

#include "check/driver.h"

namespace sockspec {

std::vector<std::filesystem::path> record_gvisor_findings(const std::filesystem::path& dir, const Program& program,
                                                          const ScenarioVerdict& verdict,
                                                          const OracleConfig& config = {});

}  // namespace sockspec
