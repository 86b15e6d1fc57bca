// Where a scenario's network namespaces come from.
//
// Contract: acquire() leaves the calling thread in a network namespace that
// is fresh (or provably as good as fresh): only `lo`, up, no sockets, no
// changed sysctl, link or address; it returns an open fd of it. release()
// gives one back: reusable says the caller changed no sysctl, link, address
// or uid in it; the pool itself checks that no socket is left in any state
// (TIME-WAIT included) before it keeps one for reuse. One pool per thread
// (namespaces are entered per thread), so no locking.
#pragma once

#include <string>
#include <vector>

namespace sockspec::oracle {

class NamespacePool {
 public:
  // The calling thread's pool.
  static NamespacePool& for_this_thread();

  // An fd of a clean namespace the thread is now in, or -1 and *error.
  int acquire(std::string* error);
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
