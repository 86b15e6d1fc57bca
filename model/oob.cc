// Urgent (out-of-band) data: TCP's urgent pointer and AF_UNIX's oob_skb.
// spec/oob.md tells the history and documents every rule cited here.
//
// The two kernels agree on the simple cases (one urgent byte, read with
// MSG_OOB or stepped over) and differ once a second urgent byte arrives
// before the first is consumed: TCP keeps one pointer into a byte stream
// and decides at arrival (tcp_check_urg); AF_UNIX keeps the urgent byte as
// an skb of its own and decides at read time (manage_oob).
#include <algorithm>
#include <cerrno>
#include <iterator>
#include <optional>

#include "model/data.h"

namespace sockspec {

// ------------------------------------------------------------------ TCP

void tcp_segment_arrived(Ctx& ctx, SocketId receiver, std::size_t len, bool urgent) {
  Socket& r = ctx.world.sock(receiver);
  StreamData& d = r.data;
  const std::uint64_t seg_start = d.rcv_nxt() - len;  // rcv_nxt before this segment
  if (urgent) {
    // tcp_check_urg. The pointer names the last byte sent unless the
    // receiver's namespace set net.ipv4.tcp_stdurg (RFC 793 reading).
    const bool stdurg = ctx.world.namespaces[static_cast<std::size_t>(r.ns)].sysctl.tcp_stdurg;
    const std::uint64_t ptr = stdurg ? d.rcv_nxt() : d.rcv_nxt() - 1;
    if (stdurg) ctx.rule("oob.tcp.stdurg_points_past");
    // A fresh send always points past copied_seq, past the old pointer and
    // into or after this segment, so tcp_check_urg's early returns (already
    // read, replayed pointer) never apply here.
    send_sigurg(ctx, receiver);
    if (d.urg != UrgState::None && d.urg_seq == d.copied && !r.opt.oobinline && d.copied != seg_start) {
      // The old urgent byte sits at the head of the unread data: step over
      // it so it is neither read as data nor at the mark any more.
      ctx.rule("oob.tcp.replaced_at_head_dropped");
      ++d.copied;
      d.bytes.erase(0, 1);
    } else if (d.urg != UrgState::None) {
      ctx.rule("oob.tcp.replaced_becomes_data");
    }
    ctx.rule("oob.tcp.last_byte_urgent");
    d.urg = UrgState::NotYet;
    d.urg_seq = ptr;
  }
  // tcp_urg: the byte the pointer waits for may be in this segment
  if (d.urg == UrgState::NotYet && d.urg_seq >= seg_start && d.urg_seq < d.rcv_nxt()) {
    if (!urgent) ctx.rule("oob.tcp.notyet_byte_arrives");
    d.urg = UrgState::Valid;
    d.urg_byte = d.bytes[static_cast<std::size_t>(d.urg_seq - d.copied)];
  }
}

Result tcp_recv_urgent(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  StreamData& d = s.data;
  // tcp_recv_urg: "No URG data to read" -> EINVAL, "Yes this is right !"
  if (s.opt.oobinline) { ctx.rule("oob.tcp.oobinline_recv_oob_einval"); return Result::err(EINVAL); }
  if (d.urg == UrgState::None) { ctx.rule("oob.recv.no_mark_einval"); return Result::err(EINVAL); }
  if (d.urg == UrgState::Read) { ctx.rule("oob.recv.already_read_einval"); return Result::err(EINVAL); }
  const bool closed = s.state == SockState::Close || s.state == SockState::Unconn;
  if (closed && !d.fin) { ctx.rule("oob.tcp.recv_oob_closed_enotconn"); return Result::err(ENOTCONN); }
  if (d.urg == UrgState::Valid) {
    if (flags & kMsgPeek) ctx.rule("oob.recv.peek_keeps_urgent");
    else { ctx.rule("oob.recv.oob_reads_byte"); d.urg = UrgState::Read; }
    return Result::bytes(len > 0 ? std::string(1, d.urg_byte) : std::string());
  }
  if (closed || d.rcv_shutdown) { ctx.rule("oob.tcp.recv_oob_notyet_eof"); return Result::bytes(""); }
  ctx.rule("oob.tcp.recv_oob_notyet_eagain");
  return Result::err(EAGAIN);
}

bool tcp_at_mark(const StreamData& d) { return d.urg != UrgState::None && d.urg_seq == d.copied; }

// ------------------------------------------------------------------ AF_UNIX

namespace {

bool has_urgent(const StreamData& d) {
  return std::any_of(d.segments.begin(), d.segments.end(), [](const UnixSegment& s) { return s.oob; });
}

// manage_oob before the 6.10 series (Debian's 6.1) on a consumed urgent skb
// at `i`: a read frees it and ends there, with or without copied data; a
// peek returns it and the skip loop of unix_stream_read_generic steps to the
// next skb without asking manage_oob, urgent or not. nullopt on the kernels
// where these rules do not hold.
std::optional<int> consumed_skb_before_6_10(Ctx& ctx, StreamData& d, std::size_t i, bool peek, std::size_t copied) {
  if (peek) {
    if (!ctx.applies(Variation::UnixPeekPassesConsumed)) return std::nullopt;  // b94038d841a9
    return i + 1 < d.segments.size() ? static_cast<int>(i + 1) : -1;
  }
  // 93c99f21db36 (nothing copied yet), 36893ef0b661 (after copied data)
  if (!ctx.applies(copied ? Variation::UnixStopsAtAnyConsumed : Variation::UnixConsumedHeadEagain)) return std::nullopt;
  d.segments.erase(d.segments.begin() + static_cast<std::ptrdiff_t>(i));
  return -1;
}

}  // namespace

void unix_queue_urgent(Ctx& ctx, SocketId sender, SocketId receiver, char byte, std::optional<Address> source) {
  StreamData& d = ctx.world.sock(receiver).data;
  // WRITE_ONCE(ousk->oob_skb, skb): an older unread urgent skb stays queued
  // and becomes ordinary data.
  if (has_urgent(d)) ctx.rule("oob.unix.replaced_becomes_data");
  for (UnixSegment& seg : d.segments) seg.oob = false;
  ctx.rule("oob.unix.last_byte_own_skb");
  d.segments.push_back(UnixSegment{std::string(1, byte), 0, true, std::move(source), sender});
  send_sigurg(ctx, receiver);
}

Result unix_recv_urgent(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  StreamData& d = s.data;
  // unix_stream_recv_urg
  if (s.opt.oobinline) { ctx.rule("oob.unix.oobinline_recv_oob_einval"); return Result::err(EINVAL); }
  auto it = std::find_if(d.segments.begin(), d.segments.end(), [](const UnixSegment& seg) { return seg.oob; });
  if (it == d.segments.end()) { ctx.rule("oob.unix.recv_oob_none_einval"); return Result::err(EINVAL); }
  // a zero-length read takes the byte all the same and returns 0
  // (recv_actor copies nothing; UNIXCB(oob_skb).consumed += 1)
  const std::string byte = len == 0 ? std::string() : std::string(1, it->bytes[it->consumed]);
  if (flags & kMsgPeek) {
    ctx.rule("oob.recv.peek_keeps_urgent");
  } else {
    // the skb stays queued, fully consumed: later reads still stop there
    ctx.rule("oob.recv.oob_reads_byte");
    // "af_unix: Don't leave consecutive consumed OOB skbs.": an empty skb
    // right before the urgent one is freed, so at most one stays queued
    if (it != d.segments.begin() && std::prev(it)->unread() == 0) it = d.segments.erase(std::prev(it));
    it->oob = false;
    it->consumed += 1;
  }
  return Result::bytes(byte);
}

bool unix_head_is_urgent(const StreamData& d) { return !d.segments.empty() && d.segments.front().oob; }

bool unix_at_mark(const StreamData& d) {
  if (d.segments.empty()) return false;
  const UnixSegment& head = d.segments.front();
  if (head.oob) return true;
  if (head.unread() != 0) return false;
  return !has_urgent(d) || (d.segments.size() > 1 && d.segments[1].oob);
}

int unix_manage_urgent(Ctx& ctx, StreamData& d, std::size_t i, MsgFlags flags, std::size_t copied,
                       bool inline_urgent) {
  const bool peek = flags & kMsgPeek;
  if (d.segments[i].unread() && !d.segments[i].oob) return static_cast<int>(i);
  if (!d.segments[i].unread()) {
    if (auto at = consumed_skb_before_6_10(ctx, d, i, peek, copied)) return *at;
    // the husk of an urgent byte read with MSG_OOB: reads stop at it, then
    // the next read removes it
    if (copied && !has_urgent(d)) { ctx.rule("oob.unix.recv_stops_at_read_urgent"); return -1; }
    if (peek) ++i;
    else d.segments.erase(d.segments.begin() + static_cast<std::ptrdiff_t>(i));
    if (i >= d.segments.size()) return -1;
  }
  if (!d.segments[i].oob) return static_cast<int>(i);
  if (copied) { ctx.rule("oob.unix.recv_stops_at_mark"); return -1; }
  if (!peek) {
    if (inline_urgent) {
      ctx.rule("oob.unix.oobinline_reads_inline");
      d.segments[i].oob = false;
      return static_cast<int>(i);
    }
    ctx.rule("oob.unix.recv_drops_urgent_byte");
    if (ctx.applies(Variation::UnixInqKeepsDroppedByte)) {
      // the skb is freed (the sender's Send-Q drops) but u->inq_len keeps its byte
      ctx.rule("oob.unix.dropped_byte_stays_in_inq");
      d.inq_leaked += static_cast<std::uint32_t>(d.segments[i].unread());
    }
    d.segments.erase(d.segments.begin() + static_cast<std::ptrdiff_t>(i));
    return d.segments.empty() ? -1 : 0;
  }
  if (inline_urgent) return static_cast<int>(i);
  ctx.rule("oob.unix.peek_skips_urgent_byte");
  ++i;
  return i < d.segments.size() ? static_cast<int>(i) : -1;
}

}  // namespace sockspec
