// Addresses, local addresses, port tables and ephemeral ports (model/inet.h).
#include "model/inet.h"

#include "model/kernel_variations.h"
#include "scenario/address_builders.h"

#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sockspec::inet {

// ---------------------------------------------------------------- addresses

bool is_inet(const Socket& s) { return s.family == Family::Inet || s.family == Family::Inet6; }
bool is_tcp(const Socket& s) { return is_inet(s) && s.type == SockType::Stream; }
PortSpace port_space(const Socket& s) {
  if (s.type == SockType::Stream) return PortSpace::Tcp;
  return s.protocol == IPPROTO_UDPLITE ? PortSpace::UdpLite : PortSpace::Udp;
}

bool is_v4mapped(const Address& a) {
  if (a.kind != AddressKind::Inet6) return false;
  for (int i = 0; i < 10; ++i)
    if (a.ip[static_cast<std::size_t>(i)] != 0) return false;
  return a.ip[10] == 0xff && a.ip[11] == 0xff;
}

std::uint32_t v4_of(const Address& a) {
  const std::size_t at = a.kind == AddressKind::Inet4 ? 0 : 12;
  return (std::uint32_t{a.ip[at]} << 24) | (std::uint32_t{a.ip[at + 1]} << 16) |
         (std::uint32_t{a.ip[at + 2]} << 8) | std::uint32_t{a.ip[at + 3]};
}

bool is_any(const Address& a) {
  if (a.kind == AddressKind::Inet4) return v4_of(a) == 0;
  if (a.kind != AddressKind::Inet6) return false;
  return std::all_of(a.ip.begin(), a.ip.end(), [](std::uint8_t b) { return b == 0; });
}

Address v4(std::uint32_t ip, std::uint16_t port) { return inet4_address(ip, port); }

Address v4_mapped(std::uint32_t ip, std::uint16_t port) { return v4_mapped_address(ip, port); }

Address loopback(Family f) {
  if (f == Family::Inet) return v4(INADDR_LOOPBACK, 0);
  Address a;
  a.kind = AddressKind::Inet6;
  a.ip[15] = 1;
  return a;
}

Address any(Family f) {
  Address a;
  a.kind = f == Family::Inet ? AddressKind::Inet4 : AddressKind::Inet6;
  return a;
}

Family family_of(const Address& a) { return a.kind == AddressKind::Inet4 ? Family::Inet : Family::Inet6; }

std::size_t sockaddr_len(const Address& a, Family socket_family) {
  switch (a.kind) {
    case AddressKind::Unspec:              // sizeof(sockaddr_in6 | sockaddr_in | sa_family_t)
      return socket_family == Family::Inet6 ? 28 : socket_family == Family::Inet ? 16 : 2;
    case AddressKind::Inet4: return 16;    // sizeof(sockaddr_in)
    case AddressKind::Inet6: return 28;    // sizeof(sockaddr_in6)
    case AddressKind::Unix:                // sun_path offset + name (+ NUL for a path)
      if (a.path.empty()) return 2;
      return 2 + a.path.size() + (a.path[0] == '@' ? 0 : 1);
  }
  return 0;
}

bool carries_v4(const Address& a) { return a.kind == AddressKind::Inet4 || is_v4mapped(a); }

Address as_family(const Address& a, Family f) {
  if (!carries_v4(a)) return a;
  return f == Family::Inet ? v4(v4_of(a), a.port) : v4_mapped(v4_of(a), a.port);
}

bool is_v4_multicast_or_broadcast(std::uint32_t ip) { return (ip >> 28) == 0xe || ip == 0xffffffffu; }

static bool same_host(const Address& a, const Address& b) {
  return a.kind == b.kind && a.ip == b.ip;
}

bool is_local(const Namespace& ns, const Address& a) {
  if (carries_v4(a)) {
    const std::uint32_t ip = v4_of(a);
    if ((ip >> 24) == 127) return true;
    return std::any_of(ns.addresses.begin(), ns.addresses.end(),
                       [&](const Address& x) { return x.kind == AddressKind::Inet4 && v4_of(x) == ip; });
  }
  if (same_host(a, loopback(Family::Inet6))) return true;
  return std::any_of(ns.addresses.begin(), ns.addresses.end(), [&](const Address& x) { return same_host(x, a); });
}

