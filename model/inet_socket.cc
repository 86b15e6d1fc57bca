// The socket lifecycle for every family: socket, options, names, shutdown,
// close. AF_UNIX specifics are delegated to unix_* (model/unix.cc) and the
// data side to data_* (model/data.cc). Rules: spec/socket.md.
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "model/choices.h"
#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

using namespace inet;

namespace {

// Default buffer sizes a fresh socket reports: TCP from net.ipv4.tcp_rmem /
// tcp_wmem's middle values (tcp_init_sock), others from net.core.rmem_default
// / wmem_default (sock_init_data).
constexpr int kTcpRcvbuf = 131072, kTcpSndbuf = 16384;
constexpr int kMinRcvbuf = 2304, kMinSndbuf = 4608;  // SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF on x86_64

SocketId add_socket(Ctx& ctx, Family family, SockType type, int protocol) {
  Socket s;
  s.ns = ctx.world.current_ns;
  s.family = family;
  s.type = type;
  s.protocol = protocol;
  s.uid = ctx.world.uid;
  s.opt.v6only = family == Family::Inet6 && ctx.world.ns().sysctl.bindv6only;  // inet6_create
  const bool tcp = family != Family::Unix && type == SockType::Stream;
  s.opt.rcvbuf = tcp ? kTcpRcvbuf : kCoreBufferDefault;
  s.opt.sndbuf = tcp ? kTcpSndbuf : kCoreBufferDefault;
  ctx.world.sockets.push_back(std::move(s));
  const auto id = static_cast<SocketId>(ctx.world.sockets.size() - 1);
  ctx.world.give_name(ctx.line.names.front(), id);
  return id;
}

bool is_bool_option(SockOpt o) {
  return o == SockOpt::SoReuseaddr || o == SockOpt::SoReuseport || o == SockOpt::SoOobinline ||
         o == SockOpt::Ipv6V6only || o == SockOpt::IpFreebind || o == SockOpt::IpBindAddressNoPort;
}

bool* bool_option(Socket& s, SockOpt o) {
  switch (o) {
    case SockOpt::SoReuseaddr: return &s.opt.reuseaddr;
    case SockOpt::SoReuseport: return &s.opt.reuseport;
    case SockOpt::SoOobinline: return &s.opt.oobinline;
    case SockOpt::Ipv6V6only: return &s.opt.v6only;
    case SockOpt::IpFreebind: return &s.opt.freebind;
    case SockOpt::IpBindAddressNoPort: return &s.opt.bind_address_no_port;
    default: return nullptr;
  }
}

bool is_fin_wait(SockState st) { return st == SockState::FinWait1 || st == SockState::FinWait2; }

// Options that live at SOL_IP / IPPROTO_IPV6: inet sockets only.
bool is_ip_level(SockOpt o) {
  return o == SockOpt::Ipv6V6only || o == SockOpt::IpFreebind || o == SockOpt::IpBindAddressNoPort ||
         o == SockOpt::IpLocalPortRange;
}

// The integer a setsockopt VALUE carries, as the oracle passes it (`off` is 0).
std::optional<std::int64_t> int_value(const OptValue& v) {
  if (v.kind == OptValue::Kind::Off) return 0;
  if (v.kind == OptValue::Kind::Integer && v.integer >= INT32_MIN && v.integer <= INT32_MAX) return v.integer;
  return std::nullopt;
}

// sock_setsockopt SO_RCVBUF/SO_SNDBUF: capped by the sysctl maximum (as u32,
// so a negative value is a huge one), then doubled for bookkeeping overhead,
// with a floor.
int buffer_size(std::int64_t requested, int max, int floor) {
  const std::uint32_t v = std::min(static_cast<std::uint32_t>(requested), static_cast<std::uint32_t>(max));
  return std::max(static_cast<int>(v) * 2, floor);
}

}  // namespace

// ---------------------------------------------------------------- socket

