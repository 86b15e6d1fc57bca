// TEMPORARY while the model is being written: every handler not yet
// implemented answers `unsupported`. Delete a function here when you implement
// it; delete the file when it is empty.
#include "model/handlers.h"

namespace sockspec {

Result handle(Ctx& ctx, const op::Socket&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SetSockOpt&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::GetSockOpt&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Bind&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Listen&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Connect&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Accept&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Shutdown&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Close&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::GetSockName&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::GetPeerName&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Ss&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Ns&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Sysctl&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::LinkAdd&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::AddrAdd&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Uid&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Sleep&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SocketPair&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Send&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SendTo&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Recv&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::RecvFrom&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SockAtMark&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Poll&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SetOwn&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::SigUrg&) { return ctx.unsupported("not written yet"); }
Result handle(Ctx& ctx, const op::Unlink&) { return ctx.unsupported("not written yet"); }
Result unix_bind(Ctx& ctx, SocketId, const Address&) { return ctx.unsupported("not written yet"); }
Result unix_listen(Ctx& ctx, SocketId, std::int64_t) { return ctx.unsupported("not written yet"); }
Result unix_connect(Ctx& ctx, SocketId, const Address&, bool) { return ctx.unsupported("not written yet"); }
Result unix_accept(Ctx& ctx, SocketId) { return ctx.unsupported("not written yet"); }
void unix_release(Ctx&, SocketId) {}
void unix_ss_rows(const World&, int, std::vector<SsRow>&) {}
void data_on_shutdown(Ctx&, SocketId, ShutHow) {}
void data_on_close(Ctx&, SocketId) {}
std::uint32_t data_recvq(const World&, SocketId) { return 0; }
std::uint32_t data_sendq(const World&, SocketId) { return 0; }

}  // namespace sockspec
