// run_in_guest: builds the initramfs, boots qemu, streams the command's
// stdout back line by line.
#include "guest/guest.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "guest/boot_image.h"
#include "guest/files.h"
#include "guest/initramfs.h"
#include "guest/process.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;
using guest::Child;
using guest::Clock;
using guest::Fd;

// console=ttyS1: ttyS0 is the command's. panic=-1 with -no-reboot: a panic
// ends qemu instead of hanging it. The rest is measured to save about 0.35 s
// of a 2.8 s boot under TCG (no crypto self-tests, no speculation
// workarounds, no TSC re-checks): none changes what sockets do.
constexpr const char* kKernelCommandLine =
    "console=ttyS1 quiet panic=-1 cryptomgr.notests mitigations=off tsc=reliable no_timer_check";

constexpr const char* kInitrd = "initrd.cpio";  // in the work directory
constexpr const char* kConsole = "console";

constexpr auto kPowerOffGrace = std::chrono::seconds(30);  // exit marker seen -> qemu gone

// A private scratch directory, removed on every way out.
class WorkDir {
 public:
  WorkDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = (fs::path(tmp && *tmp ? tmp : "/tmp") / "sockspec-guest-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw GuestUnavailable(fmt::format("cannot make a work directory {}: {}", pattern, std::strerror(errno)));
    path_ = pattern;
  }
  ~WorkDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// qemu runs in the work directory, which holds `initrd` and `console`:
// relative names keep commas in a TMPDIR out of qemu's option syntax.
std::vector<std::string> qemu_argv(const fs::path& image, const GuestJob& job, const std::string& initrd,
                                   const std::string& console) {
  // TCG: KVM stops at "KVM internal error" on these (virtual) hosts.
  // ttyS0 = qemu's stdout (the command's stdout), ttyS1 = the console file.
  return {"qemu-system-x86_64", "-accel", "tcg", "-cpu", "max",
          "-m", std::to_string(job.memory_mib), "-smp", std::to_string(job.cpus),
          "-nodefaults", "-no-reboot", "-nic", "none", "-display", "none", "-monitor", "none",
          "-chardev", "stdio,id=out,signal=off", "-serial", "chardev:out",
          "-serial", "file:" + console,
          "-kernel", image.string(), "-initrd", initrd,
          "-append", kKernelCommandLine};
}

// Splits qemu's stdout into lines: the markers are taken out, every other
// line goes to job.on_line.
class LineReader {
 public:
  LineReader(const GuestJob& job, Clock::time_point start, GuestOutcome& outcome)
      : job_(job), start_(start), outcome_(outcome) {}

  void feed(std::string_view bytes) {
    pending_.append(bytes);
    std::size_t begin = 0;
    for (std::size_t nl; (nl = pending_.find('\n', begin)) != std::string::npos; begin = nl + 1)
      line(std::string_view(pending_).substr(begin, nl - begin));
    pending_.erase(0, begin);
  }
  void finish() {  // qemu's stdout closed: a last line without its newline
    if (!pending_.empty()) line(pending_);
    pending_.clear();
  }
  bool started() const { return started_; }
  bool exited() const { return exited_; }
  // job.bring_back's archive, base64, once its end marker arrived.
  const std::optional<std::string>& files() const { return files_; }

 private:
  void line(std::string_view text) {
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text == guest::kStartMarker) {
      started_ = true;
      outcome_.boot_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
      return;
    }
    if (receiving_files_) {
      if (text == guest::kFilesEndMarker) {
        files_ = std::move(files_text_);
        receiving_files_ = false;
      } else {
        files_text_.append(text).append("\n");
      }
      return;
    }
    // The file and exit markers follow a last line that had no newline on the same line.
    if (std::size_t files = text.find(guest::kFilesMarker); files != std::string_view::npos) {
      if (files > 0) deliver(text.substr(0, files));
      receiving_files_ = true;
      return;
    }
    std::size_t marker = text.find(guest::kExitMarker);
    if (marker != std::string_view::npos) {
      if (marker > 0) deliver(text.substr(0, marker));
      std::string_view code = text.substr(marker + guest::kExitMarker.size());
      std::from_chars(code.data(), code.data() + code.size(), outcome_.exit_code);
      exited_ = true;
      return;
    }
    deliver(text);
  }
  void deliver(std::string_view text) {
    if (job_.on_line) job_.on_line(text);
  }

  const GuestJob& job_;
  Clock::time_point start_;
  GuestOutcome& outcome_;
  std::string pending_;
  bool started_ = false, exited_ = false;
  bool receiving_files_ = false;
  std::string files_text_;
  std::optional<std::string> files_;
};

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  std::erase(s, '\r');
  return s;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("qemu exited with {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("qemu was killed by signal {}", WTERMSIG(status));
  return "qemu stopped";
}

// Reads qemu's stdout until it closes or the deadline; the deadline shrinks
// to a grace period once the command has reported its exit.
void pump(int fd, LineReader& reader, Clock::time_point deadline, GuestOutcome& outcome) {
  for (;;) {
    if (reader.exited()) deadline = std::min(deadline, Clock::now() + kPowerOffGrace);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      outcome.timed_out = !reader.exited();
      return;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000))) < 0 && errno != EINTR) return;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      reader.feed(std::string_view(buf, n));
    } else if (n == 0 || errno != EINTR) {
      reader.finish();
      return;
    }
  }
}

