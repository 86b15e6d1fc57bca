#include "fuzz/guest_campaign.h"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "check/guest_run.h"
#include "guest/guest.h"

namespace sockspec::fuzz {

namespace {

namespace fs = std::filesystem;

// The fuzzer's own waits (differential_fuzzer.cc: settle 20 ms, delivery
// 5 ms), scaled as `check --kernel` scales check's.
constexpr int kFuzzSettleMs = 20, kFuzzDeliveryMs = 5;

// The work directory, and the corpus and findings directories that are not
// inside it: what the guest writes, made on the host first (they are carried in).
std::vector<fs::path> written_directories(const CampaignOptions& o) {
  const fs::path work = fs::absolute(o.workdir).lexically_normal();
  std::vector<fs::path> dirs = {work};
  for (const std::string& dir : {o.corpus, o.findings}) {
    if (dir.empty()) continue;
    const fs::path path = fs::absolute(dir).lexically_normal();
    const auto inside = path.lexically_relative(work);
    if (inside.empty() || *inside.begin() == "..") dirs.push_back(path);
  }
  for (const auto& dir : dirs) fs::create_directories(dir);
  return dirs;
}

// `sockspec fuzz` in the guest: the same campaign, every path absolute, the
// summary as JSON. Known families stay on the host, which groups the findings.
std::vector<std::string> guest_argv(const CampaignOptions& o, const fs::path& fuzzer) {
  auto absolute = [](const std::string& path) { return fs::absolute(path).lexically_normal().string(); };
  std::vector<std::string> argv = {"sockspec", "fuzz", "--json", "--seconds", std::to_string(o.seconds),
                                   "-j", std::to_string(o.jobs), "--workdir", absolute(o.workdir),
                                   "--fuzzer", fuzzer.string()};
  if (o.runs >= 0) argv.insert(argv.end(), {"--runs", std::to_string(o.runs)});
  for (const auto& dir : o.seeds) argv.insert(argv.end(), {"--seeds", absolute(dir)});
  if (!o.corpus.empty()) argv.insert(argv.end(), {"--corpus", absolute(o.corpus)});
  if (!o.findings.empty()) argv.insert(argv.end(), {"--findings", absolute(o.findings)});
  if (!o.planted_fault.empty()) argv.insert(argv.end(), {"--plant-fault", o.planted_fault});
  if (!o.libfuzzer_args.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), o.libfuzzer_args.begin(), o.libfuzzer_args.end());
  }
  return argv;
}

GuestJob campaign_job(const CampaignOptions& o, const fs::path& fuzzer) {
  GuestJob job;
  job.argv = guest_argv(o, fuzzer);
  job.programs = {fuzzer};
  for (const auto& dir : o.seeds) job.carry.push_back(fs::absolute(dir).lexically_normal());
  job.bring_back = written_directories(o);
  job.stderr_to_stdout = true;  // the campaign's progress lines
  job.cwd = fs::current_path();
  job.env = {fmt::format("SOCKSPEC_FUZZ_SETTLE_MS={}", kFuzzSettleMs * kGuestSlowdown),
             fmt::format("SOCKSPEC_FUZZ_DELIVERY_MS={}", kFuzzDeliveryMs * kGuestSlowdown),
             fmt::format("SOCKSPEC_FUZZ_LOOPBACK_DELIVERY_MS={}", kGuestLoopbackDeliveryMs)};
  if (o.abort_on_finding) job.env.push_back("SOCKSPEC_FUZZ_ABORT=1");
  job.cpus = o.jobs;
  job.memory_mib = 1536 + 512 * o.jobs;  // each fuzzing process runs under ASan
  job.timeout_s = o.seconds + kGuestCampaignMarginS;
  return job;
}

}  // namespace

CampaignResult run_campaign_in_guest(const std::string& kernel, const CampaignOptions& o,
                                     const std::function<void(std::string_view)>& report) {
  if (o.model_only) throw std::invalid_argument("--model-only runs no kernel: it takes no --kernel");
  const fs::path fuzzer = fuzzer_binary(o);
  require_guest_tools();  // before a kernel is fetched for nothing
  const GuestKernel guest = resolve_guest_kernel(kernel, report);
  GuestJob job = campaign_job(o, fuzzer);
  job.on_progress = report;
  std::optional<nlohmann::json> summary;
  job.on_line = [&](std::string_view line) {
    if (line.starts_with("{")) {
      try {
        summary = nlohmann::json::parse(line);
        return;
      } catch (const std::exception&) {  // not the summary: shown as it is
      }
    }
    report(line);
  };
  const GuestOutcome outcome = run_in_guest(guest, job);
  if (outcome.timed_out)
    throw std::runtime_error(fmt::format("the {} guest did not finish within {} s; its console ends:\n{}",
                                         guest.release, job.timeout_s, console_tail(outcome.console)));
  if (!summary || !outcome.brought_back)
    throw std::runtime_error(fmt::format("sockspec fuzz in the {} guest exited with {} {}; its console ends:\n{}",
                                         guest.release, outcome.exit_code,
                                         summary ? "and its files did not come back" : "without a summary",
                                         console_tail(outcome.console)));
  CampaignResult r;
  r.summary = std::move(*summary);
  r.new_findings = r.summary.value("new_findings", std::vector<std::string>{});
  r.families = families_of(r.new_findings, o.known_families);
  const FamilyCounts families = count_families(r.families);
  r.summary["new_families"] = families.families;
  r.summary["new_families_unknown"] = families.fresh;
  if (r.summary.value("kernel", "").empty()) r.summary["kernel"] = "Linux " + guest.release;
  r.summary["guest"] = {{"release", guest.release},
                        {"boot_seconds", outcome.boot_seconds},
                        {"total_seconds", outcome.total_seconds}};
  r.fuzzer_exit = r.summary.value("fuzzer_exit", outcome.exit_code);
  r.log = fs::absolute(o.workdir) / "last-campaign.log";
  return r;
}

}  // namespace sockspec::fuzz
