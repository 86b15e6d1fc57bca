// host_kernel_profile: what uname says, and a probe per build variant.
#include <sys/utsname.h>

#include <fstream>

#include <regex>

#include "oracle/oracle.h"
#include "scenario/parser.h"

namespace sockspec {

namespace {

// `Debian 6.1.176-1` in uname's version field names the upstream patch
// level that a Debian release string (`6.1.0-57-amd64`) hides.
KernelVersion uname_version(const utsname& u) {
  static const std::regex debian(R"(Debian (\d+\.\d+\.\d+))");
  std::cmatch m;
  if (std::regex_search(u.version, m, debian))
    if (auto v = parse_kernel_version(m[1].str())) return *v;
  static const std::regex leading(R"(^(\d+\.\d+(\.\d+)?))");
  if (std::regex_search(u.release, m, leading))
    if (auto v = parse_kernel_version(m[1].str())) return *v;
  return {};
}

// Each probe is a scenario whose last line tells the variant apart: on a
// role-locked build a former listener cannot connect (spec/connect.md,
// connect.role.locked_after_listen_einval); upstream its SYN is refused.
// (The other direction, a refused socket that listens, would leave a
// failed-listen socket behind, which on that build hides later bound-only
// sockets from sock_diag in the namespace the scenario runs in next.)
struct VariantProbe {
  KernelVariant variant;
  const char* scenario;
  int refusing_errno;  // the last line's result on a build with the variant
};
constexpr VariantProbe kProbes[] = {
    {KernelVariant::TcpRoleLock,
     "s = socket inet stream\n"
     "listen s 5\n"
     "shutdown s rd\n"
     "connect s 127.0.0.1:1\n",
     EINVAL},
};

// The last line's result of a probe scenario run in a fresh namespace.
Result probe_result(const char* scenario) {
  const Program program = parse_scenario(scenario, "<kernel probe>");
  KernelRun run(OracleConfig{});
  Result last;
  for (const Line& line : program.lines) last = run.execute(line);
  return last;
}

bool probe_shows(const VariantProbe& probe) {
  const Result last = probe_result(probe.scenario);
  return last.kind == Result::Kind::Errno && last.integer == probe.refusing_errno;
}

// CONFIG_HZ, seen through SO_LINGER: sock_setsockopt keeps a negative
// l_linger as MAX_SCHEDULE_TIMEOUT jiffies and sk_getsockopt reads back
// (int)(LONG_MAX / HZ) (socket.option.linger_unbounded). A figure no HZ
// gives leaves the default, so the model's answer diverges there.
int measure_hz() {
  const Result last = probe_result("s = socket inet stream\nsetsockopt s SO_LINGER -1\ngetsockopt s SO_LINGER\n");
  for (int hz : config_hz_choices())
    if (last.kind == Result::Kind::Integer && last.integer == linger_read_back_unbounded(hz)) return hz;
  return kDefaultHz;
}

// A machine-wide sysctl (a file read; no namespace has its own copy).
int global_sysctl(const char* path, int fallback) {
  std::ifstream in(path);
  int value = 0;
  return in >> value ? value : fallback;
}

KernelProfile measure() {
  KernelProfile p;
  if (const std::string& runsc = gvisor_declared(); !runsc.empty()) {
    p.version = reference_kernel_profile().version;  // uname's 4.4.0 is a fake
    p.release = gvisor_release(runsc);
  } else {
    utsname_version(&p);
  }
  for (const auto& probe : kProbes)
    if (probe_shows(probe)) p.add(probe.variant);
  p.hz = measure_hz();
  p.core_rmem_max = global_sysctl("/proc/sys/net/core/rmem_max", p.core_rmem_max);
  p.core_wmem_max = global_sysctl("/proc/sys/net/core/wmem_max", p.core_wmem_max);
  return p;
}

}  // namespace

void utsname_version(KernelProfile* p) {
  utsname u{};
  if (uname(&u) != 0) return;
  p->release = u.release;
  p->version = uname_version(u);
}

const KernelProfile& host_kernel_profile() {
  static const KernelProfile profile = measure();
  return profile;
}

}  // namespace sockspec
