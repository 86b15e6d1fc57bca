// Every choice the model adopts from the kernel (model/choices.h has the
// contract): what the kernel may pick, and the model's pick alone.
#include "model/choices.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include <fmt/format.h>

#include "model/inet.h"
#include "model/stream.h"

namespace sockspec::choice {

using namespace inet;

namespace {

// What the oracle saw of the socket the line names, or nullptr alone.
const ObservedSocket* observed_line_socket(const Ctx& ctx) {
  return ctx.observed ? ctx.observed->current(ctx.line.socket) : nullptr;
}

// What the oracle saw of model socket `id`: by the generation of the name
// it was given (whether or not the name still reaches it).
const ObservedSocket* observed_socket(const Ctx& ctx, SocketId id) {
  if (!ctx.observed) return nullptr;
  if (const auto name = name_of(ctx.world, id); !name.empty()) return ctx.observed->current(name);
  const Socket& s = ctx.world.sock(id);
  return s.name_generation < 0 ? nullptr : ctx.observed->bearer(s.given_name, s.name_generation);
}

// The queue figures of `id`: its own row, or for a socket no line named
// (a connection no accept took, an orphan) the one row with its addresses.
std::optional<QueueSizes> observed_queues(const Ctx& ctx, SocketId id, const SsRow* row) {
  if (!ctx.observed) return std::nullopt;
  if (const ObservedSocket* seen = observed_socket(ctx, id)) return seen->queues;
  if (ctx.world.sock(id).name_generation >= 0 || !row) return std::nullopt;
  return ctx.observed->queues_of_row(*row);
}

std::optional<std::uint16_t> observed_port(const Ctx& ctx) {
  const ObservedSocket* seen = observed_line_socket(ctx);
  if (!seen || !seen->local || seen->local->port == 0) return std::nullopt;
  return seen->local->port;
}

bool within(std::uint64_t figure, std::uint64_t lo, std::uint64_t hi) { return figure >= lo && figure <= hi; }

// The ports of a range in the order the model tries them alone: TCP bind
// tries the odd offsets first (inet_csk_find_open_port), TCP connect the
// even ones (__inet_hash_connect), UDP goes up from the low end (its real
// start is random: udp_lib_get_port).
template <class Fn>
std::optional<std::uint16_t> scan(PortRange r, int first_parity, Fn usable) {
  for (int parity : {first_parity, 1 - first_parity})
    for (int p = r.lo + parity; p <= r.hi; p += 2)
      if (usable(static_cast<std::uint16_t>(p))) return static_cast<std::uint16_t>(p);
  return std::nullopt;
}

// The observed port when `usable` allows it (citing `adopted`), else
// nullopt with *forbidden set; nullopt alone when nothing was observed.
template <class Fn>
std::optional<std::uint16_t> adopt_port(Ctx& ctx, std::string_view adopted, PortRange r, Fn usable,
                                        std::optional<std::uint16_t>* forbidden, bool* observed) {
  const auto port = observed_port(ctx);
  *observed = port.has_value();
  if (!port) return std::nullopt;
  if (within(*port, r.lo, r.hi) && usable(*port)) {
    ctx.rule(adopted);
    return port;
  }
  *forbidden = port;
  return std::nullopt;
}

// The third field of a `min default max` sysctl the scenario wrote, else `fallback`.
std::int64_t sysctl_max(const Namespace& ns, std::string_view key, std::int64_t fallback) {
  const auto it = ns.sysctl.values.find(key);
  if (it == ns.sysctl.values.end()) return fallback;
  std::istringstream fields(it->second);
  std::int64_t lo = 0, mid = 0, hi = 0;
  return fields >> lo >> mid >> hi ? hi : fallback;
}

}  // namespace

std::optional<std::uint16_t> bind_port(Ctx& ctx, SocketId s, const Address& local,
                                       std::optional<std::uint16_t>* forbidden) {
  const Socket& me = ctx.world.sock(s);
  const Sysctls& sys = ctx.world.ns_of(me).sysctl;
  const PortRange r = local_port_range(ctx.world, me);
  std::string_view last_conflict;
  auto free_as = [&](std::uint16_t port, PortAsk ask) {
    Address a = local;
    a.port = port;
    RuleTrace rules;
    const bool free = find_bind_conflict(ctx.world, s, a, ask, &rules) == kNoSocket;
    if (!free) last_conflict = *rules.begin();
    return free;
  };
  // inet_csk_find_open_port, udp_lib_get_port: reserved ports are skipped
  auto strict = [&](std::uint16_t port) { return !sys.reserved(port) && free_as(port, PortAsk::Ephemeral); };
  // ip_autobind_reuse: a second, relaxed pass once no port passed the strict one (TCP only)
  const bool may_relax = is_tcp(me) && sys.ip_autobind_reuse && !scan(r, 1, strict);
  auto relaxed = [&](std::uint16_t port) { return !sys.reserved(port) && free_as(port, PortAsk::EphemeralRelaxed); };
  auto usable = [&](std::uint16_t port) { return may_relax ? relaxed(port) : strict(port); };
  if (sys.reserved_ports.lo <= sys.reserved_ports.hi) ctx.rule("bind.ephemeral.skips_reserved");
  if (may_relax) ctx.rule("bind.ephemeral.autobind_reuse");
  bool observed = false;
  auto port = adopt_port(ctx, "bind.ephemeral.adopt_kernel", r, usable, forbidden, &observed);
  if (!observed) {
    ctx.rule("bind.ephemeral.canonical");
    port = scan(r, is_tcp(me) ? 1 : 0, usable);
  }
  if (!port && !last_conflict.empty()) ctx.rule(last_conflict);  // why the last port was refused
  if (port && may_relax) {  // which holders let the relaxed pass share
    Address a = local;
    a.port = *port;
    RuleTrace rules;
    find_bind_conflict(ctx.world, s, a, PortAsk::EphemeralRelaxed, &rules);
    for (std::string_view rule : rules) ctx.rule(rule);
  }
  return port;
}

std::optional<std::uint16_t> connect_port(Ctx& ctx, SocketId s, const Address& src, const Address& dst,
                                          std::optional<std::uint16_t>* forbidden) {
  const Socket& me = ctx.world.sock(s);
  const Sysctls& sys = ctx.world.ns_of(me).sysctl;
  const PortRange r = local_port_range(ctx.world, me);
  // __inet_hash_connect skips reserved ports
  auto usable = [&](std::uint16_t port) {
    return !sys.reserved(port) && connect_port_usable(ctx.world, s, src, dst, port);
  };
  if (sys.reserved_ports.lo <= sys.reserved_ports.hi) ctx.rule("bind.ephemeral.skips_reserved");
  bool observed = false;
  if (auto port = adopt_port(ctx, "connect.ephemeral.adopt_kernel", r, usable, forbidden, &observed); observed)
    return port;
  ctx.rule("connect.ephemeral.canonical");
  return scan(r, 0, usable);
}

std::string autobind_name(Ctx& ctx, const std::function<bool(const std::string&)>& taken) {
  auto allowed = [&](const std::string& name) {
    return name.size() == 6 && name[0] == '@' &&
           std::all_of(name.begin() + 1, name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }) &&
           !taken(name);
  };
  const ObservedSocket* seen = observed_line_socket(ctx);
  if (seen && seen->local && seen->local->kind == AddressKind::Unix && allowed(seen->local->path)) {
    ctx.rule("unix.bind.autobind_adopt_kernel");
    return seen->local->path;
  }
  for (unsigned n = 0; n <= 0xFFFFF; ++n)
    if (std::string name = fmt::format("@{:05x}", n); !taken(name)) return name;
  return {};
}

