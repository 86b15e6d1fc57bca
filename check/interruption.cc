// The interrupt watcher: see check/interruption.h.
#include "check/interruption.h"

#include <pthread.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

namespace sockspec {

namespace {

bool inherited_as_ignored(int sig) {
  struct sigaction current {};
  return ::sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
}

}  // namespace

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev ? fmt::format("SIG{}", abbrev) : fmt::format("signal {}", signal);
}

InterruptWatch::InterruptWatch() {
  sigemptyset(&watched_);
  for (int sig : {SIGINT, SIGTERM})
    if (!inherited_as_ignored(sig)) sigaddset(&watched_, sig);
  ::pthread_sigmask(SIG_BLOCK, &watched_, &old_mask_);
  if (sigisemptyset(&watched_)) return;  // both ignored: nothing to watch
  watcher_ = std::thread([this] {
    for (;;) {
      int sig = 0;
      if (::sigwait(&watched_, &sig) != 0 || done_) return;
      if (signal_.exchange(sig) != 0) {
        fmt::print(stderr, "sockspec: {} again: stopping at once\n", signal_name(sig));
        ::_exit(128 + sig);
      }
      fmt::print(stderr, "sockspec: {}: finishing the lines in progress, then the summary ({} again stops at once)\n",
                 signal_name(sig), signal_name(sig));
    }
  });
}

InterruptWatch::~InterruptWatch() {
  if (watcher_.joinable()) {
    done_ = true;
    // wakes its sigwait with a signal it waits for (blocked, so never delivered otherwise)
    ::pthread_kill(watcher_.native_handle(), sigismember(&watched_, SIGTERM) ? SIGTERM : SIGINT);
    watcher_.join();
  }
  ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace sockspec
