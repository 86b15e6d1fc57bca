#include "guest/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sockspec::guest {
namespace {

// What a child that could not exec reports through its error pipe.
struct ChildFailure {
  int step;  // index into kSteps
  int error;
};
constexpr const char* kSteps[] = {"unshare the network namespace", "set up its fds", "chdir", "exec"};

[[noreturn]] void child_fail(int err_fd, int step) {
  ChildFailure failure{step, errno};
  [[maybe_unused]] ssize_t n = ::write(err_fd, &failure, sizeof failure);
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls from here to exec.
[[noreturn]] void child_exec(const SpawnOptions& o, const char* path, char* const* argv, int devnull,
                             int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // qemu must not outlive a crashed caller
  // A fresh network namespace: whatever sockets qemu makes never exist in
  // the host's. Unprivileged callers need a user namespace for it.
  if (o.own_netns && ::unshare(CLONE_NEWNET) != 0 &&
      (errno != EPERM || ::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0))
    child_fail(err_fd, 0);
  int fds[3] = {o.stdin_fd, o.stdout_fd, o.stderr_fd};
  for (int i = 0; i < 3; ++i)
    if (::dup2(fds[i] >= 0 ? fds[i] : devnull, i) < 0) child_fail(err_fd, 1);
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // no fd of the caller leaks into the child
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (!o.cwd.empty() && ::chdir(o.cwd.c_str()) != 0) child_fail(err_fd, 2);
  ::execv(path, argv);
  child_fail(err_fd, 3);
}

int open_or_throw(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  return fd;
}

}  // namespace

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Child::Child(const SpawnOptions& o) {
  // Everything the child needs is made before fork: after it, only
  // async-signal-safe calls are allowed (the caller may have threads).
  auto path = find_program(o.argv.at(0));
  if (!path) throw std::runtime_error(fmt::format("{} not found", o.argv[0]));
  std::string path_text = path->string();
  std::vector<char*> argv;
  for (const auto& arg : o.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  Fd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  int err_pipe[2];
  if (devnull.get() < 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(fmt::format("cannot start {}: {}", o.argv[0], std::strerror(errno)));
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  if (pid_ == 0) child_exec(o, path_text.c_str(), argv.data(), devnull.get(), err_write.get());
  err_write.reset();
  // The error pipe closes at exec (O_CLOEXEC): no bytes means it exec'd.
  ChildFailure failure{};
  ssize_t n;
  do n = ::read(err_read.get(), &failure, sizeof failure);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    wait_until(Clock::now() + std::chrono::seconds(10));
    throw std::runtime_error(fmt::format("{}: cannot {}: {}", o.argv[0], kSteps[failure.step],
                                         std::strerror(failure.error)));
  }
}

Child::~Child() {
  if (!status_) kill_and_reap();
}

std::optional<int> Child::wait_until(Clock::time_point deadline) {
  while (!status_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = status;
    } else if (r < 0 && errno != EINTR) {
      status_ = -1;  // not our child any more (reaped elsewhere): nothing to wait for
    } else if (Clock::now() >= deadline) {
      break;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return status_;
}

int Child::kill_and_reap() {
  if (!status_) ::kill(pid_, SIGKILL);
  // SIGKILL is not ignorable; the bound only guards against a process stuck
  // in the kernel, which we would then leave behind rather than hang.
  return wait_until(Clock::now() + std::chrono::seconds(10)).value_or(-1);
}

bool CommandResult::ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }

CommandResult run_command(const std::vector<std::string>& argv, int timeout_s, const std::filesystem::path& cwd,
                          const std::filesystem::path& stdin_path, const std::filesystem::path& stdout_path) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  Fd in(stdin_path.empty() ? -1 : open_or_throw(stdin_path, O_RDONLY));
  Fd out_file(stdout_path.empty() ? -1 : open_or_throw(stdout_path, O_WRONLY | O_CREAT | O_TRUNC));
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);
  SpawnOptions options{argv, cwd, in.get(), out_file.get() >= 0 ? out_file.get() : out_write.get(),
                       err_write.get(), false};
  Child child(options);
  out_write.reset();
  err_write.reset();
  CommandResult result;
  // Read both pipes until they close or the deadline passes.
  pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      break;
    }
    int r = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, n);
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  auto status = result.timed_out ? std::nullopt : child.wait_until(deadline);
  if (!status) {
    result.timed_out = true;
    status = child.kill_and_reap();
  }
  result.status = *status;
  return result;
}

std::string describe_failure(const std::vector<std::string>& argv, const CommandResult& result) {
  std::string what;
  if (result.timed_out)
    what = "timed out";
  else if (WIFEXITED(result.status))
    what = fmt::format("exited with {}", WEXITSTATUS(result.status));
  else if (WIFSIGNALED(result.status))
    what = fmt::format("was killed by signal {}", WTERMSIG(result.status));
  else
    what = "failed";
  std::string err = last_lines(result.err, 15);
  return fmt::format("`{}` {}{}{}", fmt::join(argv, " "), what, err.empty() ? "" : ":\n", err);
}

std::string last_lines(std::string_view text, int count) {
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::size_t start = text.size();
  for (int i = 0; i < count && start > 0; ++i) {
    std::size_t nl = text.rfind('\n', start - 1);
    start = nl == std::string_view::npos ? 0 : nl;
  }
  if (start > 0) ++start;  // past the newline
  return std::string(text.substr(start));
}

std::optional<std::filesystem::path> find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? std::optional<std::filesystem::path>(name) : std::nullopt;
  const char* env = std::getenv("PATH");
  std::string dirs = std::string(env ? env : "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::filesystem::path candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace sockspec::guest
