// run_in_gvisor: runsc in a network namespace of its own, its state in a
// private directory, its stdout streamed back line by line.
#include "guest/gvisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "guest/process.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;
using guest::Child;
using guest::Clock;
using guest::Fd;

// The state directory runsc keeps its container records in: private to one
// run, and the mark by which its processes are found when they are ended.
class StateDir {
 public:
  StateDir() {
    std::string pattern = (parent() / "sockspec-gvisor-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw GuestUnavailable(fmt::format("cannot make a runsc state directory {}: {}", pattern, std::strerror(errno)));
    path_ = pattern;
  }
  ~StateDir() {
    kill_marked();
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;
  const fs::path& path() const { return path_; }

  // $TMPDIR when runsc can start from under it, else /var/tmp. runsc keeps
  // a unix socket in its state directory (sun_path holds 108 bytes), and
  // its sandbox did not start under a directory closed to others (a
  // `mktemp -d` $TMPDIR: "cannot read client sync file").
  static fs::path parent() {
    const char* tmp = std::getenv("TMPDIR");
    struct stat st {};
    if (tmp && *tmp && std::strlen(tmp) <= 48 && ::stat(tmp, &st) == 0 && (st.st_mode & S_IXOTH)) return tmp;
    return "/var/tmp";
  }

  // SIGKILL to every process whose command line names this directory (runsc
  // passes --root on to its gofer and sandbox), until none is left.
  void kill_marked() const {
    for (int round = 0; round < 50; ++round) {
      bool any = false;
      for (const auto& entry : fs::directory_iterator("/proc", std::filesystem::directory_options::skip_permission_denied)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmdline.find(path_.string()) == std::string::npos) continue;
        any = true;
        ::kill(std::stoi(name), SIGKILL);
      }
      if (!any) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  fs::path path_;
};

std::vector<std::string> runsc_argv(const fs::path& state, const GuestJob& job) {
  std::vector<std::string> argv = {"runsc", "--network=none", "--platform=ptrace", "--root", state.string(),
                                   "do", "--cwd", job.cwd.string(), "--", fs::read_symlink("/proc/self/exe").string()};
  argv.insert(argv.end(), job.argv.begin() + (job.argv.empty() ? 0 : 1), job.argv.end());
  return argv;
}

// Reads runsc's stdout until it closes or the deadline, line by line.
void pump(int fd, const GuestJob& job, Clock::time_point deadline, GuestOutcome& outcome) {
  std::string pending;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = true;
      return;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) return;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t begin = 0;
    for (std::size_t nl; (nl = pending.find('\n', begin)) != std::string::npos; begin = nl + 1)
      if (job.on_line) job.on_line(std::string_view(pending).substr(begin, nl - begin));
    pending.erase(0, begin);
  }
  if (!pending.empty() && job.on_line) job.on_line(pending);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void require_runsc() {
  if (!guest::find_program("runsc")) throw GuestUnavailable("runsc not found: apt-get install runsc");
}

}  // namespace

std::string parse_runsc_version(std::string_view first_line) {
  static const std::regex snapshot(R"((?:~|release-)(\d{8}))");
  std::cmatch m;
  std::string line(first_line);
  if (std::regex_search(line.c_str(), m, snapshot)) return m[1].str();
  return line;
}

std::string runsc_version() {
  require_runsc();
  guest::CommandResult r = guest::run_command({"runsc", "--version"}, 30);
  if (!r.ok()) throw GuestUnavailable(guest::describe_failure({"runsc", "--version"}, r));
  return parse_runsc_version(r.out.substr(0, r.out.find('\n')));
}

GuestOutcome run_in_gvisor(const GuestJob& job) {
  require_runsc();
  if (job.timeout_s < 1) throw std::invalid_argument(fmt::format("a gVisor run needs timeout_s >= 1 (got {})", job.timeout_s));
  StateDir state;
  GuestOutcome outcome;
  const auto start = Clock::now();
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  const fs::path err_log = state.path() / "stderr";
  Fd err(::open(err_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::optional<Child> runsc;
  try {
    runsc.emplace(guest::SpawnOptions{runsc_argv(state.path(), job), {}, -1, out_write.get(), err.get(), true});
  } catch (const std::runtime_error& e) {
    throw GuestUnavailable(std::string("cannot start runsc: ") + e.what());
  }
  out_write.reset();
  outcome.boot_seconds = 0;  // runsc has no boot to speak of: the command starts at once
  pump(out_read.get(), job, start + std::chrono::seconds(job.timeout_s), outcome);
  auto status = outcome.timed_out ? std::nullopt : runsc->wait_until(Clock::now() + std::chrono::seconds(30));
  if (!status) status = runsc->kill_and_reap();
  state.kill_marked();
  outcome.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  outcome.exit_code = WIFEXITED(*status) && !outcome.timed_out ? WEXITSTATUS(*status) : -1;
  outcome.console = read_text(err_log);
  return outcome;
}

}  // namespace sockspec
