// connect and accept for inet sockets (AF_UNIX: unix_connect / unix_accept),
// and UDP's automatic bind. Loopback connections complete inside connect
// (DESIGN.md): the listener's accept queue gets an established child at once,
// unless the queue is full. Rules: spec/connect.md, spec/accept.md.
#include <cerrno>

#include "model/choices.h"
#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

using namespace inet;

namespace inet {

// inet_autobind: a UDP socket without a port takes one from the range,
// keeping any address it was bound to (IP_BIND_ADDRESS_NO_PORT). Returns 0 or
// EAGAIN when the range is used up.
int autobind(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  Address local = s.local ? *s.local : any(s.family);
  std::optional<std::uint16_t> forbidden;
  auto port = choice::bind_port(ctx, id, local, &forbidden);
  if (!port) {
    ctx.rule("connect.udp.autobind_exhausted_eagain");
    return EAGAIN;
  }
  local.port = *port;
  s.local = local;
  s.port_bound = true;
  s.bucket_from_bind = true;
  return 0;
}

void tcp_disconnect(Ctx& ctx, SocketId id) {
  ctx.rule("connect.tcp.disconnect_resets");
  Socket& s = ctx.world.sock(id);
  const bool had_peer_window = s.state != SockState::Unconn && s.state != SockState::Close &&
                               s.state != SockState::Listen && s.state != SockState::SynSent;
  const std::uint16_t port = s.local ? s.local->port : 0;
  // tcp_disconnect: leaving a synchronised state (tcp_need_reset) sends a
  // RST and sets sk_err = ECONNRESET; so does abandoning a SYN_SENT
  if (s.state == SockState::Established || s.state == SockState::CloseWait || s.state == SockState::FinWait1 ||
      s.state == SockState::FinWait2 || s.state == SockState::SynRecv || s.state == SockState::SynSent) {
    ctx.rule("connect.tcp.disconnect_sets_econnreset");
    s.so_error = ECONNRESET;
  }
  if (s.peer) s.stale_peer = s.peer;
  if (s.stale_peer) s.stale_peer->port = 0;  // inet_dport = 0; inet_daddr stays
  s.peer.reset();
  s.peer_socket = kNoSocket;
  s.state = SockState::Close;
  s.refused_connecting = false;
  s.ss_connected = s.connect_unreported = false;  // sock->state = SS_UNCONNECTED
  if (!s.addr_bound && s.local) { s.local = any(s.family); s.local->port = port; }  // inet_reset_saddr
  if (!s.port_locked) release_port(s);
  s.data.rcv_shutdown = s.data.snd_shutdown = s.data.reset = false;  // sk_shutdown = 0
  // write_seq += max_window + 2 (see Socket::stale_sendq)
  if (s.stale_sendq && !had_peer_window) {
    *s.stale_sendq += 2;
  } else {
    s.stale_sendq_limit = (s.stale_sendq ? *s.stale_sendq : s.stale_sendq_limit) + choice::kDisconnectSendqGrowth;
    s.stale_sendq.reset();
  }
}

void tcp_stop_listening(Ctx& ctx, SocketId id) {
  data_on_close(ctx, id);
  Socket& s = ctx.world.sock(id);
  for (SocketId child : s.accept_queue) { ctx.world.sock(child).open = false; release_port(ctx.world.sock(child)); }
  s.accept_queue.clear();
  tcp_disconnect(ctx, id);
}

}  // namespace inet

