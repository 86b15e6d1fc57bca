// Time in the model: the clock that `sleep` lines advance and the TCP timers
// that fire as it moves (spec/time.md). The clock counts only sleeps: the
// lines between them take microseconds on loopback, but a `pending` connect
// waits the oracle's settle time, a guest runs slower, and the timer wheel
// fires a timer up to an eighth of its timeout late. A timer due near the
// clock may therefore have fired or not; there the model adopts what the
// kernel shows (choice::timer_fired), and outside that window it is
// certain either way, so a run stays deterministic.
#include <algorithm>
#include <cerrno>
#include <string_view>

#include "model/choices.h"
#include "model/handlers.h"
#include "model/inet.h"

namespace sockspec {

using namespace inet;

namespace {

// How long a sleep must be for the model to count a delayed ACK as arrived:
// tcp_send_delayed_ack arms the timer for at least TCP_DELACK_MIN (HZ/25 =
// 40 ms) and tcp_delack_timer then sends the ACK; 10 ms of margin
// (rule namespaces.sleep.delayed_ack_arrives).
constexpr std::int64_t kDelayedAckSettledMs = 50;

// TCP_TIMEOUT_INIT: the first retransmission timeout of a SYN (no RTT is
// known yet); tcp_retransmit_timer doubles it after each retransmit, so the
// n-th retransmit is due (2^n - 1) seconds after the first SYN.
constexpr std::int64_t kSynRtoInitMs = 1000;

// What the clock does not count before a timer fires: the settle waits of
// the `pending` connects since the SYN (100 ms each on a host, 400 ms in a
// guest) and the lines' own time.
constexpr std::int64_t kUncountedMs = 500;

// What the clock says of a timer armed at `armed_at` for `timeout` ms. It
// fires no earlier than its timeout and at most an eighth of it later (the
// timer wheel rounds a timeout up to its level's granularity:
// kernel/time/timer.c, calc_wheel_index), plus the line's own time.
enum class Timer : std::uint8_t { NotFired, Uncertain, Fired };
Timer timer_at(std::int64_t now, std::int64_t armed_at, std::int64_t timeout) {
  const std::int64_t due = armed_at + timeout;
  if (now < due - kUncountedMs) return Timer::NotFired;
  if (now >= due + timeout / 8 + 100) return Timer::Fired;
  return Timer::Uncertain;
}

// Whether the timer of socket `id` has fired: certain, or in its window the
// kernel's table decides (it still shows the socket in `state_until`).
bool fired(Ctx& ctx, SocketId id, std::int64_t armed_at, std::int64_t timeout, std::string_view certain_rule,
           std::string_view state_until) {
  const std::int64_t now = ctx.world.clock_ms;
  switch (timer_at(now, armed_at, timeout)) {
    case Timer::NotFired: return false;
    case Timer::Fired: ctx.rule(certain_rule); return true;
    case Timer::Uncertain: break;
  }
  if (!choice::timer_fired(ctx, id, now >= armed_at + timeout, state_until)) return false;
  ctx.rule(certain_rule);
  return true;
}

// tcp_retransmit_timer for each SYN a full accept queue dropped, as often as
// the clock lets it fire: the n-th retransmit is due (2^n - 1) s after the
// first SYN.
void retransmit_dropped_syns(Ctx& ctx) {
  for (SocketId id = 0; id < static_cast<SocketId>(ctx.world.sockets.size()); ++id) {
    while (true) {
      const Socket& s = ctx.world.sock(id);
      if (!s.open || !is_tcp(s) || s.state != SockState::SynSent || s.listener == kNoSocket) break;
      const std::int64_t armed_at = s.syn_sent_at_ms + kSynRtoInitMs * ((std::int64_t{1} << s.syn_retransmits) - 1);
      const std::int64_t timeout = kSynRtoInitMs << s.syn_retransmits;
      if (!fired(ctx, id, armed_at, timeout, "time.syn.retransmitted", "SYN-SENT")) break;
      syn_retransmit(ctx, id);
    }
  }
}

// The FIN-WAIT-2 of a closed socket lasts tcp_fin_time(): tcp_fin_timeout,
// but no less than 3.5 RTOs (700 ms at loopback's TCP_RTO_MIN of 200 ms);
// tcp_close and tcp_rcv_state_process hand it to a timewait socket in the
// FIN_WAIT2 substate (tcp_time_wait), which `ss` shows as FIN-WAIT-2 until
// it ends and frees the port. Above TCP_TIMEWAIT_LEN (60 s) a keepalive
// timer comes first: beyond any scenario either way.
void expire_orphan_fin_wait2(Ctx& ctx) {
  for (SocketId id = 0; id < static_cast<SocketId>(ctx.world.sockets.size()); ++id) {
    const Socket& s = ctx.world.sock(id);
    if (s.open || !is_tcp(s) || s.state != SockState::FinWait2) continue;
    const std::int64_t timeout = std::max<std::int64_t>(ctx.world.ns_of(s).sysctl.tcp_fin_timeout_s * 1000, 700);
    if (!fired(ctx, id, s.orphaned_at_ms, timeout, "time.fin_wait2.orphan_expires", "FIN-WAIT-2")) continue;
    Socket& gone = ctx.world.sock(id);
    gone.state = SockState::Close;
    release_port(gone);
  }
}

}  // namespace

// Time passes: delayed ACKs (at least TCP_DELACK_MIN, 40 ms) arrive, so a
// FIN-WAIT-1 socket's FIN is acknowledged; dropped SYNs are sent again; a
// closed socket's FIN-WAIT-2 ends after tcp_fin_timeout; TIME_WAIT lasts
// 60 s, far beyond the 5 s of sleep a scenario may take.
Result handle(Ctx& ctx, const op::Sleep& o) {
  if (o.ms < 0 || o.ms > 2000) return Result::err(EINVAL);
  ctx.rule("namespaces.sleep.delayed_ack_arrives");
  ctx.world.clock_ms += o.ms;
  if (o.ms >= kDelayedAckSettledMs)
    for (Socket& s : ctx.world.sockets)
      if (s.state == SockState::FinWait1) s.state = SockState::FinWait2;
  retransmit_dropped_syns(ctx);
  expire_orphan_fin_wait2(ctx);
  return Result::ok();
}

}  // namespace sockspec
