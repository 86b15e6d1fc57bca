// Helpers the inet handlers share (model/inet_*.cc): addresses, which
// addresses are local, the port tables and the choice of ephemeral ports.
//
// Contract: pure functions over the World; every decision that the spec
// names is cited through the Ctx by the caller or here, as documented.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "model/bind_conflict.h"
#include "model/context.h"

namespace sockspec::inet {

// ---------------------------------------------------------------- addresses

bool is_inet(const Socket& s);                 // AF_INET or AF_INET6
bool is_tcp(const Socket& s);                  // an inet stream socket (MPTCP included: its subflows are TCP)
bool is_mptcp(const Socket& s);                // IPPROTO_MPTCP (model/mptcp.cc)
PortSpace port_space(const Socket& s);
bool is_any(const Address& a);                 // 0.0.0.0 or [::]
bool is_v4mapped(const Address& a);            // ::ffff:a.b.c.d
std::uint32_t v4_of(const Address& a);         // the IPv4 address (Inet4 or v4-mapped)
Address v4(std::uint32_t ip, std::uint16_t port);
Address v4_mapped(std::uint32_t ip, std::uint16_t port);
Address loopback(Family f);                    // 127.0.0.1 or ::1, port 0
Address any(Family f);                         // 0.0.0.0 or [::], port 0
Family family_of(const Address& a);            // Inet4 -> Inet, Inet6 -> Inet6
// The length the runner passes for the address to a socket of family
// `socket_family` (oracle/sockaddr.cc): the kernel checks lengths before
// families, so a short AF_UNIX address is EINVAL; `unspec` has the length of
// the socket's own family's address (the language's contract).
std::size_t sockaddr_len(const Address& a, Family socket_family);
// IPv4 traffic: an Inet4 address, or a v4-mapped one.
bool carries_v4(const Address& a);
// The address `a` (IPv4 traffic) as a socket of family `f` shows it.
Address as_family(const Address& a, Family f);

// Is `a` an address of this namespace (RTN_LOCAL / ipv6_chk_addr)? All of
// 127.0.0.0/8 and ::1 are local on `lo`; `addr add` adds more.
bool is_local(const Namespace& ns, const Address& a);
// A route beyond loopback (`veth_route`): the namespace the destination
// lives in and the source address the route gives.
struct VethRoute {
  int ns;
  Address source;  // in the destination's form (Inet4, or Inet6 incl. v4-mapped)
};
enum class RouteKind : std::uint8_t { Local, Veth, NoRoute, Unmodelled };
// How `dst` is reached from namespace `ns`: one of its own addresses
// (Local); through a veth whose local end has an address whose prefix holds
// `dst`, to the peer namespace that has `dst` as a local address, both ends
// up (Veth, *route filled); no address prefix of the namespace holds `dst`
// (NoRoute: the kernel has no route, ENETUNREACH); or a prefix holds it but
// no peer answers for it (Unmodelled: neighbour discovery would time out).
RouteKind route_to(const World& w, int ns, const Address& dst, VethRoute* route);

// Where traffic from socket `s` to `dst` arrives: the namespace whose
// sockets receive it, and the source address its route gives (127.0.0.1 for
// all of 127.0.0.0/8, the local address itself, or the veth end's address).
struct Destination {
  int ns;
  Address source;  // port 0
};
// A wildcard destination means this host (the BSD'ism): an IPv4 one
// (0.0.0.0, or ::ffff:0.0.0.0, which takes the IPv4 path) becomes the
// socket's own bound IPv4 address, or 127.0.0.1 when it has none
// (__ip_route_output_key: daddr = saddr, else both loopback); IPv6 `::`
// becomes ::1, or ::ffff:127.0.0.1 when the socket's address is v4-mapped
// (tcp_v6_connect, __ip6_datagram_connect, udpv6_sendmsg). Other
// destinations are returned as they are; the port is kept.
Address wildcard_to_self(Ctx& ctx, const Socket& s, const Address& dst);

// Cites the deciding rule. nullopt when there is no way: *failure then holds
// ENETUNREACH (no route) or the unsupported marker (an unmodelled route).
std::optional<Destination> reach(Ctx& ctx, const Socket& s, const Address& dst, Result* failure);

// ip6_dst_lookup_tail: an AF_INET6 socket whose source is a v4-mapped
// address cannot send IPv6 traffic ("Inhibit IPv4-mapped src address on the
// wire"): connect and sendto to a native IPv6 address fail with
// EAFNOSUPPORT, after the route lookup and before any pending error.
bool mapped_source_to_v6(Ctx& ctx, const Socket& s, const Address& dst);

// An IPv6 address whose `%scope` names no interface of the current
// namespace: the runner's if_nametoindex fails, so the line gives ENODEV
// without a call (scenario-language.md, Addresses).
bool unknown_scope(const World& w, const Address& a);

// 224.0.0.0/4 or 255.255.255.255: bindable though not local (RTN_MULTICAST, RTN_BROADCAST).
bool is_v4_multicast_or_broadcast(std::uint32_t ip);

// ---------------------------------------------------------------- ports

struct PortRange { int lo, hi; };
// net.ipv4.ip_local_port_range narrowed by IP_LOCAL_PORT_RANGE
// (`inet_sk_get_local_port_range`); `per_socket` says whether the option applied.
PortRange local_port_range(const World& w, const Socket& s, bool* per_socket = nullptr);

BindView<ConcreteDomain> bind_view(const World& w, const Socket& s, const Address& local);

// The first holder of the same namespace whose binding conflicts with
// `newcomer` taking `local` (explicit_port: a bind with a port, or listen's
// re-check; false: the ephemeral search), or kNoSocket. `rules` receives the
// deciding rule of the conflict found; when none conflicts, the deciding
// rule of every holder that was not simply on another port (each once), or
// bind.conflict.other_port when all were.
SocketId find_bind_conflict(const World& w, SocketId newcomer, const Address& local, bool explicit_port,
                            RuleTrace* rules);

// Whether connect's autobind may give `port` to `s` connecting from `src` to
// `dst`: no bind()-made bucket on the port, and the 4-tuple is unused
// (`__inet_hash_connect`, `__inet_check_established`).
bool connect_port_usable(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port);

// No other socket of the namespace uses this (src, port, dst) 4-tuple.
bool four_tuple_free(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port);
// The socket holding that 4-tuple (established or TIME-WAIT), or kNoSocket.
SocketId four_tuple_holder(const World& w, SocketId s, const Address& src, const Address& dst, std::uint16_t port);

// inet_autobind for UDP (connect, sendto): 0, or EAGAIN when no port is free.
int autobind(Ctx& ctx, SocketId id);

// tcp_disconnect's effect on the socket itself (AF_UNSPEC, a refused
// connect collected, a listener shut for reading): TCP_CLOSE, an automatic
// port released (tcp_set_state -> inet_put_port), an automatic address back
// to the wildcard, sk_shutdown cleared, the peer's port forgotten but its
// address kept for sock_diag.
void tcp_disconnect(Ctx& ctx, SocketId id);

// tcp_disconnect of a listener (shutdown SHUT_RD, connect AF_UNSPEC):
// inet_csk_listen_stop resets the queued connections first.
void tcp_stop_listening(Ctx& ctx, SocketId id);

// Drops the socket's hold on its port (and its address unless locked).
void release_port(Socket& s);

// The scenario name of an open socket, or "".
std::string_view name_of(const World& w, SocketId id);

}  // namespace sockspec::inet