// Does the prefix `net`/`len` hold `a`? Both are read in their own family;
// IPv4 traffic (Inet4 or v4-mapped) matches only IPv4 prefixes.
static bool prefix_holds(const Address& net, int len, const Address& a) {
  if (net.kind == AddressKind::Inet4) {
    if (!carries_v4(a)) return false;
    const std::uint32_t mask = len <= 0 ? 0 : len >= 32 ? ~0u : ~0u << (32 - len);
    return (v4_of(net) & mask) == (v4_of(a) & mask);
  }
  if (a.kind != AddressKind::Inet6 || is_v4mapped(a)) return false;
  for (int bit = 0; bit < len && bit < 128; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    const int shift = 7 - bit % 8;
    if (((net.ip[byte] >> shift) & 1) != ((a.ip[byte] >> shift) & 1)) return false;
  }
  return true;
}

static int namespace_index(const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.namespaces.size(); ++i)
    if (w.namespaces[i].name == name) return static_cast<int>(i);
  return -1;
}

static const Interface* interface_named(const Namespace& ns, std::string_view name) {
  for (const Interface& i : ns.interfaces)
    if (i.name == name) return &i;
  return nullptr;
}

RouteKind route_to(const World& w, int ns_index, const Address& dst, VethRoute* route) {
  const Namespace& ns = w.namespaces[static_cast<std::size_t>(ns_index)];
  if (is_local(ns, dst)) return RouteKind::Local;
  bool covered = false;
  for (const AssignedAddress& a : ns.assigned) {
    if (a.dev == "lo" || !prefix_holds(a.addr, a.prefix, dst)) continue;
    covered = true;
    const Interface* here = interface_named(ns, a.dev);
    if (!here || here->peer_ns.empty() || !here->up) continue;
    const int there = namespace_index(w, here->peer_ns);
    if (there < 0) continue;
    const Namespace& peer_ns = w.namespaces[static_cast<std::size_t>(there)];
    const Interface* peer = interface_named(peer_ns, here->peer);
    if (!peer || !peer->up || !is_local(peer_ns, dst)) continue;
    route->ns = there;
    route->source = dst.kind == AddressKind::Inet6 && a.addr.kind == AddressKind::Inet4
                        ? v4_mapped(v4_of(a.addr), 0)
                        : a.addr;
    return RouteKind::Veth;
  }
  return covered ? RouteKind::Unmodelled : RouteKind::NoRoute;
}

// The source address a route to `dst` gives on loopback: 127.0.0.1 for all
// of 127.0.0.0/8 (lo's primary address), ::1, or the local address itself
// (the local table's prefsrc).
static Address local_route_source(const Address& dst) {
  if (carries_v4(dst)) {
    const std::uint32_t ip = v4_of(dst);
    const std::uint32_t src = (ip >> 24) == 127 ? 0x7f000001u : ip;
    return dst.kind == AddressKind::Inet4 ? v4(src, 0) : v4_mapped(src, 0);
  }
  Address a = dst;
  a.port = 0;
  a.scope.clear();
  return a;
}

Address wildcard_to_self(Ctx& ctx, const Socket& s, const Address& dst) {
  const bool ip = dst.kind == AddressKind::Inet4 || dst.kind == AddressKind::Inet6;
  const bool wildcard = is_any(dst) || (is_v4mapped(dst) && v4_of(dst) == 0);
  if (!ip || !wildcard) return dst;
  ctx.rule("connect.address.wildcard_means_self");
  const bool mapped_source = s.local && is_v4mapped(*s.local);
  if (carries_v4(dst)) {
    // a multicast or broadcast bound address is no source (inet_bind leaves
    // inet_saddr 0 for them: "use device"), so the route falls to loopback
    const bool bound_v4 = s.local && carries_v4(*s.local) && v4_of(*s.local) != 0 &&
                          !is_v4_multicast_or_broadcast(v4_of(*s.local));
    const std::uint32_t self = bound_v4 ? v4_of(*s.local) : 0x7f000001u;
    return dst.kind == AddressKind::Inet4 ? v4(self, dst.port) : v4_mapped(self, dst.port);
  }
  if (mapped_source) return v4_mapped(0x7f000001u, dst.port);
  Address loopback = dst;
  loopback.ip = {};
  loopback.ip[15] = 1;
  return loopback;
}

bool mapped_source_to_v6(Ctx& ctx, const Socket& s, const Address& dst) {
  if (s.family != Family::Inet6 || !s.local || !is_v4mapped(*s.local) || carries_v4(dst) || is_any(dst)) return false;
  ctx.rule("connect.address.mapped_source_eafnosupport");
  return true;
}

