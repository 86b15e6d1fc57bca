// The bind-conflict relation: may a socket (the newcomer) take a port that
// another socket of the same namespace (the holder) already holds?
//
// Contract: this file is the ONE source of truth for the relation
// (DESIGN.md, principle 3). It is written over a value domain D so that the
// model evaluates it on plain bools and integers (ConcreteDomain below) and
// the solver on z3::expr, and both read the very same guards.
//
// A domain D provides the types D::Bool and D::Int and the static functions
//   lit(bool) lit(int64) and_(a,b) or_(a,b) not_(a) eq(a,b) ite(c,a,b)
// The relation is an ORDERED list of named rules (kBindConflictRules), each a
// guard over (holder, newcomer, env) and an outcome. The first rule whose
// guard holds decides; the last rule's guard is `true`, so exactly one rule
// decides every pair. Symbolically, rule i decides when guard_i holds and no
// earlier guard does (bind_conflict_path).
//
// The guards reflect the kernel's `inet_csk_bind_conflict` / `inet_bind_conflict`
// (TCP, net/ipv4/inet_connection_sock.c), `udp_lib_lport_inuse` (UDP,
// net/ipv4/udp.c) and `inet_rcv_saddr_equal` / `ipv6_rcv_saddr_equal`
// (address overlap), as Linux 6.18 behaves (spec/bind.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sockspec {

// ---------------------------------------------------------------- the view

// Protocol classes: each has its own port space (tcp_hashinfo, udp_table,
// udplite_table). UDP-Lite binds exactly like UDP (udp_lib_get_port), in
// its own table; the solver searches TCP, UDP and MPTCP (MPTCP in Tcp:
// solver/bind_space.h, mptcp.bind.first_subflow).
enum class PortSpace : std::int64_t { Tcp = 0, Udp = 1, UdpLite = 2 };

// How a socket's bound address reads to the conflict check.
enum class AddrClass : std::int64_t {
  Any4 = 0,      // an inet socket on 0.0.0.0
  Ip4 = 1,       // an inet socket on a specific IPv4 address (`v4`)
  Any6 = 2,      // an inet6 socket on [::]
  Mapped = 3,    // an inet6 socket on ::ffff:a.b.c.d (`v4`; 0 for ::ffff:0.0.0.0)
  Ip6 = 4,       // an inet6 socket on another IPv6 address (`v6_hi`, `v6_lo`)
};

// Holder state as far as the relation cares.
enum class HolderState : std::int64_t { Other = 0, Listening = 1, TimeWait = 2 };

// The fields of one socket that matter to the relation.
template <class D>
struct BindView {
  typename D::Int space;      // PortSpace
  typename D::Int addr;       // AddrClass
  typename D::Int v4;         // IPv4 address as an integer (Ip4, Mapped); 0 otherwise
  typename D::Int v6_hi, v6_lo;  // the IPv6 address as two 64-bit halves (Ip6)
  typename D::Int port;
  typename D::Bool v6only;    // IPV6_V6ONLY (inet6 only)
  typename D::Bool reuseaddr; // SO_REUSEADDR
  typename D::Bool reuseport; // SO_REUSEPORT
  typename D::Int uid;        // the owner's effective uid
  typename D::Int state;      // HolderState (used for the holder only)
  typename D::Int device;     // SO_BINDTODEVICE interface index, 0 = none
};

// How the newcomer asks. An explicit `bind` (or listen's re-check) is
// relaxed: SO_REUSEADDR/SO_REUSEPORT may share. TCP's ephemeral-port search
// of bind(port 0) is strict: it wants a port nobody overlapping holds
// (`inet_csk_find_open_port` calls the check with relax=false, reuseport_ok=false).
//
// mapped_any_hole: the kernel is one where ::ffff:0.0.0.0 does not cover a
// v4-mapped address in TCP (Variation::MappedAnyMissesMapped,
// model/kernel_variations.h); false for the reference kernel.
template <class D>
struct BindEnv {
  typename D::Bool explicit_port;
  typename D::Bool mapped_any_hole;
};

// ---------------------------------------------------------------- helpers

