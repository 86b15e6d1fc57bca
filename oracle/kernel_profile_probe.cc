// host_kernel_profile: what uname says, and a probe per build variant.
#include <sys/utsname.h>

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

bool probe_shows(const VariantProbe& probe) {
  const Program program = parse_scenario(probe.scenario, "<kernel probe>");
  KernelRun run(OracleConfig{});
  Result last;
  for (const Line& line : program.lines) last = run.execute(line);
  return last.kind == Result::Kind::Errno && last.integer == probe.refusing_errno;
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
