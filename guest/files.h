// Files for guest/: whole-file reads and writes, and the files derived from
// a kernel once and kept in the kernel cache (guest_kernel_cache()): the
// base initramfs, the uncompressed vmlinux.
//
// Contract: a cached file is only ever seen whole (written beside its place,
// then renamed), and its name carries a hash of what it was made from, so a
// changed input makes a new file instead of reusing a stale one. A cache that
// cannot be written costs only the rebuild.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "guest/guest.h"

namespace sockspec::guest {

// The whole file ("" if unreadable).
std::string read_file(const std::filesystem::path& path);
// Writes `text` (parents made), then sets `perms`; throws on failure.
void write_file(const std::filesystem::path& path, std::string_view text,
                std::filesystem::perms perms = std::filesystem::perms(0644));

// A hash of `text`, as 16 hex digits.
std::string hash_hex(std::string_view text);

// "PATH:SIZE:MTIME" of a file, to hash what something was made from.
std::string file_identity(const std::filesystem::path& path);

// Where `kernel`'s derived file `name` lives: beside a kernel in the cache
// (CACHE/RELEASE/NAME), or CACHE/local/RELEASE-NAME for a vmlinuz elsewhere.
std::filesystem::path kernel_cache_file(const GuestKernel& kernel, std::string_view name);

// Copies `built` to `target` atomically when the cache can be written.
// Names are STEM-HASH[.ext]: the other STEM-* files beside it, made from
// inputs that since changed, are removed.
void store_in_cache(const std::filesystem::path& built, const std::filesystem::path& target);

}  // namespace sockspec::guest
