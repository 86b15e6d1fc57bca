// Which kernel a guest boots: Debian's packages, fetched once into a cache,
// or a vmlinuz the user names.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "guest/guest.h"
#include "guest/process.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;
using guest::describe_failure;
using guest::find_program;
using guest::run_command;

constexpr const char* kForms =
    "a guest kernel is \"6.1\" (Debian's linux-image-6.1.0-*-amd64-unsigned), "
    "\"6.12\" (linux-image-6.12.*-amd64-unsigned), a point release of them such as \"6.1.176\" "
    "(the package of that upstream version), or the path of a vmlinuz file";

// Where a fetched kernel records the upstream version of its package
// (`6.1.176-1`), which its release name (`6.1.0-50-amd64`) does not say.
constexpr const char* kUpstreamFile = "UPSTREAM";

// A Debian kernel series: its release names (the modules directory, also
// the package name between "linux-image-" and "-unsigned"), with the
// number that orders them as group 1.
struct Series {
  std::string_view name;
  std::regex release;
};

const Series* find_series(std::string_view spec) {
  static const Series series[] = {
      {"6.1", std::regex(R"(6\.1\.0-([0-9]+)-amd64)")},
      {"6.12", std::regex(R"(6\.12\.([0-9]+)\+deb[0-9]+-amd64)")},
  };
  for (const auto& s : series)
    if (s.name == spec) return &s;
  return nullptr;
}

// The ordering number of `release` in `series`, or -1 if not of it (so
// cloud and rt flavours never match).
long release_number(const Series& series, const std::string& release) {
  std::smatch m;
  return std::regex_match(release, m, series.release) ? std::stol(m[1].str()) : -1;
}

GuestKernel cached_kernel(std::string_view name, const fs::path& root, const std::string& release) {
  return {std::string(name), release, root / "boot" / ("vmlinuz-" + release), root / "lib/modules" / release};
}

// The newest complete kernel of the series in the cache, if any. A kernel
// directory appears only by rename once fully unpacked, so any is complete.
std::optional<GuestKernel> newest_cached(const Series& series, const fs::path& cache) {
  std::optional<GuestKernel> best;
  long best_number = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    std::string release = entry.path().filename().string();
    long number = release_number(series, release);
    if (number <= best_number) continue;
    GuestKernel kernel = cached_kernel(series.name, entry.path(), release);
    if (!fs::is_regular_file(kernel.vmlinuz, ec)) continue;
    best = kernel;
    best_number = number;
  }
  return best;
}

// A cached kernel of the series whose package was upstream `version`
// (`6.1.176`), if any.
std::optional<GuestKernel> cached_point_release(const Series& series, const fs::path& cache, const std::string& version) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    std::string release = entry.path().filename().string();
    if (release_number(series, release) < 0) continue;
    std::ifstream in(entry.path() / kUpstreamFile);
    std::string upstream;
    if (!std::getline(in, upstream) || !upstream.starts_with(version + "-")) continue;
    GuestKernel kernel = cached_kernel(series.name, entry.path(), release);
    if (fs::is_regular_file(kernel.vmlinuz, ec)) return kernel;
  }
  return std::nullopt;
}

// The packages of the series apt knows, by release name.
std::vector<std::string> releases_in_apt(const Series& series) {
  if (!find_program("apt-cache"))
    throw GuestUnavailable(fmt::format("apt-cache not found: kernel {} is fetched with apt (Debian); "
                                       "give the path of a vmlinuz instead",
                                       series.name));
  std::vector<std::string> argv = {"apt-cache", "search", "--names-only", "^linux-image-.*-unsigned$"};
  auto result = run_command(argv, 120);
  if (!result.ok()) throw GuestUnavailable(describe_failure(argv, result));
  std::vector<std::string> releases;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    static const std::regex shape(R"(linux-image-(.*)-unsigned)");
    std::smatch m;
    const std::string package = line.substr(0, line.find(' '));
    if (std::regex_match(package, m, shape) && release_number(series, m[1].str()) >= 0) releases.push_back(m[1].str());
  }
  return releases;
}

