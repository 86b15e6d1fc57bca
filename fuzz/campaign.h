// A differential fuzzing campaign (`sockspec fuzz`, docs/fuzzing.md).
//
// Contract: run_campaign runs the libFuzzer target
// (fuzz/targets/differential_fuzzer.cc, or model_fuzzer) in fork mode, from
// a working corpus seeded with scenario files, in these steps:
//   1. prepare: the work directory's corpus, findings, pending and a
//      campaign.<host>.<pid> directory (working corpus, stats, TMPDIR,
//      minimize logs), held locked while the campaign runs;
//   2. seed: every seed scenario copied into the working corpus;
//   3. fuzz: libFuzzer with the campaign's flags, its output into
//      WORKDIR/last-campaign.log, a progress line about once a second, and
//      every sample_seconds a sample of what its processes hold (RSS, fds,
//      network namespaces; fuzz/resource_sampler.h) into the log;
//   4. merge: what found new coverage into the persistent corpus
//      (-merge=1), with the working corpora of killed campaigns, whose
//      directories it then removes;
//   5. minimize: the divergences the fuzzing processes set aside
//      (WORKDIR/pending) minimized and recorded as findings (check/finding.h);
//   6. summarize: the figures, the kernel the fuzzing processes' model
//      answered for, the new findings and their root-cause families
//      (check/finding_families.h), known or new.
// Progress and the fuzzer's finding lines go to `report` (stderr in the
// command). Throws CampaignError when the fuzzer binary cannot be found.
//
// Several campaigns may share one work directory at once, on one machine or
// on several that mount it (docs/fuzzing.md, "Several machines"): each holds
// an flock on its campaign.<host>.<pid>/lock while it (or its fuzzer) runs,
// so another campaign takes over only the directories of campaigns that
// died (and only one campaign takes each); merges into the persistent
// corpus hold <corpus>.merge-lock; findings are written atomically under
// the hash of their signature (check/finding.h), so one signature is one
// file whoever finds it.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "check/finding_families.h"

namespace sockspec::fuzz {

struct CampaignOptions {
  int seconds = 60;
  long runs = -1;  // libFuzzer -runs; -1: no limit
  int jobs = 1;
  std::vector<std::string> seeds{"corpus"};
  std::string workdir = "out/fuzz";
  std::string corpus;    // default: WORKDIR/corpus
  std::string findings;  // default: WORKDIR/findings
  std::string fuzzer;    // default: next to sockspec, or build-fuzz/
  bool model_only = false;
  int sample_seconds = 30;  // how often the fuzzer processes' RSS, fds and namespaces are sampled
  bool abort_on_finding = false;  // SOCKSPEC_FUZZ_ABORT=1: libFuzzer's crash flow takes over
  KnownFamilies known_families;   // --known-families
  std::string planted_fault;      // --plant-fault: SOCKSPEC_FUZZ_PLANT_FAULT for every fuzzer process
  std::vector<std::string> libfuzzer_args;
};

struct CampaignError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct CampaignResult {
  nlohmann::json summary;                  // the figures `--json` prints
  std::vector<std::string> new_findings;   // .scn paths written by this campaign
  std::vector<FindingFamily> families;     // of the new findings
  int fuzzer_exit = 0;                     // 3: the fuzzer could not enter its sandbox
  std::filesystem::path log;               // WORKDIR/last-campaign.log
  // Nothing new: no finding outside the known families, and the fuzzer ended well.
  bool clean() const;
};

CampaignResult run_campaign(const CampaignOptions& o, const std::function<void(std::string_view)>& report);

// The fuzzer binary the campaign runs (--fuzzer, else next to sockspec, else
// build-fuzz/), absolute; CampaignError, saying how to build it, when missing.
std::filesystem::path fuzzer_binary(const CampaignOptions& o);

// The root-cause families of these finding files (a file that cannot be read
// or parsed any more is left out).
std::vector<FindingFamily> families_of(const std::vector<std::string>& files, const KnownFamilies& known);

// The summary as the text `sockspec fuzz` prints.
std::string campaign_text(const CampaignResult& r);

}  // namespace sockspec::fuzz