// Whether the socket's own address is a source the route lookup refuses:
// a specific IPv4 address that is not local (bound with IP_FREEBIND or
// ip_nonlocal_bind). __ip_route_output_key_hash_rcu wants the source to be
// an address of the namespace (__ip_dev_find) unless IP_TRANSPARENT.
static bool nonlocal_v4_source(const World& w, const Socket& s) {
  if (!s.local || !carries_v4(*s.local)) return false;
  const std::uint32_t ip = v4_of(*s.local);
  return ip != 0 && !is_v4_multicast_or_broadcast(ip) && !is_local(w.ns_of(s), v4(ip, 0));
}

static bool nonlocal_v6_source(const World& w, const Socket& s) {
  return s.local && s.local->kind == AddressKind::Inet6 && !is_v4mapped(*s.local) && !is_any(*s.local) &&
         s.local->ip[0] != 0xff && !is_local(w.ns_of(s), *s.local);
}

std::optional<Destination> reach(Ctx& ctx, const Socket& s, const Address& dst, Result* failure) {
  if (!s.opt.bindtodevice.empty() && s.opt.bindtodevice != "lo") {
    // the route lookup with that device as the output interface
    // (flowi4_oif / flowi6_oif) is not modelled
    *failure = ctx.unsupported("traffic from a socket bound to a device other than lo");
    return std::nullopt;
  }
  if (carries_v4(dst) && nonlocal_v4_source(ctx.world, s)) {
    ctx.rule("connect.address.nonlocal_source_enetunreach");
    *failure = Result::err(ENETUNREACH);
    return std::nullopt;
  }
  if (!carries_v4(dst) && nonlocal_v6_source(ctx.world, s)) {
    // IPv6 routes from any source: the packet leaves, and the answer has no
    // way back (a connect stays pending, a listener keeps a SYN-RECV)
    *failure = ctx.unsupported("traffic from a non-local IPv6 source address");
    return std::nullopt;
  }
  VethRoute veth{};
  switch (route_to(ctx.world, s.ns, dst, &veth)) {
    case RouteKind::Local:
      return Destination{s.ns, local_route_source(dst)};
    case RouteKind::Veth:
      ctx.rule("connect.route.veth_peer");
      return Destination{veth.ns, veth.source};
    case RouteKind::NoRoute:
      ctx.rule("connect.address.no_route_enetunreach");
      *failure = Result::err(ENETUNREACH);
      return std::nullopt;
    case RouteKind::Unmodelled:
      break;
  }
  *failure = ctx.unsupported("a destination on a link with no peer answering for it");
  return std::nullopt;
}

bool unknown_scope(const World& w, const Address& a) {
  if (a.kind != AddressKind::Inet6 || a.scope.empty()) return false;
  const auto& ifs = w.namespaces[static_cast<std::size_t>(w.current_ns)].interfaces;
  return std::none_of(ifs.begin(), ifs.end(), [&](const Interface& i) { return i.name == a.scope; });
}

// ---------------------------------------------------------------- ports

PortRange local_port_range(const World& w, const Socket& s, bool* per_socket) {
  const Sysctls& sys = w.namespaces[static_cast<std::size_t>(s.ns)].sysctl;
  PortRange r{sys.port_lo, sys.port_hi};
  const int sk_lo = s.opt.port_range_lo, sk_hi = s.opt.port_range_hi;
  const bool set = sk_lo != 0 || sk_hi != 0;
  if (set) {  // inet_sk_get_local_port_range: each bound narrows only when inside the range
    const int lo = r.lo, hi = r.hi;
    if (lo <= sk_lo && sk_lo <= hi) r.lo = sk_lo;
    if (lo <= sk_hi && sk_hi <= hi) r.hi = sk_hi;
  }
  if (per_socket) *per_socket = set;
  return r;
}

static std::int64_t v6_half(const Address& a, std::size_t from) {
  std::uint64_t h = 0;
  for (std::size_t i = from; i < from + 8; ++i) h = (h << 8) | a.ip[i];
  return static_cast<std::int64_t>(h);
}

static int device_index(const World& w, const Socket& s) {
  if (s.opt.bindtodevice.empty()) return 0;
  const auto& ifs = w.namespaces[static_cast<std::size_t>(s.ns)].interfaces;
  for (std::size_t i = 0; i < ifs.size(); ++i)
    if (ifs[i].name == s.opt.bindtodevice) return static_cast<int>(i) + 1;
  return 0;
}

