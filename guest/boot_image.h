// The image qemu boots for a kernel.
//
// Under TCG a bzImage spends about 2.5 s of every boot decompressing
// itself (6.1: 4.8 s to /init, its vmlinux 2.0 s), so the kernel is
// uncompressed once on the host and cached; qemu enters that ELF vmlinux
// directly through its PVH entry point. A kernel without one, or whose
// payload cannot be uncompressed here (xz-utils missing), boots as the
// bzImage it is.
#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "guest/guest.h"

namespace sockspec::guest {

std::filesystem::path boot_image(const GuestKernel& kernel, const std::filesystem::path& work,
                                 const std::function<void(std::string_view)>& progress);

}  // namespace sockspec::guest
