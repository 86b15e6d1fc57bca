#include "guest/initramfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "guest/elf.h"
#include "guest/files.h"
#include "guest/process.h"

namespace sockspec::guest {
namespace {

namespace fs = std::filesystem;

// PID 1. ttyS0 carries only the command's stdout and the two markers;
// ttyS1 is the console. The command gets pipes, not the serial ttys, so
// it behaves as under a host's pipe (no isatty progress lines, no tty
// translation), and ttyS0 is raw so the bytes arrive unchanged.
constexpr std::string_view kInit = R"(#!/sockspec-guest/bin/sh
# PID 1 of a sockspec guest (written by guest/initramfs.cc).
export PATH=/sockspec-guest/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/ttyS1 2>&1
# /tmp is a tmpfs of its own, sticky as on a host, keeping what was carried there
mount -t tmpfs tmpfs /mnt && cp -a /tmp/. /mnt/ && mount --move /mnt /tmp
chmod 1777 /tmp
for m in /sockspec-guest/modules/*.ko; do [ -e "$m" ] && insmod "$m"; done
# system(3) runs /bin/sh (libFuzzer's -fork and -merge do); /bin may be a
# carried symlink to usr/bin
[ -e /bin/sh ] || { b=$(readlink -f /bin); mkdir -p "$b" && ln -s /sockspec-guest/bin/busybox "$b/sh"; }
stty -F /dev/ttyS0 raw -echo
mkfifo /sockspec-guest/stderr
cat /sockspec-guest/stderr >/dev/ttyS1 &
printf '\036sockspec-guest-start\n' >/dev/ttyS0
set -o pipefail
(. /sockspec-guest/job.sh) 2>/sockspec-guest/stderr | cat >/dev/ttyS0
status=$?
wait
printf '\036sockspec-guest-exit %d\n' $status >/dev/ttyS0
poweroff -f
)";

// What the oracle needs that Debian builds as modules: sock_diag (every
// `ss` line is ENOENT without it) and veth (links). Missing ones are fine:
// they may be built in.
constexpr const char* kModules[] = {"inet_diag", "tcp_diag", "udp_diag", "unix_diag", "raw_diag", "veth"};

std::string shell_quote(std::string_view word) {
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// ---- Archives.

// A newc archive of `names` (relative to `root`, each parent before its
// children), made by busybox cpio, owned by root as the guest expects.
void write_cpio(const fs::path& busybox, const fs::path& root, const std::vector<std::string>& names,
                const fs::path& list, const fs::path& out) {
  std::string text;
  for (const auto& name : names) {
    if (name.find('\n') != std::string::npos) throw std::invalid_argument("a path with a newline: " + name);
    text += name + "\n";
  }
  write_file(list, text);
  std::vector<std::string> argv = {busybox.string(), "cpio", "-o", "-H", "newc", "-R", "0:0"};
  auto result = run_command(argv, 300, root, list, out);
  if (!result.ok()) throw std::runtime_error(describe_failure(argv, result));
}

// Every entry under `root`, relative, parents first.
std::vector<std::string> tree_names(const fs::path& root) {
  std::vector<std::string> names;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
    names.push_back(it->path().lexically_relative(root).string());
  return names;
}

fs::path find_busybox() {
  auto busybox = find_program("busybox");
  if (!busybox || !is_static_executable(read_file(*busybox)))
    throw GuestUnavailable(fmt::format("{}: apt-get install busybox-static",
                                       busybox ? busybox->string() + " is not statically linked"
                                               : std::string("busybox not found")));
  return *busybox;
}

// ---- Modules.

// name ("tcp_diag", '-' read as '_' as modprobe does) -> its file.
std::map<std::string, fs::path> index_modules(const fs::path& dir) {
  std::map<std::string, fs::path> index;
  static const std::regex module_file(R"((.*)\.ko(\.xz|\.gz|\.zst)?)");
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::smatch m;
    std::string file = it->path().filename().string();
    if (!std::regex_match(file, m, module_file)) continue;
    std::string name = m[1].str();
    std::replace(name.begin(), name.end(), '-', '_');
    index.emplace(name, it->path());
  }
  return index;
}

// The plain ELF of a module file; 6.12's are .ko.xz, which busybox insmod
// cannot load, so they are decompressed here.
std::string module_elf(const fs::path& busybox, const fs::path& file) {
  std::string ext = file.extension().string();
  if (ext == ".ko") return read_file(file);
  std::vector<std::string> argv;
  if (ext == ".xz") argv = {busybox.string(), "xz", "-dc", file.string()};
  if (ext == ".gz") argv = {busybox.string(), "gzip", "-dc", file.string()};
  if (ext == ".zst") {
    if (!find_program("zstd"))
      throw GuestUnavailable("zstd not found (for " + file.string() + "): apt-get install zstd");
    argv = {"zstd", "-dc", file.string()};
  }
  auto result = run_command(argv, 60);
  if (!result.ok()) throw std::runtime_error(describe_failure(argv, result));
  return std::move(result.out);
}

// Decompressed modules in load order (dependencies first, as their
// .modinfo "depends=" says: Debian's package ships no modules.dep).
std::vector<std::pair<std::string, std::string>> modules_in_order(const fs::path& busybox, const fs::path& dir) {
  std::vector<std::pair<std::string, std::string>> order;
  if (dir.empty()) return order;
  auto index = index_modules(dir);
  std::set<std::string> visited;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    auto it = index.find(name);
    if (!visited.insert(name).second || it == index.end()) return;  // done, or built in
    std::string elf = module_elf(busybox, it->second);
    std::istringstream depends(modinfo(elf, "depends"));
    for (std::string dep; std::getline(depends, dep, ',');)
      if (!dep.empty()) visit(dep);
    order.emplace_back(name, std::move(elf));
  };
  for (const char* name : kModules) visit(name);
  return order;
}

// ---- The base archive.

void stage_base(const fs::path& busybox, const GuestKernel& kernel, const fs::path& stage) {
  for (const char* dir : {"proc", "sys", "dev", "tmp", "mnt", "sockspec-guest/bin", "sockspec-guest/modules"})
    fs::create_directories(stage / dir);
  write_file(stage / "init", kInit, fs::perms(0755));
  fs::copy_file(busybox, stage / "sockspec-guest/bin/busybox");
  std::vector<std::string> argv = {busybox.string(), "--list"};
  auto applets = run_command(argv, 30);
  if (!applets.ok()) throw std::runtime_error(describe_failure(argv, applets));
  std::istringstream names(applets.out);
  for (std::string name; std::getline(names, name);)
    if (!name.empty() && name != "busybox") fs::create_symlink("busybox", stage / "sockspec-guest/bin" / name);
  int n = 0;
  for (const auto& [name, elf] : modules_in_order(busybox, kernel.modules))
    write_file(stage / fmt::format("sockspec-guest/modules/{:02}-{}.ko", n++, name), elf);
}

// The base archive: from the cache, else built (and cached). Its name
// hashes what went into it, so a changed /init or busybox makes a new one.
fs::path base_archive(const GuestKernel& kernel, const fs::path& busybox, const fs::path& work) {
  std::string made_of = fmt::format("{}|{}|{}|{}", kInit, file_identity(busybox), file_identity(kernel.vmlinuz),
                                    kernel.modules.string());
  fs::path cached = kernel_cache_file(kernel, fmt::format("initramfs-base-{}.cpio", hash_hex(made_of)));
  std::error_code ec;
  if (fs::is_regular_file(cached, ec)) return cached;
  stage_base(busybox, kernel, work / "base");
  fs::path built = work / "base.cpio";
  write_cpio(busybox, work / "base", tree_names(work / "base"), work / "base.list", built);
  store_in_cache(built, cached);
  return built;
}

// ---- The job archive.

// Host paths for an archive made from "/": each path with every directory
// above it, and for a symlink (anywhere on the way, e.g. Debian's /lib ->
// usr/lib) the link and what it points at, so the guest resolves the same
// names the same way.
class HostPaths {
 public:
  void add(const fs::path& path, int depth = 0) {
    if (depth > 40) throw std::invalid_argument("too many symlinks under " + path.string());
    fs::path prefix = "/";
    for (const auto& part : path.lexically_normal().relative_path()) {
      prefix /= part;
      std::error_code ec;
      auto status = fs::symlink_status(prefix, ec);
      if (ec || !seen_.insert(prefix.string()).second) continue;
      names_.push_back(prefix.relative_path().string());
      if (fs::is_symlink(status)) {
        fs::path target = fs::read_symlink(prefix, ec);
        if (!ec) add(target.is_absolute() ? target : prefix.parent_path() / target, depth + 1);
      }
    }
  }
  void add_tree(const fs::path& root) {
    add(root);
    if (!fs::is_directory(fs::symlink_status(root))) return;
    for (const auto& entry : fs::recursive_directory_iterator(root)) add(entry.path());
  }
  const std::vector<std::string>& names() const { return names_; }

 private:
  std::vector<std::string> names_;
  std::set<std::string> seen_;
};

// The shared libraries and loader `ldd` lists for `exe`.
std::vector<fs::path> shared_libraries(const fs::path& exe) {
  std::vector<std::string> argv = {"ldd", exe.string()};
  auto result = run_command(argv, 60);
  if (result.out.find("not a dynamic executable") != std::string::npos) return {};
  if (!result.ok()) throw GuestUnavailable(describe_failure(argv, result));
  std::vector<fs::path> libraries;
  std::istringstream lines(result.out);
  static const std::regex line_shape(R"(\s*(\S+)(?:\s+=>\s+(\S+))?\s+\(0x[0-9a-f]+\))");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (line.find("not found") != std::string::npos)
      throw GuestUnavailable(fmt::format("ldd {}: {}", exe.string(), line));
    if (!std::regex_match(line, m, line_shape)) continue;
    std::string path = m[2].matched ? m[2].str() : m[1].str();
    if (!path.empty() && path[0] == '/') libraries.emplace_back(path);  // not linux-vdso.so.1
  }
  return libraries;
}

// This binary for other processes: their /proc/self/exe is their own, and
// /proc/PID/exe stays readable even when the file was rebuilt meanwhile.
std::string own_executable_link() { return fmt::format("/proc/{}/exe", ::getpid()); }

// The path this binary was started from ("(deleted)" dropped: rebuilt meanwhile).
fs::path own_executable() {
  std::string path = fs::read_symlink("/proc/self/exe").string();
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

// The command, then (job.bring_back) the directories it wrote, as base64
// lines of a gzip'd tar between the two file markers.
std::string command_lines(const GuestJob& job, const fs::path& exe) {
  std::string command = shell_quote(exe.string());
  for (std::size_t i = 1; i < job.argv.size(); ++i) command += " " + shell_quote(job.argv[i]);
  if (job.stderr_to_stdout) command += " 2>&1";
  if (job.bring_back.empty()) return "exec " + command + "\n";
  std::string paths;
  for (const auto& dir : job.bring_back) paths += " " + shell_quote(fs::absolute(dir).relative_path().string());
  return fmt::format("{}\nstatus=$?\nprintf '\\036sockspec-guest-files\\n'\ntar -czf - -C /{} | base64\n"
                     "printf '\\036sockspec-guest-files-end\\n'\nexit $status\n",
                     command, paths);
}

std::string job_script(const GuestJob& job, const fs::path& exe) {
  std::string script = "# the command (written by guest/initramfs.cc), sourced in a subshell by /init\n"
                       "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/sockspec-guest/bin\n";
  static const std::regex env_shape(R"([A-Za-z_][A-Za-z0-9_]*=.*)");
  for (const auto& var : job.env) {
    if (!std::regex_match(var, env_shape)) throw std::invalid_argument("guest env entry is not NAME=VALUE: " + var);
    script += "export " + shell_quote(var) + "\n";
  }
  fs::path cwd = job.cwd.empty() ? fs::path("/") : fs::absolute(job.cwd);
  script += fmt::format("mkdir -p {0} && cd {0} || exit 126\n", shell_quote(cwd.string()));
  return script + command_lines(job, exe);
}

// `from` (a path, or /proc/PID/exe) stripped of debug info (this binary may
// be tens of MB with it) at `to` under `stage`.
void stage_stripped(const fs::path& from, const fs::path& to, const fs::path& stage) {
  fs::path copy = stage / to.relative_path();
  fs::create_directories(copy.parent_path());
  std::vector<std::string> argv = {"objcopy", "--strip-debug", from.string(), copy.string()};
  if (!find_program("objcopy") || !run_command(argv, 120).ok())
    fs::copy_file(from, copy, fs::copy_options::overwrite_existing);  // bigger, still right
}

// This binary, job.programs and the job script, under `stage` at their guest paths.
std::vector<std::string> stage_job(const GuestJob& job, const fs::path& exe, const fs::path& stage) {
  stage_stripped(own_executable_link(), exe, stage);
  for (const auto& program : job.programs) stage_stripped(program, fs::absolute(program), stage);
  write_file(stage / "sockspec-guest/job.sh", job_script(job, exe));
  return tree_names(stage);
}

}  // namespace

void build_initramfs(const GuestKernel& kernel, const GuestJob& job, const fs::path& work, const fs::path& out) {
  fs::path busybox = find_busybox();
  fs::path exe = own_executable();
  HostPaths host;
  for (const auto& library : shared_libraries(own_executable_link())) host.add(library);
  for (const auto& program : job.programs) {
    if (!fs::is_regular_file(program))
      throw std::invalid_argument("cannot carry the program " + program.string() + " into the guest: no such file");
    for (const auto& library : shared_libraries(program)) host.add(library);
  }
  std::vector<fs::path> carried = job.carry;
  carried.insert(carried.end(), job.bring_back.begin(), job.bring_back.end());
  for (const auto& item : carried) {
    fs::path path = fs::absolute(item);
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec)))
      throw std::invalid_argument("cannot carry " + path.string() + " into the guest: no such file");
    host.add_tree(path);
  }
  // Later archives win: the stripped binaries replace carried copies of them.
  fs::path base = base_archive(kernel, busybox, work);
  write_cpio(busybox, "/", host.names(), work / "host.list", work / "host.cpio");
  std::vector<std::string> staged = stage_job(job, exe, work / "job");
  write_cpio(busybox, work / "job", staged, work / "job.list", work / "job.cpio");
  std::ofstream initrd(out, std::ios::binary | std::ios::trunc);
  for (const fs::path& part : {base, work / "host.cpio", work / "job.cpio"}) {
    std::ifstream in(part, std::ios::binary);
    initrd << in.rdbuf();
  }
  initrd.close();
  if (!initrd) throw std::runtime_error("cannot write " + out.string());
}

}  // namespace sockspec::guest
