// Interrupting a run (SIGINT, SIGTERM) so that it says where it stopped.
//
// Contract: an InterruptWatch blocks SIGINT and SIGTERM in the thread that
// makes it, and so in every thread that thread starts afterwards (the
// workers of check/parallel.h), and waits for them on a thread of its own.
// The first signal is stored in signal(), which the driver reads between
// lines (DriverConfig::stop_signal): the lines in progress finish, the rest
// of their scenarios and the scenarios not started are not run, and the
// command writes its summary and its files. A second signal ends the
// process at once with exit 128+signal (files not yet committed stay absent
// or as they were: check/output_file.h). A signal the process inherited as
// ignored (a background job's SIGINT) stays ignored. The destructor stops
// the watcher and restores the signal mask. Make it after the oracle's
// sandbox, which needs a single-threaded process.
#pragma once

#include <signal.h>

#include <atomic>
#include <string>
#include <thread>

namespace sockspec {

class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  // 0 until a signal came, then its number.
  const std::atomic<int>& signal() const { return signal_; }

 private:
  std::atomic<int> signal_{0};
  std::atomic<bool> done_{false};
  sigset_t watched_{}, old_mask_{};
  std::thread watcher_;
};

// "SIGINT", "SIGTERM", ...
std::string signal_name(int signal);

}  // namespace sockspec
