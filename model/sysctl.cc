// `sysctl KEY VALUE...`: the per-namespace knobs the model interprets, each
// with the parsing and bounds of its kernel proc handler. Rules:
// spec/namespaces.md (namespaces.sysctl.*), which also lists the keys the
// model does not interpret and why.
#include <cerrno>
#include <charconv>
#include <climits>
#include <string_view>

#include "model/handlers.h"

namespace sockspec {

namespace {

// One number as proc_get_long reads it: an optional '-', then strtoul with
// base 0 (0x hex, a leading 0 octal); nothing may follow.
std::optional<std::int64_t> proc_number(std::string_view text) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) base = 16, text.remove_prefix(2);
  else if (text.size() > 1 && text[0] == '0') base = 8, text.remove_prefix(1);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || v > (1ULL << 62)) return std::nullopt;
  return negative ? -static_cast<std::int64_t>(v) : static_cast<std::int64_t>(v);
}

// The first `count` numbers of a vector sysctl (proc_dointvec and its
// kin read as many as the entry holds and ignore what follows: the write
// is short, not an error). Fewer values leave the rest as they were.
std::optional<std::vector<std::int64_t>> proc_vector(const std::vector<std::string>& values, std::size_t count) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < values.size() && i < count; ++i) {
    auto n = proc_number(values[i]);
    if (!n) return std::nullopt;
    out.push_back(*n);
  }
  return out;
}

// A single-valued knob: its bounds (proc_dointvec: an int; proc_dou8vec_minmax:
// 0..255 unless narrower) and where the value goes.
struct Knob {
  std::string_view key;
  std::int64_t lo, hi;
  void (*store)(Sysctls&, std::int64_t);
  std::string_view rule = {};  // what setting it means, when its own rule says (spec/namespaces.md)
};

constexpr std::int64_t kU8 = 255;
const Knob kKnobs[] = {
    {"net.core.somaxconn", 0, INT_MAX, [](Sysctls& s, std::int64_t v) { s.somaxconn = static_cast<int>(v); }},
    {"net.ipv6.bindv6only", 0, kU8, [](Sysctls& s, std::int64_t v) { s.bindv6only = v != 0; }},
    {"net.ipv4.ip_nonlocal_bind", 0, kU8, [](Sysctls& s, std::int64_t v) { s.ip_nonlocal_bind = v != 0; }},
    {"net.ipv6.ip_nonlocal_bind", 0, kU8, [](Sysctls& s, std::int64_t v) { s.ip6_nonlocal_bind = v != 0; }},
    {"net.ipv4.tcp_stdurg", 0, kU8, [](Sysctls& s, std::int64_t v) { s.tcp_stdurg = v != 0; }},
    {"net.ipv4.tcp_syncookies", 0, kU8, [](Sysctls& s, std::int64_t v) { s.tcp_syncookies = static_cast<int>(v); },
     "namespaces.sysctl.syncookies_loopback"},
    {"net.ipv4.ip_autobind_reuse", 0, 1, [](Sysctls& s, std::int64_t v) { s.ip_autobind_reuse = v != 0; }},
    {"net.ipv4.tcp_max_syn_backlog", INT_MIN, INT_MAX, [](Sysctls& s, std::int64_t v) { s.tcp_max_syn_backlog = v; },
     "namespaces.sysctl.max_syn_backlog"},
    // without an L3 master device (the language cannot make one) a socket's
    // device match ignores them (inet_bound_dev_eq with sdif 0)
    {"net.ipv4.tcp_l3mdev_accept", 0, 1, [](Sysctls&, std::int64_t) {}, "namespaces.sysctl.l3mdev_accept_without_vrf"},
    {"net.ipv4.udp_l3mdev_accept", 0, 1, [](Sysctls&, std::int64_t) {}, "namespaces.sysctl.l3mdev_accept_without_vrf"},
    {"net.ipv4.raw_l3mdev_accept", 0, 1, [](Sysctls&, std::int64_t) {}, "namespaces.sysctl.l3mdev_accept_without_vrf"},
    // the model's ephemeral connect never takes a TIME-WAIT 4-tuple: exact
    // for 0, and for 1 and 2 until a second has passed (tcp_twsk_unique)
    {"net.ipv4.tcp_tw_reuse", 0, 2, [](Sysctls&, std::int64_t) {}, "namespaces.sysctl.tcp_tw_reuse"},
    {"net.mptcp.enabled", 0, 1, [](Sysctls& s, std::int64_t v) { s.mptcp_enabled = v != 0; }},
};

