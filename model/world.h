// The model's state: namespaces, sockets, and what connects them.
//
// Contract: plain data owned by one Model. Handlers in model/*.cc read and
// change it; nothing here makes system calls. Socket ids are indexes into
// World::sockets and stay valid for the whole scenario (closed sockets stay
// in the vector, marked closed, so TIME_WAIT and peers can refer to them).
//
// Ownership of the parts: the inet handlers (bind/listen/connect/accept for
// TCP and UDP) own InetFields and PortSpace; the data handlers (send, recv,
// urgent data, poll, AF_UNIX) own StreamData (model/stream.h) and UnixNames.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/stream.h"
#include "scenario/ast.h"
#include "scenario/kernel_profile.h"
#include "scenario/vocabulary.h"

namespace sockspec {

using SocketId = int;
inline constexpr SocketId kNoSocket = -1;

// TCP states as ss prints them; UDP and unbound sockets use Unconn.
enum class SockState : std::uint8_t {
  Unconn, Listen, SynSent, SynRecv, Established, FinWait1, FinWait2, CloseWait,
  LastAck, Closing, TimeWait, Close,
};

// The kernel's state for a model state (a socket that never connected is
// TCP_CLOSE too); `ss` words come from scenario/vocabulary.h.
constexpr vocab::TcpState kernel_state(SockState s) {
  using K = vocab::TcpState;
  constexpr K kStates[] = {K::Close,    K::Listen,    K::SynSent,   K::SynRecv, K::Established, K::FinWait1,
                           K::FinWait2, K::CloseWait, K::LastAck,   K::Closing, K::TimeWait,    K::Close};
  return kStates[static_cast<int>(s)];
}

// net.core.rmem_default and wmem_default, which are not per namespace: the
// model follows the machines it is checked on.
inline constexpr int kCoreBufferDefault = 212992;

struct SocketOptions {
  bool reuseaddr = false;
  bool reuseport = false;
  bool v6only = false;          // initialised from net.ipv6.bindv6only
  bool freebind = false;
  bool bind_address_no_port = false;
  bool oobinline = false;
  std::optional<int> linger;    // nullopt: off
  // as getsockopt reports them; sock_init_data starts every socket at
  // net.core.rmem_default / wmem_default (TCP then takes tcp_rmem/tcp_wmem)
  int rcvbuf = kCoreBufferDefault, sndbuf = kCoreBufferDefault;
  bool rcvbuf_set = false, sndbuf_set = false;  // SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK
  std::string bindtodevice;     // "" = off
  std::uint16_t port_range_lo = 0, port_range_hi = 0;  // IP_LOCAL_PORT_RANGE, 0 = unset
};

struct Socket {
  int ns = 0;                       // index into World::namespaces
  Family family = Family::Inet;
  SockType type = SockType::Stream;
  int protocol = 0;                 // IPPROTO_* as created (0 resolved to the default)
  std::int64_t uid = 0;             // effective uid at creation
  bool open = true;                 // false once closed (the entry stays)
  // The scenario name this socket was given and how many sockets bore it
  // before (0: the first); it stays when a later socket takes the name.
  std::string given_name;
  int name_generation = -1;
  SockState state = SockState::Unconn;
  SocketOptions opt;

  std::optional<Address> local;     // bound address (port included)
  bool port_bound = false;          // holds its port in the bind table
  bool addr_bound = false;          // user bound a specific address (not implicit)
  bool port_locked = false;         // user bound a nonzero port (SOCK_BINDPORT_LOCK)
  bool bucket_from_bind = false;    // holds its port through bind()/listen(), not
                                    // connect's autobind (__inet_hash_connect skips such ports)
  std::optional<Address> peer;      // connected peer address
  SocketId peer_socket = kNoSocket; // the other end of a loopback connection
  SocketId listener = kNoSocket;    // for a queued connection: its listener

  // listening
  int backlog = 0;                  // after clamping to somaxconn
  std::deque<SocketId> accept_queue;// established children not yet accepted

  int so_error = 0;                 // pending error (SO_ERROR)

