// The oracle: scenarios run on the real kernel, inside namespaces of our own.
//
// Contract: enter_sandbox() moves the whole process, once, into private
// user (when not root), mount and network namespaces with a private empty
// /tmp, and proves it left the namespace it started in; until it succeeds no
// KernelRun may be made. A KernelRun is one scenario: every `ns` is a fresh
// network namespace with only `lo` up; every call is non-blocking and every
// wait bounded; results come back in the language's form (scenario/ast.h).
// Destroying a KernelRun closes its sockets and releases its namespaces.
// Namespaces are entered per thread: a KernelRun is used (and destroyed) on
// the thread that made it; different threads may run scenarios at once.
// docs/oracle.md explains the waits, the namespace pool and the ss rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "scenario/ast.h"
#include "scenario/kernel_profile.h"
#include "scenario/observation.h"

namespace sockspec {

struct OracleConfig {
  int settle_ms = 100;    // how long `connect` waits for a handshake
  int delivery_ms = 20;   // how long recv/accept/sockatmark/poll wait for data in flight
  // The same wait where only loopback carries the data. Loopback delivers
  // inside the sending call on a host (0: no wait), but a kernel under
  // emulation (a TCG guest, check/guest_run.h) may leave the softirq to
  // ksoftirqd (__do_softirq stops after MAX_SOFTIRQ_TIME), so a guest sets it.
  int loopback_delivery_ms = 0;
  // Give clean namespaces back to the process's pool for the next scenario
  // (oracle/namespace_pool.h). Off: every scenario's namespaces are fresh
  // (benchmarks compare the two; results are the same either way).
  bool reuse_namespaces = true;
};

struct SandboxInfo {
  bool root = false;          // real root: `uid N` can be honoured
  bool user_namespace = false;
  std::uint64_t host_netns = 0;     // inode of the namespace we started in
  std::uint64_t sandbox_netns = 0;  // inode of the namespace we are in now
  bool private_tcp_hash = false;    // scenario namespaces have their own TCP hash (namespace_pool.h)
};

// The executor runs inside a gVisor sandbox (`--kernel gvisor`,
// guest/gvisor.h), which already keeps it off the host: its filesystem is
// not the host's, so enter_sandbox skips making mounts private (gVisor
// refuses to change propagation) but still unshares mount and network
// namespaces. Declared by the launcher, before enter_sandbox, with runsc's
// version; enter_sandbox refuses unless the kernel log says "Starting
// gVisor", so a declaration on a real kernel never weakens the sandbox.
void declare_isolated_by_gvisor(std::string runsc_version);
// The runsc version declared, empty when not inside gVisor.
const std::string& gvisor_declared();

// Returns nullopt on success (and fills *info), else a message saying why
// the oracle cannot run here (the CLI exits 3 with it).
std::optional<std::string> enter_sandbox(SandboxInfo* info = nullptr);
bool in_sandbox();

// The profile of the kernel the oracle runs on (scenario/kernel_profile.h):
// its version from uname(2) (a distribution's `Debian 6.1.176-1` in the
// version string wins over its release `6.1.0-57-amd64`), and each known
// variant found by a probe run in a fresh namespace. Measured once per
// process, on first use; needs enter_sandbox() first.
const KernelProfile& host_kernel_profile();
// The version and release uname(2) gives, without the probes (no sandbox needed).
void utsname_version(KernelProfile* profile);

// The kernel under test refuses a facility the oracle needs to run the
// scenario as written: setns(2) into another network namespace answers
// EOPNOTSUPP or ENOSYS (gVisor's 2022-12-19 sentry; Linux never answers
// those). Thrown by KernelRun::execute; the driver reports the scenario as
// one this target cannot run (ScenarioVerdict::limitation) and goes on.
struct TargetLimitation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class KernelRun final {
 public:
  explicit KernelRun(const OracleConfig& config);
  ~KernelRun();
  KernelRun(const KernelRun&) = delete;
  KernelRun& operator=(const KernelRun&) = delete;

  // Runs one line whose variables are already resolved.
  Result execute(const Line& line);

  // What the kernel shows, right after `line` ran, of the sockets the run
  // holds: the figures observation_scope(line) names (scenario/observation.h).
  Observation observe(const Line& line);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sockspec