GuestOutcome boot(const GuestKernel& kernel, const fs::path& image, const GuestJob& job, const fs::path& work,
                  std::optional<std::string>& files) {
  GuestOutcome outcome;
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(job.timeout_s);
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  fs::path qemu_log = work / "qemu.stderr";
  Fd qemu_err(::open(qemu_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  std::optional<Child> qemu;
  try {
    // qemu in a network namespace of its own: none of its sockets (if any)
    // ever exists in the host's.
    qemu.emplace(guest::SpawnOptions{qemu_argv(fs::absolute(image), job, kInitrd, kConsole), work, -1,
                                     out_write.get(), qemu_err.get(), true});
  } catch (const std::runtime_error& e) {
    throw GuestUnavailable(std::string("cannot start qemu: ") + e.what());
  }
  out_write.reset();
  LineReader reader(job, start, outcome);
  pump(out_read.get(), reader, deadline, outcome);
  auto status = outcome.timed_out ? std::nullopt : qemu->wait_until(std::min(deadline, Clock::now() + kPowerOffGrace));
  if (!status) status = qemu->kill_and_reap();
  outcome.total_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  outcome.console = read_text(work / kConsole);
  if (std::string err = read_text(qemu_log); !err.empty()) outcome.console += err;  // qemu names itself
  if (!reader.exited()) outcome.exit_code = -1;
  files = reader.files();
  if (!reader.started() && !outcome.timed_out)
    throw GuestUnavailable(fmt::format("the {} guest stopped before the command started ({}); its console ends:\n{}",
                                       kernel.release, describe_status(*status),
                                       guest::last_lines(outcome.console, 30)));
  return outcome;
}

// `root` replaced by `staged` (a directory on any file system): copied next
// to it first, so `root` is either the old or the new one, never half of it.
void replace_directory(const fs::path& root, const fs::path& staged) {
  const fs::path incoming = root.parent_path() / fmt::format(".{}.incoming.{}", root.filename().string(), ::getpid());
  const fs::path old = root.parent_path() / fmt::format(".{}.old.{}", root.filename().string(), ::getpid());
  fs::remove_all(incoming);
  fs::copy(staged, incoming, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  fs::remove_all(old);
  fs::rename(root, old);
  fs::rename(incoming, root);
  fs::remove_all(old);
}

// Decodes and unpacks the guest's archive of job.bring_back, then puts each
// directory in place of the host's.
void bring_back(const GuestJob& job, const std::string& base64, const fs::path& work) {
  const fs::path busybox = guest::find_program("busybox").value_or("busybox");
  guest::write_file(work / "back.b64", base64);
  std::vector<std::string> decode = {busybox.string(), "base64", "-d", (work / "back.b64").string()};
  auto decoded = guest::run_command(decode, 120, work, {}, work / "back.tgz");
  if (!decoded.ok()) throw std::runtime_error("the guest's files: " + guest::describe_failure(decode, decoded));
  fs::create_directories(work / "back");
  std::vector<std::string> unpack = {busybox.string(), "tar", "-xzf", (work / "back.tgz").string(), "-C",
                                     (work / "back").string()};
  auto unpacked = guest::run_command(unpack, 300, work);
  if (!unpacked.ok()) throw std::runtime_error("the guest's files: " + guest::describe_failure(unpack, unpacked));
  for (const auto& dir : job.bring_back) {
    const fs::path root = fs::absolute(dir).lexically_normal();
    const fs::path staged = work / "back" / root.relative_path();
    if (!fs::is_directory(staged)) throw std::runtime_error("the guest did not send back " + root.string());
    replace_directory(root, staged);
  }
}

void check_job(const GuestJob& job) {
  if (job.cpus < 1 || job.memory_mib < 256 || job.timeout_s < 1)
    throw std::invalid_argument(fmt::format(
        "a guest needs cpus >= 1, memory_mib >= 256, timeout_s >= 1 (got {}, {}, {})", job.cpus, job.memory_mib,
        job.timeout_s));
}

}  // namespace

void require_guest_tools() {
  for (const char* tool : {"qemu-system-x86_64", "busybox"})
    if (!guest::find_program(tool))
      throw GuestUnavailable(std::string(tool) + " not found: apt-get install qemu-system-x86 busybox-static xz-utils");
}

GuestOutcome run_in_guest(const GuestKernel& kernel, const GuestJob& job) {
  check_job(job);
  require_guest_tools();
  WorkDir work;
  if (job.on_progress) job.on_progress("building the initramfs for " + kernel.release);
  guest::build_initramfs(kernel, job, work.path(), work.path() / kInitrd);
  fs::path image = guest::boot_image(kernel, work.path(), job.on_progress);
  if (job.on_progress) job.on_progress("booting " + kernel.release);
  std::optional<std::string> files;
  GuestOutcome outcome = boot(kernel, image, job, work.path(), files);
  if (!job.bring_back.empty() && files && outcome.exit_code >= 0) {
    bring_back(job, *files, work.path());
    outcome.brought_back = true;
  }
  return outcome;
}

}  // namespace sockspec
