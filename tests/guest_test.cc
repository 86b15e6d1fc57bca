// guest/: resolving kernels, and a real boot of Debian's 6.1 under qemu.
//
// The guest runs this very binary, so main() answers what the guest is asked
// to run before GoogleTest starts: `--guest-echo FILE` prints the kernel
// release it runs on and FILE's contents, and exits 7; `--guest-sleep`
// never ends; `--guest-write DIR` makes DIR/new.txt, removes DIR/old.txt,
// writes a line to stdout and one to stderr, and exits 5.
//
// The boot test needs qemu-system-x86 and busybox-static (scripts/setup.sh)
// and, the first time, apt to fetch the kernel (~70 MB) into the cache
// (SOCKSPEC_KERNEL_CACHE, default /var/cache/sockspec/kernels).
#include <gtest/gtest.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "guest/guest.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;

int guest_echo(const char* file) {
  utsname names{};
  ::uname(&names);
  std::cout << "release " << names.release << "\n";
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) std::cout << "carried " << line << "\n";
  std::cout.flush();
  return 7;
}

// The message of the std::invalid_argument `spec` throws, or "" if none.
std::string invalid_argument_of(const std::string& spec) {
  try {
    resolve_guest_kernel(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(GuestKernel, UnknownFormListsTheAcceptedOnes) {
  std::string message = invalid_argument_of("7.99x");
  EXPECT_NE(message.find("7.99x"), std::string::npos) << message;
  EXPECT_NE(message.find("\"6.1\""), std::string::npos) << message;
  EXPECT_NE(message.find("\"6.12\""), std::string::npos) << message;
  EXPECT_NE(message.find("vmlinuz"), std::string::npos) << message;
}

TEST(GuestKernel, MissingPathIsNamed) {
  std::string message = invalid_argument_of("/nonexistent/boot/vmlinuz-9.9");
  EXPECT_NE(message.find("/nonexistent/boot/vmlinuz-9.9"), std::string::npos) << message;
  EXPECT_NE(message.find("no such file"), std::string::npos) << message;
}

TEST(GuestKernel, NonKernelFileIsRefused) {
  fs::path file = fs::path(testing::TempDir()) / "not-a-vmlinuz";
  std::ofstream(file) << "hello\n";
  std::string message = invalid_argument_of(file.string());
  EXPECT_NE(message.find("not a Linux kernel image"), std::string::npos) << message;
  fs::remove(file);
}

TEST(Guest, Linux61RunsThisBinary) {
  GuestKernel kernel;
  try {
    kernel = resolve_guest_kernel("6.1", [](std::string_view m) { std::cerr << "guest: " << m << "\n"; });
  } catch (const GuestUnavailable& e) {
    FAIL() << e.what();
  }
  EXPECT_TRUE(kernel.release.starts_with("6.1.")) << kernel.release;
  // A file under /tmp: /init mounts a fresh tmpfs there and must keep it.
  fs::path carried = fs::path(testing::TempDir()) / "guest-test-carried.txt";
  std::ofstream(carried) << "hello from the host\n";
  std::vector<std::string> lines;
  GuestJob job;
  job.argv = {"ignored", "--guest-echo", carried.string()};
  job.carry = {carried};
  job.cwd = "/tmp/guest-test-cwd";
  job.timeout_s = 300;
  job.on_line = [&](std::string_view line) { lines.emplace_back(line); };
  job.on_progress = [](std::string_view m) { std::cerr << "guest: " << m << "\n"; };
  GuestOutcome outcome = run_in_guest(kernel, job);
  fs::remove(carried);
  std::cerr << fmt::format("guest: boot {:.1f} s, total {:.1f} s\n", outcome.boot_seconds, outcome.total_seconds);
  ASSERT_FALSE(outcome.timed_out) << outcome.console;
  EXPECT_EQ(outcome.exit_code, 7) << outcome.console;
  ASSERT_EQ(lines.size(), 2u) << outcome.console;
  EXPECT_EQ(lines[0], "release " + kernel.release);
  EXPECT_TRUE(lines[0].starts_with("release 6.1.")) << lines[0];
  EXPECT_EQ(lines[1], "carried hello from the host");
  EXPECT_GT(outcome.boot_seconds, 0);
  EXPECT_GE(outcome.total_seconds, outcome.boot_seconds);
}

// The directories a command writes come back in place of the host's: a
// file it made is there, one it removed is gone; its stderr reaches on_line.
TEST(Guest, WrittenDirectoriesComeBack) {
  GuestKernel kernel = resolve_guest_kernel("6.1");
  fs::path dir = fs::path(testing::TempDir()) / "guest-test-back";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "old.txt") << "removed in the guest\n";
  std::ofstream(dir / "sub" / "kept.txt") << "kept\n";
  GuestJob job;
  job.argv = {"ignored", "--guest-write", dir.string()};
  job.bring_back = {dir};
  job.stderr_to_stdout = true;
  job.timeout_s = 300;
  std::vector<std::string> lines;
  job.on_line = [&](std::string_view line) { lines.emplace_back(line); };
  GuestOutcome outcome = run_in_guest(kernel, job);
  EXPECT_EQ(outcome.exit_code, 5) << outcome.console;
  EXPECT_TRUE(outcome.brought_back) << outcome.console;
  EXPECT_EQ(lines, std::vector<std::string>({"to stdout", "to stderr"})) << outcome.console;
  EXPECT_FALSE(fs::exists(dir / "old.txt"));
  std::ifstream made(dir / "new.txt"), kept(dir / "sub" / "kept.txt");
  std::string made_line, kept_line;
  std::getline(made, made_line);
  std::getline(kept, kept_line);
  EXPECT_EQ(made_line, "written in the guest");
  EXPECT_EQ(kept_line, "kept");
  fs::remove_all(dir);
}

// A command that never ends: the timeout kills qemu, and says so.
TEST(Guest, TimeoutKillsTheGuest) {
  GuestKernel kernel = resolve_guest_kernel("6.1");
  GuestJob job;
  job.argv = {"ignored", "--guest-sleep"};
  job.timeout_s = 15;
  bool started = false;
  job.on_line = [&](std::string_view line) { started = started || line == "sleeping"; };
  GuestOutcome outcome = run_in_guest(kernel, job);
  EXPECT_TRUE(outcome.timed_out) << outcome.console;
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_TRUE(started) << outcome.console;
  EXPECT_LT(outcome.total_seconds, 15 + 15);
}

TEST(Guest, MissingCarriedFileIsNamed) {
  GuestJob job;
  job.argv = {"ignored", "--guest-echo", "/nonexistent/carried"};
  job.carry = {"/nonexistent/carried"};
  try {
    run_in_guest(resolve_guest_kernel("6.1"), job);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/carried"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sockspec

int main(int argc, char** argv) {
  if (argc == 3 && std::string_view(argv[1]) == "--guest-echo") return sockspec::guest_echo(argv[2]);
  if (argc == 3 && std::string_view(argv[1]) == "--guest-write") {
    std::filesystem::path dir = argv[2];
    std::ofstream(dir / "new.txt") << "written in the guest\n";
    std::filesystem::remove(dir / "old.txt");
    std::cout << "to stdout" << std::endl;
    std::cerr << "to stderr" << std::endl;
    return 5;
  }
  if (argc == 2 && std::string_view(argv[1]) == "--guest-sleep") {
    std::cout << "sleeping" << std::endl;
    ::sleep(600);
    return 0;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
