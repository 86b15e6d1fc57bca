// Time in the model: the clock that `sleep` lines advance and the TCP timers
// that fire as it moves (spec/time.md). The clock counts only sleeps: the
// lines between them take microseconds on loopback, but a `pending` connect
// waits the oracle's settle time, a guest runs slower, and the timer wheel
// fires a timer up to an eighth of its timeout late. A timer due near the
// clock may therefore have fired or not; there the model adopts what the
// kernel shows (choice::syn_retransmitted), and outside that window it is
// certain either way, so a run stays deterministic.
#include <cerrno>

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

std::int64_t syn_retransmit_due(const Socket& s) {
  return s.syn_sent_at_ms + kSynRtoInitMs * ((std::int64_t{1} << (s.syn_retransmits + 1)) - 1);
}

// The latest a timer due at `due` fires: the timer wheel rounds a timeout up
// to its level's granularity, at most an eighth of it (kernel/time/timer.c,
// calc_wheel_index), plus the line's own time.
std::int64_t latest_firing(std::int64_t due) { return due + due / 8 + 100; }

// tcp_retransmit_timer for each SYN a full accept queue dropped, as often as
// the clock lets it fire.
void retransmit_dropped_syns(Ctx& ctx) {
  const std::int64_t now = ctx.world.clock_ms;
  for (SocketId id = 0; id < static_cast<SocketId>(ctx.world.sockets.size()); ++id) {
    while (true) {
      const Socket& s = ctx.world.sock(id);
      if (!s.open || !is_tcp(s) || s.state != SockState::SynSent || s.listener == kNoSocket) break;
      const std::int64_t due = syn_retransmit_due(s);
      if (now < due - kUncountedMs) break;
      if (now >= latest_firing(due)) {
        ctx.rule("time.syn.retransmitted");
      } else if (!choice::syn_retransmitted(ctx, id, now >= due)) {
        break;
      }
      syn_retransmit(ctx, id);
    }
  }
}

}  // namespace

// Time passes: delayed ACKs (at least TCP_DELACK_MIN, 40 ms) arrive, so a
// FIN-WAIT-1 socket's FIN is acknowledged; dropped SYNs are sent again;
// TIME_WAIT lasts 60 s, far beyond the 5 s of sleep a scenario may take.
Result handle(Ctx& ctx, const op::Sleep& o) {
  if (o.ms < 0 || o.ms > 2000) return Result::err(EINVAL);
  ctx.rule("namespaces.sleep.delayed_ack_arrives");
  ctx.world.clock_ms += o.ms;
  if (o.ms >= kDelayedAckSettledMs)
    for (Socket& s : ctx.world.sockets)
      if (s.state == SockState::FinWait1) s.state = SockState::FinWait2;
  retransmit_dropped_syns(ctx);
  return Result::ok();
}

}  // namespace sockspec
