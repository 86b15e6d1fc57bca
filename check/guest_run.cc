#include "check/guest_run.h"

#include <fmt/format.h>

#include <filesystem>
#include <stdexcept>

#include "check/verdict_codec.h"
#include "guest/gvisor.h"

namespace sockspec {

namespace {

namespace fs = std::filesystem;

// The command the guest runs: this binary, the same subcommand and settings,
// on the host kernel of the guest, sending verdicts as data.
// gVisor (ptrace platform) pays a context switch or more per system call and
// runs its loopback on goroutines: it gets the guest's slack too.
// `isolated_by` non-empty: the sandbox mode the executor declares
// (oracle.h: declare_isolated_by_gvisor).
std::vector<std::string> guest_argv(const std::vector<Program>& programs, Mode mode, const DriverConfig& config,
                                    int jobs, const std::string& isolated_by) {
  std::vector<std::string> argv = {"sockspec",
                                   mode == Mode::Kernel ? "run" : "check",
                                   "--verdict-stream",
                                   "-j",
                                   std::to_string(jobs),
                                   "--settle-ms",
                                   std::to_string(config.oracle.settle_ms * kGuestSlowdown),
                                   "--delivery-ms",
                                   std::to_string(config.oracle.delivery_ms * kGuestSlowdown),
                                   "--loopback-delivery-ms",
                                   std::to_string(config.oracle.loopback_delivery_ms > 0
                                                      ? config.oracle.loopback_delivery_ms
                                                      : kGuestLoopbackDeliveryMs),
                                   "--time-limit-ms",
                                   std::to_string(config.time_limit_ms)};
  if (!isolated_by.empty()) {
    argv.push_back("--isolated-by");
    argv.push_back(isolated_by);
  }
  if (!config.planted_fault.empty()) {
    argv.push_back("--plant-fault");
    argv.push_back(config.planted_fault);
  }
  argv.push_back("--");
  for (const Program& p : programs) argv.push_back(fs::absolute(p.file).lexically_normal().string());
  return argv;
}

}  // namespace

std::string console_tail(const std::string& console) {
  constexpr std::size_t kTail = 2000;
  return console.size() > kTail ? "..." + console.substr(console.size() - kTail) : console;
}

GuestRunReport run_in_kernel_guest(const std::string& kernel, const std::vector<Program>& programs, Mode mode,
                                   const DriverConfig& config, int jobs,
                                   const std::function<void(ScenarioVerdict&&)>& on_verdict,
                                   const std::function<void(std::string_view)>& on_progress) {
  const bool gvisor = kernel == kGvisorKernelName;
  GuestKernel guest;
  std::string isolated_by;
  if (gvisor) {
    isolated_by = "gvisor:" + runsc_version();  // throws GuestUnavailable without runsc
    guest.release = gvisor_release(isolated_by.substr(7));
  } else {
    require_guest_tools();  // before a kernel is fetched for nothing
    guest = resolve_guest_kernel(kernel, on_progress);
  }
  GuestJob job;
  // One scenario at a time on gVisor: there the workers' per-thread private
  // /tmp (oracle/sandbox.cc prepare_thread) does not keep them apart, and
  // two scenarios' unix socket files meet (seen with -j 2: bind EADDRINUSE,
  // connect ENOENT on files of the other scenario).
  job.argv = guest_argv(programs, mode, config, gvisor ? 1 : jobs, isolated_by);
  for (const Program& p : programs) job.carry.push_back(fs::absolute(p.file).lexically_normal());
  job.cwd = fs::current_path();
  job.cpus = jobs;
  job.on_progress = on_progress;
  GuestRunReport report;
  report.release = guest.release;
  report.gvisor = gvisor;
  std::string stream_error;
  job.on_line = [&](std::string_view line) {
    if (!stream_error.empty()) return;
    if (report.verdicts >= static_cast<int>(programs.size())) {
      stream_error = "the guest sent more verdicts than there are scenarios";
      return;
    }
    try {
      auto record = nlohmann::json::parse(line);
      on_verdict(decode_verdict(record, programs[static_cast<std::size_t>(report.verdicts)]));
      ++report.verdicts;
    } catch (const std::exception& e) {
      stream_error = fmt::format("a verdict from the guest could not be read ({}): {:.200}", e.what(), line);
    }
  };
  if (gvisor && on_progress) on_progress("starting " + guest.release);
  const GuestOutcome outcome = gvisor ? run_in_gvisor(job) : run_in_guest(guest, job);
  report.boot_seconds = outcome.boot_seconds;
  report.total_seconds = outcome.total_seconds;
  if (!stream_error.empty()) throw std::runtime_error(stream_error);
  if (outcome.timed_out)
    throw std::runtime_error(fmt::format("the {} guest did not finish within {} s; its console ends:\n{}",
                                         guest.release, job.timeout_s, console_tail(outcome.console)));
  // 0 and 1 are verdicts (all agree, or not); anything else is the guest's
  // own failure to run them
  if ((outcome.exit_code != 0 && outcome.exit_code != 1) || report.verdicts != static_cast<int>(programs.size()))
    throw std::runtime_error(fmt::format("sockspec in the {} guest exited with {} after {} of {} scenarios; its "
                                         "console ends:\n{}",
                                         guest.release, outcome.exit_code, report.verdicts, programs.size(),
                                         console_tail(outcome.console)));
  return report;
}

}  // namespace sockspec