namespace bind_detail {

template <class D> typename D::Bool is(const typename D::Int& x, AddrClass c) {
  return D::eq(x, D::lit(static_cast<std::int64_t>(c)));
}
template <class D> typename D::Bool is_space(const BindView<D>& s, PortSpace p) {
  return D::eq(s.space, D::lit(static_cast<std::int64_t>(p)));
}
template <class D> typename D::Bool all(typename D::Bool a, typename D::Bool b) { return D::and_(a, b); }
template <class D> typename D::Bool all(typename D::Bool a, typename D::Bool b, typename D::Bool c) {
  return D::and_(D::and_(a, b), c);
}

// The socket's address as an IPv4 receiver sees it (inet sockets, and inet6
// sockets on v4-mapped addresses): `ipv4_rcv_saddr_equal` compares these.
template <class D> typename D::Bool v4_side(const BindView<D>& s) {
  return D::or_(D::or_(is<D>(s.addr, AddrClass::Any4), is<D>(s.addr, AddrClass::Ip4)),
                is<D>(s.addr, AddrClass::Mapped));
}
template <class D> typename D::Bool v4_any(const BindView<D>& s) {
  return D::and_(v4_side<D>(s), D::eq(s.v4, D::lit(std::int64_t{0})));
}

}  // namespace bind_detail

// Do the two bound addresses overlap (the kernel's `inet_rcv_saddr_equal`
// with match_wildcard = true)? Cases, in the kernel's order:
//  - both read as IPv4 (inet, or v4-mapped): equal, or either is 0.0.0.0,
//    unless the holder is IPV6_V6ONLY;
//  - [::] against [::] always;
//  - [::] against anything, unless that [::] is IPV6_V6ONLY and the other
//    reads as IPv4;
//  - two IPv6 addresses that are equal.
//  - an AF_INET newcomer on 0.0.0.0 against an inet6 holder on a plain IPv6
//    address that is not IPV6_V6ONLY (bind.conflict.any4_covers_connected_v6).
// Linux 6.18 (bhash2) no longer lets 0.0.0.0 cover an inet6 socket bound to
// a plain IPv6 address (the indexed older `ipv4_rcv_saddr_equal` did, through
// the placeholder 127.0.0.6); the model follows 6.18. Binding such an address
// makes the socket IPV6_V6ONLY (__inet6_bind), so only a holder that bound
// [::] and took its address from connect is not: tcp_v6_connect and
// ip6_datagram_dst_update leave it on 127.0.0.6 for IPv4 eyes, and a
// wildcard newcomer's full scan of the port (`inet_use_bhash2_on_bind` is
// false for 0.0.0.0) meets it in `ipv4_rcv_saddr_equal`.
template <class D>
typename D::Bool any4_meets_connected_v6(const BindView<D>& holder, const BindView<D>& newcomer) {
  using namespace bind_detail;
  return all<D>(is<D>(holder.addr, AddrClass::Ip6), D::not_(holder.v6only), is<D>(newcomer.addr, AddrClass::Any4));
}

template <class D>
typename D::Bool addresses_overlap(const BindView<D>& holder, const BindView<D>& newcomer) {
  using namespace bind_detail;
  auto both_v4 = D::and_(v4_side<D>(holder), v4_side<D>(newcomer));
  auto v4_overlap = all<D>(D::not_(holder.v6only),
                           D::or_(D::eq(holder.v4, newcomer.v4),
                                  D::or_(v4_any<D>(holder), v4_any<D>(newcomer))));
  auto holder_any6 = is<D>(holder.addr, AddrClass::Any6);
  auto newcomer_any6 = is<D>(newcomer.addr, AddrClass::Any6);
  auto any6_covers = [](const typename D::Bool& any6, const BindView<D>& wild, const BindView<D>& other) {
    return all<D>(any6, D::not_(D::and_(wild.v6only, v4_side<D>(other))));
  };
  auto same_v6 = all<D>(is<D>(holder.addr, AddrClass::Ip6), is<D>(newcomer.addr, AddrClass::Ip6),
                        D::and_(D::eq(holder.v6_hi, newcomer.v6_hi), D::eq(holder.v6_lo, newcomer.v6_lo)));
  return D::ite(both_v4, v4_overlap,
                D::or_(D::or_(any6_covers(holder_any6, holder, newcomer),
                              any6_covers(newcomer_any6, newcomer, holder)),
                       D::or_(same_v6, any4_meets_connected_v6<D>(holder, newcomer))));
}

