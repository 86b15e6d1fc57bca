#include "guest/boot_image.h"

#include <cstdint>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "guest/elf.h"
#include "guest/files.h"
#include "guest/process.h"

namespace sockspec::guest {
namespace {

namespace fs = std::filesystem;

std::uint32_t le32(std::string_view bytes, std::size_t at) {
  std::uint32_t value;
  std::memcpy(&value, bytes.data() + at, sizeof value);
  return value;  // x86: the boot protocol's fields are little-endian, as is the host
}

// The compressed vmlinux inside a bzImage: the setup header (boot protocol
// >= 2.08) gives payload_offset (0x248) and payload_length (0x24c), counted
// from the end of the real-mode setup sectors.
std::optional<std::string> compressed_payload(const std::string& image) {
  if (image.size() < 0x250 || image.compare(0x202, 4, "HdrS") != 0) return std::nullopt;
  if ((static_cast<unsigned char>(image[0x206]) | static_cast<unsigned char>(image[0x207]) << 8) < 0x208)
    return std::nullopt;
  std::size_t setup_sectors = static_cast<unsigned char>(image[0x1f1]);
  std::size_t offset = ((setup_sectors ? setup_sectors : 4) + 1) * 512 + le32(image, 0x248);
  std::size_t length = le32(image, 0x24c);
  if (offset > image.size() || image.size() - offset < length) return std::nullopt;
  return image.substr(offset, length);
}

// The command that uncompresses `payload` to stdout, by its magic. xz is
// xz-utils': busybox's unxz lacks the x86 BCJ filter the kernel uses.
std::optional<std::vector<std::string>> decompressor(std::string_view payload) {
  auto with = [](const char* tool, std::vector<std::string> argv) -> std::optional<std::vector<std::string>> {
    if (!find_program(tool)) return std::nullopt;
    return argv;
  };
  if (payload.starts_with("\xfd" "7zXZ")) return with("xz", {"xz", "-dc", "--single-stream"});
  if (payload.starts_with("\x1f\x8b")) return with("gzip", {"gzip", "-dc"});
  if (payload.starts_with("\x28\xb5\x2f\xfd")) return with("zstd", {"zstd", "-dc"});
  return std::nullopt;
}

// The uncompressed vmlinux in `work`, if it could be made and has a PVH entry.
std::optional<fs::path> uncompress(const GuestKernel& kernel, const fs::path& work) {
  auto payload = compressed_payload(read_file(kernel.vmlinuz));
  if (!payload) return std::nullopt;
  auto argv = decompressor(*payload);
  if (!argv) return std::nullopt;
  write_file(work / "payload", *payload);
  // The exit status is not trusted either way: the kernel appends the
  // uncompressed size after the stream, which some tools call trailing
  // garbage. The ELF check below decides.
  run_command(*argv, 120, {}, work / "payload", work / "vmlinux");
  fs::remove(work / "payload");
  if (!has_pvh_entry(read_file(work / "vmlinux"))) return std::nullopt;
  return work / "vmlinux";
}

}  // namespace

fs::path boot_image(const GuestKernel& kernel, const fs::path& work,
                    const std::function<void(std::string_view)>& progress) {
  fs::path cached = kernel_cache_file(kernel, fmt::format("vmlinux-{}", hash_hex(file_identity(kernel.vmlinuz))));
  std::error_code ec;
  if (fs::is_regular_file(cached, ec)) return cached;
  if (progress) progress("uncompressing " + kernel.vmlinuz.filename().string() + " (once: it boots faster)");
  auto vmlinux = uncompress(kernel, work);
  if (!vmlinux) return kernel.vmlinuz;
  store_in_cache(*vmlinux, cached);
  return fs::is_regular_file(cached, ec) ? cached : *vmlinux;
}

}  // namespace sockspec::guest
