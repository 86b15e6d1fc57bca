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
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "oracle/sandbox.h"

namespace sockspec::oracle {
namespace {

// A namespace costs ~0.5 ms to create and is destroyed asynchronously by the
// kernel (cleanup_net); keeping a few clean ones saves both.
constexpr std::size_t kMaxIdle = 8;

std::atomic<std::uint64_t> g_created{0};
std::atomic<std::uint64_t> g_reused{0};
std::atomic<std::uint64_t> g_throttle_waits{0};
// Namespace fds open in this process (idle in a pool or in use by a run).
std::atomic<int> g_held{0};
// Set when the kernel refused to give a namespace an id: the count would
// then be wrong, so the census reports "cannot count".
std::atomic<bool> g_census_broken{false};

void close_namespace(int fd) {
  close(fd);
  g_held.fetch_sub(1, std::memory_order_relaxed);
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

NamespaceStats namespace_stats() {
  return {.created = g_created.load(), .reused = g_reused.load(), .throttle_waits = g_throttle_waits.load()};
}

int namespaces_awaiting_destruction() { return awaiting_destruction(BaseNamespaceRtnl::for_this_thread()); }

NamespacePool& NamespacePool::for_this_thread() {
  thread_local NamespacePool pool;
  return pool;
}

NamespacePool::~NamespacePool() {
  for (int fd : idle_) close_namespace(fd);
}

int NamespacePool::create_fresh(std::string* error) {
  auto& rtnl = BaseNamespaceRtnl::for_this_thread();
  wait_for_cleanup(rtnl);
  // unshare(CLONE_NEWNET) moves only the calling thread (a task's nsproxy)
  if (unshare(CLONE_NEWNET) != 0) {
    *error = fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno));
    return -1;
  }
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = fmt::format("opening /proc/thread-self/ns/net: {}", std::strerror(errno));
    return -1;
  }
  g_held.fetch_add(1, std::memory_order_relaxed);
  g_created.fetch_add(1, std::memory_order_relaxed);
  if (int e = bring_loopback_up(); e != 0) {
    *error = fmt::format("bringing lo up: {}", std::strerror(e));
    close_namespace(fd);
    return -1;
  }
  // Untagged, a namespace is simply not counted: the cap is a safeguard,
  // never a reason to refuse a scenario.
  if (!rtnl.usable() || !rtnl.tag(fd)) g_census_broken.store(true, std::memory_order_relaxed);
  return fd;
}

int NamespacePool::acquire(std::string* error, bool reuse) {
  while (reuse && !idle_.empty()) {
    int fd = idle_.back();
    idle_.pop_back();
    if (setns(fd, CLONE_NEWNET) == 0) {
      g_reused.fetch_add(1, std::memory_order_relaxed);
      return fd;
    }
    close_namespace(fd);
  }
  return create_fresh(error);
}

// No socket of any kind in any state. /proc/net/sockstat of the namespace
// says so in two numbers, far more cheaply than sock_diag dumps (an
// inet_diag dump walks the whole established hash, which namespaces share:
// ~70 us each, five of them). "sockets: used" is sock_inuse_get(net): every
// socket a process made in this namespace until __sk_free, so orphans in
// FIN-WAIT or LAST-ACK and listeners still pinned by a request socket
// (inet_reqsk_alloc holds rsk_listener) count too; "tw" is the namespace's
// tcp_death_row count of TIME-WAIT sockets. /proc/thread-self, because
// /proc/self/net is the main thread's namespace.
bool NamespacePool::is_clean(int fd) {
  if (setns(fd, CLONE_NEWNET) != 0) return false;
  bool clean = false;
  if (FILE* f = std::fopen("/proc/thread-self/net/sockstat", "re")) {
    int used = -1, time_wait = -1;
    clean = std::fscanf(f, "sockets: used %d TCP: inuse %*d orphan %*d tw %d", &used, &time_wait) == 2 &&
            used == 0 && time_wait == 0;
    std::fclose(f);
  }
  setns(base_netns_fd(), CLONE_NEWNET);
  return clean;
}

void NamespacePool::release(int fd, bool reusable) {
  if (reusable && idle_.size() < kMaxIdle && is_clean(fd)) {
    idle_.push_back(fd);
    return;
  }
  close_namespace(fd);
}

}  // namespace sockspec::oracle