// The release whose package is upstream `version` (`apt-cache show`'s
// `Version: 6.1.176-1`).
std::string point_release_in_apt(const Series& series, const std::string& version) {
  for (const std::string& release : releases_in_apt(series)) {
    std::vector<std::string> argv = {"apt-cache", "show", "--no-all-versions", "linux-image-" + release + "-unsigned"};
    auto result = run_command(argv, 60);
    if (result.ok() && result.out.find("\nVersion: " + version + "-") != std::string::npos) return release;
  }
  throw GuestUnavailable(fmt::format("apt knows no linux-image-{}*-amd64-unsigned of upstream version {} "
                                     "(`apt-cache policy` lists what there is; give the path of a vmlinuz instead)",
                                     series.name, version));
}

// The release of the newest package of the series apt knows.
std::string newest_in_apt(const Series& series) {
  std::string best;
  long best_number = -1;
  for (const std::string& release : releases_in_apt(series)) {
    long number = release_number(series, release);
    if (number > best_number) best = release, best_number = number;
  }
  if (best.empty())
    throw GuestUnavailable(fmt::format("apt knows no package for kernel {} (linux-image-{}*-amd64-unsigned): "
                                       "apt-get update",
                                       series.name, series.name));
  return best;
}

void run_or_throw(const std::vector<std::string>& argv, int timeout_s, const fs::path& cwd = {}) {
  auto result = run_command(argv, timeout_s, cwd);
  if (!result.ok()) throw GuestUnavailable(describe_failure(argv, result));
}

// Downloads and unpacks linux-image-<release>-unsigned into cache/<release>.
// It is unpacked beside its final place and renamed there, so a concurrent
// or interrupted fetch never leaves a half kernel where a later run looks.
GuestKernel fetch(const Series& series, const std::string& release, const fs::path& cache,
                  const std::function<void(std::string_view)>& progress) {
  for (const char* tool : {"apt-get", "dpkg-deb"})
    if (!find_program(tool))
      throw GuestUnavailable(fmt::format("{} not found: kernel {} is fetched with apt (Debian)", tool, series.name));
  std::string package = "linux-image-" + release + "-unsigned";
  std::error_code ec;
  fs::create_directories(cache, ec);
  fs::path scratch = cache / fmt::format(".fetch-{}-{}", release, ::getpid());
  fs::remove_all(scratch, ec);
  if (!fs::create_directories(scratch, ec))
    throw GuestUnavailable(fmt::format("cannot write the kernel cache {} ({}): run as root, or set "
                                       "SOCKSPEC_KERNEL_CACHE to a writable directory",
                                       cache.string(), ec ? ec.message() : "exists"));
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{scratch};
  if (progress) progress("fetching " + package);
  std::vector<std::string> download = {"apt-get", "download", "-q", package};
  if (::geteuid() == 0) download.insert(download.begin() + 1, "-oAPT::Sandbox::User=root");  // no _apt warning
  run_or_throw(download, 300, scratch);
  fs::path deb;
  for (const auto& entry : fs::directory_iterator(scratch))
    if (entry.path().extension() == ".deb") deb = entry.path();
  if (deb.empty()) throw GuestUnavailable("apt-get download " + package + " gave no .deb");
  if (progress) progress("unpacking " + deb.filename().string());
  run_or_throw({"dpkg-deb", "-x", deb.string(), (scratch / "tree").string()}, 300);
  {
    // linux-image-6.1.0-50-amd64-unsigned_6.1.176-1_amd64.deb: the version between the underscores
    const std::string name = deb.filename().string();
    const auto first = name.find('_'), last = name.rfind('_');
    if (first != std::string::npos && last > first)
      std::ofstream(scratch / "tree" / kUpstreamFile) << name.substr(first + 1, last - first - 1) << "\n";
  }
  GuestKernel kernel = cached_kernel(series.name, cache / release, release);
  fs::rename(scratch / "tree", cache / release, ec);  // fails harmlessly if another run won
  if (!fs::is_regular_file(kernel.vmlinuz))
    throw GuestUnavailable(fmt::format("{} has no {}", package, kernel.vmlinuz.filename().string()));
  return kernel;
}