Result handle(Ctx& ctx, const op::Socket& o) {
  const int proto = protocol_number(o.proto);
  if (o.family == Family::Unix) {
    if (proto != 0 && proto != 1) {  // unix_create: 0 or PF_UNIX
      ctx.rule("socket.create.unix_protocol");
      return Result::err(EPROTONOSUPPORT);
    }
    ctx.rule("socket.create.ok");
    add_socket(ctx, o.family, o.type, 0);
    return Result::ok();
  }
  // inet_create / inet6_create: the protocol must be one registered for the type
  if (proto < 0 || proto >= 263) { ctx.rule("socket.create.bad_protocol"); return Result::err(EINVAL); }
  if (o.type == SockType::Seqpacket) {  // only SCTP offers it, and it is not built
    ctx.rule("socket.create.no_such_type");
    return Result::err(ESOCKTNOSUPPORT);
  }
  const int native = o.type == SockType::Stream ? IPPROTO_TCP : IPPROTO_UDP;
  if (proto == 0 || proto == native) {
    ctx.rule("socket.create.ok");
    add_socket(ctx, o.family, o.type, native);
    return Result::ok();
  }
  if (o.type == SockType::Dgram && proto == IPPROTO_UDPLITE) {
    // inetsw: udplite4_protosw / udplite6_protosw
    ctx.rule("socket.create.udplite");
    add_socket(ctx, o.family, o.type, IPPROTO_UDPLITE);
    return Result::ok();
  }
  if (o.type == SockType::Stream && proto == IPPROTO_MPTCP) {  // mptcp_protosw / mptcp_v6_protosw
    if (auto refused = mptcp_create_refused(ctx)) return *refused;
    add_socket(ctx, o.family, o.type, IPPROTO_MPTCP);
    return Result::ok();
  }
  if (o.type == SockType::Dgram && proto == IPPROTO_ICMP) return ctx.unsupported("ping sockets are outside the model");
  ctx.rule("socket.create.wrong_protocol");
  return Result::err(EPROTONOSUPPORT);
}

// ---------------------------------------------------------------- options

Result handle(Ctx& ctx, const op::SetSockOpt& o) {
  Socket& s = ctx.world.sock(ctx.target());
  if (is_ip_level(o.opt) && !is_inet(s)) {
    ctx.rule("socket.option.ip_level_on_unix");
    return Result::err(EOPNOTSUPP);
  }
  if (o.opt == SockOpt::Ipv6V6only && s.family != Family::Inet6) {
    ctx.rule("socket.option.v6only_on_inet");  // ip_setsockopt: not SOL_IP
    return Result::err(ENOPROTOOPT);
  }
  if (auto refused = mptcp_setsockopt_refused(ctx, s, o.opt)) return *refused;
  switch (o.opt) {
    case SockOpt::SoError: case SockOpt::SoAcceptconn: case SockOpt::SoType:
      ctx.rule("socket.option.read_only");
      return Result::err(ENOPROTOOPT);
    case SockOpt::SoLinger:
      if (o.value.kind == OptValue::Kind::Off) s.opt.linger.reset();
      else if (auto v = int_value(o.value)) s.opt.linger = static_cast<int>(*v);
      else return Result::err(EINVAL);
      ctx.rule("socket.option.set");
      return Result::ok();
    case SockOpt::SoRcvbuf: case SockOpt::SoSndbuf: {
      auto v = int_value(o.value);
      if (!v) return Result::err(EINVAL);
      ctx.rule("socket.option.buffer_doubled");
      if (o.opt == SockOpt::SoRcvbuf) {
        s.opt.rcvbuf = buffer_size(*v, ctx.profile.core_rmem_max, kMinRcvbuf);
        s.opt.rcvbuf_set = true;
      } else {
        s.opt.sndbuf = buffer_size(*v, ctx.profile.core_wmem_max, kMinSndbuf);
        s.opt.sndbuf_set = true;
      }
      return Result::ok();
    }
    case SockOpt::IpLocalPortRange: {
      std::uint32_t packed;
      if (o.value.kind == OptValue::Kind::Range) packed = std::uint32_t{o.value.hi} << 16 | o.value.lo;
      else if (auto v = int_value(o.value)) packed = static_cast<std::uint32_t>(*v);
      else return Result::err(EINVAL);
      const auto lo = static_cast<std::uint16_t>(packed & 0xffff), hi = static_cast<std::uint16_t>(packed >> 16);
      if (lo && hi && lo > hi) {  // do_ip_setsockopt IP_LOCAL_PORT_RANGE
        ctx.rule("socket.option.port_range_inverted");
        return Result::err(EINVAL);
      }
      ctx.rule("socket.option.set");
      s.opt.port_range_lo = lo;
      s.opt.port_range_hi = hi;
      return Result::ok();
    }
    case SockOpt::SoBindtodevice: {
      const bool off = o.value.kind == OptValue::Kind::Off;
      if (!off && o.value.kind != OptValue::Kind::Name) return Result::err(EINVAL);
      const auto& ifs = ctx.world.ns_of(s).interfaces;  // dev_get_by_name_rcu(sock_net(sk), ...)
      if (!off && std::none_of(ifs.begin(), ifs.end(), [&](const Interface& i) { return i.name == o.value.name; })) {
        ctx.rule("socket.option.unknown_device");
        return Result::err(ENODEV);
      }
      // sock_bindtoindex_locked: a socket already bound to a device changes
      // (or drops) it only with CAP_NET_RAW, which a non-zero euid lacks
      if (!s.opt.bindtodevice.empty() && ctx.world.uid != 0) {
        ctx.rule("socket.option.device_change_needs_net_raw");
        return Result::err(EPERM);
      }
      ctx.rule("socket.option.set");
      s.opt.bindtodevice = off ? std::string() : o.value.name;
      return Result::ok();
    }
    default: break;
  }
  auto v = int_value(o.value);
  if (!v) return Result::err(EINVAL);
  if (o.opt == SockOpt::Ipv6V6only && s.port_bound) {  // do_ipv6_setsockopt: inet_num != 0
    ctx.rule("socket.option.v6only_after_bind");
    return Result::err(EINVAL);
  }
  if (o.opt == SockOpt::SoReuseport && *v != 0 && s.family == Family::Unix) {
    ctx.rule("socket.option.reuseport_inet_only");  // sk_setsockopt: !sk_is_inet
    return Result::err(EOPNOTSUPP);
  }
  ctx.rule("socket.option.set");
  *bool_option(s, o.opt) = *v != 0;
  return Result::ok();
}