namespace {

bool connected_tcp_state(SockState st) {
  return st == SockState::Established || st == SockState::CloseWait || st == SockState::FinWait1 ||
         st == SockState::FinWait2 || st == SockState::LastAck || st == SockState::Closing ||
         st == SockState::TimeWait;
}

// The listener a SYN to `dst` reaches (__inet_lookup_listener /
// inet6_lookup_listener): an exact address beats a wildcard; for IPv4
// traffic an AF_INET socket beats a dual-stack AF_INET6 one (compute_score).
// Several candidates of equal score form a SO_REUSEPORT group.
std::vector<SocketId> listeners_for(const World& w, int ns, const Address& dst) {
  std::vector<SocketId> best;
  int best_score = 0;
  const bool v4traffic = carries_v4(dst);
  for (SocketId id = 0; id < static_cast<SocketId>(w.sockets.size()); ++id) {
    const Socket& l = w.sock(id);
    if (l.ns != ns || l.state != SockState::Listen || !is_tcp(l) || !l.local || l.local->port != dst.port) continue;
    int score = 0;
    const Address& a = *l.local;
    if (v4traffic) {
      if (l.family == Family::Inet6 && (l.opt.v6only || !(is_any(a) || is_v4mapped(a)))) continue;
      const bool exact = !is_any(a) && v4_of(a) == v4_of(dst);
      const bool wild = is_any(a) || (is_v4mapped(a) && v4_of(a) == 0);
      if (!exact && !wild) continue;
      score = (exact ? 4 : 2) + (l.family == Family::Inet ? 1 : 0);
    } else {
      if (l.family != Family::Inet6 || is_v4mapped(a)) continue;
      const bool exact = a.ip == dst.ip;
      if (!exact && !is_any(a)) continue;
      score = exact ? 4 : 2;
    }
    if (score > best_score) { best.clear(); best_score = score; }
    if (score == best_score) best.push_back(id);
  }
  return best;
}

// A new established socket for `listener`'s queue (tcp_create_openreq_child):
// it inherits the listener's options and port; its local address is the
// one the client connected to, in the listener's family.
SocketId make_child(Ctx& ctx, SocketId listener_id, const Address& dst, const Address& client_addr, SocketId client) {
  Socket child = ctx.world.sock(listener_id);
  child.state = SockState::Established;
  child.accept_queue.clear();
  child.backlog = 0;
  child.local = as_family(dst, child.family);
  child.peer = as_family(client_addr, child.family);
  child.peer_socket = client;
  child.listener = listener_id;
  child.data = StreamData{};
  child.so_error = 0;
  child.protocol = mptcp_child_protocol(ctx, ctx.world.sock(listener_id), ctx.world.sock(client));
  child.port_locked = false;  // sk_clone_lock clears SOCK_BINDPORT_LOCK: a reset frees the port
  child.was_established = true;
  child.took_connect_role = true;
  child.took_listen_role = false;
  child.shut_rd = child.shut_wr = false;
  child.owned = false;
  ctx.world.sockets.push_back(std::move(child));
  const auto id = static_cast<SocketId>(ctx.world.sockets.size() - 1);
  ctx.world.sock(listener_id).accept_queue.push_back(id);
  return id;
}

// tcp_v4_connect / ip4_datagram_connect and their IPv6 twins check the
// length (sockaddr_in, SIN6_LEN_RFC2133) before the family.
bool family_error(Ctx& ctx, const Socket& s, const Address& dst, Result* r) {
  const std::size_t need = s.family == Family::Inet ? 16 : 24;
  const AddressKind own = s.family == Family::Inet ? AddressKind::Inet4 : AddressKind::Inet6;
  if (sockaddr_len(dst, s.family) < need) {
    ctx.rule(dst.kind == AddressKind::Inet4 ? "connect.family.v4_on_inet6_einval" : "connect.family.short_einval");
    *r = Result::err(EINVAL);
    return true;
  }
  if (dst.kind != own) {
    ctx.rule("connect.family.mismatch_eafnosupport");
    *r = Result::err(EAFNOSUPPORT);
    return true;
  }
  return false;
}

// The checks TCP and UDP connects share on the destination (tcp_v4_connect,
// tcp_v6_connect, ip4_datagram_connect, __ip6_datagram_connect): its family,
// a v4-mapped destination on an IPv6-only socket, and a route to it. Returns
// the route, or nullopt with the line's result in *failure.
std::optional<Destination> connect_destination(Ctx& ctx, const Socket& s, const Address& dst, Result* failure) {
  if (family_error(ctx, s, dst, failure)) return std::nullopt;
  if (s.family == Family::Inet6 && is_v4mapped(dst) && s.opt.v6only) {
    ctx.rule("connect.address.mapped_on_v6only_enetunreach");
    *failure = Result::err(ENETUNREACH);
    return std::nullopt;
  }
  if (!dst.scope.empty()) {
    *failure = ctx.unsupported("connect to a scoped address");
    return std::nullopt;
  }
  auto to = reach(ctx, s, dst, failure);
  if (to && mapped_source_to_v6(ctx, s, dst)) {
    *failure = Result::err(EAFNOSUPPORT);
    return std::nullopt;
  }
  return to;
}

// A TCP connect that failed after recording its destination (inet_daddr in
// tcp_v4_connect before the port is chosen, sk_v6_daddr in tcp_v6_connect
// before the route) resets only the port (`failure: inet_dport = 0`): ss
// shows the destination as ADDR:0 until a bind or connect replaces it.
void keep_failed_destination(Ctx& ctx, Socket& s, const Address& dst) {
  ctx.rule("connect.tcp.failed_keeps_destination");
  s.stale_peer = dst;
  s.stale_peer->port = 0;
}

// A listener shut down before listen (shutdown says ENOTCONN there but
// keeps sk_shutdown) passes the directions on to its children: sk_clone_lock
// copies sk_shutdown, and a child shut for writing sends its FIN as soon as
// it is established (tcp_rcv_state_process, TCP_SYN_RECV: tcp_shutdown),
// which leaves it in FIN-WAIT-1 until the client's delayed ACK, and the
// client in CLOSE-WAIT.
void inherit_listener_shutdown(Ctx& ctx, SocketId child, bool rd, bool wr) {
  ctx.rule("accept.child.inherits_shutdown");
  Socket& c = ctx.world.sock(child);
  c.data.rcv_shutdown = rd;
  if (!wr) return;
  data_on_shutdown(ctx, child, ShutHow::Wr);
  tcp_fin_sent(ctx, child);
}

// A handshake that completed at once: a blocking connect returns success
// (SS_CONNECTED); a non-blocking one says EINPROGRESS and leaves struct
// socket SS_CONNECTING until the next connect (__inet_stream_connect).
Result connected(Socket& s, bool nowait) {
  if (nowait) { s.connect_unreported = true; return Result::err(EINPROGRESS); }
  s.ss_connected = true;
  return Result::ok();
}

// __inet_stream_connect: what the socket's state decides before any address
// is read. Returns the line's result, or nullopt when the connect goes on.
std::optional<Result> connect_tcp_by_state(Ctx& ctx, SocketId id, bool nowait) {
  Socket& s = ctx.world.sock(id);
  if (s.disconnecting) {
    ctx.rule("connect.state.disconnecting_einval");
    return Result::err(EINVAL);
  }
  if (s.connect_unreported && s.state != SockState::Close) {
    // SS_CONNECTING whose handshake completed: __inet_stream_connect falls
    // through (-EALREADY overwritten), finds sk_state not TCP_CLOSE, sets
    // SS_CONNECTED and returns 0, whatever the address
    ctx.rule("connect.state.completed_nowait_reports_ok");
    s.connect_unreported = false;
    s.ss_connected = true;
    return Result::ok();
  }
  if (s.refused_connecting || s.connect_unreported) {
    // SS_CONNECTING with sk_state TCP_CLOSE: whatever the address, connect
    // collects the error (sock_error, else ECONNABORTED) and disconnects
    ctx.rule("connect.state.refused_collects_error");
    const int err = s.so_error ? s.so_error : ECONNABORTED;
    s.so_error = 0;
    tcp_disconnect(ctx, id);
    return Result::err(err);
  }
  if (s.state == SockState::SynSent) {
    ctx.rule("connect.state.in_progress_ealready");
    return nowait ? Result::err(EALREADY) : Result::pending();
  }
  if (s.state == SockState::Listen || connected_tcp_state(s.state) || (s.peer && s.state == SockState::Close)) {
    ctx.rule("connect.state.connected_eisconn");
    return Result::err(EISCONN);
  }
  return std::nullopt;
}

// The source port of a TCP connect (inet_hash_connect): the bound port, if
// its four-tuple is free or held by a TIME-WAIT the connect may take over;
// else an ephemeral port the model chooses within its allowed set
// (choice::connect_port). Fills src->port, or returns the line's failure.
std::optional<Result> connect_tcp_source_port(Ctx& ctx, SocketId id, Address* src, const Address& dst) {
  Socket& s = ctx.world.sock(id);
  if (s.port_bound) {
    src->port = s.local->port;
    const SocketId holder = four_tuple_holder(ctx.world, id, *src, dst, src->port);
    if (holder == kNoSocket) return std::nullopt;
    if (ctx.world.sock(holder).state == SockState::TimeWait) {
      // __inet_check_established with twp == NULL (a port the socket
      // holds): tcp_twsk_unique lets a TIME-WAIT with timestamps go, and
      // inet_twsk_deschedule_put destroys it
      ctx.rule("connect.tcp.bound_port_takes_over_time_wait");
      Socket& tw = ctx.world.sock(holder);
      tw.state = SockState::Close;
      release_port(tw);
      return std::nullopt;
    }
    ctx.rule("connect.ephemeral.four_tuple_taken");
    keep_failed_destination(ctx, s, dst);
    return Result::err(EADDRNOTAVAIL);
  }
  std::optional<std::uint16_t> forbidden;
  auto port = choice::connect_port(ctx, id, *src, dst, &forbidden);
  if (!port) {
    if (forbidden) ctx.step.note = "the kernel chose port " + std::to_string(*forbidden) + ", which connect may not use";
    ctx.rule("connect.ephemeral.exhausted_eaddrnotavail");
    keep_failed_destination(ctx, ctx.world.sock(id), dst);
    return Result::err(EADDRNOTAVAIL);
  }
  src->port = *port;
  Socket& bound = ctx.world.sock(id);
  bound.port_bound = true;
  bound.bucket_from_bind = false;
  return std::nullopt;
}

// No listener: a RST answers the SYN: tcp_reset -> ECONNREFUSED; tcp_done
// releases an automatic port, tcp_disconnect an automatic address and sets
// sk_shutdown to SHUTDOWN_MASK. A non-blocking connect leaves all that for
// later (the socket stays SS_CONNECTING, its addresses kept); a blocking one
// collects the error and calls tcp_disconnect (__inet_stream_connect,
// sock_error).
Result connect_tcp_refused(Ctx& ctx, SocketId id, bool nowait) {
  ctx.rule("connect.listener.none_econnrefused");
  Socket& s = ctx.world.sock(id);
  s.state = SockState::Close;
  s.stale_peer = s.peer;
  s.peer.reset();
  s.stale_sendq = 1;  // the SYN, never acknowledged
  if (!s.port_locked) release_port(s);
  s.data.rcv_shutdown = s.data.snd_shutdown = true;
  if (nowait) {
    s.so_error = ECONNREFUSED;
    s.refused_connecting = true;
    return Result::err(EINPROGRESS);
  }
  tcp_disconnect(ctx, id);
  return Result::err(ECONNREFUSED);
}

// The SYN reaches a listener of the group (choice::reuseport_listener picks
// within SO_REUSEPORT sharers): a full accept queue drops it
// (sk_acceptq_is_full) and the client keeps retrying; otherwise the
// handshake completes at once over loopback and the child is queued.
Result connect_tcp_to_listener(Ctx& ctx, SocketId id, const std::vector<SocketId>& group, const Address& src,
                               const Address& dst, bool nowait) {
  const SocketId lid = choice::reuseport_listener(ctx, group);
  Socket& l = ctx.world.sock(lid);
  if (l.accept_queue.size() > static_cast<std::size_t>(l.backlog)) {
    ctx.rule("connect.listener.queue_full_pending");
    Socket& s = ctx.world.sock(id);
    s.state = SockState::SynSent;
    s.listener = lid;
    return nowait ? Result::err(EINPROGRESS) : Result::pending();
  }
  ctx.rule("connect.listener.queued");
  const bool listener_shut_wr = l.data.snd_shutdown, listener_shut_rd = l.data.rcv_shutdown;
  const SocketId child = make_child(ctx, lid, dst, as_family(src, ctx.world.sock(id).family), id);
  Socket& me = ctx.world.sock(id);  // make_child may have moved the vector
  me.state = SockState::Established;
  me.was_established = true;
  me.peer_socket = child;
  if (listener_shut_wr || listener_shut_rd) inherit_listener_shutdown(ctx, child, listener_shut_rd, listener_shut_wr);
  return connected(ctx.world.sock(id), nowait);
}

// A TCP connect, in the kernel's order: the socket's state
// (__inet_stream_connect), the destination and its route (tcp_v4_connect /
// tcp_v6_connect), the source port (inet_hash_connect), then the handshake
// over loopback: the socket itself (simultaneous open), no listener (RST), or
// a listener's queue.
Result connect_tcp(Ctx& ctx, SocketId id, const Address& dst_written, bool nowait) {
  if (auto decided = connect_tcp_by_state(ctx, id, nowait)) return *decided;
  Socket& s = ctx.world.sock(id);
  const Address dst = wildcard_to_self(ctx, s, dst_written);
  Result failure;
  const auto to = connect_destination(ctx, s, dst, &failure);
  if (!to) {
    // tcp_v6_connect sets sk_v6_daddr before it routes (after the family
    // and multicast checks); the route's failure leaves it there
    const bool recorded = s.family == Family::Inet6 && dst.kind == AddressKind::Inet6 && sockaddr_len(dst, s.family) >= 24 &&
                          dst.ip[0] != 0xff && failure.kind == Result::Kind::Errno;
    if (recorded) keep_failed_destination(ctx, s, dst);
    return failure;
  }
  // the source: the bound address, else the route's
  Address src = s.local && !is_any(*s.local) ? *s.local : to->source;
  src.port = 0;
  if (s.took_listen_role && ctx.applies(Variation::TcpRoleLockConnect)) {
    // the role-locked build fails the connect at inet_hash_connect;
    // tcp_v4_connect's failure path keeps inet_daddr and zeroes the port
    keep_failed_destination(ctx, s, dst);
    return Result::err(EINVAL);
  }
  if (auto failed = connect_tcp_source_port(ctx, id, &src, dst)) return *failed;
  Socket& c = ctx.world.sock(id);
  c.local = src;
  c.peer = dst;
  c.took_connect_role = true;
  c.stale_peer.reset();
  c.stale_sendq = 0;  // tcp_connect_init: snd_una = write_seq
  if (src.ip == dst.ip && src.kind == dst.kind && src.port == dst.port) {
    // self-connect: the SYN meets the socket itself (simultaneous open)
    ctx.rule("connect.self.simultaneous_open");
    c.state = SockState::Established;
    c.was_established = true;
    c.peer_socket = id;
    return connected(c, nowait);
  }
  const auto group = listeners_for(ctx.world, to->ns, dst);
  if (group.empty()) return connect_tcp_refused(ctx, id, nowait);
  return connect_tcp_to_listener(ctx, id, group, src, dst, nowait);
}

Result connect_udp(Ctx& ctx, SocketId id, const Address& dst_written) {
  Address dst = dst_written;
  // inet_dgram_connect: the automatic bind comes before the address is read
  if (!ctx.world.sock(id).port_bound) {
    ctx.rule("connect.udp.autobind");
    if (int e = autobind(ctx, id)) return Result::err(e);
  }
  Socket& s = ctx.world.sock(id);
  if (s.family == Family::Inet6 && dst.kind == AddressKind::Inet4) {
    // __ip6_datagram_connect: an AF_INET address is an IPv4 connect, unless IPv6-only
    if (s.opt.v6only) { ctx.rule("connect.udp.inet_address_on_inet6"); return Result::err(EAFNOSUPPORT); }
    ctx.rule("connect.udp.inet_address_on_inet6");
    dst = v4_mapped(v4_of(dst), dst.port);
  }
  dst = wildcard_to_self(ctx, s, dst);
  // __ip6_datagram_connect: a destination whose scope needs an interface
  // (link-local, or interface- or link-local multicast: ff01::/16, ff02::/16)
  // wants the socket bound to a device (__ipv6_addr_needs_scope_id)
  // (an AF_INET socket never gets there: ip4_datagram_connect refuses the
  // family first)
  const bool needs_scope = s.family == Family::Inet6 && dst.kind == AddressKind::Inet6 && dst.scope.empty() &&
                           ((dst.ip[0] == 0xfe && (dst.ip[1] & 0xc0) == 0x80) ||
                            (dst.ip[0] == 0xff && ((dst.ip[1] & 0x0f) == 1 || (dst.ip[1] & 0x0f) == 2)));
  if (needs_scope && s.opt.bindtodevice.empty()) {
    ctx.rule("connect.udp.scoped_needs_device_einval");
    return Result::err(EINVAL);
  }
  Result failure;
  const auto to = connect_destination(ctx, s, dst, &failure);
  if (!to) return failure;
  // ip4_datagram_connect: an unbound address takes the route's source
  // (only while the address is still the wildcard: a reconnect keeps the
  // source the first connect chose, __ip6_datagram_connect likewise)
  ctx.rule("connect.udp.sets_peer");
  if (!s.addr_bound && (is_any(*s.local) || (is_v4mapped(*s.local) && v4_of(*s.local) == 0))) {
    Address src = to->source;
    src.port = s.local->port;
    s.local = src;
  }
  s.peer = dst;
  s.state = SockState::Established;
  return Result::ok();
}

// AF_UNSPEC: udp_disconnect / tcp_disconnect. An automatic address goes
// back to the wildcard, an automatic port is released.
Result disconnect(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  if (is_tcp(s) && s.state == SockState::Listen) {
    ctx.rule("connect.unspec.listener_stops");
    tcp_stop_listening(ctx, id);
    return Result::ok();
  }
  if (is_tcp(s) && s.state != SockState::Unconn && s.state != SockState::Close &&
      s.state != SockState::Established)
    return ctx.unsupported("AF_UNSPEC on a TCP socket in this state");
  if (is_tcp(s) && s.state == SockState::Established) {
    if (s.peer_socket == id) return ctx.unsupported("AF_UNSPEC on a self-connected socket");
    ctx.rule("connect.unspec.tcp_resets_peer");
    if (s.peer_socket != kNoSocket) {
      Socket& p = ctx.world.sock(s.peer_socket);
      if (p.open && p.state != SockState::Close) {
        p.so_error = p.state == SockState::CloseWait ? EPIPE : ECONNRESET;
        p.state = SockState::Close;
        p.data.reset = true;
        p.data.rcv_shutdown = p.data.snd_shutdown = true;
        if (!p.port_locked) release_port(p);
      }
    }
  }
  ctx.rule("connect.unspec.dissolves");
  if (is_tcp(s)) {
    tcp_disconnect(ctx, id);
    return Result::ok();
  }
  const std::uint16_t port = s.local ? s.local->port : 0;
  // __udp_disconnect zeroes inet_daddr and inet_dport, not sk_v6_daddr: an
  // inet6 socket's row shows the old peer's address with port 0 whenever
  // the socket has a port again
  if (s.family == Family::Inet6 && s.peer) {
    s.stale_peer = as_family(*s.peer, Family::Inet6);
    s.stale_peer->port = 0;
  }
  s.peer.reset();
  s.peer_socket = kNoSocket;
  s.state = SockState::Unconn;
  if (!s.addr_bound && s.local) { s.local = any(s.family); s.local->port = port; }
  if (!s.port_locked && s.local) {
    release_port(s);
    s.local->port = 0;  // udp_disconnect clears inet_sport too
    if (!s.addr_bound) s.local.reset();
  }
  return Result::ok();
}

}  // namespace

