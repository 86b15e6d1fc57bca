// The sandbox: private user (when not root), mount and network namespaces.
//
// enter_sandbox runs once, before any thread exists (unshare(CLONE_NEWUSER)
// refuses a multi-threaded caller). It proves it left the host's network
// namespace by comparing namespace inodes before and after, and refuses
// otherwise: nothing may ever create a socket in the machine's own namespace.
// Then it gives up every privilege the oracle does not need (below).
#include "oracle/sandbox.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "oracle/namespace_pool.h"
#include "oracle/oracle.h"

namespace sockspec {
namespace {

std::atomic<bool> g_in_sandbox{false};
std::string g_gvisor_version;  // declare_isolated_by_gvisor
SandboxInfo g_info;
int g_base_netns_fd = -1;

std::string failure(std::string_view what) {
  return fmt::format("cannot enter the oracle's sandbox: {}: {}", what, std::strerror(errno));
}

std::uint64_t netns_inode(const char* path) {
  struct stat st{};
  if (stat(path, &st) != 0) return 0;
  return st.st_ino;
}

bool write_file(const char* path, std::string_view text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Not root: a user namespace in which we are root, mapping 0 to ourselves
// (user_namespaces(7): setgroups must be denied before gid_map is written).
std::optional<std::string> enter_user_namespace() {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) != 0)
    return failure("unshare(CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWNET)");
  if (!write_file("/proc/self/setgroups", "deny")) return failure("writing /proc/self/setgroups");
  if (!write_file("/proc/self/uid_map", fmt::format("0 {} 1", uid))) return failure("writing uid_map");
  if (!write_file("/proc/self/gid_map", fmt::format("0 {} 1", gid))) return failure("writing gid_map");
  return std::nullopt;
}

// A fresh tmpfs on /tmp, and the working directory in it (relative unix
// paths then live there too).
std::optional<std::string> mount_private_tmp() {
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    return failure("mounting a tmpfs on /tmp");
  if (chdir("/tmp") != 0) return failure("chdir(/tmp)");
  return std::nullopt;
}

// The capabilities the oracle keeps once it is in its sandbox; every other
// one leaves the bounding, permitted, effective, inheritable and ambient
// sets. Each was found necessary by running the corpus without it
// (docs/safety.md "Privileges"):
//  - CAP_SYS_ADMIN: unshare(CLONE_NEWNET) for each `ns`, setns(2) into them
//    and the per-thread mount namespace with its tmpfs (prepare_thread);
//  - CAP_NET_ADMIN: lo up (SIOCSIFFLAGS), `link add` and `addr add` (rtnetlink);
//  - CAP_SETUID: `uid N` (setresuid of the effective uid only);
//  - CAP_NET_BIND_SERVICE: binding ports below 1024, as root may
//    (__inet_bind: inet_port_requires_bind_service);
//  - CAP_NET_RAW: changing SO_BINDTODEVICE once set
//    (sock_bindtoindex_locked: sk_bound_dev_if && !ns_capable(CAP_NET_RAW));
//  - CAP_DAC_OVERRIDE: root connects to a unix socket file another `uid`
//    bound (unix_find_bsd: path_permission(MAY_WRITE)).
// The last three change no machinery, only results: without them the
// kernel would answer root's calls as it answers an ordinary user's.
constexpr int kKeptCapabilities[] = {CAP_SYS_ADMIN,        CAP_NET_ADMIN, CAP_SETUID,
                                     CAP_NET_BIND_SERVICE, CAP_NET_RAW,   CAP_DAC_OVERRIDE};

bool kept(int capability) {
  for (int c : kKeptCapabilities)
    if (c == capability) return true;
  return false;
}

// Empties the ambient set. gVisor's 2022-12-19 sentry implements no
// PR_CAP_AMBIENT (its prctl answers EINVAL for any unknown option), so under
// the declared and verified gVisor mode (isolate_mounts checked the kernel
// log) EINVAL is tolerated: there the ambient set cannot have been raised
// either, as raising it is the same unimplemented prctl. On Linux any
// failure still refuses the sandbox.
std::optional<std::string> clear_ambient_capabilities() {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0) return std::nullopt;
  if (errno == EINVAL && !g_gvisor_version.empty()) return std::nullopt;
  return failure("clearing ambient capabilities");
}

