#include "oracle/namespace_pool.h"

#include <fcntl.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "oracle/oracle.h"
#include "oracle/sandbox.h"
#include "oracle/sysctl_journal.h"

namespace sockspec::oracle {
namespace {

// A namespace costs ~0.5 ms to create and is destroyed asynchronously by the
// kernel (cleanup_net); keeping clean ones saves both. 64: the longest
// scenarios of corpus/ use 22 at once, on each of a few threads; an idle
// namespace with a private TCP hash costs little memory.
constexpr std::size_t kMaxIdle = 64;

std::atomic<std::uint64_t> g_created{0};
std::atomic<std::uint64_t> g_reused{0};
std::atomic<std::uint64_t> g_throttle_waits{0};
std::atomic<std::uint64_t> g_swept{0};
// Namespace fds open in this process (idle in a pool or in use by a run).
std::atomic<int> g_held{0};
// Set when the kernel refused to give a namespace an id: the count would
// then be wrong, so the census reports "cannot count".
std::atomic<bool> g_census_broken{false};

void close_namespace(PooledNamespace& ns) {
  ns.diag = SockDiag();
  if (ns.sockstat_fd >= 0) close(ns.sockstat_fd);
  close(ns.fd);
  g_held.fetch_sub(1, std::memory_order_relaxed);
}

// The namespace's socket count and TIME-WAIT count, from its
// /proc/net/sockstat: "sockets: used" is sock_inuse_get(net), every socket
// made in this namespace until __sk_free (orphans in FIN-WAIT or LAST-ACK
// and listeners still pinned by a request socket count too); "tw" is the
// namespace's tcp_death_row count. Two numbers, far cheaper than sock_diag
// dumps. The file is opened once, when the namespace is made (through
// /proc/thread-self: /proc/self/net is the main thread's namespace); it
// stays the namespace's, and a seq_file read from offset 0 is generated
// afresh, so no setns and no path walk per check.
bool count_sockets(int sockstat_fd, int* used, int* time_wait) {
  char buf[512];
  ssize_t n = pread(sockstat_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return false;
  buf[n] = '\0';
  return std::sscanf(buf, "sockets: used %d TCP: inuse %*d orphan %*d tw %d", used, time_wait) == 2;
}

// ---------------------------------------------------------------- TCP hash

// The shared-hash values of the sysctls tcp_set_hashinfo derives from the
// hash size, read in the base namespace (which has the shared hash);
// empty: namespaces keep the shared hash.
std::string g_max_syn_backlog, g_max_tw_buckets;

constexpr const char* kMaxSynBacklog = "/proc/sys/net/ipv4/tcp_max_syn_backlog";
constexpr const char* kMaxTwBuckets = "/proc/sys/net/ipv4/tcp_max_tw_buckets";

// A fresh namespace with a private hash gets the shared-hash values back.
bool restore_hash_derived_sysctls() {
  if (g_max_syn_backlog.empty()) return true;
  return write_sysctl(kMaxSynBacklog, g_max_syn_backlog) && write_sysctl(kMaxTwBuckets, g_max_tw_buckets);
}

// ---------------------------------------------------------------- census
//
// How many released namespaces are still waiting for the kernel. Every
// namespace the pool creates gets a namespace id in the sandbox's base
// namespace (RTM_NEWNSID with NETNSA_FD, rtnl_net_newid). An id holds no
// reference; cleanup_net removes it (unhash_nsid) when it takes the dying
// namespace off its queue. So the ids in the base namespace (an
// RTM_GETNSID dump, rtnl_net_dumpid) are the namespaces we hold plus those
// released but not yet taken by cleanup_net; subtracting g_held leaves the
// queue. The batch cleanup_net is working on (ids gone, memory not yet
// freed) is not counted, but it is at most what the queue held when it
// started, so dying namespaces stay below about twice the cap.

// An rtnetlink socket of the sandbox's base namespace, one per thread (its
// requests and answers must not interleave with another thread's).
class BaseNamespaceRtnl {
 public:
  static BaseNamespaceRtnl& for_this_thread() {
    thread_local BaseNamespaceRtnl rtnl;
    return rtnl;
  }
  ~BaseNamespaceRtnl() {
    if (fd_ >= 0) close(fd_);
  }
  bool usable() const { return fd_ >= 0; }

  // Gives the namespace open as `netns_fd` an id in the base namespace.
  bool tag(int netns_fd) {
    struct {
      nlmsghdr header;
      rtgenmsg family;
      alignas(NLA_ALIGNTO) nlattr fd_attr;
      std::uint32_t fd;
      nlattr nsid_attr;
      std::int32_t nsid;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_NEWNSID;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    request.family.rtgen_family = AF_UNSPEC;
    request.fd_attr = {.nla_len = NLA_HDRLEN + sizeof(std::uint32_t), .nla_type = NETNSA_FD};
    request.fd = static_cast<std::uint32_t>(netns_fd);
    request.nsid_attr = {.nla_len = NLA_HDRLEN + sizeof(std::int32_t), .nla_type = NETNSA_NSID};
    request.nsid = -1;  // any free id (alloc_netid)
    if (send(fd_, &request, sizeof request, 0) != static_cast<ssize_t>(sizeof request)) return false;
    int acknowledged = -1;
    read_answers([&](const nlmsghdr* h) {
      if (h->nlmsg_type == NLMSG_ERROR) acknowledged = static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    });
    return acknowledged == 0;
  }

  // The number of namespace ids the base namespace holds, or -1.
  int count_ids() {
    struct {
      nlmsghdr header;
      rtgenmsg family;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_GETNSID;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.family.rtgen_family = AF_UNSPEC;
    if (send(fd_, &request, sizeof request, 0) != static_cast<ssize_t>(sizeof request)) return -1;
    int ids = 0;
    bool failed = false;
    read_answers([&](const nlmsghdr* h) {
      if (h->nlmsg_type == RTM_NEWNSID) ++ids;
      if (h->nlmsg_type == NLMSG_ERROR) failed = true;
    });
    return failed ? -1 : ids;
  }

 private:
  // Opened in the base namespace: a socket belongs to the namespace its
  // creator was in, so the thread visits the base namespace once.
  BaseNamespaceRtnl() {
    int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (here < 0) return;
    if (setns(base_netns_fd(), CLONE_NEWNET) == 0) {
      fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      setns(here, CLONE_NEWNET);
    }
    close(here);
  }

  // Reads until the acknowledgement or NLMSG_DONE.
  template <typename OnMessage>
  void read_answers(OnMessage on_message) {
    alignas(nlmsghdr) char buf[16384];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return;
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        on_message(h);
        if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) return;
      }
    }
  }

  int fd_ = -1;
};

int awaiting_destruction(BaseNamespaceRtnl& rtnl) {
  if (!rtnl.usable() || g_census_broken.load(std::memory_order_relaxed)) return -1;
  int ids = rtnl.count_ids();
  if (ids < 0) return -1;
  return std::max(0, ids - g_held.load(std::memory_order_relaxed));
}

// Waits while the kernel is behind; see the census above.
void wait_for_cleanup(BaseNamespaceRtnl& rtnl) {
  const auto give_up = std::chrono::steady_clock::now() + kMaxThrottleWait;
  bool waited = false;
  while (awaiting_destruction(rtnl) > kMaxAwaitingDestruction && std::chrono::steady_clock::now() < give_up) {
    waited = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (waited) g_throttle_waits.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

bool use_private_tcp_hash() {
  const char* shared = std::getenv("SOCKSPEC_SHARED_TCP_HASH");
  if (shared != nullptr && std::string_view(shared) == "1") return false;
  std::string syn, tw;
  if (!read_sysctl(kMaxSynBacklog, &syn) || !read_sysctl(kMaxTwBuckets, &tw)) return false;
  if (!write_sysctl("/proc/sys/net/ipv4/tcp_child_ehash_entries", std::to_string(kPrivateTcpHashEntries)))
    return false;  // before 6.1 there is no such sysctl: the shared hash it is
  g_max_syn_backlog = syn;
  g_max_tw_buckets = tw;
  return true;
}

bool private_tcp_hash_in_use() { return !g_max_syn_backlog.empty(); }

NamespaceStats namespace_stats() {
  return {.created = g_created.load(),
          .reused = g_reused.load(),
          .held = static_cast<std::uint64_t>(g_held.load()),
          .throttle_waits = g_throttle_waits.load(),
          .swept = g_swept.load()};
}

int namespaces_awaiting_destruction() { return awaiting_destruction(BaseNamespaceRtnl::for_this_thread()); }

NamespacePool& NamespacePool::shared() {
  static NamespacePool pool;
  return pool;
}

NamespacePool::~NamespacePool() {
  for (auto& ns : idle_) close_namespace(ns);
}

namespace {

// gVisor (2022-12-19) has neither /proc/net/sockstat (ENOENT) nor
// NETLINK_SOCK_DIAG (EPROTONOSUPPORT). Under the declared gVisor mode such a
// namespace is still usable: without a count make_clean never proves it
// clean, so it is never reused (each scenario gets a fresh one), and an `ss`
// line gets the errno of the missing sock_diag, reported as gVisor's.
bool gvisor_lacks_census(int error) {
  return !gvisor_declared().empty() && (error == ENOENT || error == EPROTONOSUPPORT);
}

}  // namespace

std::optional<PooledNamespace> NamespacePool::create_fresh(std::string* error) {
  auto& rtnl = BaseNamespaceRtnl::for_this_thread();
  wait_for_cleanup(rtnl);
  // from the base namespace: tcp_set_hashinfo reads the creator's
  // tcp_child_ehash_entries (the thread may be in a scenario's namespace)
  setns(base_netns_fd(), CLONE_NEWNET);
  // unshare(CLONE_NEWNET) moves only the calling thread (a task's nsproxy)
  if (unshare(CLONE_NEWNET) != 0) {
    *error = fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno));
    return std::nullopt;
  }
  PooledNamespace ns;
  ns.fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (ns.fd < 0) {
    *error = fmt::format("opening /proc/thread-self/ns/net: {}", std::strerror(errno));
    return std::nullopt;
  }
  g_held.fetch_add(1, std::memory_order_relaxed);
  g_created.fetch_add(1, std::memory_order_relaxed);
  ns.sockstat_fd = open("/proc/thread-self/net/sockstat", O_RDONLY | O_CLOEXEC);
  if (int e = ns.sockstat_fd < 0 ? errno : ns.diag.open(); e != 0 && !gvisor_lacks_census(e)) {
    *error = fmt::format("opening the namespace's sockstat and sock_diag socket: {}", std::strerror(e));
    close_namespace(ns);
    return std::nullopt;
  }
  if (int e = bring_loopback_up(); e != 0) {
    *error = fmt::format("bringing lo up: {}", std::strerror(e));
    close_namespace(ns);
    return std::nullopt;
  }
  if (!restore_hash_derived_sysctls()) {
    *error = fmt::format("setting tcp_max_syn_backlog and tcp_max_tw_buckets: {}", std::strerror(errno));
    close_namespace(ns);
    return std::nullopt;
  }
  // Untagged, a namespace is simply not counted: the cap is a safeguard,
  // never a reason to refuse a scenario.
  if (!rtnl.usable() || !rtnl.tag(ns.fd)) g_census_broken.store(true, std::memory_order_relaxed);
  return ns;
}

std::optional<PooledNamespace> NamespacePool::acquire(std::string* error, bool reuse) {
  while (reuse) {
    PooledNamespace ns;
    {
      std::lock_guard lock(mutex_);
      if (idle_.empty()) break;
      ns = std::move(idle_.back());  // the most recently returned first
      idle_.pop_back();
    }
    if (setns(ns.fd, CLONE_NEWNET) == 0) {
      g_reused.fetch_add(1, std::memory_order_relaxed);
      return ns;
    }
    close_namespace(ns);
  }
  return create_fresh(error);
}

// Clean: no socket of any kind in any state but the namespace's own
// sock_diag socket (opened with the namespace, so it belongs to it). Sockets a scenario left behind after closing them all
// can only be TCP ones (an AF_UNIX or UDP socket is freed when its last
// descriptor closes); they are destroyed through sock_diag, and the count
// is read again.
bool NamespacePool::make_clean(PooledNamespace& ns) {
  int used = -1, time_wait = -1, destroyed = 0;
  if (!count_sockets(ns.sockstat_fd, &used, &time_wait)) return false;
  if (used == 1 && time_wait == 0) return true;  // 1: the sock_diag socket
  bool clean = ns.diag.destroy_tcp_sockets(&destroyed) == 0 &&
               count_sockets(ns.sockstat_fd, &used, &time_wait) && used == 1 && time_wait == 0;
  if (clean) g_swept.fetch_add(1, std::memory_order_relaxed);
  return clean;
}

void NamespacePool::release(PooledNamespace ns, bool reusable) {
  if (reusable && make_clean(ns)) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(ns));
      return;
    }
  }
  close_namespace(ns);
}

}  // namespace sockspec::oracle