Result handle(Ctx& ctx, const op::Connect& o) {
  const SocketId id = ctx.target();
  const Socket& s = ctx.world.sock(id);
  if (unknown_scope(ctx.world, o.addr.base)) { ctx.rule("socket.address.unknown_scope_enodev"); return Result::err(ENODEV); }
  if (s.family == Family::Unix) return unix_connect(ctx, id, o.addr.base, o.nowait);
  if (is_mptcp(s) && (o.addr.base.kind == AddressKind::Unspec || s.took_connect_role || s.refused_connecting ||
                      s.state != SockState::Unconn))
    return ctx.unsupported("a second connect, or a disconnect, of an MPTCP socket (mptcp_disconnect) is not modelled");
  if (o.addr.base.kind == AddressKind::Unspec) return disconnect(ctx, id);
  if (is_tcp(s)) return connect_tcp(ctx, id, o.addr.base, o.nowait);
  return connect_udp(ctx, id, o.addr.base);
}

// inet_accept / inet_csk_accept: only a listener accepts; an empty queue is
// EAGAIN on the runner's non-blocking sockets; the new socket is the oldest
// queued connection.
Result handle(Ctx& ctx, const op::Accept& o) {
  (void)o;
  const SocketId id = ctx.target();
  Socket& l = ctx.world.sock(id);
  if (l.family == Family::Unix) return unix_accept(ctx, id);
  if (!is_tcp(l)) { ctx.rule("accept.type.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (l.state != SockState::Listen) { ctx.rule("accept.state.not_listening_einval"); return Result::err(EINVAL); }
  if (l.accept_queue.empty()) { ctx.rule("accept.queue.empty_eagain"); return Result::err(EAGAIN); }
  ctx.rule("accept.queue.oldest_first");
  const SocketId child = l.accept_queue.front();
  l.accept_queue.pop_front();
  ctx.world.give_name(ctx.line.names.front(), child);
  ctx.world.sock(child).listener = kNoSocket;
  ctx.world.sock(child).uid = ctx.world.uid;
  ctx.world.sock(child).ss_connected = true;  // inet_accept: newsock->state = SS_CONNECTED
  return Result::ok();
}

}  // namespace sockspec
