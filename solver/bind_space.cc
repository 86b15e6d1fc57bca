// The searchable socket space (solver/bind_space.h).
#include "solver/bind_space.h"

#include <fmt/format.h>

namespace sockspec::solver {

namespace {

std::int64_t cls(AddrClass a) { return static_cast<std::int64_t>(a); }
std::int64_t num(Role r) { return static_cast<std::int64_t>(r); }
std::int64_t num(Proto p) { return static_cast<std::int64_t>(p); }

z3::expr is(const z3::expr& x, AddrClass a) { return x == x.ctx().int_val(cls(a)); }
z3::expr is(const z3::expr& x, Role r) { return x == x.ctx().int_val(num(r)); }
z3::expr is(const z3::expr& x, Proto p) { return x == x.ctx().int_val(num(p)); }

z3::expr one_of_v4_menu(const z3::expr& v4) {
  z3::expr any = v4.ctx().bool_val(false);
  for (std::uint32_t ip : kV4Menu) any = any || v4 == v4.ctx().int_val(static_cast<std::int64_t>(ip));
  return any;
}

// The two 64-bit halves of the IPv6 menu addresses, as inet::bind_view splits them.
constexpr std::uint64_t kExtraHi = 0xfd00000000000000ull;  // fd00::2
std::int64_t as_signed(std::uint64_t h) { return static_cast<std::int64_t>(h); }

std::uint32_t bits_of(const z3::expr& e) {
  return static_cast<std::uint32_t>(e.get_numeral_uint64());
}

}  // namespace

std::string_view role_name(Role r) {
  switch (r) {
    case Role::Bound: return "bound";
    case Role::Listening: return "listening";
    case Role::Connected: return "connected";
    case Role::TimeWait: return "time-wait";
  }
  return "?";
}

std::string_view proto_word(Proto p) {
  switch (p) {
    case Proto::Tcp: return "tcp";
    case Proto::Udp: return "udp";
    case Proto::Mptcp: return "mptcp";
  }
  return "?";
}

SymKnobs SymKnobs::make(z3::context& c, std::string_view prefix) {
  return {c.bool_const(fmt::format("{}bindv6only", prefix).c_str())};
}

SymSocket SymSocket::make(z3::context& c, std::string_view name) {
  auto b = [&](std::string_view field) { return c.bool_const(fmt::format("{}.{}", name, field).c_str()); };
  auto i = [&](std::string_view field) { return c.int_const(fmt::format("{}.{}", name, field).c_str()); };
  return {i("proto"),      b("inet6"),        i("addr"),      i("v4"),        i("v6"),  i("port"),
          b("v6only_set"), b("v6only_value"), b("reuseaddr"), b("reuseport"), i("uid"), i("role"),
          b("wild_connect")};
}

z3::expr effective_v6only(const SymSocket& s, const SymKnobs& k) {
  return s.inet6 && z3::ite(s.v6only_set, s.v6only_value, k.bindv6only);
}

z3::expr well_formed(const SymSocket& s, const SymKnobs& k) {
  z3::context& c = s.proto.ctx();
  auto in = [&](const z3::expr& x, std::int64_t lo, std::int64_t hi) { return x >= c.int_val(lo) && x <= c.int_val(hi); };
  const auto any4 = is(s.addr, AddrClass::Any4), ip4 = is(s.addr, AddrClass::Ip4);
  const auto any6 = is(s.addr, AddrClass::Any6), mapped = is(s.addr, AddrClass::Mapped), ip6 = is(s.addr, AddrClass::Ip6);
  const auto zero = c.int_val(0);
  z3::expr_vector all(c);
  // the family decides which address classes exist
  all.push_back(z3::implies(!s.inet6, any4 || ip4));
  all.push_back(z3::implies(s.inet6, any6 || mapped || ip6));
  // the address fields of each class, as inet::bind_view fills them
  all.push_back(z3::implies(any4 || any6, s.v4 == zero && s.v6 == zero));
  all.push_back(z3::implies(ip4, one_of_v4_menu(s.v4) && s.v6 == zero));
  all.push_back(z3::implies(mapped, (s.v4 == zero || one_of_v4_menu(s.v4)) && s.v6 == zero));
  all.push_back(z3::implies(ip6, s.v4 == zero && (s.v6 == c.int_val(kV6Loopback) || s.v6 == c.int_val(kV6Extra))));
  // IPV6_V6ONLY is an inet6 option; a v6-only socket may not bind a
  // v4-mapped address (__inet6_bind: EINVAL)
  all.push_back(z3::implies(!s.inet6, !s.v6only_set));
  all.push_back(z3::implies(mapped, !effective_v6only(s, k)));
  all.push_back(s.port == c.int_val(kPortA) || s.port == c.int_val(kPortB));
  all.push_back(s.uid == c.int_val(kUids[0]) || s.uid == c.int_val(kUids[1]));
  all.push_back(in(s.role, num(Role::Bound), num(Role::TimeWait)));
  all.push_back(in(s.proto, num(Proto::Tcp), num(Proto::Mptcp)));
  // UDP has no listen and no TIME_WAIT
  all.push_back(z3::implies(is(s.proto, Proto::Udp), is(s.role, Role::Bound) || is(s.role, Role::Connected)));
  // an MPTCP connection that closes ends on mptcp_worker's schedule
  // (mptcp.close.data_fin_unsettled): no TIME_WAIT witness can be checked
  all.push_back(z3::implies(is(s.proto, Proto::Mptcp), !is(s.role, Role::TimeWait)));
  // connect() replaces a wildcard address with the route's source
  // (tcp_v4_connect, ip4_datagram_connect): a connected holder is bound to a
  // specific address from the start, so the view before and after agree
  const auto connected = is(s.role, Role::Connected) || is(s.role, Role::TimeWait);
  all.push_back(z3::implies(connected, !any4 && !any6 && !(mapped && s.v4 == zero)));
  // a holder that bound the wildcard holds the source of the route to the
  // helper listener (127.0.0.1, ::1 or ::ffff:127.0.0.1) once connected
  const auto loop4 = s.v4 == c.int_val(static_cast<std::int64_t>(kV4Menu[0]));
  all.push_back(z3::implies(s.wild_connect, connected && ((ip4 && loop4) || (mapped && loop4) ||
                                                         (ip6 && s.v6 == c.int_val(kV6Loopback)))));
  return z3::mk_and(all);
}

BindView<Z3Domain> view(const SymSocket& s, const SymKnobs& k) {
  z3::context& c = s.proto.ctx();
  auto i = [&](std::int64_t v) { return c.int_val(v); };
  const auto tw = is(s.role, Role::TimeWait), listening = is(s.role, Role::Listening);
  return BindView<Z3Domain>{
      .space = z3::ite(is(s.proto, Proto::Udp), i(static_cast<std::int64_t>(port_space(Proto::Udp))),
                       i(static_cast<std::int64_t>(port_space(Proto::Tcp)))),
      .addr = s.addr,
      .v4 = s.v4,
      .v6_hi = z3::ite(s.v6 == i(kV6Extra), i(as_signed(kExtraHi)), i(0)),
      .v6_lo = z3::ite(s.v6 == i(kV6Loopback), i(1), z3::ite(s.v6 == i(kV6Extra), i(2), i(0))),
      .port = s.port,
      // binding a plain IPv6 address makes the socket IPv6-only (__inet6_bind)
      .v6only = effective_v6only(s, k) || (is(s.addr, AddrClass::Ip6) && !s.wild_connect),
      .reuseaddr = s.reuseaddr,
      .reuseport = s.reuseport,
      .uid = s.uid,
      .state = z3::ite(listening, i(static_cast<std::int64_t>(HolderState::Listening)),
                       z3::ite(tw, i(static_cast<std::int64_t>(HolderState::TimeWait)),
                               i(static_cast<std::int64_t>(HolderState::Other)))),
      .device = i(0),
  };
}

std::vector<z3::expr> simplicity_preferences(const SymSocket& s) {
  z3::context& c = s.proto.ctx();
  return {s.uid == c.int_val(0), !s.wild_connect, !s.reuseport, !s.reuseaddr, !s.v6only_set,
          s.v6 != c.int_val(kV6Extra), s.port == c.int_val(kPortA),
          s.v4 == c.int_val(0) || s.v4 == c.int_val(static_cast<std::int64_t>(kV4Menu[0]))};
}

Address SocketChoice::bound_address() const {
  if (!wild_connect) return address();
  Address a;
  a.kind = family == Family::Inet ? AddressKind::Inet4 : AddressKind::Inet6;
  a.port = port;
  return a;
}

Address SocketChoice::address() const {
  if (literal) return *literal;
  Address a;
  a.port = port;
  const std::uint32_t ip = addr == AddrClass::Ip4 || addr == AddrClass::Mapped ? v4 : 0;
  if (family == Family::Inet) {
    a.kind = AddressKind::Inet4;
    for (std::size_t b = 0; b < 4; ++b) a.ip[b] = static_cast<std::uint8_t>(ip >> (24 - 8 * b));
    return a;
  }
  a.kind = AddressKind::Inet6;
  if (addr == AddrClass::Mapped) {
    a.ip[10] = a.ip[11] = 0xff;
    for (std::size_t b = 0; b < 4; ++b) a.ip[12 + b] = static_cast<std::uint8_t>(ip >> (24 - 8 * b));
  } else if (addr == AddrClass::Ip6) {
    if (v6 == kV6Extra) { a.ip[0] = 0xfd; a.ip[15] = 2; }
    else a.ip[15] = 1;
  }
  return a;
}

SocketChoice read(const z3::model& m, const SymSocket& s) {
  auto b = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  auto n = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_int64(); };
  SocketChoice c;
  c.proto = static_cast<Proto>(n(s.proto));
  c.family = b(s.inet6) ? Family::Inet6 : Family::Inet;
  c.addr = static_cast<AddrClass>(n(s.addr));
  c.v4 = bits_of(m.eval(s.v4, true));
  c.v6 = static_cast<int>(n(s.v6));
  c.port = static_cast<std::uint16_t>(n(s.port));
  c.v6only_set = b(s.v6only_set);
  c.v6only_value = b(s.v6only_value);
  c.reuseaddr = b(s.reuseaddr);
  c.reuseport = b(s.reuseport);
  c.uid = n(s.uid);
  c.role = static_cast<Role>(n(s.role));
  c.wild_connect = b(s.wild_connect);
  return c;
}

KnobChoice read(const z3::model& m, const SymKnobs& k) { return {m.eval(k.bindv6only, true).is_true()}; }

z3::expr fixed_to(const SymSocket& s, const SocketChoice& c) {
  z3::context& ctx = s.proto.ctx();
  auto i = [&](std::int64_t v) { return ctx.int_val(v); };
  auto flag = [&](const z3::expr& e, bool v) { return v ? e : !e; };
  return s.proto == i(num(c.proto)) && flag(s.wild_connect, c.wild_connect) && flag(s.inet6, c.family == Family::Inet6) && s.addr == i(cls(c.addr)) &&
         s.v4 == i(c.v4) && s.v6 == i(c.v6) && s.port == i(c.port) && flag(s.v6only_set, c.v6only_set) &&
         flag(s.v6only_value, c.v6only_value) && flag(s.reuseaddr, c.reuseaddr) &&
         flag(s.reuseport, c.reuseport) && s.uid == i(c.uid) && s.role == i(num(c.role));
}

}  // namespace sockspec::solver
