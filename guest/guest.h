// Running a command inside a qemu guest that boots another Linux kernel, so
// the oracle can be checked against kernels other than the host's
// (/work/shared/kernels.md has the measurements this is built on).
//
// Contract:
//  - resolve_guest_kernel("6.1" | "6.12" | PATH) names a bootable kernel.
//    "6.1" / "6.12" are Debian's newest linux-image-6.1.0-*-amd64-unsigned /
//    linux-image-6.12.*-amd64-unsigned that apt knows, fetched into the cache
//    (SOCKSPEC_KERNEL_CACHE, default /var/cache/sockspec/kernels) once; when a
//    cached one exists it is used and apt is never called, so later runs are
//    offline (remove CACHE/RELEASE to fetch a newer one). Bad forms and
//    missing paths: std::invalid_argument. Fetching is the one step that
//    uses the host's network (apt-get download); nothing else here does.
//  - The cache also keeps, per kernel, what run_in_guest derives from it
//    once: the base initramfs (busybox, /init, modules) and the kernel
//    uncompressed, which qemu boots through its PVH entry in about half the
//    time a bzImage takes under TCG (guest/boot_image.h).
//  - run_in_guest(kernel, job) boots it under qemu (TCG, no network device,
//    qemu itself in a network namespace of its own so none of its sockets
//    ever exists in the host's) and runs this very binary (/proc/self/exe)
//    with job.argv[1..] inside; every line the command writes to its stdout
//    reaches job.on_line as it arrives. The guest is bounded by
//    job.timeout_s, every helper command (apt, cpio, ...) by a limit of its
//    own; the temporary work directory is always removed. Other programs the
//    command starts (job.programs: a fuzzer) are carried with their shared
//    libraries; directories it writes (job.bring_back) come back once it
//    ended, in place of the host's.
//  - GuestUnavailable (what() says why and how to fix it: "qemu-system-x86_64
//    not found: apt-get install qemu-system-x86 busybox-static") is thrown
//    when no guest can be had here, or the guest stopped before the command
//    started; the CLI exits 3 with it.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec {

// A kernel a guest can boot.
struct GuestKernel {
  std::string name;     // as asked: "6.1", "6.12", or the path given
  std::string release;  // e.g. "6.1.0-57-amd64" (the modules directory name)
  std::filesystem::path vmlinuz;
  std::filesystem::path modules;  // .../lib/modules/<release>; empty if none (drivers built in)
};

// The guest cannot be had here; what() says why and the command that fixes it.
class GuestUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "6.1", "6.12" (Debian packages, fetched and cached once), or the path of a
// vmlinuz file whose modules, if any, are in ../lib/modules/* next to it
// (the layout `dpkg-deb -x` gives). Throws std::invalid_argument for any
// other form or a path that is not a kernel image, GuestUnavailable when a
// Debian kernel is neither cached nor obtainable with apt.
GuestKernel resolve_guest_kernel(std::string_view spec);
// The same, telling `on_progress` what it fetches ("fetching linux-image-...").
GuestKernel resolve_guest_kernel(std::string_view spec, const std::function<void(std::string_view)>& on_progress);

// The kernel cache directory: $SOCKSPEC_KERNEL_CACHE, else
// /var/cache/sockspec/kernels.
std::filesystem::path guest_kernel_cache();

struct GuestJob {
  // argv[0] is ignored: the guest runs this very binary (/proc/self/exe of
  // the caller, stripped of debug info) at the same absolute path.
  std::vector<std::string> argv;
  // Files or directories the command reads, copied into the guest at the
  // same absolute paths (directories recursively, symlinks kept).
  std::vector<std::filesystem::path> carry;
  // Other executables the command runs (the differential fuzzer), carried at
  // their own absolute paths, stripped of debug info, with every shared
  // library ldd lists for them.
  std::vector<std::filesystem::path> programs;
  // Directories the command writes. Each is carried in (so it must exist on
  // the host), and once the command ended the guest sends it back (a gzip'd
  // tar, base64 between two marker lines on stdout, never reaching on_line);
  // the host then puts it in place of its own copy, so what the command
  // removed there is gone on the host too. Nested directories: name only the
  // outer one.
  std::vector<std::filesystem::path> bring_back;
  // The command's stderr reaches on_line too, interleaved (otherwise it goes
  // to the console, for error messages).
  bool stderr_to_stdout = false;
  std::filesystem::path cwd = "/";   // the command's working directory (made if needed)
  std::vector<std::string> env;      // extra NAME=VALUE for the command
  int cpus = 2;                      // qemu -smp
  int memory_mib = 2048;             // qemu -m
  int timeout_s = 600;               // the whole guest, boot included
  // Each line (without \n, \r stripped) the command writes to stdout, as it
  // arrives. The guest's own marker lines never reach it.
  std::function<void(std::string_view line)> on_line;
  // Progress for a person ("fetching ...", "booting 6.1.0-57-amd64"); unset: silent.
  std::function<void(std::string_view message)> on_progress;
};

struct GuestOutcome {
  int exit_code = -1;      // the command's exit status in the guest; -1 if it never finished
  bool timed_out = false;  // job.timeout_s expired and qemu was killed
  double boot_seconds = 0;   // qemu start to the command's start
  double total_seconds = 0;  // qemu start to qemu exit
  // job.bring_back arrived whole and replaced the host's directories.
  bool brought_back = false;
  // The guest's kernel console and the command's stderr (and qemu's own
  // stderr, if any), for error messages.
  std::string console;
};

// Boots `kernel` and runs job.argv inside. Returns once qemu exited: with
// timed_out set if the timeout killed it (after the command started or not),
// with exit_code -1 if the guest died while the command ran. Throws
// GuestUnavailable when qemu or busybox is missing, or the guest stopped
// before starting the command; std::invalid_argument for a carried path that
// does not exist; std::runtime_error when job.bring_back arrived but cannot
// be unpacked (a guest that timed out or died sends nothing: brought_back
// stays false and the host's directories are left as they were).
GuestOutcome run_in_guest(const GuestKernel& kernel, const GuestJob& job);

// Throws GuestUnavailable, with the command that installs them, when qemu or
// busybox is not on PATH; callers check before fetching a kernel.
void require_guest_tools();

}  // namespace sockspec
