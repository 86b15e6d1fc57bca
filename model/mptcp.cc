// MPTCP sockets (IPPROTO_MPTCP) as the socket API shows them. An MPTCP
// socket binds, listens and connects through its first subflow, a TCP
// socket in TCP's own tables (mptcp_bind -> inet_bind_sk, mptcp_listen ->
// inet_csk_listen_start, mptcp_connect -> tcp_v4_connect), so the TCP
// handlers serve it and the bind-conflict relation is TCP's. This file holds
// where it differs. Rules: spec/mptcp.md.
#include <netinet/in.h>

#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

using namespace inet;

namespace {

bool connected_state(SockState st) {
  return st == SockState::Established || st == SockState::CloseWait || st == SockState::FinWait1 ||
         st == SockState::FinWait2;
}

// Lines whose outcome depends on every port and every connection of the
// namespace: while an MPTCP connection there winds down, they are not settled.
bool reads_the_namespace(const Operation& op) {
  return std::holds_alternative<op::Ss>(op) || std::holds_alternative<op::Bind>(op) ||
         std::holds_alternative<op::Listen>(op) || std::holds_alternative<op::Connect>(op);
}

// IP_LOCAL_PORT_RANGE and IP_BIND_ADDRESS_NO_PORT reach an MPTCP socket
// only from 6.8 on (Variation::MptcpPortOptionsUnsupported): before, both
// fall to mptcp_setsockopt_v4 / mptcp_getsockopt_v4 (EOPNOTSUPP), and
// IP_LOCAL_PORT_RANGE, not yet in mptcp_supported_sockopt, stops earlier
// (ENOPROTOOPT). A socket that fell back to TCP hands the others to
// tcp_setsockopt / tcp_getsockopt, and whether it fell back is the peer's say.
std::optional<Result> port_option_refused(Ctx& ctx, const Socket& s, SockOpt opt, bool set) {
  if (opt != SockOpt::IpLocalPortRange && opt != SockOpt::IpBindAddressNoPort) return std::nullopt;
  if (!ctx.applies(Variation::MptcpPortOptionsUnsupported)) return std::nullopt;
  if (set && opt == SockOpt::IpLocalPortRange) return Result::err(ENOPROTOOPT);
  if (s.took_connect_role)
    return ctx.unsupported("an MPTCP socket that connected, before 6.8: whether it fell back to TCP decides");
  return Result::err(EOPNOTSUPP);
}

}  // namespace

bool inet::is_mptcp(const Socket& s) { return is_inet(s) && s.protocol == IPPROTO_MPTCP; }

std::optional<Result> mptcp_create_refused(Ctx& ctx) {
  // mptcp_init_sock: -ENOPROTOOPT unless net.mptcp.enabled (mptcp_is_enabled)
  if (!ctx.world.ns().sysctl.mptcp_enabled) {
    ctx.rule("mptcp.create.disabled_enoprotoopt");
    return Result::err(ENOPROTOOPT);
  }
  ctx.rule("mptcp.create.ok");
  return std::nullopt;
}

std::optional<Result> mptcp_getsockopt_refused(Ctx& ctx, const Socket& s, SockOpt opt) {
  if (!is_mptcp(s)) return std::nullopt;
  return port_option_refused(ctx, s, opt, false);
}

std::optional<Result> mptcp_setsockopt_refused(Ctx& ctx, const Socket& s, SockOpt opt) {
  if (!is_mptcp(s)) return std::nullopt;
  if (auto refused = port_option_refused(ctx, s, opt, true)) return refused;
  // mptcp_setsockopt_sol_socket: SO_OOBINLINE ("not supported, let's avoid
  // the related mess") and the read-only options fall to -EOPNOTSUPP
  const bool refused = opt == SockOpt::SoOobinline || opt == SockOpt::SoError || opt == SockOpt::SoAcceptconn ||
                       opt == SockOpt::SoType;
  if (!refused) return std::nullopt;
  ctx.rule("mptcp.option.sol_socket_subset");
  return Result::err(EOPNOTSUPP);
}

MsgFlags mptcp_data_flags(Ctx& ctx, const Socket& s, MsgFlags flags) {
  if (!is_mptcp(s) || !(flags & kMsgOob)) return flags;
  // mptcp_sendmsg keeps MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL only;
  // mptcp_recvmsg never looks for urgent data: the bytes are ordinary data
  ctx.rule("mptcp.data.oob_flag_ignored");
  return static_cast<MsgFlags>(flags & ~kMsgOob);
}

int mptcp_child_protocol(Ctx& ctx, const Socket& listener, const Socket& client) {
  if (!is_mptcp(listener)) return listener.protocol;
  // subflow_syn_recv_sock: a SYN without MP_CAPABLE falls back, and
  // mptcp_stream_accept hands out the plain TCP subflow itself
  if (!is_mptcp(client)) {
    ctx.rule("mptcp.accept.fallback_child_is_tcp");
    return IPPROTO_TCP;
  }
  ctx.rule("mptcp.accept.child_is_mptcp");
  return IPPROTO_MPTCP;
}

void mptcp_winding_down(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  const SocketId peer = s.peer_socket;
  if (peer == kNoSocket || !connected_state(s.state)) return;
  Socket& p = ctx.world.sock(peer);
  if (!is_mptcp(s) && !is_mptcp(p)) return;
  // __mptcp_wr_shutdown / __mptcp_close: the DATA_FIN waits for the data
  // ack of what was sent, and the subflows close from mptcp_worker and its
  // timers: when the peer sees end of stream, and when the subflows leave
  // their ports, is the kernel's schedule
  ctx.rule("mptcp.close.data_fin_unsettled");
  s.mptcp_unsettled = p.mptcp_unsettled = true;
  ctx.world.namespaces[static_cast<std::size_t>(s.ns)].mptcp_unsettled = true;
  ctx.world.namespaces[static_cast<std::size_t>(p.ns)].mptcp_unsettled = true;
}

std::optional<Result> mptcp_unsettled_line(Ctx& ctx) {
  const SocketId id = ctx.target();
  if (id != kNoSocket && ctx.world.sock(id).mptcp_unsettled)
    return ctx.unsupported("an MPTCP connection winding down: what it shows waits on the kernel's schedule");
  if (ctx.world.ns().mptcp_unsettled && reads_the_namespace(ctx.line.op))
    return ctx.unsupported("an MPTCP connection of this namespace winding down: ports and `ss` wait on the kernel's schedule");
  return std::nullopt;
}

}  // namespace sockspec