// Drops everything but kKeptCapabilities and sets no_new_privs, so neither
// this process nor anything it executes can regain what was dropped
// (prctl(2) PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS; capabilities(7)). The
// sets are per thread: like enter_sandbox, this runs before any thread
// exists, and threads inherit them.
std::optional<std::string> drop_privileges() {
  // The bounding set first: dropping from it needs CAP_SETPCAP, which
  // capset below takes away. Caps already out of it are left alone.
  for (int c = 0; prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0; ++c)
    if (!kept(c) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1 && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0)
      return failure(fmt::format("dropping capability {} from the bounding set", c));
  if (auto error = clear_ambient_capabilities()) return error;
  __user_cap_header_struct header{.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  __user_cap_data_struct have[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, have) != 0) return failure("capget");
  // kept and held: permitted and effective; nothing inheritable
  __user_cap_data_struct keep[_LINUX_CAPABILITY_U32S_3] = {};
  for (int c : kKeptCapabilities) {
    auto bit = 1u << (c % 32);
    if (!(have[c / 32].permitted & bit)) continue;
    keep[c / 32].permitted |= bit;
    keep[c / 32].effective |= bit;
  }
  if (syscall(SYS_capset, &header, keep) != 0) return failure("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failure("prctl(PR_SET_NO_NEW_PRIVS)");
  return std::nullopt;
}

// gVisor's kernel log opens with "Starting gVisor..." (its sentry writes it
// at boot); Linux never writes that.
bool kernel_log_shows_gvisor() {
  char log[16384];
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof log);
  return n > 0 && std::string_view(log, static_cast<std::size_t>(n)).find("Starting gVisor") != std::string_view::npos;
}

// Mounts made here must not reach the host's mount namespace: on Linux by
// making them private; inside gVisor the filesystem is the sandbox's own.
std::optional<std::string> isolate_mounts() {
  if (!g_gvisor_version.empty()) {
    if (!kernel_log_shows_gvisor())
      return "cannot enter the oracle's sandbox: this run was declared inside gVisor (as --kernel gvisor "
             "starts it) but the kernel log does not show gVisor";
    return std::nullopt;
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return failure("making mounts private");
  return std::nullopt;
}

}  // namespace

void declare_isolated_by_gvisor(std::string runsc_version) { g_gvisor_version = std::move(runsc_version); }
const std::string& gvisor_declared() { return g_gvisor_version; }

std::optional<std::string> enter_sandbox(SandboxInfo* info) {
  if (g_in_sandbox.load()) {
    if (info) *info = g_info;
    return std::nullopt;
  }
  SandboxInfo me;
  me.host_netns = netns_inode("/proc/self/ns/net");
  if (me.host_netns == 0) return failure("stat(/proc/self/ns/net)");
  me.root = geteuid() == 0;
  bool entered = me.root && unshare(CLONE_NEWNS | CLONE_NEWNET) == 0;
  if (!entered) {  // not root, or root without CAP_SYS_ADMIN (a container)
    if (auto error = enter_user_namespace()) return error;
    me.user_namespace = true;
  }
  if (auto error = isolate_mounts()) return error;
  if (auto error = mount_private_tmp()) return error;
  me.sandbox_netns = netns_inode("/proc/self/ns/net");
  if (me.sandbox_netns == 0 || me.sandbox_netns == me.host_netns)
    return "cannot enter the oracle's sandbox: still in the host's network namespace";
  g_base_netns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (g_base_netns_fd < 0) return failure("opening the sandbox's network namespace");
  if (int e = oracle::bring_loopback_up(); e != 0) {
    errno = e;
    return failure("bringing lo up");
  }
  me.private_tcp_hash = oracle::use_private_tcp_hash();
  if (auto error = drop_privileges()) return error;
  g_info = me;
  g_in_sandbox.store(true);
  // the kernel's profile is measured now, on the one thread there is, so
  // that its probe namespaces come and go before any scenario's
  host_kernel_profile();
  if (info) *info = me;
  return std::nullopt;
}

bool in_sandbox() { return g_in_sandbox.load(); }

namespace oracle {

int base_netns_fd() { return g_base_netns_fd; }

std::optional<std::string> prepare_thread() {
  thread_local bool prepared = false;
  if (prepared) {
    // The mount namespace is made once, but the working directory is set
    // again for every scenario: whatever ran on this thread since may have
    // moved it (the differential fuzzer returns to its start directory
    // after the sandbox's kernel probe ran here), and a relative unix path
    // must land in this thread's /tmp, never in a directory of the host.
    if (chdir("/tmp") != 0) return failure("chdir(/tmp)");
    return std::nullopt;
  }
  // CLONE_NEWNS implies CLONE_FS: this thread gets its own root, working
  // directory and mount table, which works in a multi-threaded process.
  if (unshare(CLONE_NEWNS) != 0) return failure("unshare(CLONE_NEWNS) for a worker thread");
  if (auto error = mount_private_tmp()) return error;
  prepared = true;
  return std::nullopt;
}

void empty_tmp() {
  // Scenarios can only create socket files here (they make no directories),
  // but remove_all keeps this right whatever is found.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec))
    std::filesystem::remove_all(entry.path(), ec);
}

namespace {

// SIOCGIFFLAGS, then SIOCSIFFLAGS with `add` set; 0 or an errno. With add
// 0 it changes nothing but still takes RTNL (dev_ioctl).
int update_flags(const char* name, short add) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  int e = 0;
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    e = errno;
  } else if ((ifr.ifr_flags & add) != add || add == 0) {
    // already set: no SIOCSIFFLAGS (gVisor has none, and its lo is up)
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | add);
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) e = errno;
  }
  close(fd);
  return e;
}

}  // namespace

int set_link_up(const char* name) { return update_flags(name, IFF_UP); }

}  // namespace oracle
}  // namespace sockspec