SocketId reuseport_listener(Ctx& ctx, const std::vector<SocketId>& group) {
  if (group.size() <= 1) return group.front();
  ctx.rule("connect.listener.reuseport_group");
  for (SocketId id : group) {
    const ObservedSocket* seen = observed_socket(ctx, id);
    if (seen && seen->accept_queue && *seen->accept_queue == ctx.world.sock(id).accept_queue.size() + 1) return id;
  }
  return group.front();
}

bool timer_fired(Ctx& ctx, SocketId id, bool due_passed, std::string_view state_until) {
  const Socket& s = ctx.world.sock(id);
  const auto& peer = s.peer ? s.peer : s.stale_peer;
  if (!ctx.observed || s.ns != ctx.world.current_ns || !s.local || !peer) {
    ctx.rule("time.timer.canonical");
    return due_passed;
  }
  ctx.rule("time.timer.adopt_kernel");
  for (const SsRow& row : ctx.observed->rows)
    if (row.proto == "tcp" && row.state == state_until && row.local && row.peer &&
        row.local->port == s.local->port && row.peer->port == peer->port)
      return false;
  return true;
}

bool syn_limit_spares(Ctx& ctx, SocketId listener) {
  ctx.rule("connect.listener.syn_queue_limit_drops");
  const ObservedSocket* seen = observed_socket(ctx, listener);
  return seen && seen->accept_queue && *seen->accept_queue == ctx.world.sock(listener).accept_queue.size() + 1;
}

