// Just enough ELF for guest/: a kernel module's .modinfo, whether a program
// needs a dynamic loader, whether a vmlinux has a PVH entry point. Every
// read is bounds-checked; a malformed file reads as "nothing there".
#pragma once

#include <string>
#include <string_view>

namespace sockspec::guest {

// The value of `key` in a kernel module's .modinfo ("depends" ->
// "inet_diag"); empty if absent.
std::string modinfo(std::string_view elf, std::string_view key);

// An ELF64 executable with no PT_INTERP (busybox-static, not busybox).
bool is_static_executable(std::string_view elf);

// An ELF64 vmlinux with the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY),
// which qemu -kernel can enter directly, without a bzImage's decompressor.
bool has_pvh_entry(std::string_view elf);

}  // namespace sockspec::guest