Result handle(Ctx& ctx, const op::GetSockOpt& o) {
  Socket& s = ctx.world.sock(ctx.target());
  if (is_ip_level(o.opt) && !is_inet(s)) {
    ctx.rule("socket.option.ip_level_on_unix");
    return Result::err(EOPNOTSUPP);
  }
  if (o.opt == SockOpt::Ipv6V6only && s.family != Family::Inet6) {
    ctx.rule("socket.option.v6only_on_inet");  // do_ip_getsockopt: not SOL_IP
    return Result::err(EOPNOTSUPP);
  }
  if (auto refused = mptcp_getsockopt_refused(ctx, s, o.opt)) return *refused;
  ctx.rule("socket.option.get");
  if (is_bool_option(o.opt)) return Result::num(*bool_option(s, o.opt) ? 1 : 0);
  switch (o.opt) {
    case SockOpt::SoLinger:
      if (!s.opt.linger) return Result::word("off");
      if (*s.opt.linger < 0) {
        ctx.rule("socket.option.linger_unbounded");
        return Result::num(linger_read_back_unbounded(ctx.profile.hz));
      }
      return Result::num(*s.opt.linger);
    case SockOpt::SoError: {
      const int e = std::exchange(s.so_error, 0);  // sock_error: read once
      return e ? Result::err(e) : Result::num(0);
    }
    case SockOpt::SoAcceptconn: return Result::num(s.state == SockState::Listen ? 1 : 0);
    case SockOpt::SoType:
      return Result::num(s.type == SockType::Stream ? 1 : s.type == SockType::Dgram ? 2 : 5);
    case SockOpt::SoRcvbuf: return Result::num(choice::autotuned_buffer(ctx, ctx.target(), false));
    case SockOpt::SoSndbuf: return Result::num(choice::autotuned_buffer(ctx, ctx.target(), true));
    case SockOpt::IpLocalPortRange:
      return Result::word(std::to_string(s.opt.port_range_lo) + "-" + std::to_string(s.opt.port_range_hi));
    case SockOpt::SoBindtodevice:
      return Result::word(s.opt.bindtodevice.empty() ? "off" : s.opt.bindtodevice);
    default: return ctx.unsupported("option");
  }
}

