// One handler per operation: `handle(ctx, op)` returns the line's result and
// cites the rules that decided it. model.cc dispatches to them.
//
// Ownership: the socket-lifecycle and inet handlers (socket, options, bind,
// listen, connect, accept, shutdown, close, names, ss, world directives) live
// in model/inet*.cc and model/world_ops.cc; for AF_UNIX sockets they call the
// unix_* functions. The data handlers (send, recv, urgent data, poll, SIGURG,
// socketpair, unlink) and everything AF_UNIX live in model/data.cc and
// model/unix.cc.
#pragma once

#include <optional>
#include <vector>

#include "model/context.h"

namespace sockspec {

// lifecycle, inet, world (model/inet*.cc, model/world_ops.cc)
Result handle(Ctx&, const op::Socket&);
Result handle(Ctx&, const op::SetSockOpt&);
Result handle(Ctx&, const op::GetSockOpt&);
Result handle(Ctx&, const op::Bind&);
Result handle(Ctx&, const op::Listen&);
Result handle(Ctx&, const op::Connect&);
Result handle(Ctx&, const op::Accept&);
Result handle(Ctx&, const op::Shutdown&);
Result handle(Ctx&, const op::Close&);
Result handle(Ctx&, const op::GetSockName&);
Result handle(Ctx&, const op::GetPeerName&);
Result handle(Ctx&, const op::Ss&);
Result handle(Ctx&, const op::Ns&);
Result handle(Ctx&, const op::Sysctl&);
Result handle(Ctx&, const op::LinkAdd&);
Result handle(Ctx&, const op::AddrAdd&);
Result handle(Ctx&, const op::Uid&);
Result handle(Ctx&, const op::Sleep&);

// data, urgent data, AF_UNIX (model/data.cc, model/unix.cc)
Result handle(Ctx&, const op::SocketPair&);
Result handle(Ctx&, const op::Send&);
Result handle(Ctx&, const op::SendTo&);
Result handle(Ctx&, const op::Recv&);
Result handle(Ctx&, const op::RecvFrom&);
Result handle(Ctx&, const op::SockAtMark&);
Result handle(Ctx&, const op::Poll&);
Result handle(Ctx&, const op::SetOwn&);
Result handle(Ctx&, const op::SigUrg&);
Result handle(Ctx&, const op::Unlink&);

// AF_UNIX halves of the lifecycle handlers (model/unix.cc)
Result unix_bind(Ctx&, SocketId, const Address&);
Result unix_listen(Ctx&, SocketId, std::int64_t backlog);
Result unix_connect(Ctx&, SocketId, const Address&, bool nowait);
Result unix_accept(Ctx&, SocketId listener);
void unix_release(Ctx&, SocketId);          // close: unbind, wake or reset peers
void unix_ss_rows(Ctx&, int ns, std::vector<SsRow>& rows);

// What sending a FIN does to a TCP socket's state and its peer's (after
// data_on_shutdown delivered it): ESTABLISHED to FIN-WAIT-1 (peer
// CLOSE-WAIT), CLOSE-WAIT to closed (model/inet_socket.cc)
void tcp_fin_sent(Ctx&, SocketId);

// MPTCP, where it differs from the TCP handlers that serve it (model/mptcp.cc)
std::optional<Result> mptcp_create_refused(Ctx&);   // net.mptcp.enabled off; cites the create rule
std::optional<Result> mptcp_setsockopt_refused(Ctx&, const Socket&, SockOpt);
std::optional<Result> mptcp_getsockopt_refused(Ctx&, const Socket&, SockOpt);  // before 6.8 only
MsgFlags mptcp_data_flags(Ctx&, const Socket&, MsgFlags);  // MSG_OOB dropped on MPTCP
int mptcp_child_protocol(Ctx&, const Socket& listener, const Socket& client);
// A connected socket whose MPTCP connection (either end MPTCP) sends its
// DATA_FIN or closes: both ends and their namespaces become unsettled.
void mptcp_winding_down(Ctx&, SocketId);
// The line, unsupported, when it reads what an unsettled MPTCP connection shows.
std::optional<Result> mptcp_unsettled_line(Ctx&);

// Data-plane hooks the lifecycle handlers call (model/data.cc)
void data_on_shutdown(Ctx&, SocketId, ShutHow);
void data_on_close(Ctx&, SocketId);          // before the socket is marked closed
// `ss` queue columns of a non-listening socket, as inet_diag/unix_diag report them
std::uint32_t data_recvq(const World&, SocketId);
std::uint32_t data_sendq(const World&, SocketId);

}  // namespace sockspec
