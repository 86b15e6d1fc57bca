// bind and listen for inet sockets (AF_UNIX: unix_bind / unix_listen).
// Rules: spec/bind.md, spec/listen.md.
#include <cerrno>

#include "model/choices.h"
#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

using namespace inet;

namespace {

// Takes the port: the socket becomes a holder in its namespace's table.
void hold(Socket& s, const Address& local, bool from_bind) {
  s.local = local;
  s.port_bound = true;
  s.bucket_from_bind = from_bind;
}

// The ephemeral port for `local` (port 0), or the errno and a note when the
// kernel chose a port the spec forbids.
std::optional<std::uint16_t> ephemeral(Ctx& ctx, SocketId id, const Address& local) {
  std::optional<std::uint16_t> forbidden;
  auto port = choice::bind_port(ctx, id, local, &forbidden);
  if (forbidden) ctx.step.note = "the kernel chose port " + std::to_string(*forbidden) + ", which is taken or out of range";
  return port;
}

// __inet_bind's address checks: EADDRNOTAVAIL for an address that is not
// local (unless IP_FREEBIND or ip_nonlocal_bind); multicast and broadcast
// addresses are bindable.
bool v4_bindable(Ctx& ctx, const Socket& s, std::uint32_t ip) {
  const Namespace& ns = ctx.world.ns_of(s);  // inet_addr_valid_or_nonlocal(sock_net(sk), ...)
  if (ip == 0 || is_local(ns, v4(ip, 0))) return true;
  if (is_v4_multicast_or_broadcast(ip)) { ctx.rule("bind.address.multicast_broadcast"); return true; }
  if (s.opt.freebind || ns.sysctl.ip_nonlocal_bind) { ctx.rule("bind.address.nonlocal_allowed"); return true; }
  return false;
}

Result bind_inet(Ctx& ctx, SocketId id, const Address& a);

// __inet_bind writes the address before it asks for the port, and a port
// it cannot have zeroes it again (inet_saddr = inet_rcv_saddr = 0;
// __inet6_bind: inet_reset_saddr): an address a refused connect left
// behind is gone too, while getsockname keeps the old port (inet_sport).
void forget_address(Ctx& ctx, Socket& s) {
  if (!s.local || is_any(*s.local)) return;
  ctx.rule("bind.state.failed_bind_clears_address");
  const std::uint16_t port = s.local->port;
  s.local = any(s.family);
  s.local->port = port;
}

Result bind_inet(Ctx& ctx, SocketId id, const Address& a) {
  Socket& s = ctx.world.sock(id);
  const bool privileged_port =
      a.port != 0 && a.port < ctx.world.ns_of(s).sysctl.unprivileged_port_start && ctx.world.uid != 0;
  // inet_bind checks sk_state != TCP_CLOSE || inet_num: a TCP socket that
  // tcp_set_state(TCP_CLOSE) unhashed from an automatic port binds again
  const bool already = s.port_bound || (s.state != SockState::Unconn && s.state != SockState::Close);
  if (s.family == Family::Inet) {
    // inet_bind_sk / __inet_bind: family, address, privilege, then state
    if (sockaddr_len(a, s.family) < 16) { ctx.rule("bind.family.short_einval"); return Result::err(EINVAL); }
    if (a.kind == AddressKind::Unspec) {  // AF_UNSPEC with INADDR_ANY: bind 0.0.0.0:0
      ctx.rule("bind.family.unspec_as_any");
      return bind_inet(ctx, id, any(Family::Inet));
    }
    if (a.kind != AddressKind::Inet4) { ctx.rule("bind.family.mismatch_eafnosupport"); return Result::err(EAFNOSUPPORT); }
    if (!v4_bindable(ctx, s, v4_of(a))) { ctx.rule("bind.address.not_local"); return Result::err(EADDRNOTAVAIL); }
    if (privileged_port) { ctx.rule("bind.port.privileged_eacces"); return Result::err(EACCES); }
    if (already) { ctx.rule("bind.state.already_bound_einval"); return Result::err(EINVAL); }
  } else {
    // __inet6_bind: length, family, multicast on TCP, privilege, state, then the address
    if (sockaddr_len(a, s.family) < 24) {  // SIN6_LEN_RFC2133
      ctx.rule(a.kind == AddressKind::Inet4 ? "bind.family.v4_on_inet6_einval" : "bind.family.short_einval");
      return Result::err(EINVAL);
    }
    if (a.kind != AddressKind::Inet6) { ctx.rule("bind.family.mismatch_eafnosupport"); return Result::err(EAFNOSUPPORT); }
    if (a.ip[0] == 0xff && is_tcp(s)) { ctx.rule("bind.address.v6_multicast_tcp_einval"); return Result::err(EINVAL); }
    if (privileged_port) { ctx.rule("bind.port.privileged_eacces"); return Result::err(EACCES); }
    if (already) { ctx.rule("bind.state.already_bound_einval"); return Result::err(EINVAL); }
    if (!a.scope.empty() || (a.ip[0] == 0xfe && (a.ip[1] & 0xc0) == 0x80))
      return ctx.unsupported("link-local and scoped IPv6 addresses");
    if (is_v4mapped(a)) {
      if (s.opt.v6only) { ctx.rule("bind.address.mapped_on_v6only_einval"); return Result::err(EINVAL); }
      if (!v4_bindable(ctx, s, v4_of(a))) { ctx.rule("bind.address.not_local"); return Result::err(EADDRNOTAVAIL); }
    } else if (!is_any(a) && a.ip[0] != 0xff && !is_local(ctx.world.ns_of(s), a)) {
      if (!s.opt.freebind && !ctx.world.ns_of(s).sysctl.ip6_nonlocal_bind) {
        ctx.rule("bind.address.not_local");
        return Result::err(EADDRNOTAVAIL);
      }
      ctx.rule("bind.address.nonlocal_allowed");
    }
  }
  ctx.rule("bind.address.local");
  Address local = a;
  local.scope.clear();
  if (a.port == 0) {
    if (s.opt.bind_address_no_port) {
      // the port waits for connect (IP_BIND_ADDRESS_NO_PORT)
      ctx.rule("bind.port.no_port_deferred");
      s.local = local;
      s.addr_bound = !is_any(a);
      return Result::ok();
    }
    auto port = ephemeral(ctx, id, local);
    if (!port) {
      ctx.rule("bind.ephemeral.exhausted_eaddrinuse");
      forget_address(ctx, s);
      return Result::err(EADDRINUSE);
    }
    local.port = *port;
  } else {
    RuleTrace rules;
    const bool conflict = find_bind_conflict(ctx.world, id, local, true, &rules) != kNoSocket;
    for (std::string_view r : rules) ctx.rule(r);
    if (conflict) {
      forget_address(ctx, s);
      return Result::err(EADDRINUSE);
    }
    s.port_locked = true;
  }
  hold(s, local, true);
  s.addr_bound = !is_any(a);
  // __inet_bind / __inet6_bind zero inet_daddr and inet_dport; an IPv6
  // socket's row shows sk_v6_daddr, which neither touches, with the port
  // now 0
  if (s.stale_peer) {
    ctx.rule("bind.state.clears_stale_peer");
    if (s.family == Family::Inet) s.stale_peer.reset();
    else s.stale_peer->port = 0;
  }
  // __inet6_bind: a specific IPv6 (not v4-mapped) address makes the socket IPv6-only
  if (s.family == Family::Inet6 && !is_any(a) && !is_v4mapped(a)) {
    ctx.rule("bind.address.v6_specific_sets_v6only");
    s.opt.v6only = true;
  }
  return Result::ok();
}

}  // namespace

