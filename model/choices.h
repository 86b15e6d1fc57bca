// Where Linux may choose: every choice the model adopts from the kernel, in
// one place, each a named rule with the set the kernel's pick must fall in.
//
// In lockstep the oracle hands the model what the kernel shows after a line
// (scenario/observation.h). A choice adopts the observed pick when it lies
// in the rule's allowed set and cites the rule; a pick outside the set, or
// none observed, leaves the model's canonical pick, so a kernel outside the
// spec diverges. Run alone, every choice is the canonical one. spec/ states
// each set; tests/model_choices_test.cc plants a pick outside each one.
//
// Versions and build variants are the other freedom the kernel has; they
// are model/kernel_variations.h's table (a rule that holds on some kernels).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/context.h"
#include "model/world.h"

namespace sockspec::choice {

// bind.ephemeral.adopt_kernel: the port of bind(port 0), listen or UDP
// autobind. Allowed: a port of the namespace's ip_local_port_range, not in
// ip_local_reserved_ports, that no bind conflict forbids; for TCP with
// ip_autobind_reuse and no such port, one the relaxed pass allows
// (inet_csk_find_open_port, udp_lib_get_port).
// Canonical: bind.ephemeral.canonical. nullopt when no port is allowed;
// then *forbidden holds an observed port the set refused.
std::optional<std::uint16_t> bind_port(Ctx& ctx, SocketId s, const Address& local,
                                       std::optional<std::uint16_t>* forbidden);

// connect.ephemeral.adopt_kernel: the port of a TCP connect from `src` to
// `dst`. Allowed: a port of the range whose four-tuple is free and whose
// bucket connect may share (__inet_hash_connect, __inet_check_established).
std::optional<std::uint16_t> connect_port(Ctx& ctx, SocketId s, const Address& src, const Address& dst,
                                          std::optional<std::uint16_t>* forbidden);

// unix.bind.autobind_adopt_kernel: the abstract name unix_autobind gives.
// Allowed: `@` and five hex digits, not taken in the namespace (`taken`).
// Canonical: the lowest such name.
std::string autobind_name(Ctx& ctx, const std::function<bool(const std::string&)>& taken);

// connect.listener.reuseport_group: which listener of a SO_REUSEPORT group
// takes a connection (reuseport_select_sock hashes the four-tuple).
// Allowed: a member whose accept queue grew by this connection. Canonical:
// the first member.
SocketId reuseport_listener(Ctx& ctx, const std::vector<SocketId>& group);

// time.timer.adopt_kernel: whether a timer of socket `id` has fired (a
// dropped SYN's retransmit, an orphan's FIN-WAIT-2) when the clock is too
// near its due time to tell (model/time.cc). Allowed: both. Adopted: fired
// unless the kernel's table, observed after a `sleep`, still shows the
// socket in `state_until` (its local and peer ports). Canonical
// (time.timer.canonical, alone or for a socket of another namespace):
// fired once the clock reached the due time (`due_passed`).
bool timer_fired(Ctx& ctx, SocketId id, bool due_passed, std::string_view state_until);

// connect.listener.syn_queue_limit_drops: whether a SYN that
// tcp_max_syn_backlog (cookies off) would drop is spared because the peer is
// proven (tcp_peer_is_proven: an RTT tcp_metrics saved when a connection to
// it closed, in this scenario or, in a reused namespace, an earlier one).
// Allowed: dropped or queued. Adopted: queued when the listener's accept
// queue grew by this connection. Canonical: dropped (a fresh namespace).
bool syn_limit_spares(Ctx& ctx, SocketId listener);

// data.udp.lookup.adopt_kernel: which socket of the allowed set a UDP
// datagram reached (model/udp_lookup.h: a SO_REUSEPORT group, or sockets a
// CPU point may lift). Allowed: `allowed`. Adopted: the one member whose
// receive memory (sk_rmem_alloc, observed after the send) grew past what it
// was when its queue was last known (0 for an empty queue). Canonical:
// `canonical`, also when no member or several grew.
SocketId udp_receiver(Ctx& ctx, const std::vector<SocketId>& allowed, SocketId canonical);

// Keeps the receive memory the kernel showed for UDP socket `id` after this
// line (or forgets it), for udp_receiver's next comparison.
void remember_udp_receive_memory(Ctx& ctx, SocketId id);

// data.udp.recvq_memory: a UDP socket's Recv-Q, the truesize of its queued
// skbs (udp_rqueue_get). Allowed: 0 with nothing queued, else a figure in
// [payload, sum of skb_memory_limit]. Canonical: the payload.
std::uint32_t udp_recvq(Ctx& ctx, SocketId id, const SsRow& row);

// unix.ss.sendq_memory: an AF_UNIX socket's Send-Q, the truesize of the
// skbs it sent that are still unread: they stay charged to its
// sk_wmem_alloc until the reader frees them (skb_set_owner_w, sock_wfree;
// unix_outq_len).
// Allowed: 0 with no skb of its queued, else [max(unread bytes, 1), sum
// of skb_memory_limit] (an empty datagram is an skb whose truesize is
// charged). Canonical: the lower bound.
std::uint32_t unix_sendq(Ctx& ctx, SocketId id);

// connect.tcp.disconnect_sendq: the Send-Q a disconnected TCP socket keeps
// once a peer's window counted (tcp_disconnect: write_seq += max_window + 2).
// Allowed: [1, Socket::stale_sendq_limit]. Canonical: 1.
std::uint32_t disconnected_sendq(Ctx& ctx, SocketId id, const SsRow& row);

// socket.option.buffer_autotuned: SO_SNDBUF / SO_RCVBUF of an established
// TCP socket that did not set them (tcp_sndbuf_expand, tcp_rcv_space_adjust).
// Allowed: [the initial size, net.ipv4.tcp_wmem / tcp_rmem's maximum].
// Canonical: the initial size.
std::int64_t autotuned_buffer(Ctx& ctx, SocketId id, bool send);

// The most memory one skb carrying `bytes` may charge: SKB_TRUESIZE of a
// buffer kmalloc rounded up (kmalloc_size_roundup: at most twice the
// request, headers included) plus sk_buff and skb_shared_info.
constexpr std::uint64_t skb_memory_limit(std::uint64_t bytes) { return 2 * bytes + 4096; }

// How far one tcp_disconnect may move write_seq past snd_una: what was
// unacknowledged (at most the peer's window) plus max_window + 2. A Linux
// peer's window is at most its receive buffer, at most 8 MiB here
// (2 × net.core.rmem_max through SO_RCVBUF; tcp_rmem[2] is 6 MiB).
inline constexpr std::uint64_t kDisconnectSendqGrowth = 2 * (8u << 20) + 3;

}  // namespace sockspec::choice