// ---------------------------------------------------------------- names

Result handle(Ctx& ctx, const op::GetSockName& o) {
  (void)o;
  const Socket& s = ctx.world.sock(ctx.target());
  if (s.family == Family::Unix) {
    ctx.rule("socket.name.unix");
    Address unnamed;
    unnamed.kind = AddressKind::Unix;
    return Result::addr(s.local ? *s.local : unnamed);
  }
  ctx.rule("socket.name.local");  // inet_getname: the bound address, or the wildcard with port 0
  return Result::addr(s.local ? *s.local : any(s.family));
}

Result handle(Ctx& ctx, const op::GetPeerName& o) {
  (void)o;
  const Socket& s = ctx.world.sock(ctx.target());
  if (s.family == Family::Unix && s.peer_socket != kNoSocket) {
    // unix_getname(peer): the peer's name now, which it may have bound
    // after the connection was made
    ctx.rule("socket.name.peer");
    const Socket& p = ctx.world.sock(s.peer_socket);
    Address unnamed;
    unnamed.kind = AddressKind::Unix;
    return Result::addr(p.local ? *p.local : unnamed);
  }
  // inet_getname / inet6_getname: inet_dport 0 (a UDP connect to port 0)
  // reads as not connected
  const bool connected = s.peer && (s.family == Family::Unix || s.peer->port != 0) &&
                         (s.family == Family::Unix || !is_tcp(s) ||
                                    s.state == SockState::Established || s.state == SockState::CloseWait ||
                                    s.state == SockState::FinWait1 || s.state == SockState::FinWait2);
  if (!connected) {
    ctx.rule("socket.name.peer_not_connected");
    return Result::err(ENOTCONN);
  }
  ctx.rule("socket.name.peer");
  return Result::addr(*s.peer);
}

// ---------------------------------------------------------------- shutdown

// inet_shutdown: a closed (or never connected) socket says ENOTCONN, though
// the flags are set; a listener shut for reading stops listening; a FIN moves
// the TCP state (tcp_shutdown -> tcp_close_state).
Result handle(Ctx& ctx, const op::Shutdown& o) {
  const SocketId id = ctx.target();
  Socket& s = ctx.world.sock(id);
  const bool rd = o.how != ShutHow::Wr, wr = o.how != ShutHow::Rd;
  if (s.family == Family::Unix) {
    ctx.rule("socket.shutdown.unix");
    s.shut_rd |= rd;
    s.shut_wr |= wr;
    data_on_shutdown(ctx, id, o.how);
    return Result::ok();
  }
  if (s.state == SockState::Listen) {
    if (!rd) { ctx.rule("socket.shutdown.listener_wr_noop"); return Result::ok(); }
    if (is_mptcp(s)) return ctx.unsupported("an MPTCP listener shut for reading (mptcp_disconnect) is not modelled");
    // inet_shutdown calls tcp_disconnect, whose inet_csk_listen_stop resets
    // the queued connections
    ctx.rule("socket.shutdown.listener_stops");
    tcp_stop_listening(ctx, id);
    return Result::ok();
  }
  if (s.refused_connecting) {
    // inet_shutdown: SS_CONNECTING over TCP_CLOSE becomes SS_DISCONNECTING
    ctx.rule("socket.shutdown.refused_disconnecting");
    s.refused_connecting = false;
    s.disconnecting = true;
  } else if (s.connect_unreported) {
    // inet_shutdown: SS_CONNECTING over TCP_CLOSE becomes SS_DISCONNECTING,
    // over an established handshake SS_CONNECTED
    ctx.rule("socket.shutdown.refused_disconnecting");
    s.connect_unreported = false;
    if (s.state == SockState::Close) s.disconnecting = true;
    else s.ss_connected = true;
  }
  const bool unconnected = s.state == SockState::Unconn || s.state == SockState::Close;
  s.shut_rd |= rd;
  s.shut_wr |= wr;
  data_on_shutdown(ctx, id, o.how);
  if (unconnected || (!is_tcp(s) && !s.peer)) {
    ctx.rule("socket.shutdown.not_connected");
    return Result::err(ENOTCONN);
  }
  ctx.rule("socket.shutdown.ok");
  if (is_tcp(s) && wr) {
    mptcp_winding_down(ctx, id);
    tcp_fin_sent(ctx, id);
  }
  return Result::ok();
}

