// Data on TCP and UDP sockets: send, recv, poll, SIGURG ownership, and the
// hooks the lifecycle handlers call on shutdown and close. AF_UNIX data
// lives in unix.cc, urgent data in oob.cc. The rules are documented in
// spec/data.md (and spec/oob.md for the urgent-data ones).
//
// Loopback delivery is instant (DESIGN.md, "Speed"): a send appends to the
// peer's receive side before it returns, so the model never has bytes "in
// flight". Sends are assumed to fit the buffers (scenario strings are short).
#include <algorithm>
#include <cerrno>
#include <utility>

#include "model/data.h"
#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

Result recv_result(std::string bytes, std::int64_t count, MsgFlags flags, bool want_source,
                   std::optional<Address> source) {
  const bool trunc = flags & kMsgTrunc;
  if (!want_source) return trunc ? Result::num(count) : Result::bytes(std::move(bytes));
  Result r;
  r.kind = Result::Kind::From;
  r.from_truncated = trunc;
  if (trunc) r.integer = count; else r.text = std::move(bytes);
  r.address = std::move(source);
  return r;
}

namespace {

bool is_tcp(const Socket& s) { return s.family != Family::Unix && s.type == SockType::Stream; }
bool is_udp(const Socket& s) { return s.family != Family::Unix && s.type == SockType::Dgram; }
bool tcp_closed(SockState st) { return st == SockState::Unconn || st == SockState::Close; }

// sock_error(): a pending error is reported once, then cleared.
int take_error(Socket& s) { return std::exchange(s.so_error, 0); }

// ------------------------------------------------------------------ TCP

// tcp_fin: the peer's FIN arrives (RCV_SHUTDOWN, SOCK_DONE). It takes one
// sequence number; arriving while bytes are unread, it is merged into the
// tail skb of the receive queue (tcp_queue_rcv -> tcp_try_coalesce).
void tcp_fin_arrives(Ctx& ctx, Socket& receiver) {
  ctx.rule("data.tcp.fin_is_eof");
  receiver.data.fin = true;
  receiver.data.fin_on_data = !receiver.data.bytes.empty();
  receiver.data.rcv_shutdown = true;
}

// tcp_reset(): what a RST does to the socket that receives it.
void tcp_receive_reset(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  if (!s.open && !tcp_closed(s.state) && s.state != SockState::TimeWait) {
    // an orphan (FIN-WAIT, CLOSING, LAST-ACK) is done: tcp_reset -> tcp_done
    // -> inet_csk_destroy_sock; its row goes and its port with it
    ctx.rule("data.tcp.reset_ends_orphan");
    s.state = SockState::Close;
    inet::release_port(s);
    return;
  }
  if (!s.open || tcp_closed(s.state) || s.state == SockState::Listen) return;
  ctx.rule("data.tcp.reset_error");
  s.so_error = s.state == SockState::SynSent ? ECONNREFUSED
               : s.state == SockState::CloseWait ? EPIPE : ECONNRESET;
  s.state = SockState::Close;
  s.data.reset = true;
  s.data.rcv_shutdown = s.data.snd_shutdown = true;  // tcp_done: SHUTDOWN_MASK
  // tcp_done keeps inet_daddr and inet_dport (only tcp_disconnect clears
  // the port): a row still listed shows the whole peer
  if (s.peer) s.stale_peer = s.peer;
  // tcp_set_state(TCP_CLOSE): inet_put_port unless SOCK_BINDPORT_LOCK
  if (!s.port_locked) inet::release_port(s);
}

Result tcp_send(Ctx& ctx, SocketId id, std::string_view bytes, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  if (s.state != SockState::Established && s.state != SockState::CloseWait) {
    // sk_stream_wait_connect() with a zero timeout
    if (s.so_error) { ctx.rule("data.tcp.send_pending_error"); return Result::err(take_error(s)); }
    if (s.state == SockState::SynSent || s.state == SockState::SynRecv) {
      ctx.rule("data.tcp.send_connecting_eagain");
      return Result::err(EAGAIN);
    }
    ctx.rule("data.tcp.send_not_connected_epipe");
    return Result::err(EPIPE);
  }
  if (s.so_error) { ctx.rule("data.tcp.send_pending_error"); return Result::err(take_error(s)); }
  // SEND_SHUTDOWN in ESTABLISHED: a shutdown before connect (inet_shutdown
  // sets sk_shutdown even when it says ENOTCONN, and connect keeps it)
  if (s.data.snd_shutdown) { ctx.rule("data.tcp.send_after_early_shutdown_epipe"); return Result::err(EPIPE); }
  ctx.rule("data.tcp.send_delivers");
  if (bytes.empty()) return Result::num(0);  // nothing queued, no urgent pointer
  const SocketId peer = s.peer_socket;
  if (peer == kNoSocket) return ctx.unsupported("connected TCP socket without a modelled peer");
  Socket& p = ctx.world.sock(peer);
  if (!p.open) {
    // The peer closed: its orphan has RCV_SHUTDOWN and answers new data with
    // a RST (tcp_rcv_state_process, FIN_WAIT1/2 case; RFC 2525 2.17).
    ctx.rule("data.tcp.send_to_closed_peer_resets");
    tcp_receive_reset(ctx, id);
    // ... and is done itself (tcp_reset -> tcp_done -> inet_csk_destroy_sock)
    p.state = SockState::Close;
    inet::release_port(p);
    return Result::num(static_cast<std::int64_t>(bytes.size()));
  }
  p.data.bytes.append(bytes);
  if (p.state == SockState::FinWait1) {
    // the segment acknowledges the peer's FIN (tcp_rcv_state_process,
    // TCP_FIN_WAIT1: snd_una reached write_seq), whatever the delayed ACK does
    ctx.rule("data.tcp.data_acks_fin");
    p.state = SockState::FinWait2;
  }
  tcp_segment_arrived(ctx, peer, bytes.size(), flags & kMsgOob);
  return Result::num(static_cast<std::int64_t>(bytes.size()));
}

// tcp_recvmsg_locked with MSG_DONTWAIT (the oracle never blocks).
Result tcp_recv(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags, bool want_source) {
  Socket& s = ctx.world.sock(id);
  if (s.state == SockState::Listen) { ctx.rule("data.tcp.recv_listener_enotconn"); return Result::err(ENOTCONN); }
  if (flags & kMsgOob) {
    Result r = tcp_recv_urgent(ctx, id, len, flags);
    if (r.kind != Result::Kind::Bytes) return r;
    const auto n = static_cast<std::int64_t>(r.text.size());
    return recv_result(std::move(r.text), n, flags, want_source, std::nullopt);
  }
  StreamData& d = s.data;
  const bool peek = flags & kMsgPeek;
  std::uint64_t seq = d.copied;  // copied_seq, or the private peek_seq
  std::uint64_t left = static_cast<std::uint64_t>(len);
  std::string out;
  std::int64_t copied = 0;
  auto consume_to = [&](std::uint64_t new_seq) {
    if (peek) return;
    d.bytes.erase(0, static_cast<std::size_t>(new_seq - d.copied));
    d.copied = new_seq;
    if (d.urg != UrgState::None && d.copied > d.urg_seq) d.urg = UrgState::None;  // past the mark
    if (d.bytes.empty() && d.fin_on_data && !d.fin_read) {
      // found_ok_skb: the skb that carries the FIN was read to its end
      ctx.rule("data.tcp.fin_in_recvq");
      d.fin_read = true;
    }
  };
  do {
    if (d.urg != UrgState::None && d.urg_seq == seq && copied) {
      ctx.rule("oob.tcp.recv_stops_at_mark");
      break;
    }
    const std::uint64_t avail = d.rcv_nxt() - seq;
    if (avail == 0) {
      if (d.fin && !d.fin_read) {
        // found_fin_ok: a read with room left steps over a FIN skb of its
        // own, even after copying bytes; from then on ss no longer counts it
        ctx.rule("data.tcp.fin_in_recvq");
        if (!peek) d.fin_read = true;
      }
      if (copied) break;
      if (d.fin) { ctx.rule("data.tcp.recv_eof"); break; }
      if (s.so_error) { ctx.rule("data.tcp.recv_pending_error"); return Result::err(take_error(s)); }
      if (d.rcv_shutdown) { ctx.rule("data.tcp.recv_eof"); break; }
      if (tcp_closed(s.state)) { ctx.rule("data.tcp.recv_not_connected_enotconn"); return Result::err(ENOTCONN); }
      ctx.rule("data.recv.empty_eagain");
      return Result::err(EAGAIN);
    }
    std::uint64_t used = std::min(avail, left);
    std::uint64_t offset = seq - d.copied;
    if (d.urg != UrgState::None && d.urg_seq >= seq && d.urg_seq - seq < used) {
      if (d.urg_seq == seq) {
        if (!s.opt.oobinline) {
          ctx.rule("oob.tcp.recv_skips_urgent_byte");
          ++seq; ++offset; --used;
        }
      } else {
        used = d.urg_seq - seq;
      }
    }
    if (!(flags & kMsgTrunc)) out.append(d.bytes, static_cast<std::size_t>(offset), static_cast<std::size_t>(used));
    seq += used;
    copied += static_cast<std::int64_t>(used);
    left -= used;
    consume_to(seq);
  } while (left > 0);
  if (flags & kMsgPeek) ctx.rule("data.recv.peek_keeps");
  if (flags & kMsgTrunc) ctx.rule("data.tcp.recv_trunc_discards");
  ctx.rule("data.tcp.recv_reads");
  return recv_result(std::move(out), copied, flags, want_source, std::nullopt);
}

PollEvents tcp_poll_events(const World& world, const Socket& s) {
  if (s.state == SockState::Listen) return s.accept_queue.empty() ? 0 : kPollIn;  // inet_csk_listen_poll
  const StreamData& d = s.data;
  PollEvents ev = 0;
  if ((d.rcv_shutdown && d.snd_shutdown) || tcp_closed(s.state)) ev |= kPollHup;
  if (d.rcv_shutdown) ev |= kPollIn | kPollRdhup;
  if (s.state != SockState::SynSent && s.state != SockState::SynRecv) {
    std::uint64_t target = 1;
    if (d.urg != UrgState::None && d.urg_seq == d.copied && !s.opt.oobinline) ++target;
    if (d.rcv_nxt() - d.copied >= target) ev |= kPollIn;
    ev |= kPollOut;
    if (d.urg == UrgState::Valid) ev |= kPollPri;
  }
  if (s.so_error) ev |= kPollErr;
  (void)world;
  return ev;
}

// ------------------------------------------------------------------ UDP

// A datagram's path: IPv4 traffic (an AF_INET destination, or a v4-mapped
// one sent from an AF_INET6 socket) or IPv6 traffic. Addresses are kept in
// the form the destination was written (Inet4, or Inet6 for IPv6 traffic).
bool v4_traffic(const Address& dest) { return inet::carries_v4(dest); }

// The source address a datagram carries: the sender's bound address, or
// for a wildcard-bound sender the source its route gives (inet::reach).
Address datagram_source(const Address& local, const Address& dest, const Address& route_source) {
  if (v4_traffic(dest)) {
    const bool bound_v4 = inet::carries_v4(local) && !inet::is_any(local) && inet::v4_of(local) != 0;
    return inet::v4(inet::v4_of(bound_v4 ? local : route_source), local.port);
  }
  Address src = local;
  if (inet::is_any(local)) src.ip = route_source.ip;
  return src;
}

// Does receiver `r` (bound to r.local) take traffic to `dest`? IPv4 traffic
// reaches AF_INET sockets and dual-stack AF_INET6 ones bound to [::] or a
// v4-mapped address (they sit in the IPv4 hash, udp_v6_get_port); IPv6
// traffic reaches AF_INET6 sockets bound to [::] or that address.
bool udp_takes(const Socket& r, const Address& dest) {
  const Address& l = *r.local;
  if (l.port != dest.port) return false;
  if (v4_traffic(dest)) {
    if (r.family == Family::Inet6 && (r.opt.v6only || !(inet::is_any(l) || inet::is_v4mapped(l)))) return false;
    return inet::is_any(l) || inet::v4_of(l) == 0 || inet::v4_of(l) == inet::v4_of(dest);
  }
  if (r.family != Family::Inet6 || inet::is_v4mapped(l)) return false;
  return inet::is_any(l) || l.ip == dest.ip;
}

// __udp4_lib_lookup / __udp6_lib_lookup, restricted to what scenarios build:
// an open socket of the namespace and protocol (UDP-Lite datagrams reach
// only UDP-Lite sockets: udplite_rcv looks in udplite_table) bound to the port and the address (or
// the wildcard), and, when connected, connected to the source.
SocketId udp_find_receiver(const World& world, int ns, int protocol, const Address& dest, const Address& source) {
  for (SocketId id = 0; id < static_cast<SocketId>(world.sockets.size()); ++id) {
    const Socket& r = world.sock(id);
    if (!r.open || r.ns != ns || !is_udp(r) || r.protocol != protocol || !r.local || !r.port_bound ||
        !udp_takes(r, dest))
      continue;
    // compute_score / compute_score (udp.c, udp_ipv6.c): inet_dport 0 (a
    // connect to port 0) matches every source port
    if (r.peer && !(inet::as_family(*r.peer, Family::Inet6).ip == inet::as_family(source, Family::Inet6).ip &&
                    (r.peer->port == 0 || r.peer->port == source.port)))
      continue;
    return id;
  }
  return kNoSocket;
}

// The checks udp_sendmsg makes before routing: MSG_OOB, the destination's
// family and port, a destination at all. `to` is the destination written
// (nullptr: the connected peer).
std::optional<Result> udp4_send_checks(Ctx& ctx, const Socket& s, const Address* to, MsgFlags flags) {
  if (flags & kMsgOob) { ctx.rule("oob.udp.send_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (to && s.family == Family::Inet && to->kind == AddressKind::Inet6) {
    // udp_sendmsg: sin_family is neither AF_INET nor AF_UNSPEC
    ctx.rule("data.udp.sendto_inet6_on_inet_eafnosupport");
    return Result::err(EAFNOSUPPORT);
  }
  if (to && to->port == 0) { ctx.rule("data.udp.sendto_port_zero_einval"); return Result::err(EINVAL); }
  if (!to && !s.peer) { ctx.rule("data.udp.send_unconnected_edestaddrreq"); return Result::err(EDESTADDRREQ); }
  return std::nullopt;
}

// udpv6_sendmsg: without a destination it needs a peer; IPv4 traffic (an
// AF_INET or v4-mapped destination, written or connected) goes to
// udp_sendmsg with the destination written out as a sockaddr_in, so its
// checks apply, a zero port included, unless the socket is IPv6-only
// (binding a specific IPv6 address made it so: __inet6_bind). Its own IPv6
// path has no MSG_OOB check and refuses only a written zero port.
std::optional<Result> udp6_send_checks(Ctx& ctx, const Socket& s, const Address* to, MsgFlags flags) {
  if (!to && !s.peer) { ctx.rule("data.udp.send_unconnected_edestaddrreq"); return Result::err(EDESTADDRREQ); }
  const Address& dest = to ? *to : *s.peer;
  if (v4_traffic(dest)) {
    if (s.opt.v6only) { ctx.rule("data.udp.v4_on_v6only_enetunreach"); return Result::err(ENETUNREACH); }
    const Address written = inet::v4(inet::v4_of(dest), dest.port);
    return udp4_send_checks(ctx, s, &written, flags);
  }
  if (flags & kMsgOob) ctx.rule("oob.udp.v6_path_ignores_oob");
  if (to && to->port == 0) { ctx.rule("data.udp.sendto_port_zero_einval"); return Result::err(EINVAL); }
  return std::nullopt;
}

// Does the ICMP error quoting a datagram to `dest` find socket `s`? Its
// lookup (__udp4_lib_err -> __udp4_lib_lookup) matches a connected socket
// only when `dest` is its peer, and __udp4_lib_err / __udp6_lib_err keep the
// error only on a connected socket.
// __udp4_lib_err / __udp6_lib_err find the sender by the ICMP's inner
// header (compute_score: a connected socket's inet_daddr must match, and its
// inet_dport only when it is not 0), and keep the error only on a connected
// socket (TCP_ESTABLISHED). So a socket connected to port 0 hears the
// refusal of any port at its peer's address.
bool icmp_error_kept(const Socket& s, const Address& dest) {
  if (!s.peer) return false;
  return inet::as_family(*s.peer, Family::Inet6).ip == inet::as_family(dest, Family::Inet6).ip &&
         (s.peer->port == dest.port || s.peer->port == 0);
}

Result udp_send(Ctx& ctx, SocketId id, std::string_view bytes, const Address* to, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  if (!s.port_bound) {
    // inet_send_prepare autobinds before udp_sendmsg looks at anything
    ctx.rule("data.udp.send_autobinds");
    if (int err = inet::autobind(ctx, id)) return Result::err(err);
  }
  if (to && to->kind == AddressKind::Unspec) {
    // udpv6_sendmsg takes AF_UNSPEC for no address at all; udp_sendmsg
    // accepts the family but then reads port 0 (or too short an address)
    ctx.rule("data.udp.sendto_unspec");
    if (s.family == Family::Inet6 && s.peer && inet::carries_v4(*s.peer)) {
      // ... but routes the connected peer on its IPv6 path even when it is
      // v4-mapped (a send with no address at all takes the IPv4 path): no
      // IPv6 route to ::ffff:a.b.c.d, before any pending error
      ctx.rule("data.udp.sendto_unspec_mapped_peer_enetunreach");
      return Result::err(ENETUNREACH);
    }
    if (s.family == Family::Inet6) to = nullptr;
    else if (flags & kMsgOob) { ctx.rule("oob.udp.send_eopnotsupp"); return Result::err(EOPNOTSUPP); }
    else return Result::err(EINVAL);
  }
  if (to && to->kind != AddressKind::Inet4 && to->kind != AddressKind::Inet6) {
    // udp_sendmsg: shorter than a sockaddr_in is EINVAL, another family
    // EAFNOSUPPORT; udpv6_sendmsg: any family but its own, AF_INET and
    // AF_UNSPEC is EINVAL (MSG_OOB is looked at first on IPv4)
    if (s.family == Family::Inet && (flags & kMsgOob)) { ctx.rule("oob.udp.send_eopnotsupp"); return Result::err(EOPNOTSUPP); }
    ctx.rule("data.udp.sendto_other_family");
    return Result::err(s.family == Family::Inet && inet::sockaddr_len(*to, s.family) >= 16 ? EAFNOSUPPORT : EINVAL);
  }
  const auto refused = s.family == Family::Inet ? udp4_send_checks(ctx, s, to, flags) : udp6_send_checks(ctx, s, to, flags);
  if (refused) return *refused;
  const Address dest = inet::wildcard_to_self(ctx, s, to ? *to : *s.peer);
  Result failure;
  const auto to_ns = inet::reach(ctx, s, dest, &failure);  // the route comes before sk_err
  if (!to_ns) return failure;
  if (inet::mapped_source_to_v6(ctx, s, dest)) return Result::err(EAFNOSUPPORT);
  if (s.so_error) { ctx.rule("data.udp.pending_error_once"); return Result::err(take_error(s)); }
  if (s.data.snd_shutdown) {
    // sock_alloc_send_pskb (from __ip_append_data / __ip6_append_data):
    // sock_error first, then SEND_SHUTDOWN is EPIPE
    ctx.rule("data.udp.send_after_shutdown_epipe");
    return Result::err(EPIPE);
  }
  const Address source = datagram_source(*s.local, dest, to_ns->source);
  const SocketId receiver = udp_find_receiver(ctx.world, to_ns->ns, s.protocol, dest, source);
  if (receiver == kNoSocket) {
    // ICMP port unreachable comes back at once on loopback
    if (icmp_error_kept(s, dest)) { ctx.rule("data.udp.port_unreachable_econnrefused"); s.so_error = ECONNREFUSED; }
    else ctx.rule("data.udp.send_unreachable_silent");
    return Result::num(static_cast<std::int64_t>(bytes.size()));
  }
  ctx.rule("data.udp.send_delivers");
  Socket& r = ctx.world.sock(receiver);
  r.data.datagrams.push_back(Datagram{std::string(bytes), inet::as_family(source, r.family)});
  return Result::num(static_cast<std::int64_t>(bytes.size()));
}

// udp_recvmsg: a pending error first (__skb_recv_udp checks sock_error before
// the queue), then one datagram, cut to LEN; MSG_TRUNC reports its length.
Result udp_recv(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags, bool want_source) {
  Socket& s = ctx.world.sock(id);
  if (s.so_error) { ctx.rule("data.udp.pending_error_once"); return Result::err(take_error(s)); }
  if (s.data.datagrams.empty()) { ctx.rule("data.recv.empty_eagain"); return Result::err(EAGAIN); }
  return recv_datagram(ctx, s, len, flags, want_source);
}

PollEvents udp_poll_events(const Socket& s) {
  PollEvents ev = 0;  // datagram_poll
  if (s.so_error) ev |= kPollErr;
  if (s.data.rcv_shutdown) ev |= kPollIn | kPollRdhup;
  if (s.data.rcv_shutdown && s.data.snd_shutdown) ev |= kPollHup;
  if (!s.data.datagrams.empty()) ev |= kPollIn;
  return ev | kPollOut;
}

bool supported_inet(const Socket& s) {
  return s.protocol == 6 || s.protocol == 17 || s.protocol == 136 || s.protocol == 262;  // TCP, UDP, UDP-Lite, MPTCP
}

Result send_any(Ctx& ctx, std::string_view bytes, const Address* to, MsgFlags flags) {
  const SocketId id = ctx.target();
  Socket& s = ctx.world.sock(id);
  if (s.family == Family::Unix) return unix_send(ctx, id, bytes, to, flags);
  if (!supported_inet(s)) return ctx.unsupported("data on this protocol is not modelled");
  if (is_tcp(s)) return tcp_send(ctx, id, bytes, mptcp_data_flags(ctx, s, flags));  // tcp_sendmsg ignores a destination
  if (is_udp(s)) return udp_send(ctx, id, bytes, to, flags);
  return ctx.unsupported("data on this socket type is not modelled");
}

Result recv_any(Ctx& ctx, std::int64_t len, MsgFlags flags, bool want_source) {
  const SocketId id = ctx.target();
  Socket& s = ctx.world.sock(id);
  if (len < 0) return ctx.unsupported("a negative recv length");
  if (s.family == Family::Unix) return unix_recv(ctx, id, len, flags, want_source);
  if (!supported_inet(s)) return ctx.unsupported("data on this protocol is not modelled");
  if (is_tcp(s)) return tcp_recv(ctx, id, len, mptcp_data_flags(ctx, s, flags), want_source);
  if (is_udp(s)) return udp_recv(ctx, id, len, flags, want_source);
  return ctx.unsupported("data on this socket type is not modelled");
}

}  // namespace


// The datagram at the head of the queue (which must not be empty), cut to
// LEN; MSG_TRUNC reports its full length, MSG_PEEK leaves it queued. Shared
// by UDP and AF_UNIX datagram and seqpacket sockets (skb_recv_datagram).
Result recv_datagram(Ctx& ctx, Socket& s, std::int64_t len, MsgFlags flags, bool want_source) {
  Datagram& dg = s.data.datagrams.front();
  ctx.rule("data.dgram.recv_one_datagram");
  std::string out = dg.bytes.substr(0, static_cast<std::size_t>(std::min<std::int64_t>(len, static_cast<std::int64_t>(dg.bytes.size()))));
  std::int64_t count = static_cast<std::int64_t>(out.size());
  if (flags & kMsgTrunc) { ctx.rule("data.dgram.trunc_full_length"); count = static_cast<std::int64_t>(dg.bytes.size()); }
  // AF_UNIX names the sender as it is now, not as it was when it sent
  // (unix_copy_addr(msg, skb->sk) at receive time): a sender that bound
  // since shows its new name
  std::optional<Address> source = dg.sender >= 0 ? ctx.world.sock(dg.sender).local : dg.source;
  if (flags & kMsgPeek) ctx.rule("data.recv.peek_keeps");
  else s.data.datagrams.pop_front();
  return recv_result(std::move(out), count, flags, want_source, std::move(source));
}

// ------------------------------------------------------------------ handlers

Result handle(Ctx& ctx, const op::Send& op) { return send_any(ctx, op.data, nullptr, op.flags); }

Result handle(Ctx& ctx, const op::SendTo& op) {
  if (!op.addr.var.empty() || op.addr.port.kind != PortTerm::Kind::Exact)
    return ctx.unsupported("unresolved address variable");
  if (inet::unknown_scope(ctx.world, op.addr.base)) { ctx.rule("socket.address.unknown_scope_enodev"); return Result::err(ENODEV); }
  return send_any(ctx, op.data, &op.addr.base, op.flags);
}

Result handle(Ctx& ctx, const op::Recv& op) { return recv_any(ctx, op.len, op.flags, false); }
Result handle(Ctx& ctx, const op::RecvFrom& op) { return recv_any(ctx, op.len, op.flags, true); }

Result handle(Ctx& ctx, const op::SockAtMark&) {
  const Socket& s = ctx.world.sock(ctx.target());
  if (s.family == Family::Unix) {
    if (s.type != SockType::Stream) {
      // before the fix, unix_ioctl answered for every type: is the head skb
      // the urgent one (never, without MSG_OOB on these types)
      if (ctx.applies(Variation::UnixAtMarkAnyType)) return Result::num(0);
      ctx.rule("oob.unix.sockatmark_not_stream_eopnotsupp");
      return Result::err(EOPNOTSUPP);
    }
    // before 6.10 only the urgent skb itself at the head counts; a listener's
    // empty skbs never are it (unix_ioctl, changed by e400cfa38bb0)
    if (ctx.applies(Variation::UnixAtMarkHeadOnly)) return Result::num(unix_head_is_urgent(s.data) ? 1 : 0);
    ctx.rule("oob.unix.sockatmark");
    // a listener's receive queue holds one empty skb per connection not yet
    // accepted (unix_stream_connect queues it): an empty head skb with no
    // urgent skb behind it reads as "at the mark"
    if (s.state == SockState::Listen) return Result::num(s.accept_queue.empty() ? 0 : 1);
    return Result::num(unix_at_mark(s.data) ? 1 : 0);
  }
  if (inet::is_mptcp(s)) {
    // mptcp_ioctl knows SIOCINQ, SIOCOUTQ and SIOCOUTQNSD only: ENOIOCTLCMD,
    // which sock_do_ioctl turns into ENOTTY
    ctx.rule("mptcp.data.sockatmark_enotty");
    return Result::err(ENOTTY);
  }
  if (is_tcp(s)) {
    ctx.rule("oob.tcp.sockatmark");
    return Result::num(tcp_at_mark(s.data) ? 1 : 0);
  }
  if (is_udp(s) && supported_inet(s)) {
    // udp_ioctl knows only SIOCINQ/SIOCOUTQ: ENOIOCTLCMD, which
    // sock_do_ioctl turns into ENOTTY
    ctx.rule("oob.udp.sockatmark_enotty");
    return Result::err(ENOTTY);
  }
  return ctx.unsupported("SIOCATMARK on this protocol is not modelled");
}

Result handle(Ctx& ctx, const op::Poll& op) {
  const SocketId id = ctx.target();
  const Socket& s = ctx.world.sock(id);
  PollEvents ev = 0;
  if (s.family == Family::Unix) ev = unix_poll_events(ctx.world, id);
  else if (is_tcp(s)) { ctx.rule("data.poll.tcp"); ev = tcp_poll_events(ctx.world, s); }
  else if (is_udp(s)) { ctx.rule("data.poll.udp"); ev = udp_poll_events(s); }
  else return ctx.unsupported("poll on this socket type is not modelled");
  // poll(2) reports err and hup whatever was asked for
  return Result::events(ev & (op.mask | kPollErr | kPollHup));
}

Result handle(Ctx& ctx, const op::SetOwn&) {
  ctx.rule("oob.sigurg.setown");
  ctx.world.sock(ctx.target()).owned = true;
  return Result::ok();
}

Result handle(Ctx& ctx, const op::SigUrg&) {
  ctx.rule("oob.sigurg.count");
  return Result::num(std::exchange(ctx.world.sigurg_pending, 0));
}

void send_sigurg(Ctx& ctx, SocketId receiver) {
  // sk_send_sigurg -> send_sigurg(file): only a socket with an owner, and a
  // connection not yet accepted has no file at all.
  if (ctx.world.sock(receiver).owned) {
    ctx.rule("oob.sigurg.one_per_urgent_send");
    ++ctx.world.sigurg_pending;
  }
}

// ------------------------------------------------------------------ hooks

void data_on_shutdown(Ctx& ctx, SocketId id, ShutHow how) {
  Socket& s = ctx.world.sock(id);
  const bool rd = how != ShutHow::Wr, wr = how != ShutHow::Rd;
  if (rd) s.data.rcv_shutdown = true;
  if (wr) s.data.snd_shutdown = true;
  const SocketId peer = s.peer_socket;
  if (s.family == Family::Unix) {
    // unix_shutdown: stream and seqpacket mirror the modes onto the peer
    if (peer == kNoSocket || s.type == SockType::Dgram) return;
    Socket& p = ctx.world.sock(peer);
    ctx.rule("unix.shutdown.mirrors_to_peer");
    if (rd) p.data.snd_shutdown = true;
    if (wr) p.data.rcv_shutdown = true;
    return;
  }
  if (is_tcp(s) && wr && peer != kNoSocket &&
      (s.state == SockState::Established || s.state == SockState::CloseWait ||
       s.state == SockState::FinWait1 || s.state == SockState::FinWait2 || s.state == SockState::LastAck)) {
    // tcp_shutdown sends a FIN; tcp_fin at the peer sets RCV_SHUTDOWN and SOCK_DONE
    Socket& p = ctx.world.sock(peer);
    if (p.open) tcp_fin_arrives(ctx, p);
  }
}

void data_on_close(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  if (s.family == Family::Unix) return;  // unix_release (unix.cc) does the data side
  if (!is_tcp(s)) return;
  if (s.state == SockState::Listen) {
    // inet_csk_listen_stop: connections never accepted are reset
    for (SocketId child : s.accept_queue) {
      Socket& c = ctx.world.sock(child);
      if (c.peer_socket != kNoSocket) tcp_receive_reset(ctx, c.peer_socket);
    }
    return;
  }
  const SocketId peer = s.peer_socket;
  if (peer == kNoSocket || !ctx.world.sock(peer).open) return;
  const bool unread = !s.data.bytes.empty();
  const bool zero_linger = s.opt.linger && *s.opt.linger == 0;
  if (unread || zero_linger) {
    // tcp_close: unread data (the urgent byte included) or SO_LINGER 0 means
    // a RST instead of a FIN (RFC 2525 2.17)
    ctx.rule(unread ? "data.tcp.close_unread_resets" : "data.tcp.close_linger0_resets");
    tcp_receive_reset(ctx, peer);
    return;
  }
  Socket& p = ctx.world.sock(peer);
  if (!s.data.snd_shutdown && !tcp_closed(s.state)) tcp_fin_arrives(ctx, p);
}

std::uint32_t data_recvq(const World& world, SocketId id) {
  const Socket& s = world.sock(id);
  if (s.family == Family::Unix) {
    // unix_inq_len: every skb's bytes for stream and seqpacket sockets, the
    // next datagram's length for a datagram socket
    std::size_t n = 0;
    if (s.type == SockType::Stream) {
      for (const UnixSegment& seg : s.data.segments) n += seg.unread();
      n += s.data.inq_leaked;
    }
    else if (s.type == SockType::Seqpacket) for (const Datagram& d : s.data.datagrams) n += d.bytes.size();
    else if (!s.data.datagrams.empty()) n = s.data.datagrams.front().bytes.size();
    return static_cast<std::uint32_t>(n);
  }
  if (is_tcp(s)) return static_cast<std::uint32_t>(s.data.tcp_unread());  // rcv_nxt - copied_seq
  std::size_t n = 0;  // UDP: the payload bytes queued (ss shows skb memory: data.udp.recvq_memory)
  for (const Datagram& d : s.data.datagrams) n += d.bytes.size();
  return static_cast<std::uint32_t>(n);
}

std::uint32_t data_sendq(const World&, SocketId) {
  // Loopback delivers at once: nothing waits in a send queue.
  return 0;
}

}  // namespace sockspec