// ipv4_local_port_range: two ints (one leaves the high end), ascending,
// within 1..65535, the low end not below ip_unprivileged_port_start.
bool set_port_range(Sysctls& sys, const std::vector<std::string>& values) {
  auto v = proc_vector(values, 2);
  if (!v || v->empty()) return false;
  const std::int64_t lo = (*v)[0], hi = v->size() > 1 ? (*v)[1] : sys.port_hi;
  if (lo < 1 || hi > 65535 || hi < lo || lo < sys.unprivileged_port_start) return false;
  sys.port_lo = static_cast<std::uint16_t>(lo);
  sys.port_hi = static_cast<std::uint16_t>(hi);
  return true;
}

// ipv4_privileged_ports: 0..65535 and not above the port range's low end.
bool set_unprivileged_start(Sysctls& sys, const std::vector<std::string>& values) {
  auto v = proc_vector(values, 1);
  if (!v || v->empty() || (*v)[0] < 0 || (*v)[0] > 65535 || (*v)[0] > sys.port_lo) return false;
  sys.unprivileged_port_start = static_cast<int>((*v)[0]);
  return true;
}

// proc_do_large_bitmap: the whole text is a list of ports and LOW-HIGH
// ranges; a write replaces the bitmap. The language splits commas into
// tokens and the oracle joins tokens with tabs, so a scenario writes one
// port or one range; more than one token is EINVAL.
bool set_reserved_ports(Sysctls& sys, const std::vector<std::string>& values) {
  if (values.size() != 1) return false;
  const std::string_view text = values[0];
  const auto dash = text.find('-', 1);
  const auto lo = proc_number(text.substr(0, dash));
  const auto hi = dash == std::string_view::npos ? lo : proc_number(text.substr(dash + 1));
  if (!lo || !hi || *lo < 0 || *hi < *lo || *hi > 65535 || text.front() == '-' ||
      (dash != std::string_view::npos && text[dash + 1] == '-'))
    return false;
  sys.reserved_ports = ReservedPorts{static_cast<int>(*lo), static_cast<int>(*hi)};
  return true;
}

}  // namespace

Result handle(Ctx& ctx, const op::Sysctl& o) {
  Sysctls& sys = ctx.world.ns().sysctl;
  bool valid = true;
  if (o.key == "net.ipv4.ip_local_port_range") {
    valid = set_port_range(sys, o.values);
  } else if (o.key == "net.ipv4.ip_unprivileged_port_start") {
    valid = set_unprivileged_start(sys, o.values);
  } else if (o.key == "net.ipv4.ip_local_reserved_ports") {
    valid = set_reserved_ports(sys, o.values);
    if (valid) ctx.rule("namespaces.sysctl.reserved_ports");
  } else if (o.key == "net.ipv4.tcp_fin_timeout") {
    // proc_dointvec_jiffies: any int, seconds kept in jiffies (model/time.cc)
    auto v = proc_vector(o.values, 1);
    valid = v && !v->empty();
    if (valid && ((*v)[0] < 0 || (*v)[0] > INT_MAX / 1000))
      return ctx.unsupported("a negative or huge tcp_fin_timeout");
    if (valid) sys.tcp_fin_timeout_s = (*v)[0];
  } else {
    const Knob* knob = nullptr;
    for (const Knob& k : kKnobs)
      if (k.key == o.key) knob = &k;
    if (!knob)
      return ctx.unsupported("a sysctl the model does not interpret (spec/namespaces.md lists those it does)");
    auto v = proc_vector(o.values, 1);
    valid = v && !v->empty() && (*v)[0] >= knob->lo && (*v)[0] <= knob->hi;
    if (valid) {
      knob->store(sys, (*v)[0]);
      if (!knob->rule.empty()) ctx.rule(knob->rule);
    }
  }
  if (!valid) {
    ctx.rule("namespaces.sysctl.invalid_einval");
    return Result::err(EINVAL);
  }
  std::string text;
  for (const auto& v : o.values) text += (text.empty() ? "" : " ") + v;
  sys.values[o.key] = text;
  ctx.rule("namespaces.sysctl.per_namespace");
  return Result::ok();
}

}  // namespace sockspec