// ---------------------------------------------------------------- the rules

enum class BindOutcome : std::uint8_t { NoConflict, Conflict };

// The rules of the relation, one enumerator each: a row of the table below
// names it, and bind_conflict_guard switches on it, so a rule's name,
// outcome and guard travel together whatever the order of the rows.
enum class BindRule : std::uint8_t {
  OtherProtocol, OtherPort, OtherDevice, DisjointAddresses, MappedAnyMissesMapped, EphemeralStrict,
  TcpReuseaddr, Reuseport, UdpReuseaddr, SameAddress, WildcardV6, Any4CoversConnectedV6, WildcardV4,
};

struct BindConflictRule {
  BindRule rule;
  std::string_view name;   // as cited and documented in spec/bind.md
  BindOutcome outcome;
};

// In the order the relation tries them: the first whose guard holds decides.
inline constexpr std::array<BindConflictRule, 13> kBindConflictRules{{
    {BindRule::OtherProtocol, "bind.conflict.other_protocol", BindOutcome::NoConflict},
    {BindRule::OtherPort, "bind.conflict.other_port", BindOutcome::NoConflict},
    {BindRule::OtherDevice, "bind.conflict.other_device", BindOutcome::NoConflict},
    {BindRule::DisjointAddresses, "bind.conflict.disjoint_addresses", BindOutcome::NoConflict},
    {BindRule::MappedAnyMissesMapped, "bind.conflict.mapped_any_misses_mapped", BindOutcome::NoConflict},
    {BindRule::EphemeralStrict, "bind.conflict.ephemeral_strict", BindOutcome::Conflict},
    {BindRule::TcpReuseaddr, "bind.conflict.tcp_reuseaddr", BindOutcome::NoConflict},
    {BindRule::Reuseport, "bind.conflict.reuseport", BindOutcome::NoConflict},
    {BindRule::UdpReuseaddr, "bind.conflict.udp_reuseaddr", BindOutcome::NoConflict},
    {BindRule::SameAddress, "bind.conflict.same_address", BindOutcome::Conflict},
    {BindRule::WildcardV6, "bind.conflict.wildcard_v6", BindOutcome::Conflict},
    {BindRule::Any4CoversConnectedV6, "bind.conflict.any4_covers_connected_v6", BindOutcome::Conflict},
    {BindRule::WildcardV4, "bind.conflict.wildcard_v4", BindOutcome::Conflict},
}};

// The position of `rule` in kBindConflictRules.
constexpr std::size_t bind_rule_index(BindRule rule) {
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i)
    if (kBindConflictRules[i].rule == rule) return i;
  return kBindConflictRules.size();
}

