// Which Linux a scenario runs against: the kernel profile.
//
// Contract: a KernelProfile names a kernel by its upstream version and the
// build variants the spec knows (a variant is a behaviour some builds of one
// version have and others lack, found by a probe, never by the version
// string). The oracle measures the profile of the kernel it runs on
// (oracle/oracle.h: host_kernel_profile); the model takes one as a parameter
// and answers for it; conditional expectations (`@<6.8 -> ...`) and the
// versioned rules of model/kernel_variations.h are KernelConditions over it.
// This file is the one vocabulary of kernel names: variants, version
// spellings, conditions, and the profiles a user may name (`--kernel 6.1`).
// Plain data: no system calls.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sockspec {

struct KernelVersion {
  int major = 0, minor = 0, patch = 0;
  friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

// `6.18.44`, `6.1` (patch 0); nullopt unless digits and dots.
std::optional<KernelVersion> parse_kernel_version(std::string_view text);
std::string print_kernel_version(const KernelVersion& v);  // `6.1.176`; `6.1` when patch is 0

// A behaviour some builds have and others of the same version lack.
enum class KernelVariant : std::uint8_t {
  // The build refuses to move a TCP socket between the connecting and the
  // listening role (../shared/kernels.md; spec/listen.md).
  TcpRoleLock,
};
struct KernelVariantName {
  KernelVariant variant;
  std::string_view name;  // as written in profiles and conditions: `tcp-role-lock`
  std::string_view says;  // one line for summaries
};
std::span<const KernelVariantName> kernel_variant_names();
std::optional<KernelVariant> kernel_variant_named(std::string_view name);
std::string_view kernel_variant_name(KernelVariant v);

// CONFIG_HZ, the build's timer frequency: the values kernel/Kconfig.hz
// offers, and the one Debian's kernels and the hosts here are built with.
// It shows through the socket API where a time is kept in jiffies and read
// back in seconds (SO_LINGER: spec/socket.md, socket.option.linger_unbounded).
inline constexpr int kDefaultHz = 250;
inline constexpr int kCoreBufferMaxDefault = 212992;  // SK_RMEM_MAX, SK_WMEM_MAX
std::span<const int> config_hz_choices();  // 100, 250, 300, 1000

// What getsockopt(SO_LINGER) reads back after a negative l_linger on a
// kernel of that HZ: sock_setsockopt keeps MAX_SCHEDULE_TIMEOUT (LONG_MAX)
// jiffies, sk_getsockopt divides by HZ into an int (C++20 conversion to a
// narrower signed type is modular, as the kernel's is).
constexpr std::int64_t linger_read_back_unbounded(int hz) {
  return static_cast<std::int32_t>(static_cast<std::int64_t>(INT64_MAX / hz));
}

struct KernelProfile {
  KernelVersion version;
  std::string release;          // `uname -r` when measured; the name asked otherwise
  std::uint32_t variants = 0;   // bit (1 << KernelVariant)
  int hz = kDefaultHz;          // CONFIG_HZ, measured by the oracle's probe
  // net.core.rmem_max / wmem_max cap SO_RCVBUF / SO_SNDBUF. They are global
  // sysctls, the machine's setting rather than the kernel's (SK_RMEM_MAX /
  // SK_WMEM_MAX, 212992, where nobody set them), so the oracle reads them
  // with the profile; a named profile has the kernel's default.
  int core_rmem_max = kCoreBufferMaxDefault, core_wmem_max = kCoreBufferMaxDefault;

  bool has(KernelVariant v) const { return (variants >> static_cast<unsigned>(v)) & 1u; }
  void add(KernelVariant v) { variants |= 1u << static_cast<unsigned>(v); }
  // `6.18.44` or `6.18.44+tcp-role-lock` (`+hz1000` when HZ is not the
  // default): parses back with parse_kernel_profile
  std::string name() const;
  // `Linux 6.18.44 (6.18.44-fc-v1045), tcp-role-lock`, for summaries and reports
  std::string describe() const;
  friend bool operator==(const KernelProfile& a, const KernelProfile& b) {
    return a.version == b.version && a.variants == b.variants && a.hz == b.hz;
  }
};

// gVisor is not a Linux version: a profile measured inside runsc keeps the
// reference version (the Linux gVisor is checked against; its uname says a
// fake 4.4.0) and names itself in `release`: `gVisor runsc 20221219`.
std::string gvisor_release(std::string_view runsc_version);
bool is_gvisor_release(std::string_view release);

// The kernel the corpus was first recorded on and the model answers for by
// default: upstream 6.18 (no variant).
KernelProfile reference_kernel_profile();

// A profile as a user names it: `6.1`, `6.12.113`, `6.18+tcp-role-lock`,
// `6.12+hz1000`.
// nullopt when the text is not of that form (the caller says what is).
std::optional<KernelProfile> parse_kernel_profile(std::string_view text);

// A condition on a profile, as written after `@` in a conditional
// expectation and in the table of versioned rules:
//   `<6.8`  the version is below 6.8      `>=6.8`  at or above 6.8
//   `6.1`   the 6.1.y series (6.1.0 <= v < 6.2)
//   `tcp-role-lock`  the variant is present   `!tcp-role-lock`  absent
//   `>=6.1.170<6.2`  from the first version, below the second
struct KernelCondition {
  enum class Kind : std::uint8_t { Below, AtLeast, Series, Variant, NoVariant, Range };
  Kind kind = Kind::AtLeast;
  KernelVersion version;             // Below, AtLeast, Series; Range: the first version in it
  KernelVersion until;               // Range: the first version past it
  KernelVariant variant{};           // Variant, NoVariant
  bool holds(const KernelProfile& p) const;
  friend bool operator==(const KernelCondition&, const KernelCondition&) = default;
};
std::optional<KernelCondition> parse_kernel_condition(std::string_view text);
// A profile the condition holds for: the reference one, moved just inside it.
KernelProfile profile_where(const KernelCondition& c);
std::string print_kernel_condition(const KernelCondition& c);

}  // namespace sockspec
