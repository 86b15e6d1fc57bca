#include "scenario/kernel_profile.h"

#include <fmt/format.h>

#include <charconv>

namespace sockspec {

namespace {

constexpr KernelVariantName kVariants[] = {
    {KernelVariant::TcpRoleLock, "tcp-role-lock",
     "TCP sockets are locked into the connecting or the listening role"},
};

std::optional<int> number(std::string_view s) {
  int n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || n < 0 || s.size() > 4) return std::nullopt;
  return n;
}

}  // namespace

std::optional<KernelVersion> parse_kernel_version(std::string_view text) {
  KernelVersion v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  std::size_t i = 0;
  while (true) {
    const auto dot = text.find('.');
    auto n = number(text.substr(0, dot));
    if (!n || i >= 3) return std::nullopt;
    *parts[i++] = *n;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  if (i < 2) return std::nullopt;  // `6` alone names no kernel
  return v;
}

std::string print_kernel_version(const KernelVersion& v) {
  return v.patch ? fmt::format("{}.{}.{}", v.major, v.minor, v.patch) : fmt::format("{}.{}", v.major, v.minor);
}

std::span<const KernelVariantName> kernel_variant_names() { return kVariants; }

std::optional<KernelVariant> kernel_variant_named(std::string_view name) {
  for (const auto& v : kVariants)
    if (v.name == name) return v.variant;
  return std::nullopt;
}

std::string_view kernel_variant_name(KernelVariant variant) {
  for (const auto& v : kVariants)
    if (v.variant == variant) return v.name;
  return "?";
}

std::span<const int> config_hz_choices() {
  static constexpr int kChoices[] = {100, 250, 300, 1000};
  return kChoices;
}

std::string KernelProfile::name() const {
  std::string out = print_kernel_version(version);
  for (const auto& v : kVariants)
    if (has(v.variant)) out += fmt::format("+{}", v.name);
  if (hz != kDefaultHz) out += fmt::format("+hz{}", hz);
  return out;
}

std::string gvisor_release(std::string_view runsc_version) { return fmt::format("gVisor runsc {}", runsc_version); }
bool is_gvisor_release(std::string_view release) { return release.starts_with("gVisor runsc "); }

std::string KernelProfile::describe() const {
  std::string out = is_gvisor_release(release) ? release + ", checked against Linux " + print_kernel_version(version)
                                               : "Linux " + print_kernel_version(version);
  if (!release.empty() && !is_gvisor_release(release) && release != print_kernel_version(version))
    out += " (" + release + ")";
  for (const auto& v : kVariants)
    if (has(v.variant)) out += fmt::format(", {}", v.name);
  if (hz != kDefaultHz) out += fmt::format(", HZ {}", hz);
  return out;
}

KernelProfile reference_kernel_profile() { return KernelProfile{.version = {6, 18, 44}, .release = "6.18.44"}; }

namespace {
// `hz1000`: one of config_hz_choices()
std::optional<int> hz_tag(std::string_view tag) {
  if (!tag.starts_with("hz")) return std::nullopt;
  for (int hz : config_hz_choices())
    if (tag.substr(2) == std::to_string(hz)) return hz;
  return std::nullopt;
}
}  // namespace

std::optional<KernelProfile> parse_kernel_profile(std::string_view text) {
  KernelProfile p;
  const auto plus = text.find('+');
  auto version = parse_kernel_version(text.substr(0, plus));
  if (!version) return std::nullopt;
  p.version = *version;
  p.release = print_kernel_version(p.version);
  while (plus != std::string_view::npos && !text.empty()) {
    text.remove_prefix(text.find('+') + 1);
    const auto next = text.find('+');
    const std::string_view tag = text.substr(0, next);
    if (auto hz = hz_tag(tag)) p.hz = *hz;
    else if (auto variant = kernel_variant_named(tag)) p.add(*variant);
    else return std::nullopt;
    if (next == std::string_view::npos) break;
  }
  return p;
}

bool KernelCondition::holds(const KernelProfile& p) const {
  switch (kind) {
    case Kind::Below: return p.version < version;
    case Kind::AtLeast: return p.version >= version;
    case Kind::Series: return p.version.major == version.major && p.version.minor == version.minor;
    case Kind::Variant: return p.has(variant);
    case Kind::NoVariant: return !p.has(variant);
    case Kind::Range: return p.version >= version && p.version < until;
  }
  return false;
}

std::optional<KernelCondition> parse_kernel_condition(std::string_view text) {
  KernelCondition c;
  auto versioned = [&](KernelCondition::Kind kind, std::string_view rest) -> std::optional<KernelCondition> {
    auto v = parse_kernel_version(rest);
    if (!v) return std::nullopt;
    c.kind = kind;
    c.version = *v;
    return c;
  };
  if (text.starts_with(">=")) {
    const auto below = text.find('<');
    if (below == std::string_view::npos) return versioned(KernelCondition::Kind::AtLeast, text.substr(2));
    auto from = parse_kernel_version(text.substr(2, below - 2));
    auto until = parse_kernel_version(text.substr(below + 1));
    if (!from || !until || !(*from < *until)) return std::nullopt;
    return KernelCondition{.kind = KernelCondition::Kind::Range, .version = *from, .until = *until};
  }
  if (text.starts_with("<")) return versioned(KernelCondition::Kind::Below, text.substr(1));
  if (text.starts_with("!")) {
    auto v = kernel_variant_named(text.substr(1));
    if (!v) return std::nullopt;
    return KernelCondition{.kind = KernelCondition::Kind::NoVariant, .variant = *v};
  }
  if (auto v = kernel_variant_named(text)) return KernelCondition{.kind = KernelCondition::Kind::Variant, .variant = *v};
  auto series = versioned(KernelCondition::Kind::Series, text);
  if (series && series->version.patch != 0) return std::nullopt;  // a series is `6.1`, not `6.1.5`
  return series;
}

KernelProfile profile_where(const KernelCondition& c) {
  KernelProfile p = reference_kernel_profile();
  switch (c.kind) {
    case KernelCondition::Kind::Below:
      p.version = c.version.minor > 0 ? KernelVersion{c.version.major, c.version.minor - 1, 0}
                                      : KernelVersion{c.version.major - 1, 99, 0};
      break;
    case KernelCondition::Kind::Variant: p.add(c.variant); break;
    case KernelCondition::Kind::NoVariant: break;
    default: p.version = c.version; break;
  }
  p.release = p.name();
  return p;
}

std::string print_kernel_condition(const KernelCondition& c) {
  switch (c.kind) {
    case KernelCondition::Kind::Below: return "<" + print_kernel_version(c.version);
    case KernelCondition::Kind::AtLeast: return ">=" + print_kernel_version(c.version);
    case KernelCondition::Kind::Series: return print_kernel_version(c.version);
    case KernelCondition::Kind::Variant: return std::string(kernel_variant_name(c.variant));
    case KernelCondition::Kind::NoVariant: return "!" + std::string(kernel_variant_name(c.variant));
    case KernelCondition::Kind::Range: return ">=" + print_kernel_version(c.version) + "<" + print_kernel_version(c.until);
  }
  return "?";
}

}  // namespace sockspec
