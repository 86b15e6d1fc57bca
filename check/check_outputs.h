// The files a `check` run writes besides its standard output.
//
// Contract: CheckOutputs sees every verdict of a run, in order, and
// - with a baseline (check/baseline.h), decides which verdicts still fail:
//   a scenario whose only faults are divergences the baseline knows passes;
// - with --out DIR, appends one JSON object per scenario to DIR/check.jsonl
//   as it goes (DESIGN.md's `check --json` object, each divergence with its
//   `signature` and whether the baseline `known`s it, plus `steps`: every
//   line with its operation, expectation, kernel and model results, rules
//   and marks) and writes DIR/check-summary.json at the end; `sockspec
//   report DIR` reads both (check/report_data.h). check.jsonl is flushed
//   record by record (a report of an interrupted run reads every finished
//   scenario);
// - with --junit PATH, writes JUnit XML at the end (check/junit.h);
// - with --write-baseline FILE, writes every divergence's signature.
// The summary, JUnit and baseline files are written whole or not at all
// (check/output_file.h): during the run and after a crash they are absent
// or as a previous run left them, never empty or half-written; a run
// interrupted by a signal still writes them, saying so (RunEnd).
// Every file is opened at construction, before the oracle's sandbox
// changes the working directory and gives the process a private /tmp (a
// path under /tmp named later would land there and vanish). Errors (an unreadable baseline, a
// directory that cannot be made) throw std::runtime_error with the path.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "check/baseline.h"
#include "check/driver.h"
#include "check/junit.h"
#include "check/output_file.h"

namespace sockspec {

struct CheckOutputOptions {
  std::string out_dir;
  std::string junit_path;
  std::string baseline_path;
  std::string write_baseline_path;
};

// verdict_json (check/report.h) with `steps` and divergence signatures.
nlohmann::json verdict_json_with_steps(const ScenarioVerdict& verdict, const std::set<std::string>& known = {});

// How a run ended.
struct RunEnd {
  double seconds = 0;
  int signal = 0;           // the signal that interrupted it (check/interruption.h), 0: it ran to the end
  int not_run = 0;          // scenarios an interruption left unrun
  std::string stopped_at;   // the interrupted scenario's `error` (`interrupted by SIGINT before line 7`), with its file
};

class CheckOutputs {
 public:
  CheckOutputs(CheckOutputOptions options, Mode mode);

  // Records the verdict; returns whether it fails the run.
  bool add(const ScenarioVerdict& verdict);

  // Writes the summary, JUnit and baseline files; prints what the baseline
  // did (known divergences seen, signatures no longer seen) on `notes`.
  void finish(const RunEnd& end, std::FILE* notes);

 private:
  CheckOutputOptions options_;
  Mode mode_;
  std::optional<std::set<std::string>> baseline_;
  std::set<std::string> baseline_seen_;
  std::ofstream jsonl_;
  std::optional<OutputFile> summary_, junit_file_, baseline_file_;
  std::optional<JunitReport> junit_;
  std::vector<BaselineEntry> all_divergences_;
  KernelProfile kernel_ = reference_kernel_profile();  // of the verdicts seen
  int scenarios_ = 0, failed_ = 0, partial_ = 0, divergences_ = 0, known_ = 0;
};

}  // namespace sockspec