void tcp_fin_sent(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  const SocketId peer = s.peer_socket;
  if (s.state == SockState::Established) {
    // FIN-WAIT-1 until the peer's delayed ACK (tcp_fin puts the peer in pingpong mode)
    s.state = SockState::FinWait1;
    if (peer != kNoSocket && peer != id && ctx.world.sock(peer).state == SockState::Established)
      ctx.world.sock(peer).state = SockState::CloseWait;
  } else if (s.state == SockState::CloseWait) {
    s.state = SockState::Close;  // LAST-ACK, then the ACK: tcp_done
    if (!s.port_locked) release_port(s);
    if (peer != kNoSocket && is_fin_wait(ctx.world.sock(peer).state))
      ctx.world.sock(peer).state = SockState::TimeWait;
  }
}

// ---------------------------------------------------------------- close

namespace {

// A TCP socket that closes: what its state and its peer's become
// (tcp_close, tcp_rcv_state_process; loopback acknowledges at once).
void tcp_close_states(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  const SocketId peer = s.peer_socket;
  Socket* p = peer != kNoSocket && peer != id ? &ctx.world.sock(peer) : nullptr;
  const bool reset_sent = p && p->data.reset;  // data_on_close chose a RST
  switch (s.state) {
    case SockState::Established:
      if (peer == id && !s.data.reset) {
        // a self-connected socket meets its own FIN: FIN-WAIT-1 -> CLOSING
        // (tcp_fin), then the ACK of it -> TIME-WAIT (tcp_rcv_state_process),
        // which keeps the port
        ctx.rule("socket.close.self_connected_time_wait");
        s.state = SockState::TimeWait;
        return;
      }
      if (reset_sent || !p) break;
      // an orphan in FIN-WAIT-1 until the peer's delayed ACK, then FIN-WAIT-2
      ctx.rule("socket.close.fin_wait");
      s.state = SockState::FinWait1;
      if (p->state == SockState::Established) p->state = SockState::CloseWait;
      return;
    case SockState::FinWait1: case SockState::FinWait2:
      if (reset_sent) break;
      ctx.rule("socket.close.fin_wait");
      return;  // stays until the peer closes
    case SockState::CloseWait:
      // our FIN carries the ACK of theirs: the peer goes straight to TIME-WAIT
      ctx.rule("socket.close.last_ack");
      if (p && is_fin_wait(p->state)) p->state = SockState::TimeWait;
      break;
    case SockState::TimeWait:
      return;
    default:
      break;
  }
  s.state = SockState::Close;
  release_port(s);
}

// A RST ends a connection in tcp_done, which releases an automatic port
// (inet_put_port unless SOCK_BINDPORT_LOCK). Only a connection can be
// reset: a socket that never was established (one whose role-locked listen
// failed after get_port, say) keeps the port it holds.
void release_reset_ports(World& w) {
  for (Socket& x : w.sockets)
    if (is_tcp(x) && x.was_established && x.state == SockState::Close && x.port_bound && !x.port_locked)
      release_port(x);
}

}  // namespace

Result handle(Ctx& ctx, const op::Close& o) {
  (void)o;
  const SocketId id = ctx.target();
  Socket& s = ctx.world.sock(id);
  ctx.rule("socket.close.ok");
  if (s.family == Family::Unix) {
    unix_release(ctx, id);
  } else {
    mptcp_winding_down(ctx, id);
    data_on_close(ctx, id);
    if (s.state == SockState::Listen) {
      ctx.rule("socket.close.listener_resets_queue");
      for (SocketId child : s.accept_queue) {
        Socket& c = ctx.world.sock(child);
        c.open = false;
        c.state = SockState::Close;
        release_port(c);
      }
      s.accept_queue.clear();
      s.state = SockState::Close;
      release_port(s);
      release_reset_ports(ctx.world);
    } else if (is_tcp(s)) {
      tcp_close_states(ctx, id);
      release_reset_ports(ctx.world);
    } else {
      release_port(s);
    }
  }
  s.open = false;
  ctx.world.names.erase(ctx.line.socket);
  return Result::ok();
}

}  // namespace sockspec