// The guard of the rule at position `i` of kBindConflictRules.
template <class D>
typename D::Bool bind_conflict_guard(std::size_t i, const BindView<D>& h, const BindView<D>& n,
                                     const BindEnv<D>& env) {
  using namespace bind_detail;
  const auto tcp = is_space<D>(n, PortSpace::Tcp);
  const auto udp = D::not_(tcp);  // UDP and UDP-Lite
  switch (kBindConflictRules[i].rule) {
    case BindRule::OtherProtocol:  // separate bind tables (tcp_hashinfo, udp_table, udplite_table)
      return D::not_(D::eq(h.space, n.space));
    case BindRule::OtherPort:  // the tables are keyed by port
      return D::not_(D::eq(h.port, n.port));
    case BindRule::OtherDevice:  // both bound to devices, and not the same one
      return all<D>(D::not_(D::eq(h.device, D::lit(std::int64_t{0}))),
                    D::not_(D::eq(n.device, D::lit(std::int64_t{0}))),
                    D::not_(D::eq(h.device, n.device)));
    case BindRule::DisjointAddresses:
      return D::not_(addresses_overlap<D>(h, n));
    case BindRule::MappedAnyMissesMapped:  // some 6.1.y (Variation::MappedAnyMissesMapped): a TCP holder on
             // ::ffff:0.0.0.0 misses a newcomer on another v4-mapped address
      return all<D>(env.mapped_any_hole, tcp,
                    all<D>(is<D>(h.addr, AddrClass::Mapped), D::eq(h.v4, D::lit(std::int64_t{0})),
                           D::and_(is<D>(n.addr, AddrClass::Mapped), D::not_(D::eq(n.v4, D::lit(std::int64_t{0}))))));
    case BindRule::EphemeralStrict:  // TCP bind(0)'s search: relax=false, reuseport_ok=false (UDP's search
             // in udp_lib_get_port applies the same test as an explicit port)
      return D::and_(tcp, D::not_(env.explicit_port));
    case BindRule::TcpReuseaddr:  // inet_csk_bind_conflict: both SO_REUSEADDR, holder not listening
      return all<D>(tcp, D::and_(h.reuseaddr, n.reuseaddr),
                    D::not_(D::eq(h.state, D::lit(static_cast<std::int64_t>(HolderState::Listening)))));
    case BindRule::Reuseport:  // both SO_REUSEPORT, same owner (TCP: or the holder is in TIME_WAIT)
      return all<D>(D::and_(h.reuseport, n.reuseport),
                    D::or_(D::eq(h.uid, n.uid),
                           D::and_(tcp, D::eq(h.state, D::lit(static_cast<std::int64_t>(HolderState::TimeWait))))));
    case BindRule::UdpReuseaddr:  // udp_lib_lport_inuse: both SO_REUSEADDR, whatever the holder does
      return all<D>(udp, h.reuseaddr, n.reuseaddr);
    case BindRule::SameAddress:
      return all<D>(D::eq(h.addr, n.addr), D::eq(h.v4, n.v4),
                    D::and_(D::eq(h.v6_hi, n.v6_hi), D::eq(h.v6_lo, n.v6_lo)));
    case BindRule::WildcardV6:  // what overlaps and is not equal is covered by a wildcard: [::] ...
      return D::or_(is<D>(h.addr, AddrClass::Any6), is<D>(n.addr, AddrClass::Any6));
    case BindRule::Any4CoversConnectedV6:  // ... or 0.0.0.0 over an inet6 holder that connected from [::]
      return any4_meets_connected_v6<D>(h, n);
    case BindRule::WildcardV4:  // ... or 0.0.0.0 (also as ::ffff:0.0.0.0)
      return D::lit(true);
  }
  return D::lit(true);
}

// Symbolic use: the condition under which rule `i` decides.
template <class D>
typename D::Bool bind_conflict_path(std::size_t i, const BindView<D>& h, const BindView<D>& n,
                                    const BindEnv<D>& env) {
  auto path = bind_conflict_guard<D>(i, h, n, env);
  for (std::size_t j = 0; j < i; ++j) path = D::and_(path, D::not_(bind_conflict_guard<D>(j, h, n, env)));
  return path;
}

// ---------------------------------------------------------------- concrete

struct ConcreteDomain {
  using Bool = bool;
  using Int = std::int64_t;
  static Bool lit(bool b) { return b; }
  static Int lit(std::int64_t i) { return i; }
  static Bool and_(Bool a, Bool b) { return a && b; }
  static Bool or_(Bool a, Bool b) { return a || b; }
  static Bool not_(Bool a) { return !a; }
  static Bool eq(Int a, Int b) { return a == b; }
  static Bool ite(Bool c, Bool a, Bool b) { return c ? a : b; }
};

struct BindDecision {
  BindOutcome outcome;
  std::string_view rule;
};

// The first rule whose guard holds.
inline BindDecision decide_bind_conflict(const BindView<ConcreteDomain>& holder,
                                         const BindView<ConcreteDomain>& newcomer,
                                         const BindEnv<ConcreteDomain>& env) {
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i)
    if (bind_conflict_guard<ConcreteDomain>(i, holder, newcomer, env))
      return {kBindConflictRules[i].outcome, kBindConflictRules[i].name};
  return {BindOutcome::Conflict, kBindConflictRules.back().name};  // unreachable: the last guard is true
}

}  // namespace sockspec
