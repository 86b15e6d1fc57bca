// `sockspec report DIR` as one self-contained HTML page (DIR/report.html).
//
// Contract: the same content as the Markdown report (check/markdown_report.h)
// in a page with inline CSS and no external assets, scripts or fonts, so it
// opens anywhere, offline, and can be attached to a CI run. Each problem is
// an <section class="problem" id="problem-N" data-file=... data-signature=...>
// holding a table of its lines (a divergent row has class "diverged").
// The campaign timeline is an inline SVG plot of edge coverage and findings
// over time. Every text from the inputs is escaped.
#pragma once

#include <string>
#include <vector>

#include "check/report_data.h"

namespace sockspec {

std::string html_report(const ReportData& data);

// The <svg> plot of coverage (left axis) and findings (right axis) over the
// campaign's seconds; "" for an empty timeline.
std::string timeline_svg(const std::vector<CampaignPoint>& timeline);

}  // namespace sockspec