SocketId udp_receiver(Ctx& ctx, const std::vector<SocketId>& allowed, SocketId canonical) {
  if (allowed.size() <= 1) return canonical;
  ctx.rule("data.udp.lookup.adopt_kernel");
  SocketId grew = kNoSocket;
  for (SocketId id : allowed) {
    const ObservedSocket* seen = observed_socket(ctx, id);
    const Socket& s = ctx.world.sock(id);
    const auto before = s.data.datagrams.empty() ? std::optional<std::uint32_t>(0) : s.udp_seen_rmem;
    if (!seen || !seen->rmem || !before || *seen->rmem <= *before) continue;
    if (grew != kNoSocket) return canonical;  // two grew: which took this one is unknown
    grew = id;
  }
  return grew == kNoSocket ? canonical : grew;
}

void remember_udp_receive_memory(Ctx& ctx, SocketId id) {
  const ObservedSocket* seen = observed_socket(ctx, id);
  ctx.world.sock(id).udp_seen_rmem = seen ? seen->rmem : std::nullopt;
}

std::uint32_t udp_recvq(Ctx& ctx, SocketId id, const SsRow& row) {
  ctx.rule("data.udp.recvq_memory");
  std::uint64_t payload = 0, limit = 0;
  for (const Datagram& d : ctx.world.sock(id).data.datagrams) {
    payload += d.bytes.size();
    limit += skb_memory_limit(d.bytes.size());
  }
  const auto kernel = observed_queues(ctx, id, &row);
  if (kernel && (payload == 0 ? kernel->recvq == 0 : within(kernel->recvq, payload, limit))) return kernel->recvq;
  return static_cast<std::uint32_t>(payload);
}

std::uint32_t unix_sendq(Ctx& ctx, SocketId id) {
  std::uint64_t unread = 0, limit = 0, skbs = 0;
  for (const Socket& r : ctx.world.sockets) {
    if (!r.open || r.family != Family::Unix) continue;
    for (const UnixSegment& seg : r.data.segments)
      if (seg.sender == id) unread += seg.unread(), limit += skb_memory_limit(seg.bytes.size()), ++skbs;
    for (const Datagram& d : r.data.datagrams)
      if (d.sender == id) unread += d.bytes.size(), limit += skb_memory_limit(d.bytes.size()), ++skbs;
  }
  if (skbs == 0) return 0;
  ctx.rule("unix.ss.sendq_memory");
  // an empty datagram is an skb too: its truesize is charged, never 0
  const std::uint64_t least = std::max<std::uint64_t>(unread, 1);
  const auto kernel = observed_queues(ctx, id, nullptr);
  return static_cast<std::uint32_t>(kernel && within(kernel->sendq, least, limit) ? kernel->sendq : least);
}

std::uint32_t disconnected_sendq(Ctx& ctx, SocketId id, const SsRow& row) {
  ctx.rule("connect.tcp.disconnect_sendq");
  const std::uint64_t limit = std::min<std::uint64_t>(ctx.world.sock(id).stale_sendq_limit, UINT32_MAX);
  const auto kernel = observed_queues(ctx, id, &row);
  return kernel && within(kernel->sendq, 1, limit) ? kernel->sendq : 1;
}

std::int64_t autotuned_buffer(Ctx& ctx, SocketId id, bool send) {
  const Socket& s = ctx.world.sock(id);
  const int size = send ? s.opt.sndbuf : s.opt.rcvbuf;
  const bool set = send ? s.opt.sndbuf_set : s.opt.rcvbuf_set;
  if (!is_tcp(s) || set || !s.was_established) return size;
  ctx.rule("socket.option.buffer_autotuned");
  // tcp_init: tcp_wmem[2] = 4 MiB, tcp_rmem[2] = 6 MiB where memory allows
  const std::int64_t most = send ? sysctl_max(ctx.world.ns_of(s), "net.ipv4.tcp_wmem", 4 << 20)
                                 : sysctl_max(ctx.world.ns_of(s), "net.ipv4.tcp_rmem", 6 << 20);
  const ObservedSocket* seen = observed_socket(ctx, id);
  const auto kernel = seen ? (send ? seen->sndbuf : seen->rcvbuf) : std::nullopt;
  return kernel && *kernel >= size && *kernel <= std::max<std::int64_t>(most, size) ? *kernel : size;
}

}  // namespace sockspec::choice
