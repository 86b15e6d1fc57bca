// Running a command on gVisor's netstack: one `runsc do` sandbox per run, so
// the oracle can be checked against a user-space network stack that claims
// to match Linux (docs/gvisor.md).
//
// Contract:
//  - run_in_gvisor(job) starts `runsc --network=none --platform=ptrace
//    --root STATE do` with this very binary (/proc/self/exe) and
//    job.argv[1..], from inside a fresh network namespace (runsc and its
//    sandbox never hold a socket in the host's), with a private state
//    directory under $TMPDIR (when short and open to others, as runsc needs)
//    or /var/tmp that is removed afterwards. Every
//    line the command writes to stdout reaches job.on_line as it arrives.
//    The run is bounded by job.timeout_s; on every way out (exit, timeout,
//    exception) every process whose command line names the state directory
//    (runsc, its gofer and sandbox) is killed and reaped before it returns.
//  - GuestUnavailable ("runsc not found: apt-get install runsc") when runsc
//    is missing; the CLI exits 3 with it.
//  - runsc_version() is what `runsc --version` names (`20221219`).
#pragma once

#include <string>

#include "guest/guest.h"

namespace sockspec {

// The name `--kernel` takes for this target.
inline constexpr std::string_view kGvisorKernelName = "gvisor";

GuestOutcome run_in_gvisor(const GuestJob& job);

// The snapshot date of the installed runsc (`20221219`, from
// `runsc version 0.0~20221219.0`), or its whole first line when that has
// another form; throws GuestUnavailable when runsc is missing.
std::string runsc_version();

// Extracts the snapshot from `runsc --version`'s first line; the line itself
// when no `~YYYYMMDD` or `release-YYYYMMDD` is in it.
std::string parse_runsc_version(std::string_view first_line);

}  // namespace sockspec