BindView<ConcreteDomain> bind_view(const World& w, const Socket& s, const Address& local) {
  BindView<ConcreteDomain> v{};
  v.space = static_cast<std::int64_t>(port_space(s));
  if (s.family == Family::Inet) {
    v.addr = static_cast<std::int64_t>(is_any(local) ? AddrClass::Any4 : AddrClass::Ip4);
    v.v4 = v4_of(local);
  } else if (is_v4mapped(local)) {
    v.addr = static_cast<std::int64_t>(AddrClass::Mapped);
    v.v4 = v4_of(local);
  } else if (is_any(local)) {
    v.addr = static_cast<std::int64_t>(AddrClass::Any6);
  } else {
    v.addr = static_cast<std::int64_t>(AddrClass::Ip6);
    v.v6_hi = v6_half(local, 0);
    v.v6_lo = v6_half(local, 8);
  }
  v.port = local.port;
  v.v6only = s.family == Family::Inet6 && s.opt.v6only;
  v.reuseaddr = s.opt.reuseaddr;
  v.reuseport = s.opt.reuseport;
  v.uid = s.uid;
  v.state = static_cast<std::int64_t>(s.state == SockState::Listen     ? HolderState::Listening
                                      : s.state == SockState::TimeWait ? HolderState::TimeWait
                                                                        : HolderState::Other);
  v.device = device_index(w, s);
  return v;
}

SocketId find_bind_conflict(const World& w, SocketId newcomer, const Address& local, bool explicit_port,
                            RuleTrace* rules) {
  constexpr std::string_view kOtherPort = "bind.conflict.other_port";
  const Socket& n = w.sock(newcomer);
  const auto nv = bind_view(w, n, local);
  const BindEnv<ConcreteDomain> env{explicit_port, variation_holds(Variation::MappedAnyMissesMapped, w.profile)};
  RuleTrace allowed;  // why each holder that shares the port lets the newcomer in
  bool other_port = false;
  for (SocketId id = 0; id < static_cast<SocketId>(w.sockets.size()); ++id) {
    const Socket& h = w.sock(id);
    if (id == newcomer || h.ns != n.ns || !h.port_bound || !is_inet(h) || !h.local) continue;
    const auto d = decide_bind_conflict(bind_view(w, h, *h.local), nv, env);
    if (d.outcome == BindOutcome::Conflict) {
      if (rules) rules->add(d.rule);
      return id;
    }
    if (d.rule == kOtherPort) other_port = true;
    else if (!allowed.contains(d.rule)) allowed.add(d.rule);
  }
  if (rules) {
    for (std::string_view r : allowed) rules->add(r);
    if (allowed.size() == 0 && other_port) rules->add(kOtherPort);
  }
  return kNoSocket;
}

SocketId four_tuple_holder(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port) {
  const Socket& me = w.sock(s);
  for (SocketId id = 0; id < static_cast<SocketId>(w.sockets.size()); ++id) {
    const Socket& h = w.sock(id);
    if (id == s || h.ns != me.ns || !h.port_bound || !is_tcp(h) || !h.local || h.local->port != port || !h.peer) continue;
    if (same_host(as_family(*h.local, Family::Inet6), as_family(src, Family::Inet6)) &&
        same_host(as_family(*h.peer, Family::Inet6), as_family(dst, Family::Inet6)) && h.peer->port == dst.port)
      return id;  // established or TIME_WAIT with the same 4-tuple
  }
  return kNoSocket;
}

bool four_tuple_free(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port) {
  return four_tuple_holder(w, s, src, dst, port) == kNoSocket;
}

bool connect_port_usable(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port) {
  const Socket& me = w.sock(s);
  for (const Socket& h : w.sockets)
    if (&h != &me && h.ns == me.ns && h.port_bound && is_tcp(h) && h.local && h.local->port == port &&
        h.bucket_from_bind)
      return false;  // tb->fastreuse >= 0: a bind()-made bucket
  return four_tuple_free(w, s, src, dst, port);
}

void release_port(Socket& s) {
  s.port_bound = false;
  s.bucket_from_bind = false;
}

std::string_view name_of(const World& w, SocketId id) {
  for (const auto& [name, sid] : w.names)
    if (sid == id) return name;
  return {};
}

}  // namespace sockspec::inet
