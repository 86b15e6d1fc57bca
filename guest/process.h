// Child processes for guest/: every helper command (apt, dpkg-deb, cpio,
// objcopy, ldd) and qemu itself, each with a bounded wait.
//
// Contract: spawn() returns only once the child has exec'd (or throws with
// the step and errno that failed); a Child that goes out of scope unreaped
// is killed (SIGKILL) and reaped, so an exception never leaves a process
// behind. With own_netns the child enters a fresh network namespace (a user
// namespace too when plain unshare is refused) before exec.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec::guest {

using Clock = std::chrono::steady_clock;

// An owned file descriptor, closed on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::filesystem::path cwd;      // empty: inherit
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: /dev/null
  int stderr_fd = -1;             // -1: /dev/null
  bool own_netns = false;
};

class Child {
 public:
  explicit Child(const SpawnOptions& options);  // throws std::runtime_error
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // The wait status once it exited by `deadline`; nullopt if still running.
  std::optional<int> wait_until(Clock::time_point deadline);
  // SIGKILL and reap (bounded); the wait status.
  int kill_and_reap();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

struct CommandResult {
  int status = -1;  // the wait status
  bool timed_out = false;
  std::string out, err;  // out stays empty when stdout went to a file
  bool ok() const;       // exited with 0 in time
};

// Runs argv to completion (killed at the timeout); stdin from `stdin_path`
// (or /dev/null), stdout into `stdout_path` (or captured), stderr captured.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s,
                          const std::filesystem::path& cwd = {},
                          const std::filesystem::path& stdin_path = {},
                          const std::filesystem::path& stdout_path = {});

// argv[0] for a failure message: "cpio exited with 2: <stderr tail>".
std::string describe_failure(const std::vector<std::string>& argv, const CommandResult& result);

// The last `count` lines of `text`.
std::string last_lines(std::string_view text, int count);

// The program's path in PATH (and the sbin directories), if any.
std::optional<std::filesystem::path> find_program(const std::string& name);

}  // namespace sockspec::guest