// The kernel release a bzImage names in its setup header (the
// kernel_version field at 0x20e points at "6.1.0-57-amd64 (...) #1 ...").
std::string bzimage_release(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char header[0x210] = {};
  in.read(header, sizeof header);
  if (!in || std::string_view(header + 0x202, 4) != "HdrS")
    throw std::invalid_argument(
        fmt::format("{} is not a Linux kernel image (no bzImage header); {}", path.string(), kForms));
  unsigned offset = static_cast<unsigned char>(header[0x20e]) | static_cast<unsigned char>(header[0x20f]) << 8;
  in.seekg(offset + 0x200);
  std::string version;
  std::getline(in, version, ' ');
  return version;
}

// Modules of a vmlinuz unpacked by dpkg-deb -x: DIR/boot/vmlinuz-R beside
// DIR/lib/modules/R. Prefers the directory named for the kernel's release.
fs::path modules_beside(const fs::path& vmlinuz, const std::string& release) {
  fs::path base = vmlinuz.parent_path() / ".." / "lib" / "modules";
  std::error_code ec;
  if (!release.empty() && fs::is_directory(base / release, ec)) return fs::canonical(base / release, ec);
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(base, ec))
    if (entry.is_directory()) found.push_back(entry.path());
  return found.size() == 1 ? fs::canonical(found[0], ec) : fs::path();
}

GuestKernel kernel_at(std::string_view spec) {
  fs::path path{std::string(spec)};
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw std::invalid_argument(fmt::format("no kernel image at {}: no such file; {}", path.string(), kForms));
  if (!fs::is_regular_file(path, ec))
    throw std::invalid_argument(fmt::format("{} is not a file; {}", path.string(), kForms));
  path = fs::canonical(path);
  GuestKernel kernel{std::string(spec), bzimage_release(path), path, {}};
  kernel.modules = modules_beside(path, kernel.release);
  if (!kernel.modules.empty()) kernel.release = kernel.modules.filename().string();
  return kernel;
}

}  // namespace

fs::path guest_kernel_cache() {
  const char* env = std::getenv("SOCKSPEC_KERNEL_CACHE");
  return env && *env ? fs::path(env) : fs::path("/var/cache/sockspec/kernels");
}

GuestKernel resolve_guest_kernel(std::string_view spec) {
  return resolve_guest_kernel(spec, {});
}

GuestKernel resolve_guest_kernel(std::string_view spec, const std::function<void(std::string_view)>& progress) {
  if (const Series* series = find_series(spec)) {
    fs::path cache = guest_kernel_cache();
    if (auto cached = newest_cached(*series, cache)) return *cached;  // offline, no apt
    return fetch(*series, newest_in_apt(*series), cache, progress);
  }
  // a point release: `6.1.176` is the 6.1 series' package of that version
  static const std::regex point(R"((6\.1|6\.12)\.[0-9]+)");
  if (std::regex_match(std::string(spec), point)) {
    const Series* series = find_series(spec.substr(0, spec.rfind('.')));
    const std::string version(spec);
    fs::path cache = guest_kernel_cache();
    if (auto cached = cached_point_release(*series, cache, version)) return *cached;
    GuestKernel kernel = fetch(*series, point_release_in_apt(*series, version), cache, progress);
    kernel.name = version;
    return kernel;
  }
  std::error_code ec;
  if (spec.find('/') != std::string_view::npos || fs::exists(fs::path(std::string(spec)), ec))
    return kernel_at(spec);
  throw std::invalid_argument(fmt::format("unknown guest kernel \"{}\": {}", spec, kForms));
}

}  // namespace sockspec
