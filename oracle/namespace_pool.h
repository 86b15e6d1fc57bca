// Where a scenario's network namespaces come from.
//
// Contract: acquire() leaves the calling thread in a network namespace that
// is fresh (or provably as good as fresh): only `lo`, up, no sockets, no
// changed sysctl, link or address; it returns an open fd of it. release()
// gives one back: reusable says the caller changed no sysctl, link, address
// or uid in it; the pool itself checks that no socket is left in any state
// (TIME-WAIT included) before it keeps one for reuse. One pool per thread
// (namespaces are entered per thread), so no locking.
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
#include <string>
#include <vector>

namespace sockspec::oracle {

// Dying namespaces allowed before creation waits (the whole process).
inline constexpr int kMaxAwaitingDestruction = 64;
// A namespace the kernel never frees (something pins it) must not stop the
// campaign: after this long the pool creates anyway.
inline constexpr std::chrono::milliseconds kMaxThrottleWait{10000};

// Process-wide counts, for benchmarks and docs/performance.md.
struct NamespaceStats {
  std::uint64_t created = 0;         // unshare(CLONE_NEWNET) calls
  std::uint64_t reused = 0;          // acquisitions served from an idle one
  std::uint64_t throttle_waits = 0;  // creations that waited for the kernel to catch up
};
NamespaceStats namespace_stats();

// Namespaces this process released that the kernel has not yet begun to
// destroy, or -1 when they cannot be counted here.
int namespaces_awaiting_destruction();

class NamespacePool {
 public:
  // The calling thread's pool.
  static NamespacePool& for_this_thread();

  // An fd of a clean namespace the thread is now in, or -1 and *error.
  // reuse false: always a fresh one (OracleConfig::reuse_namespaces).
  int acquire(std::string* error, bool reuse = true);
  // The thread must not be in `fd`'s namespace unless it leaves it next.
  void release(int fd, bool reusable);

  ~NamespacePool();

 private:
  NamespacePool() = default;
  int create_fresh(std::string* error);
  bool is_clean(int fd);

  std::vector<int> idle_;  // clean namespaces awaiting reuse
};

}  // namespace sockspec::oracle
