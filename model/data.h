// Internal interface of the data handlers: TCP and UDP data (data.cc),
// urgent data (oob.cc) and AF_UNIX (unix.cc) call each other through these.
//
// Contract: every function works on the model's World only, cites the rules
// that decide its outcome through the Ctx, and never makes a system call.
#pragma once

#include <cstdint>
#include <string_view>

#include "model/context.h"

namespace sockspec {

// ---- TCP urgent data (oob.cc)

// The receiver's half of a TCP send whose `len` bytes were just appended
// (tcp_urg): with MSG_OOB the segment carries an urgent pointer, the
// sender's snd_up, one past its last byte, which the receiver reads as
// naming that last byte (or, with net.ipv4.tcp_stdurg, the byte after it)
// in tcp_check_urg; any segment may bring a byte the pointer waits for.
void tcp_segment_arrived(Ctx&, SocketId receiver, std::size_t len, bool urgent);
// recv(MSG_OOB) on a connected TCP socket (tcp_recv_urg).
Result tcp_recv_urgent(Ctx&, SocketId, std::int64_t len, MsgFlags);
// SIOCATMARK (tcp_ioctl): at the mark while an urgent pointer is known.
bool tcp_at_mark(const StreamData&);

// ---- AF_UNIX stream urgent data (oob.cc)

// queue_oob: the last byte becomes an skb of its own, the new oob_skb.
void unix_queue_urgent(Ctx&, SocketId sender, SocketId receiver, char byte, std::optional<Address> source);
// unix_stream_recv_urg.
Result unix_recv_urgent(Ctx&, SocketId, std::int64_t len, MsgFlags);
// SIOCATMARK (unix_ioctl).
bool unix_at_mark(const StreamData&);
// SIOCATMARK before e400cfa38bb0 (6.10): the head skb is the urgent skb.
bool unix_head_is_urgent(const StreamData&);
// manage_oob: what a normal read may take from the head of the queue.
// Returns the index of the segment to read next, or -1 to stop.
int unix_manage_urgent(Ctx&, StreamData&, std::size_t from, MsgFlags, std::size_t copied,
                       bool inline_urgent);

// ---- SIGURG (data.cc)

// sk_send_sigurg: one SIGURG to the runner when it owns the socket.
void send_sigurg(Ctx&, SocketId receiver);

// What recv / recvfrom print: the bytes, or with MSG_TRUNC the count recv(2)
// returned; recvfrom adds the source (nullopt prints `from none`).
Result recv_result(std::string bytes, std::int64_t count, MsgFlags flags, bool want_source,
                   std::optional<Address> source);

// The datagram at the head of a non-empty queue, as recv / recvfrom give it
// (UDP and AF_UNIX datagram and seqpacket sockets).
Result recv_datagram(Ctx&, Socket&, std::int64_t len, MsgFlags flags, bool want_source);

// ---- AF_UNIX data (unix.cc)

Result unix_send(Ctx&, SocketId, std::string_view data, const Address* to, MsgFlags);
Result unix_recv(Ctx&, SocketId, std::int64_t len, MsgFlags, bool want_source);
PollEvents unix_poll_events(const World&, SocketId);

}  // namespace sockspec
