// The world a scenario runs in: namespaces, sysctls, links, addresses, the
// effective uid, sleep, and the `ss` socket table. Rules: spec/namespaces.md
// (and spec/socket.md for `ss`).
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

#include "model/choices.h"
#include "model/handlers.h"
#include "model/inet.h"
#include "scenario/printer.h"

namespace sockspec {

using namespace inet;

namespace {

// How long a sleep must be for the model to count a delayed ACK as arrived:
// tcp_send_delayed_ack arms the timer for at least TCP_DELACK_MIN (HZ/25 =
// 40 ms) and tcp_delack_timer then sends the ACK; 10 ms of margin
// (rule namespaces.sleep.delayed_ack_arrives).
constexpr std::int64_t kDelayedAckSettledMs = 50;

int find_namespace(const World& w, std::string_view name) {
  for (std::size_t i = 0; i < w.namespaces.size(); ++i)
    if (w.namespaces[i].name == name) return static_cast<int>(i);
  return -1;
}

// A fresh namespace has only `lo`, and every per-namespace sysctl at its default.
int make_namespace(World& w, const std::string& name) {
  Namespace ns;
  ns.name = name;
  Interface lo;
  lo.name = "lo";
  ns.interfaces.push_back(std::move(lo));
  w.namespaces.push_back(std::move(ns));
  return static_cast<int>(w.namespaces.size() - 1);
}

std::optional<long> parse_int(std::string_view text) {
  long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}


// One inet socket's row, or nullopt when sock_diag would not list it: TCP
// lists listeners, bound sockets and every connection the kernel still keeps
// (orphans in FIN-WAIT-2 and TIME-WAIT included); UDP lists bound sockets.
std::optional<SsRow> inet_row(Ctx& ctx, SocketId id) {
  const World& w = ctx.world;
  const Socket& s = w.sock(id);
  SsRow row;
  row.proto = is_tcp(s) ? "tcp" : "udp";
  row.state = std::string(vocab::tcp_state_word(kernel_state(s.state)));
  row.local = s.local;
  if (!is_tcp(s)) {
    // the oracle's `ss` dumps IPPROTO_TCP and IPPROTO_UDP only, as `ss -tua`
    // does: UDP-Lite sockets have no row (socket.ss.table)
    if (!s.open || !s.port_bound || s.protocol == IPPROTO_UDPLITE) return std::nullopt;
    row.peer = s.peer ? s.peer : s.stale_peer;
    row.recvq = choice::udp_recvq(ctx, id, row);
    row.sendq = data_sendq(w, id);
    return row;
  }
  if (s.state == SockState::Listen) {
    row.peer = s.stale_peer;
    row.recvq = static_cast<std::uint32_t>(s.accept_queue.size());
    row.sendq = static_cast<std::uint32_t>(s.backlog);
    return row;
  }
  const bool closed = s.state == SockState::Unconn || s.state == SockState::Close;
  if (closed) {
    if (!s.port_bound || ctx.applies(Variation::SsBoundOnlyUnlisted)) return std::nullopt;
    if (s.stale_peer || s.stale_sendq != 0u) ctx.rule("connect.tcp.disconnect_resets");  // what it left behind
    row.peer = s.stale_peer;
    row.sendq = s.stale_sendq ? *s.stale_sendq : choice::disconnected_sendq(ctx, id, row);
    return row;
  }
  const bool orphan_kept = s.state == SockState::FinWait1 || s.state == SockState::FinWait2 ||
                           s.state == SockState::TimeWait;
  if (!s.open && !orphan_kept) return std::nullopt;
  row.peer = s.peer;
  if (s.state == SockState::SynSent) { row.sendq = 1; return row; }  // the unacknowledged SYN
  if (s.state == SockState::TimeWait) return row;
  if (is_mptcp(s)) {
    // the row is the subflow's: __mptcp_move_skbs_from_subflow moves what
    // arrives into the MPTCP socket's own queue, which inet_diag does not show
    ctx.rule("mptcp.ss.subflow_rows");
    row.recvq = 0;
  } else {
    row.recvq = data_recvq(w, id);
  }
  if (is_tcp(s) && s.data.fin && !s.data.fin_read) ctx.rule("data.tcp.fin_in_recvq");
  row.sendq = data_sendq(w, id) + (s.state == SockState::FinWait1 ? 1 : 0);  // the unacknowledged FIN
  return row;
}

}  // namespace

Result handle(Ctx& ctx, const op::Ss&) {
  ctx.rule("socket.ss.table");
  std::vector<SsRow> rows;
  const int ns = ctx.world.current_ns;
  for (SocketId id = 0; id < static_cast<SocketId>(ctx.world.sockets.size()); ++id) {
    const Socket& s = ctx.world.sock(id);
    if (s.ns != ns || !is_inet(s)) continue;
    if (auto row = inet_row(ctx, id)) rows.push_back(std::move(*row));
  }
  unix_ss_rows(ctx, ns, rows);
  std::vector<std::pair<std::string, SsRow>> printed;
  printed.reserve(rows.size());
  for (auto& r : rows) printed.emplace_back(print_ss_row(r), std::move(r));
  std::sort(printed.begin(), printed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Result r;
  r.kind = Result::Kind::Table;
  for (auto& [text, row] : printed) r.rows.push_back(std::move(row));
  return r;
}

Result handle(Ctx& ctx, const op::Ns& o) {
  int index = find_namespace(ctx.world, o.name);
  if (index < 0) {
    ctx.rule("namespaces.ns.fresh");
    index = make_namespace(ctx.world, o.name);
  } else {
    ctx.rule("namespaces.ns.switch");
  }
  ctx.world.current_ns = index;
  return Result::ok();
}

// The per-namespace sysctls the model interprets, with the kernel's checks
// (ipv4_local_port_range, ipv4_privileged_ports, proc_dointvec_minmax).
Result handle(Ctx& ctx, const op::Sysctl& o) {
  Sysctls& sys = ctx.world.ns().sysctl;
  std::vector<long> v;
  for (const auto& text : o.values) {
    auto n = parse_int(text);
    if (!n) { ctx.rule("namespaces.sysctl.invalid_einval"); return Result::err(EINVAL); }
    v.push_back(*n);
  }
  auto one = [&](long lo, long hi) { return v.size() == 1 && v[0] >= lo && v[0] <= hi; };
  if (o.key == "net.ipv4.ip_local_port_range") {
    if (v.size() != 2 || v[0] < 1 || v[1] > 65535 || v[1] < v[0] || v[0] < sys.unprivileged_port_start) {
      ctx.rule("namespaces.sysctl.invalid_einval");
      return Result::err(EINVAL);
    }
    sys.port_lo = static_cast<std::uint16_t>(v[0]);
    sys.port_hi = static_cast<std::uint16_t>(v[1]);
  } else if (o.key == "net.ipv4.ip_unprivileged_port_start") {
    if (!one(0, 65535) || v[0] >= sys.port_lo) { ctx.rule("namespaces.sysctl.invalid_einval"); return Result::err(EINVAL); }
    sys.unprivileged_port_start = static_cast<int>(v[0]);
  } else if (o.key == "net.core.somaxconn") {
    if (!one(0, INT32_MAX)) { ctx.rule("namespaces.sysctl.invalid_einval"); return Result::err(EINVAL); }
    sys.somaxconn = static_cast<int>(v[0]);
  } else if (o.key == "net.ipv6.bindv6only" || o.key == "net.ipv4.ip_nonlocal_bind" ||
             o.key == "net.ipv6.ip_nonlocal_bind" || o.key == "net.ipv4.tcp_stdurg") {
    if (v.size() != 1) { ctx.rule("namespaces.sysctl.invalid_einval"); return Result::err(EINVAL); }
    const bool on = v[0] != 0;
    if (o.key == "net.ipv6.bindv6only") sys.bindv6only = on;
    else if (o.key == "net.ipv4.ip_nonlocal_bind") sys.ip_nonlocal_bind = on;
    else if (o.key == "net.ipv6.ip_nonlocal_bind") sys.ip6_nonlocal_bind = on;
    else sys.tcp_stdurg = on;
  } else if (o.key == "net.mptcp.enabled") {
    // proc_dou8vec_minmax over [0, 1] (mptcp_sysctl_table)
    if (!one(0, 1)) { ctx.rule("namespaces.sysctl.invalid_einval"); return Result::err(EINVAL); }
    sys.mptcp_enabled = v[0] != 0;
  } else {
    return ctx.unsupported("a sysctl the model does not interpret");
  }
  ctx.rule("namespaces.sysctl.per_namespace");
  return Result::ok();
}

Result handle(Ctx& ctx, const op::LinkAdd& o) {
  const std::string peer = o.peer.empty() ? o.name + "p" : o.peer;
  int there = ctx.world.current_ns;
  if (!o.peer_ns.empty()) {
    there = find_namespace(ctx.world, o.peer_ns);
    if (there < 0) there = make_namespace(ctx.world, o.peer_ns);
  }
  auto exists = [&](int ns, const std::string& name) {
    const auto& ifs = ctx.world.namespaces[static_cast<std::size_t>(ns)].interfaces;
    return std::any_of(ifs.begin(), ifs.end(), [&](const Interface& i) { return i.name == name; });
  };
  if (exists(ctx.world.current_ns, o.name) || exists(there, peer) || (there == ctx.world.current_ns && o.name == peer)) {
    ctx.rule("namespaces.link.exists_eexist");
    return Result::err(EEXIST);
  }
  ctx.rule("namespaces.link.veth_pair");
  const std::string here_name = ctx.world.ns().name;
  const std::string there_name = ctx.world.namespaces[static_cast<std::size_t>(there)].name;
  ctx.world.ns().interfaces.push_back(Interface{.name = o.name, .peer_ns = there_name, .peer = peer});
  ctx.world.namespaces[static_cast<std::size_t>(there)].interfaces.push_back(
      Interface{.name = peer, .peer_ns = here_name, .peer = o.name});
  return Result::ok();
}

Result handle(Ctx& ctx, const op::AddrAdd& o) {
  Namespace& ns = ctx.world.ns();
  const std::string dev = o.dev.empty() ? "lo" : o.dev;
  if (std::none_of(ns.interfaces.begin(), ns.interfaces.end(), [&](const Interface& i) { return i.name == dev; })) {
    ctx.rule("namespaces.addr.unknown_device_enodev");
    return Result::err(ENODEV);
  }
  Address a = o.addr;
  a.port = 0;
  a.scope.clear();
  if (std::any_of(ns.assigned.begin(), ns.assigned.end(),
                  [&](const AssignedAddress& x) { return x.addr == a && x.dev == dev; })) {
    ctx.rule("namespaces.addr.exists_eexist");
    return Result::err(EEXIST);
  }
  ctx.rule("namespaces.addr.local");
  ns.addresses.push_back(a);
  const int host_prefix = a.kind == AddressKind::Inet4 ? 32 : 128;
  ns.assigned.push_back(AssignedAddress{a, o.prefix < 0 ? host_prefix : o.prefix, dev});
  return Result::ok();
}

Result handle(Ctx& ctx, const op::Uid& o) {
  ctx.rule("namespaces.uid.new_sockets");
  ctx.world.uid = o.uid;
  return Result::ok();
}

// Time passes: delayed ACKs (at least TCP_DELACK_MIN, 40 ms) arrive, so a
// FIN-WAIT-1 socket's FIN is acknowledged; TIME_WAIT lasts 60 s, far beyond
// the 2 s a sleep may take.
Result handle(Ctx& ctx, const op::Sleep& o) {
  if (o.ms < 0 || o.ms > 2000) return Result::err(EINVAL);
  ctx.rule("namespaces.sleep.delayed_ack_arrives");
  if (o.ms >= kDelayedAckSettledMs)
    for (Socket& s : ctx.world.sockets)
      if (s.state == SockState::FinWait1) s.state = SockState::FinWait2;
  return Result::ok();
}

}  // namespace sockspec
