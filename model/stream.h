// The receive side of one socket (bytes in flight, urgent data, datagrams)
// and the AF_UNIX name tables. Owned by the data handlers (model/data*.cc,
// model/oob*.cc, model/unix*.cc); the lifecycle handlers only call the hooks
// in model/handlers.h.
//
// Two stream representations mirror the two kernels' receive queues:
//  - TCP keeps one byte sequence; what matters is where copied_seq and the
//    urgent pointer are (tcp_recvmsg_locked, tcp_check_urg), not how the
//    bytes were segmented.
//  - AF_UNIX stream keeps one skb per send, and the urgent byte is an skb of
//    its own (queue_oob); a recv stops at skb boundaries that involve the
//    urgent skb (manage_oob), so the segments are kept.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

// tcp_sock::urg_data: whether an urgent pointer is known, its byte has
// arrived, or it was read with MSG_OOB (include/net/tcp.h TCP_URG_*).
enum class UrgState : std::uint8_t { None, NotYet, Valid, Read };

// One AF_UNIX stream skb: what a single send queued; `consumed` counts the
// bytes already read from its front (UNIXCB(skb).consumed).
struct UnixSegment {
  std::string bytes;
  std::size_t consumed = 0;
  bool oob = false;  // this is u->oob_skb, the one unread urgent byte
  std::optional<Address> source;  // the sender's name, which recvfrom reports
  int sender = -1;                 // the sending socket's id: its sk_wmem_alloc holds the skb
  std::size_t unread() const { return bytes.size() - consumed; }
};

// One datagram (UDP, AF_UNIX dgram) or record (AF_UNIX seqpacket).
struct Datagram {
  std::string bytes;
  std::optional<Address> source;  // nullopt: the sender had no name
  int sender = -1;                 // AF_UNIX: the sending socket's id (its sk_wmem_alloc holds the skb)
};

struct StreamData {
  // ---- TCP: the unread bytes, from copied_seq to rcv_nxt
  std::string bytes;
  std::uint64_t copied = 0;        // copied_seq, counted from the first byte received
  UrgState urg = UrgState::None;   // tp->urg_data
  char urg_byte = 0;               // the byte, once Valid
  std::uint64_t urg_seq = 0;       // tp->urg_seq, in the same count as `copied`
  bool fin = false;                // FIN received (SOCK_DONE): EOF after `bytes`
  bool fin_on_data = false;        // the FIN arrived while bytes were unread, so
                                   // tcp_try_coalesce merged it into the tail skb
  bool fin_read = false;           // a read reached the FIN: copied_seq moved past it
                                   // (tcp_recvmsg_locked, found_fin_ok)

  // ---- AF_UNIX stream
  std::deque<UnixSegment> segments;
  std::uint32_t inq_leaked = 0;    // urgent bytes dropped by plain reads that u->inq_len
                                   // still counts (oob.unix.dropped_byte_stays_in_inq)

  // ---- datagrams (UDP, AF_UNIX dgram and seqpacket)
  std::deque<Datagram> datagrams;

  // ---- sk_shutdown as the data path sees it (own shutdown, peer's
  // shutdown or close, a TCP reset); the lifecycle's Socket::shut_* record
  // only what this socket's own `shutdown` asked for.
  bool rcv_shutdown = false;       // RCV_SHUTDOWN
  bool snd_shutdown = false;       // SEND_SHUTDOWN
  bool reset = false;              // TCP: a RST arrived (tcp_reset -> tcp_done)

  std::uint64_t rcv_nxt() const { return copied + bytes.size(); }
  // rcv_nxt - copied_seq as tcp_diag_get_info reports it: the FIN takes one
  // sequence number, so it counts until a read consumes it.
  std::uint64_t tcp_unread() const { return bytes.size() + (fin && !fin_read ? 1 : 0); }
};

// Bound AF_UNIX names -> socket id. A path name whose socket has closed
// stays here (the file stays until `unlink`), pointing at the closed socket.
struct UnixNames {
  std::map<std::string, int, std::less<>> by_name;
};

}  // namespace sockspec
