#include "model/udp_lookup.h"

#include <algorithm>
#include <optional>

#include "model/inet.h"
#include "model/kernel_variations.h"

namespace sockspec {

using namespace inet;

namespace {

bool is_udp(const Socket& s) { return s.family != Family::Unix && s.type == SockType::Dgram; }

// The peer compute_score compares: inet_daddr / inet_dport, and for IPv6
// sk_v6_daddr, which udp_disconnect leaves behind (Socket::stale_peer).
std::optional<Address> v6_peer(const Socket& r) {
  if (r.peer) return as_family(*r.peer, Family::Inet6);
  if (r.family == Family::Inet6 && r.stale_peer) return as_family(*r.stale_peer, Family::Inet6);
  return std::nullopt;
}

// udp_sk_bound_dev_eq: a socket bound to a device takes only what arrives
// through it.
bool device_matches(const Socket& r, const UdpDatagram& d) {
  return r.opt.bindtodevice.empty() || r.opt.bindtodevice == d.device;
}

// compute_score in net/ipv4/udp.c: -1 when the socket does not take the
// datagram; AF_INET 2, AF_INET6 1, +4 for each of peer address, peer port
// and bound device; +1 on the CPU it last received on (`cpu_point`).
int score4(const Socket& r, const UdpDatagram& d, bool cpu_point) {
  if (r.family == Family::Inet6 && r.opt.v6only) return -1;  // ipv6_only_sock
  if (!device_matches(r, d)) return -1;
  int score = r.family == Family::Inet ? 2 : 1;
  if (r.peer) {
    if (!carries_v4(*r.peer) || v4_of(*r.peer) != v4_of(d.source)) return -1;
    score += 4;
    if (r.peer->port != 0) {
      if (r.peer->port != d.source.port) return -1;
      score += 4;
    }
  }
  if (!r.opt.bindtodevice.empty()) score += 4;
  return score + (cpu_point ? 1 : 0);
}

// compute_score in net/ipv6/udp.c: AF_INET6 only; +1 for each of peer port,
// peer address (sk_v6_daddr) and bound device, and the CPU point.
int score6(const Socket& r, const UdpDatagram& d, bool cpu_point) {
  if (r.family != Family::Inet6 || !device_matches(r, d)) return -1;
  int score = 0;
  if (r.peer && r.peer->port != 0) {
    if (r.peer->port != d.source.port) return -1;
    ++score;
  }
  if (const auto peer = v6_peer(r); peer && !is_any(*peer)) {
    if (peer->ip != as_family(d.source, Family::Inet6).ip) return -1;
    ++score;
  }
  if (!r.opt.bindtodevice.empty()) ++score;
  return score + (cpu_point ? 1 : 0);
}

// The address the socket's hash2 slot is keyed by, as this datagram's
// family reads it: IPv4 traffic reads inet_rcv_saddr (0 for [::] and
// ::ffff:0.0.0.0; a plain IPv6 address is not in the IPv4 lookup at all),
// IPv6 traffic sk_v6_rcv_saddr.
enum class Slot { Exact, Wildcard, Neither };
Slot slot_of(const Socket& r, const UdpDatagram& d, bool v4) {
  const Address& l = *r.local;
  if (v4) {
    if (r.family == Family::Inet6 && !is_any(l) && !is_v4mapped(l)) return Slot::Neither;
    const std::uint32_t ip = is_any(l) ? 0 : v4_of(l);
    return ip == v4_of(d.dest) ? Slot::Exact : ip == 0 ? Slot::Wildcard : Slot::Neither;
  }
  if (r.family != Family::Inet6 || is_v4mapped(l)) return Slot::Neither;
  return l.ip == d.dest.ip ? Slot::Exact : is_any(l) ? Slot::Wildcard : Slot::Neither;
}

// The slot's list in the kernel's order: the heads newest first, then the
// tail (AF_INET6 SO_REUSEPORT sockets) oldest first.
void order_as_listed(const World& w, std::vector<SocketId>& list) {
  std::sort(list.begin(), list.end(), [&](SocketId a, SocketId b) {
    const Socket& x = w.sock(a);
    const Socket& y = w.sock(b);
    if (x.udp_hashed_at_tail != y.udp_hashed_at_tail) return !x.udp_hashed_at_tail;
    return x.udp_hashed_at_tail ? x.udp_hashed_at < y.udp_hashed_at : x.udp_hashed_at > y.udp_hashed_at;
  });
}

// udp_reuseport_add_sock: the group a SO_REUSEPORT socket joined, sockets
// of its family, IPV6_V6ONLY, port, device and owner on the same address.
std::vector<SocketId> reuseport_group(const World& w, SocketId id, const std::vector<SocketId>& slot) {
  const Socket& s = w.sock(id);
  std::vector<SocketId> group;
  if (!s.opt.reuseport) return group;
  for (SocketId o : slot) {
    const Socket& x = w.sock(o);
    if (x.opt.reuseport && x.family == s.family && x.opt.v6only == s.opt.v6only &&
        x.opt.bindtodevice == s.opt.bindtodevice && x.uid == s.uid && *x.local == *s.local)
      group.push_back(o);
  }
  return group;
}

struct Pick {
  std::vector<SocketId> sockets;  // one socket, or the reuseport group the datagram goes into
  bool reuseport = false;
  bool group_has_conns = false;
};

// udp4_lib_lookup2 / udp6_lib_lookup2 over one slot: the first socket with
// a higher score than all before it wins; an unconnected one in a
// SO_REUSEPORT group hands the datagram to the group (reuseport_select_sock)
// and the search stops, unless the group has connected members.
Pick lookup_slot(const World& w, const std::vector<SocketId>& slot, const UdpDatagram& d, bool v4,
                 SocketId cpu_point) {
  Pick pick;
  int badness = v4 ? 0 : -1;
  for (SocketId id : slot) {
    const Socket& r = w.sock(id);
    const int score = v4 ? score4(r, d, id == cpu_point) : score6(r, d, id == cpu_point);
    if (score <= badness) continue;
    badness = score;
    pick.sockets = {id};
    pick.reuseport = false;
    if (r.peer) continue;
    const auto group = reuseport_group(w, id, slot);
    if (group.size() < 2) continue;
    pick.sockets = group;
    pick.reuseport = true;
    pick.group_has_conns = std::any_of(group.begin(), group.end(), [&](SocketId m) { return w.sock(m).peer.has_value(); });
    if (!pick.group_has_conns) return pick;
  }
  return pick;
}

}  // namespace

void udp_hashed(World& w, Socket& s, bool by_bind) {
  s.udp_hashed_at = ++w.udp_hash_clock;
  s.udp_hashed_at_tail = by_bind && s.family == Family::Inet6 && s.opt.reuseport;
}

UdpReceivers udp_receivers(const World& w, const UdpDatagram& d) {
  UdpReceivers out;
  const bool v4 = carries_v4(d.dest);
  std::vector<SocketId> exact, wildcard;
  for (SocketId id = 0; id < static_cast<SocketId>(w.sockets.size()); ++id) {
    const Socket& r = w.sock(id);
    if (!r.open || r.ns != d.ns || !is_udp(r) || r.protocol != d.protocol || !r.local || !r.port_bound ||
        r.local->port != d.dest.port)
      continue;
    const Slot slot = slot_of(r, d, v4);
    if (slot == Slot::Exact) exact.push_back(id);
    if (slot == Slot::Wildcard) wildcard.push_back(id);
  }
  order_as_listed(w, exact);
  order_as_listed(w, wildcard);
  // __udp4_lib_lookup: the exact address's slot first, the wildcard's only
  // when nothing there takes the datagram
  Pick canonical = lookup_slot(w, exact, d, v4, kNoSocket);
  const std::vector<SocketId>* slot = &exact;
  if (canonical.sockets.empty()) {
    canonical = lookup_slot(w, wildcard, d, v4, kNoSocket);
    slot = &wildcard;
  } else if (!wildcard.empty()) {
    out.rules.add("data.udp.lookup.exact_before_wildcard");
  }
  if (canonical.sockets.empty()) return out;
  if (slot->size() > 1) out.rules.add("data.udp.lookup.score");
  if (canonical.group_has_conns) {
    out.unsupported = "a SO_REUSEPORT group with a connected member (reuseport_has_conns: scored again)";
    return out;
  }
  out.canonical = canonical.sockets.front();
  out.allowed = canonical.sockets;
  if (canonical.reuseport) out.rules.add("data.udp.lookup.reuseport_group");
  // a socket that received while connected may gain a point on that CPU
  // (on 6.1 any socket may): each such socket alone with its point is one
  // more outcome
  const bool any_socket = variation_holds(Variation::UdpCpuPointAnySocket, w.profile);
  for (SocketId id : *slot) {
    if (!w.sock(id).udp_incoming_cpu && !any_socket) continue;
    const Pick with_point = lookup_slot(w, *slot, d, v4, id);
    for (SocketId s : with_point.sockets)
      if (std::find(out.allowed.begin(), out.allowed.end(), s) == out.allowed.end()) {
        out.allowed.push_back(s);
        out.rules.add(any_socket && !w.sock(id).udp_incoming_cpu ? "data.udp.lookup.cpu_point_any_socket"
                                                                   : "data.udp.lookup.incoming_cpu_point");
      }
  }
  return out;
}

}  // namespace sockspec