Result handle(Ctx& ctx, const op::Bind& o) {
  const SocketId id = ctx.target();
  const Socket& s = ctx.world.sock(id);
  if (unknown_scope(ctx.world, o.addr.base)) { ctx.rule("socket.address.unknown_scope_enodev"); return Result::err(ENODEV); }
  if (s.family == Family::Unix) return unix_bind(ctx, id, o.addr.base);
  if (is_mptcp(s)) ctx.rule("mptcp.bind.first_subflow");  // mptcp_bind: inet_bind_sk on the subflow
  return bind_inet(ctx, id, o.addr.base);
}

// inet_listen: stream sockets only; a connected socket may not listen; a
// listener may listen again (only the backlog changes); an unbound socket
// gets an ephemeral port; listen re-checks the port with the socket now
// listening (inet_csk_listen_start -> get_port), which is how two
// SO_REUSEADDR sockets that were allowed to share a port stop both listening.
Result handle(Ctx& ctx, const op::Listen& o) {
  const SocketId id = ctx.target();
  Socket& s = ctx.world.sock(id);
  if (s.family == Family::Unix) return unix_listen(ctx, id, o.backlog);
  if (!is_tcp(s)) { ctx.rule("listen.type.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (is_mptcp(s) && s.took_connect_role)
    return ctx.unsupported("listen on an MPTCP socket that connected is not modelled");
  if (s.state != SockState::Unconn && s.state != SockState::Listen && s.state != SockState::Close) {
    ctx.rule("listen.state.connected_einval");
    return Result::err(EINVAL);
  }
  if (s.refused_connecting || s.disconnecting || s.ss_connected || s.connect_unreported) {
    // inet_listen wants struct socket SS_UNCONNECTED
    ctx.rule("listen.state.not_unconnected_einval");
    return Result::err(EINVAL);
  }
  // __sys_listen: an unsigned comparison, so a negative backlog is somaxconn too
  const int somaxconn = ctx.world.ns_of(s).sysctl.somaxconn;  // sock_net(sk)->core.sysctl_somaxconn
  const int backlog = static_cast<std::uint64_t>(static_cast<std::uint32_t>(o.backlog)) > static_cast<std::uint32_t>(somaxconn)
                          ? somaxconn
                          : static_cast<int>(o.backlog);
  ctx.rule("listen.backlog.clamped_to_somaxconn");
  if (s.state == SockState::Listen) {
    ctx.rule("listen.state.relisten_sets_backlog");
    s.backlog = backlog;
    return Result::ok();
  }
  const SockState before = s.state;
  s.state = SockState::Listen;
  if (!s.port_bound) {
    Address local = s.local ? *s.local : any(s.family);
    ctx.rule("listen.port.unbound_gets_ephemeral");
    auto port = ephemeral(ctx, id, local);
    if (!port) { s.state = before; ctx.rule("bind.ephemeral.exhausted_eaddrinuse"); return Result::err(EADDRINUSE); }
    local.port = *port;
    hold(s, local, true);
  } else {
    RuleTrace rules;
    if (find_bind_conflict(ctx.world, id, *s.local, true, &rules) != kNoSocket) {
      s.state = before;
      ctx.rule("listen.port.recheck_conflict");
      for (std::string_view r : rules) ctx.rule(r);
      return Result::err(EADDRINUSE);
    }
  }
  if (s.took_connect_role && ctx.applies(Variation::TcpRoleLockListen)) {
    // the role-locked build fails at the hash step, after get_port: the
    // socket keeps the port it just took and its former state
    s.state = before;
    return Result::err(EINVAL);
  }
  s.took_listen_role = true;
  s.backlog = backlog;
  return Result::ok();
}

}  // namespace sockspec
