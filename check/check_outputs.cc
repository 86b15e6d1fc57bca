#include "check/check_outputs.h"

#include <fmt/format.h>

#include <stdexcept>

#include "check/finding.h"
#include "check/interruption.h"
#include "check/report.h"
#include "scenario/printer.h"

namespace sockspec {

namespace fs = std::filesystem;

namespace {

void open_for_writing(std::ofstream& out, const fs::path& path) {
  out.open(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

nlohmann::json rules_json(const RuleTrace& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (auto r : rules) out.push_back(std::string(r));
  return out;
}

nlohmann::json step_json(const LineVerdict& v) {
  nlohmann::json step = {{"line", v.line->line_no}, {"op", print_operation(*v.line)}, {"rules", rules_json(v.rules)}};
  if (v.expect) step["expect"] = print_expectation(*v.expect);
  if (v.kernel) step["kernel"] = print_result(*v.kernel);
  if (v.model) step["model"] = print_result(*v.model);
  for (auto [key, mark] : {std::pair{"diverged", v.diverged}, {"expectation_failed", v.expectation_failed},
                           {"unsupported", v.unsupported}, {"skipped", v.skipped}})
    if (mark) step[key] = true;
  if (!v.note.empty()) step["note"] = v.note;
  return step;
}

}  // namespace

nlohmann::json verdict_json_with_steps(const ScenarioVerdict& verdict, const std::set<std::string>& known) {
  nlohmann::json j = verdict_json(verdict);
  nlohmann::json steps = nlohmann::json::array();
  std::size_t d = 0;
  for (const LineVerdict& v : verdict.lines) {
    steps.push_back(step_json(v));
    if (!v.diverged) continue;
    // verdict_json lists the divergences in line order, as we meet them
    std::string signature = divergence_signature(*v.line, v);
    j["divergences"][d]["known"] = known.contains(signature);
    j["divergences"][d++]["signature"] = std::move(signature);
  }
  j["steps"] = std::move(steps);
  return j;
}

CheckOutputs::CheckOutputs(CheckOutputOptions options, Mode mode) : options_(std::move(options)), mode_(mode) {
  if (!options_.baseline_path.empty()) baseline_ = read_baseline(options_.baseline_path);
  if (!options_.out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(options_.out_dir, ec);
    open_for_writing(jsonl_, fs::path(options_.out_dir) / "check.jsonl");
    summary_.emplace((fs::path(options_.out_dir) / "check-summary.json").string());
  }
  if (!options_.junit_path.empty()) {
    junit_file_.emplace(options_.junit_path);
    junit_.emplace("sockspec check");
  }
  if (!options_.write_baseline_path.empty()) baseline_file_.emplace(options_.write_baseline_path);
}

bool CheckOutputs::add(const ScenarioVerdict& verdict) {
  ++scenarios_;
  std::vector<BaselineEntry> entries = divergence_entries(verdict);
  divergences_ += static_cast<int>(entries.size());
  bool new_divergence = false;
  std::string known_text;
  for (const BaselineEntry& e : entries) {
    const bool known = baseline_ && baseline_->contains(e.signature);
    new_divergence |= !known;
    if (!known) continue;
    ++known_;
    baseline_seen_.insert(e.signature);
    known_text += fmt::format("known divergence (baseline): {}\n  {}\n", e.seen_at, e.signature);
  }
  const bool failed = !verdict.error.empty() || verdict.expectation_failures() > 0 || new_divergence;
  failed_ += failed;
  partial_ += !failed && verdict.status() == ScenarioStatus::Partial;
  if (jsonl_.is_open()) {
    jsonl_ << verdict_json_with_steps(verdict, baseline_ ? *baseline_ : std::set<std::string>{}).dump() << '\n';
    jsonl_.flush();  // a report of an interrupted run still reads every finished scenario
  }
  if (junit_) junit_->add(verdict, failed, known_text);
  if (junit_) junit_->set_kernel(verdict.profile.describe());
  kernel_ = verdict.profile;
  if (!options_.write_baseline_path.empty())
    all_divergences_.insert(all_divergences_.end(), entries.begin(), entries.end());
  return failed;
}

void CheckOutputs::finish(const RunEnd& end, std::FILE* notes) {
  if (summary_) {
    const char* mode = mode_ == Mode::Lockstep ? "check" : mode_ == Mode::Kernel ? "run" : "model";
    nlohmann::json summary = {{"mode", mode},          {"scenarios", scenarios_}, {"failed", failed_},
                              {"partial", partial_},   {"divergences", divergences_}, {"known_divergences", known_},
                              {"seconds", end.seconds}, {"kernel", kernel_.name()},
                              {"kernel_described", kernel_.describe()}};
    if (end.signal != 0) {
      summary["interrupted"] = signal_name(end.signal);
      summary["scenarios_not_run"] = end.not_run;
      summary["stopped_at"] = end.stopped_at;
    }
    summary_->commit(summary.dump(1) + "\n");
  }
  if (junit_) {
    if (end.signal != 0)
      junit_->set_interrupted(fmt::format("{}: {}; {} scenario(s) not run", signal_name(end.signal), end.stopped_at,
                                          end.not_run));
    junit_file_->commit(junit_->xml(end.seconds));
  }
  if (baseline_file_) {
    baseline_file_->commit(baseline_text(all_divergences_));
    fmt::print(notes, "baseline: {} divergence(s) written to {}\n", all_divergences_.size(),
               options_.write_baseline_path);
  }
  if (!baseline_) return;
  if (known_ > 0) fmt::print(notes, "baseline: {} known divergence(s) accepted\n", known_);
  for (const std::string& signature : *baseline_)
    if (!baseline_seen_.contains(signature))
      fmt::print(notes, "baseline: not seen in this run (fixed? remove it from {}): {}\n", options_.baseline_path,
                 signature);
}

}  // namespace sockspec
