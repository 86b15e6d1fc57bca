// Where a scenario's network namespaces come from.
//
// Contract: acquire() leaves the calling thread in a network namespace that
// is fresh (or provably as good as fresh): only `lo`, up, no sockets, no
// changed sysctl, link or address; it lends it as a PooledNamespace.
// release() gives one back: reusable says the caller changed no link,
// address or uid in it and put back every sysctl it wrote (SysctlJournal).
// The pool itself then makes sure no socket is left in any state: it
// destroys the TCP sockets a scenario left behind (TIME-WAIT, orphans in
// FIN-WAIT or LAST-ACK, request sockets) and keeps the namespace only when
// the kernel's own count of the namespace's sockets is then zero. One pool
// per process, shared by every thread (a thread enters a namespace with
// setns, whichever thread made it), so worker threads started later find
// the namespaces earlier ones left.
//
// The kernel destroys a released namespace asynchronously (cleanup_net, a
// work item), so a campaign that creates faster than the kernel destroys
// would pile up dying namespaces until memory runs out. acquire() therefore
// waits, before it creates one, while more than kMaxAwaitingDestruction
// namespaces of this process are released but not yet gone (counted through
// namespace ids of the sandbox's base namespace; namespace_pool.cc and
// docs/performance.md explain how), for at most kMaxThrottleWait.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oracle/netlink.h"

namespace sockspec::oracle {

// Dying namespaces allowed before creation waits (the whole process).
inline constexpr int kMaxAwaitingDestruction = 64;
// A namespace the kernel never frees (something pins it) must not stop the
// campaign: after this long the pool creates anyway.
inline constexpr std::chrono::milliseconds kMaxThrottleWait{10000};

// A private TCP hash per namespace. Every inet_diag dump of TCP sockets
// (`ss`, the sweep below) walks the whole established hash of the
// namespace, and by default all namespaces share the host's one (262,144
// buckets here: ~250 us a walk). Namespaces created while the creating
// namespace has net.ipv4.tcp_child_ehash_entries set get a private one of
// that size instead (tcp_set_hashinfo, Linux >= 6.1); tcp_set_hashinfo then
// also derives tcp_max_tw_buckets and tcp_max_syn_backlog from the smaller
// size, so the pool writes back the values a namespace with the shared hash
// has, and nothing a scenario can observe differs (docs/oracle.md).
// enter_sandbox calls this once, in the base namespace; the environment
// variable SOCKSPEC_SHARED_TCP_HASH=1 keeps the shared hash. Returns
// whether namespaces will have a private hash.
inline constexpr int kPrivateTcpHashEntries = 256;
bool use_private_tcp_hash();
bool private_tcp_hash_in_use();

// Process-wide counts, for benchmarks and docs/performance.md.
struct NamespaceStats {
  std::uint64_t created = 0;         // unshare(CLONE_NEWNET) calls
  std::uint64_t reused = 0;          // acquisitions served from an idle one
  std::uint64_t held = 0;            // namespaces open now (idle in a pool or in use)
  std::uint64_t throttle_waits = 0;  // creations that waited for the kernel to catch up
  std::uint64_t swept = 0;           // released with sockets left, kept after destroying them
};
NamespaceStats namespace_stats();

// Namespaces this process released that the kernel has not yet begun to
// destroy, or -1 when they cannot be counted here.
int namespaces_awaiting_destruction();

// A namespace as the pool lends it: an open fd, the namespace's sock_diag
// socket and its sockstat file. The socket travels with the namespace instead of being closed after each
// scenario because a closed netlink socket is still counted among the
// namespace's sockets until an RCU grace period later (netlink_release
// frees it through call_rcu, deferred_put_nlk_sk): every namespace that ran
// `ss` or a connect to a listener would look used.
struct PooledNamespace {
  int fd = -1;
  SockDiag diag;         // opened when the namespace is made
  int sockstat_fd = -1;  // the namespace's /proc/net/sockstat (namespace_pool.cc)
};
// Descriptors a namespace held by the pool or a run keeps open.
inline constexpr int kFdsPerNamespace = 3;

class NamespacePool {
 public:
  // The process's pool.
  static NamespacePool& shared();

  // A clean namespace the calling thread is now in, or nullopt and *error.
  // reuse false: always a fresh one (OracleConfig::reuse_namespaces).
  std::optional<PooledNamespace> acquire(std::string* error, bool reuse = true);
  // The thread must not be in `ns`'s namespace unless it leaves it next.
  void release(PooledNamespace ns, bool reusable);

  ~NamespacePool();

 private:
  NamespacePool() = default;
  std::optional<PooledNamespace> create_fresh(std::string* error);
  bool make_clean(PooledNamespace& ns);

  std::mutex mutex_;                    // guards idle_
  std::vector<PooledNamespace> idle_;  // clean namespaces awaiting reuse
};

}  // namespace sockspec::oracle
