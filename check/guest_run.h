// Scenarios run on another kernel: one qemu guest per run (guest/guest.h),
// or, for `--kernel gvisor`, one runsc sandbox per run (guest/gvisor.h).
//
// Contract: run_in_kernel_guest boots `kernel` once, runs `sockspec
// check|run` with the same settings on every program inside it (-j: the
// guest's CPUs), and hands each verdict back to on_verdict in input order,
// decoded (check/verdict_codec.h) into verdicts of the host's own Programs,
// so the caller prints and records them as it does its own. Throws
// GuestUnavailable (no qemu, no kernel package: exit 3) and
// std::invalid_argument (a kernel name that names none: exit 2); a guest that
// fails or stops early is a std::runtime_error with the end of its console.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "check/driver.h"
#include "guest/guest.h"

namespace sockspec {

// A guest runs under TCG emulation (kernels.md: KVM does not work on these
// machines), several times slower than the host: the bounded waits of the
// oracle (settle, delivery) are scaled by this much inside it, or a loaded
// machine makes a datagram or a FIN late.
inline constexpr int kGuestSlowdown = 4;
// Under emulation loopback is not synchronous (OracleConfig::loopback_delivery_ms):
// a receive that finds nothing looks again after this long.
inline constexpr int kGuestLoopbackDeliveryMs = 10;

struct GuestRunReport {
  std::string release;       // the guest kernel's modules directory name (`6.1.0-57-amd64`), or `gVisor runsc 20221219`
  bool gvisor = false;       // the run was on gVisor's netstack (guest/gvisor.h), not a qemu guest
  double boot_seconds = 0, total_seconds = 0;
  int verdicts = 0;
};

// The end of a guest's console (its last 2000 bytes), for error messages.
std::string console_tail(const std::string& console);

GuestRunReport run_in_kernel_guest(const std::string& kernel, const std::vector<Program>& programs, Mode mode,
                                   const DriverConfig& config, int jobs,
                                   const std::function<void(ScenarioVerdict&&)>& on_verdict,
                                   const std::function<void(std::string_view)>& on_progress = {});

}  // namespace sockspec
