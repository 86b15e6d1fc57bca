// `sockspec fuzz`: a differential fuzzing campaign (docs/fuzzing.md).
//
// The flags; the campaign itself is fuzz/campaign.h.
#include <fmt/format.h>

#include <cstdlib>
#include <limits>
#include <thread>

#include "fuzz/campaign.h"
#include "fuzz/guest_campaign.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"

namespace sockspec::cli {

namespace {

struct FuzzFlags {
  fuzz::CampaignOptions campaign;
  std::string known_families;
  std::string kernel;  // "" or "host": this machine's kernel; else one to boot in a guest
  bool json = false;
};

// The campaign on the host's kernel, or on --kernel's in a guest; false
// (exit code set, message printed) when the guest could not be had.
bool run_on_kernel(const FuzzFlags& f, fuzz::CampaignResult& r) {
  auto report = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  if (f.kernel.empty() || f.kernel == "host") {
    r = fuzz::run_campaign(f.campaign, report);
    return true;
  }
  try {
    r = fuzz::run_campaign_in_guest(f.kernel, f.campaign, report);
    return true;
  } catch (const fuzz::CampaignError&) {
    throw;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "sockspec fuzz: --kernel {}: {}\n", f.kernel, e.what());
    exit_code() = kBadInput;
  } catch (const std::exception& e) {  // GuestUnavailable, a guest that failed
    fmt::print(stderr, "sockspec fuzz: --kernel {}: {}\n", f.kernel, e.what());
    exit_code() = kNoOracle;
  }
  return false;
}

void fuzz_campaign(FuzzFlags f) {
  const char* abort = std::getenv("SOCKSPEC_FUZZ_ABORT");
  f.campaign.abort_on_finding = abort && std::string(abort) == "1";
  try {
    if (!f.known_families.empty()) f.campaign.known_families = read_known_families(f.known_families);
  } catch (const FamiliesError& e) {
    fmt::print(stderr, "sockspec fuzz: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  fuzz::CampaignResult r;
  try {
    if (!run_on_kernel(f, r)) return;
  } catch (const fuzz::CampaignError& e) {
    fmt::print(stderr, "sockspec fuzz: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  if (r.fuzzer_exit == 3) {
    fmt::print(stderr, "sockspec fuzz: the fuzzer could not enter its sandbox (see {})\n", r.log.string());
    exit_code() = kNoOracle;
    return;
  }
  if (f.json)
    fmt::print("{}\n", r.summary.dump());
  else
    fmt::print("{}", fuzz::campaign_text(r));
  exit_code() = r.clean() ? kOk : kFailed;
}

}  // namespace

void add_fuzz_command(CLI::App& app) {
  static FuzzFlags flags;
  static fuzz::CampaignOptions& o = flags.campaign;
  o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto* cmd = app.add_subcommand("fuzz",
                                 "a differential fuzzing campaign: libFuzzer mutates scenarios, model and kernel "
                                 "run them in lockstep, divergences become minimized findings");
  cmd->add_option("--seconds", o.seconds, "how long the campaign runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--runs", o.runs, "stop after this many executions (libFuzzer -runs)")
      ->check(CLI::Range(1L, std::numeric_limits<long>::max()));
  cmd->add_option("-j,--jobs", o.jobs, "fuzzing processes (libFuzzer -fork=N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  // one directory per --seeds, so that `--seeds DIR -- -flag` hands -flag to libFuzzer
  // (CLI11 2.1 takes a `--` right after a many-valued option as that option's end)
  cmd->add_option("--seeds", o.seeds,
                  "a directory of seed scenarios (.scn, searched recursively), copied into the working corpus; "
                  "repeat for more")
      ->allow_extra_args(false)
      ->capture_default_str()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--workdir", o.workdir, "where the campaign keeps its corpus, findings and log")
      ->capture_default_str()
      ->check(directory_or_absent());
  cmd->add_option("--corpus", o.corpus, "the persistent corpus new inputs are merged into (default WORKDIR/corpus)")
      ->check(directory_or_absent());
  cmd->add_option("--findings", o.findings, "where findings are written (default WORKDIR/findings)")
      ->check(directory_or_absent());
  cmd->add_option("--fuzzer", o.fuzzer, "the fuzzer binary (default: next to sockspec, or build-fuzz/)");
  cmd->add_option("--sample-seconds", o.sample_seconds,
                  "how often the fuzzer processes' RSS, open fds and network namespaces are sampled into the "
                  "campaign log (first, last and max in the summary)")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 3600));
  cmd->add_flag("--model-only", o.model_only, "fuzz the model alone (model_fuzzer, ASan+UBSan), no kernel");
  cmd->add_flag("--json", flags.json, "print the summary as one JSON object");
  cmd->add_option("--known-families", flags.known_families,
                  "a known-families list (divergences/families.txt): new findings of those families do not fail "
                  "the campaign");
  cmd->add_option("--kernel", flags.kernel,
                  "the kernel to fuzz: host (default), 6.1 or 6.12 (Debian's, booted under qemu with the whole "
                  "campaign inside, fetched once into the cache), or the path of a vmlinuz (docs/fuzzing.md)");
  cmd->add_option("--plant-fault", o.planted_fault,
                  "make every model result that cites RULE wrong, as `check --plant-fault` does (tests)")
      ->check(registered_rule());
  cmd->add_option("libfuzzer", o.libfuzzer_args, "extra libFuzzer flags, after --");
  cmd->callback([] { fuzz_campaign(flags); });
}

}  // namespace sockspec::cli
