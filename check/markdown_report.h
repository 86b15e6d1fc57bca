// `sockspec report DIR` as Markdown (DIR/report.md).
//
// Contract: the figures, then every problem (a finding, or a scenario that
// failed) as a table of its lines with the expectation, the kernel's and the
// model's result and the rules, the divergent lines in bold; then the
// campaign timeline, the solver's classes and the rule coverage, each only
// when the inputs had it. Table cells escape `|`.
#pragma once

#include <string>

#include "check/report_data.h"

namespace sockspec {

std::string markdown_report(const ReportData& data);

}  // namespace sockspec
