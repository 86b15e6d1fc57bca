// The guest's initramfs, in two newc cpio archives the kernel unpacks one
// after the other (it accepts concatenated archives; later files win):
//
//  base (per kernel, cached): /init, busybox and its applets under
//    /sockspec-guest/bin, the kernel's sock_diag and veth modules in load
//    order under /sockspec-guest/modules (decompressed).
//  job (per run): /proc/self/exe and job.programs stripped of debug info at
//    their own absolute paths, every shared library ldd lists for them and
//    the dynamic loader, the carried files, and /sockspec-guest/job.sh (cwd,
//    env, the command, and the directories to send back).
//
// /init writes "\x1esockspec-guest-start" and then, once the command ended,
// "\x1esockspec-guest-exit N" to ttyS0 (the command's stdout), and powers off.
// Before the exit marker, job.sh sends job.bring_back as base64 lines of a
// gzip'd tar between "\x1esockspec-guest-files" and "\x1esockspec-guest-files-end".
#pragma once

#include <filesystem>
#include <string_view>

#include "guest/guest.h"

namespace sockspec::guest {

inline constexpr std::string_view kStartMarker = "\x1esockspec-guest-start";
inline constexpr std::string_view kExitMarker = "\x1esockspec-guest-exit ";
inline constexpr std::string_view kFilesMarker = "\x1esockspec-guest-files";
inline constexpr std::string_view kFilesEndMarker = "\x1esockspec-guest-files-end";

// Writes the whole initramfs for `job` on `kernel` to `out`, using `work`
// (an empty scratch directory) for anything temporary. Throws
// GuestUnavailable when busybox-static is missing.
void build_initramfs(const GuestKernel& kernel, const GuestJob& job, const std::filesystem::path& work,
                     const std::filesystem::path& out);

}  // namespace sockspec::guest