  // TCP: struct socket::state where it differs from sk_state
  // (__inet_stream_connect, inet_shutdown). A non-blocking connect that a RST
  // refused stays SS_CONNECTING until a later connect collects the error;
  // shutdown then makes it SS_DISCONNECTING, where connect says EINVAL.
  bool refused_connecting = false;
  bool disconnecting = false;
  // SS_CONNECTED: set by a connect that returned success and by accept
  // (inet_accept); only a disconnect (tcp_disconnect from connect) clears
  // it, so a connection the peer reset still cannot listen (inet_listen).
  bool ss_connected = false;
  bool was_established = false;    // a TCP connection reached ESTABLISHED (tcp_init_transfer ran)
  // The roles a TCP socket has taken, for kernels that lock a socket into
  // one (Variation::TcpRoleLock*): connecting once connect got past its
  // port (inet_hash_connect) or the socket was accepted; listening once a
  // listen succeeded. Nothing clears them (disconnect, bind and shutdown
  // leave them).
  bool took_connect_role = false, took_listen_role = false;
  // SS_CONNECTING over an established handshake: a non-blocking connect
  // whose handshake completed; the next connect reports success
  // (__inet_stream_connect) and makes it SS_CONNECTED.
  bool connect_unreported = false;
  // TCP: what tcp_disconnect leaves for sock_diag: inet_daddr stays (only
  // the port is cleared), and write_seq runs ahead of snd_una (the unacked
  // SYN, then max_window + 2 per disconnect; max_window is 0 before a peer
  // ever advertised one). nullopt once a peer's window counts, which the
  // model does not track: `ss` then adopts the kernel's figure, at most
  // stale_sendq_limit (model/choices.h: connect.tcp.disconnect_sendq).
  std::optional<Address> stale_peer;
  std::optional<std::uint32_t> stale_sendq = 0;
  std::uint64_t stale_sendq_limit = 0;
  bool shut_rd = false, shut_wr = false;
  bool owned = false;               // setown: SIGURG goes to the runner
  // MPTCP: the peer closed or shut down its MPTCP connection; what this
  // socket sees of it waits on the kernel's schedule (model/mptcp.cc)
  bool mptcp_unsettled = false;
  StreamData data;                  // bytes in flight, urgent data (model/stream.h)
};

// Per-namespace sysctls the model follows (net.* keys).
struct Sysctls {
  std::uint16_t port_lo = 32768, port_hi = 60999;  // net.ipv4.ip_local_port_range
  int somaxconn = 4096;                             // net.core.somaxconn
  bool bindv6only = false;                          // net.ipv6.bindv6only
  bool ip_nonlocal_bind = false;                    // net.ipv4.ip_nonlocal_bind
  bool ip6_nonlocal_bind = false;                   // net.ipv6.ip_nonlocal_bind
  bool tcp_stdurg = false;                          // net.ipv4.tcp_stdurg
  int unprivileged_port_start = 1024;               // net.ipv4.ip_unprivileged_port_start
  bool mptcp_enabled = true;                        // net.mptcp.enabled
  std::map<std::string, std::string, std::less<>> other;  // keys the model does not interpret
};

struct Interface {
  std::string name;
  bool up = true;
  std::string peer_ns;  // veth: the namespace of its peer ("" when none)
  std::string peer;     // veth: the peer's name
};

// An address added with `addr add`: its prefix gives the namespace a route
// to the subnet through its device (the kernel's prefix route).
struct AssignedAddress {
  Address addr;       // port 0, no scope
  int prefix = 0;     // 32 or 128 for a host address
  std::string dev;
};

struct Namespace {
  std::string name;
  Sysctls sysctl;
  std::vector<Interface> interfaces;     // lo first
  std::vector<Address> addresses;        // added with `addr add` (127.0.0.0/8 and ::1 are implicit)
  std::vector<AssignedAddress> assigned;  // the same addresses, with prefix and device
  UnixNames unix_abstract;               // abstract AF_UNIX names live per network namespace
  // An MPTCP connection of this namespace closed or shut down: its subflows
  // end on the kernel's schedule, so ports and `ss` are not settled (model/mptcp.cc)
  bool mptcp_unsettled = false;
};

struct World {
  KernelProfile profile;                 // the kernel the model answers for (Model's)
  std::vector<Namespace> namespaces;     // namespaces[0] is `main`
  int current_ns = 0;
  std::int64_t uid = 0;                  // effective uid for new sockets
  std::vector<Socket> sockets;
  std::map<std::string, SocketId, std::less<>> names;  // open sockets by scenario name
  std::map<std::string, int, std::less<>> name_uses;   // sockets that bore each name so far
  UnixNames unix_paths;                  // path names live in the scenario's private /tmp
  std::int64_t sigurg_pending = 0;       // SIGURG received since the last `sigurg`

  Namespace& ns() { return namespaces[static_cast<std::size_t>(current_ns)]; }
  // The namespace a socket was created in, whatever the current one: the
  // kernel's sock_net(sk), which every call on the socket consults.
  const Namespace& ns_of(const Socket& s) const { return namespaces[static_cast<std::size_t>(s.ns)]; }
  Socket& sock(SocketId id) { return sockets[static_cast<std::size_t>(id)]; }
  // A line's `NAME =`: the name now reaches `id`; an earlier bearer keeps
  // its generation (scenario/observation.h finds it by that).
  void give_name(const std::string& name, SocketId id) {
    names[name] = id;
    sock(id).given_name = name;
    sock(id).name_generation = name_uses[name]++;
  }
  const Socket& sock(SocketId id) const { return sockets[static_cast<std::size_t>(id)]; }
};

}  // namespace sockspec
