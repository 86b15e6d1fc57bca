#include "oracle/namespace_pool.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "oracle/netlink.h"
#include "oracle/sandbox.h"

namespace sockspec::oracle {
namespace {

// A namespace costs ~0.5 ms to create and is destroyed asynchronously by the
// kernel (cleanup_net); keeping a few clean ones saves both.
constexpr std::size_t kMaxIdle = 8;

}  // namespace

NamespacePool& NamespacePool::for_this_thread() {
  thread_local NamespacePool pool;
  return pool;
}

NamespacePool::~NamespacePool() {
  for (int fd : idle_) close(fd);
}

int NamespacePool::create_fresh(std::string* error) {
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
  if (int e = bring_loopback_up(); e != 0) {
    *error = fmt::format("bringing lo up: {}", std::strerror(e));
    close(fd);
    return -1;
  }
  return fd;
}

int NamespacePool::acquire(std::string* error) {
  while (!idle_.empty()) {
    int fd = idle_.back();
    idle_.pop_back();
    if (setns(fd, CLONE_NEWNET) == 0) return fd;
    close(fd);
  }
  return create_fresh(error);
}

// No socket of any kind in any state: the dumps see TIME-WAIT and request
// sockets too (inet_diag_dump_icsk walks ehash including timewait socks).
bool NamespacePool::is_clean(int fd) {
  if (setns(fd, CLONE_NEWNET) != 0) return false;
  SockDiag diag;
  std::vector<DiagSocket> sockets;
  bool clean = diag.dump_all(&sockets) == 0 && sockets.empty();
  setns(base_netns_fd(), CLONE_NEWNET);
  return clean;
}

void NamespacePool::release(int fd, bool reusable) {
  if (reusable && idle_.size() < kMaxIdle && is_clean(fd)) {
    idle_.push_back(fd);
    return;
  }
  close(fd);
}

}  // namespace sockspec::oracle
