#include "guest/files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace sockspec::guest {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text, fs::perms perms) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  fs::permissions(path, perms);
}

std::string hash_hex(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across runs and builds
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

std::string file_identity(const fs::path& path) {
  struct stat st{};
  ::stat(path.c_str(), &st);
  return fmt::format("{}:{}:{}.{}", path.string(), st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

fs::path kernel_cache_file(const GuestKernel& kernel, std::string_view name) {
  fs::path cache = guest_kernel_cache();
  fs::path kernel_dir = kernel.vmlinuz.parent_path().parent_path();  // DIR of DIR/boot/vmlinuz-R
  std::error_code ec;
  if (fs::equivalent(kernel_dir, cache / kernel.release, ec)) return kernel_dir / name;
  return cache / "local" / fmt::format("{}-{}", kernel.release, name);
}

void store_in_cache(const fs::path& built, const fs::path& target) {
  fs::path temporary = target;
  temporary += fmt::format(".{}.tmp", ::getpid());
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (!ec) fs::copy_file(built, temporary, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temporary, target, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return;
  }
  // What the same kind of file was made from before, now stale.
  std::string name = target.filename().string();
  std::string stem = name.substr(0, name.rfind('-') + 1);
  for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
    std::string other = entry.path().filename().string();
    if (other != name && other.starts_with(stem) && !other.ends_with(".tmp")) fs::remove(entry.path(), ec);
  }
}

}  // namespace sockspec::guest
