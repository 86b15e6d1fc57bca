// `sockspec kernels diff A B`: where Linux changed between two kernels, rule
// by rule, each difference confirmed on both.
//
// Contract: diff_kernels takes the lockstep verdicts of the same programs on
// kernel A and on kernel B (each checked against the model answering for its
// own profile) and returns, per versioned rule (model/kernel_variations.h)
// whose condition holds on one kernel and not on the other, the lines that
// confirm it: lines where both kernels agree with the model, the two kernels'
// results differ, and the side where the rule holds cited it. A rule whose
// conditions differ but that no line confirms is listed as unconfirmed; a
// line where the kernels differ and no versioned rule explains it is listed
// apart (the spec does not know that change yet). Markdown and HTML render it.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "check/driver.h"

namespace sockspec {

struct KernelDifferenceLine {
  std::string file;
  int line_no = 0;
  std::string op, result_a, result_b;
};

struct KernelDifference {
  std::string rule, condition, changed_by;
  bool holds_on_a = false;                  // else on B
  std::vector<KernelDifferenceLine> lines;  // the confirming lines; empty: unconfirmed
};

// A Linux rule another stack breaks (B is gVisor): each scenario's first
// line where gVisor diverged from the model while Linux (A) agreed with it
// and gave another result, under the rules the model decided it by (later
// lines may be consequences: the two stacks' states have parted). result_a
// is Linux's result, result_b gVisor's; one line per scenario.
struct BrokenRule {
  std::string rules;  // the deciding rules, as the verdict lists them
  std::vector<KernelDifferenceLine> lines;
};

struct KernelsDiff {
  KernelProfile a, b;
  int scenarios = 0;
  int disagreeing_a = 0, disagreeing_b = 0;  // scenarios where a kernel and its model disagree
  std::vector<KernelDifference> rules;
  std::vector<KernelDifferenceLine> unexplained;
  int follow_on = 0;  // unexplained lines after an earlier difference in their scenario
  // B is gVisor: the Linux rules it breaks, and the scenarios it cannot run
  // (file and ScenarioVerdict::limitation).
  bool b_is_gvisor = false;
  std::vector<BrokenRule> broken;
  int follow_on_b = 0;  // gVisor's divergent lines after the first of their scenario
  std::vector<std::pair<std::string, std::string>> unrunnable_b;
};

// Whether `kernel` names this host ("host" or "linux", or the host's own
// series by version: `6.18` on a 6.18.44 host); anything else boots a guest
// (or, for "gvisor", starts a runsc sandbox).
bool names_this_host(const std::string& kernel);

// Runs `programs` in lockstep on kernels A and B (guests first: the host's
// run enters the oracle's sandbox for good) and diffs the verdicts. Throws
// GuestUnavailable (check/guest_run.h) when a kernel cannot be had.
KernelsDiff diff_on_kernels(const std::string& a, const std::string& b, const std::vector<Program>& programs,
                            int jobs, const std::function<void(std::string_view)>& progress);

// `a` and `b` are verdicts of the same programs, in the same order. When
// `b` is gVisor's, the diff also lists the Linux rules it breaks.
KernelsDiff diff_kernels(const std::vector<ScenarioVerdict>& a, const std::vector<ScenarioVerdict>& b);
std::string kernels_diff_markdown(const KernelsDiff& diff);
// A whole page; the part a report embeds lies between these two markers.
std::string kernels_diff_html(const KernelsDiff& diff);
inline constexpr std::string_view kKernelsDiffBegin = "<!-- kernels-diff -->", kKernelsDiffEnd = "<!-- /kernels-diff -->";

}  // namespace sockspec
