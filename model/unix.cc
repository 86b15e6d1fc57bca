// AF_UNIX: names (path, abstract, autobind), the connection lifecycle,
// socketpair, unlink, data on stream / dgram / seqpacket sockets, poll and
// ss rows. Rules: spec/unix.md (urgent data: spec/oob.md).
//
// Path names live in the scenario's private /tmp: the file a bind creates
// stays after close until `unlink` (World::unix_paths keeps it, pointing at
// the closed socket). Abstract names live in the network namespace and go
// away with their socket; the kernel hashes them together with the socket
// type (unix_abstract_hash), so each type has its own abstract names.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "model/choices.h"
#include "model/data.h"
#include "model/handlers.h"
#include "model/inet.h"
#include "scenario/address_builders.h"

namespace sockspec {

namespace {

constexpr std::size_t kMaxDgramQlen = 10;  // net.unix.max_dgram_qlen default (unix_net_init)

bool is_abstract(std::string_view path) { return !path.empty() && path[0] == '@'; }

std::string abstract_key(SockType type, std::string_view name) {
  return fmt::format("{}{}", static_cast<int>(type), name);
}

// The scenario's /tmp starts empty and nothing creates directories, so a
// path can only name a file directly in /tmp or in the working directory.
bool parent_exists(std::string_view path) {
  if (path.starts_with("/tmp/")) return path.find('/', 5) == std::string_view::npos;
  return path.find('/') == std::string_view::npos;
}

// The file a path names: the runner's working directory is the scenario's
// /tmp, so `x` and `/tmp/x` are one file (unix_find_bsd / unix_bind_bsd
// resolve the path against the cwd). The name the socket reports stays as
// written (unix.name.relative_is_tmp).
std::string file_of(std::string_view path) {
  if (path.starts_with("/")) return std::string(path);
  return fmt::format("/tmp/{}", path);
}

// The address getsockname reports and a peer sees: the bound name, or the
// empty name of an unnamed socket.
Address name_of(const Socket& s) { return s.local ? *s.local : unix_address(""); }

// Abstract names live in the network namespace of the socket (sock_net in
// unix_bind_abstract, unix_find_abstract), not the one a later `ns` line
// switched to.
UnixNames& abstract_names(World& world, const Socket& s) {
  return world.namespaces[static_cast<std::size_t>(s.ns)].unix_abstract;
}

Socket new_unix_socket(const World& world, SockType type) {
  Socket s;
  s.ns = world.current_ns;
  s.family = Family::Unix;
  s.type = type;
  s.uid = world.uid;
  return s;
}

SocketId add_socket(World& world, Socket s) {
  world.sockets.push_back(std::move(s));
  return static_cast<SocketId>(world.sockets.size() - 1);
}

// unix_find_other: ENOENT when no file, ECONNREFUSED when no live socket
// behind the name, EPROTOTYPE when a path socket has another type; abstract
// names of another type are simply not found.
SocketId find_other(Ctx& ctx, const Socket& s, const Address& to, int* err) {
  if (is_abstract(to.path)) {
    const auto& names = abstract_names(ctx.world, s).by_name;
    auto it = names.find(abstract_key(s.type, to.path));
    if (it == names.end()) { ctx.rule("unix.connect.abstract_missing_econnrefused"); *err = ECONNREFUSED; return kNoSocket; }
    return it->second;
  }
  auto it = ctx.world.unix_paths.by_name.find(file_of(to.path));
  if (it == ctx.world.unix_paths.by_name.end()) { ctx.rule("unix.connect.path_missing_enoent"); *err = ENOENT; return kNoSocket; }
  const Socket& other = ctx.world.sock(it->second);
  if (ctx.world.uid != 0 && other.uid != ctx.world.uid) {
    // unix_find_bsd -> path_permission(MAY_WRITE): unix_bind_bsd made the
    // file 0777 & ~umask, and the runner's umask (022) leaves others no
    // write permission; root passes by CAP_DAC_OVERRIDE
    ctx.rule("unix.connect.path_not_writable_eacces");
    *err = EACCES;
    return kNoSocket;
  }
  if (!other.open) { ctx.rule("unix.connect.stale_path_econnrefused"); *err = ECONNREFUSED; return kNoSocket; }
  if (other.type != s.type) { ctx.rule("unix.connect.type_mismatch_eprototype"); *err = EPROTOTYPE; return kNoSocket; }
  return it->second;
}

// unix_autobind: `@` and five hex digits, free in the namespace
// (model/choices.h: unix.bind.autobind_adopt_kernel).
std::string autobind_name(Ctx& ctx, const Socket& s) {
  const auto& names = abstract_names(ctx.world, s).by_name;
  return choice::autobind_name(ctx, [&](const std::string& name) { return names.contains(abstract_key(s.type, name)); });
}

void forget_abstract_name(World& world, const Socket& s) {
  if (s.local && is_abstract(s.local->path))
    world.namespaces[static_cast<std::size_t>(s.ns)].unix_abstract.by_name.erase(abstract_key(s.type, s.local->path));
}

bool connection_type(const Socket& s) { return s.type == SockType::Stream || s.type == SockType::Seqpacket; }

// -------------------------------------------------------------- stream data

Result stream_send(Ctx& ctx, SocketId id, std::string_view data, const Address* to, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  std::size_t normal = data.size();
  if (flags & kMsgOob) {
    if (data.empty()) { ctx.rule("oob.unix.send_empty_eopnotsupp"); return Result::err(EOPNOTSUPP); }
    --normal;  // the last byte goes out as the urgent skb
  }
  if (to) {
    ctx.rule("unix.stream.sendto_address_rejected");
    return Result::err(s.state == SockState::Established ? EISCONN : EOPNOTSUPP);
  }
  if (s.peer_socket == kNoSocket) { ctx.rule("unix.send.not_connected_enotconn"); return Result::err(ENOTCONN); }
  if (s.data.snd_shutdown) { ctx.rule("unix.send.after_shutdown_epipe"); return Result::err(EPIPE); }
  Socket& p = ctx.world.sock(s.peer_socket);
  if (!p.open || p.data.rcv_shutdown) { ctx.rule("unix.send.peer_gone_epipe"); return Result::err(EPIPE); }
  ctx.rule("unix.stream.send_one_skb");
  if (normal > 0) p.data.segments.push_back(UnixSegment{std::string(data.substr(0, normal)), 0, false, s.local, id});
  if (flags & kMsgOob) unix_queue_urgent(ctx, id, s.peer_socket, data.back(), s.local);
  return Result::num(static_cast<std::int64_t>(data.size()));
}

// unix_stream_read_generic with MSG_DONTWAIT
Result stream_recv(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags, bool want_source) {
  Socket& s = ctx.world.sock(id);
  if (s.state != SockState::Established) { ctx.rule("unix.stream.recv_unconnected_einval"); return Result::err(EINVAL); }
  if (flags & kMsgOob) {
    Result r = unix_recv_urgent(ctx, id, len, flags);
    if (r.kind != Result::Kind::Bytes || (!(flags & kMsgTrunc) && !want_source)) return r;
    Result out = (flags & kMsgTrunc) ? Result::num(1) : r;
    if (!want_source) return out;
    Result from;
    from.kind = Result::Kind::From;
    from.from_truncated = flags & kMsgTrunc;
    if (from.from_truncated) from.integer = 1; else from.text = r.text;
    return from;
  }
  StreamData& d = s.data;
  const bool peek = flags & kMsgPeek;
  std::size_t size = static_cast<std::size_t>(len);
  std::size_t copied = 0;
  std::string out;
  std::optional<Address> source;
  bool source_taken = false;
  std::size_t i = 0;  // the skb being read (always the head unless peeking)
  auto no_more = [&]() -> std::optional<Result> {
    if (copied >= 1) return std::nullopt;  // target: one byte
    if (s.so_error) { ctx.rule("unix.stream.recv_peer_reset"); return Result::err(std::exchange(s.so_error, 0)); }
    if (d.rcv_shutdown) { ctx.rule("unix.stream.recv_eof"); return std::nullopt; }
    ctx.rule("data.recv.empty_eagain");
    return Result::err(EAGAIN);
  };
  do {
    int at = i < d.segments.size() ? unix_manage_urgent(ctx, d, i, flags, copied, s.opt.oobinline) : -1;
    if (at < 0) {
      if (copied) break;
      if (auto r = no_more()) return *r;
      break;
    }
    i = static_cast<std::size_t>(at);
    UnixSegment& seg = d.segments[i];
    if (!source_taken) {
      // unix_stream_read_generic names the sender as it is now
      // (unix_copy_addr(msg, skb->sk)), like a datagram's: a sender that
      // bound (or autobound) since shows its new name
      source = seg.sender >= 0 ? ctx.world.sock(seg.sender).local : seg.source;
      source_taken = true;
    }
    const std::size_t chunk = std::min(seg.unread(), size);
    out.append(seg.bytes, seg.consumed, chunk);
    copied += chunk;
    size -= chunk;
    if (!peek) {
      seg.consumed += chunk;
      if (seg.unread()) break;
      d.segments.erase(d.segments.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
      if (i >= d.segments.size()) break;
    }
  } while (size || peek);
  if (peek) ctx.rule("data.recv.peek_keeps");
  ctx.rule("unix.stream.recv_reads");
  const bool trunc = flags & kMsgTrunc;  // ignored by AF_UNIX stream: the bytes are copied anyway
  if (!want_source) return trunc ? Result::num(static_cast<std::int64_t>(copied)) : Result::bytes(std::move(out));
  Result r;
  r.kind = Result::Kind::From;
  r.from_truncated = trunc;
  if (trunc) r.integer = static_cast<std::int64_t>(copied); else r.text = std::move(out);
  r.address = source;
  return r;
}

// ------------------------------------------------------------ datagram data

// unix_may_send: a socket connected elsewhere accepts only its peer.
bool may_send(const Socket& from_sock, SocketId from, const Socket& other) {
  (void)from_sock;
  return other.peer_socket == kNoSocket || other.peer_socket == from;
}

// unix_dgram_disconnected: a datagram socket leaving its peer drops what it
// had queued; the old peer, if still connected back, learns ECONNRESET.
void dgram_disconnected(Ctx& ctx, SocketId id, SocketId old_peer) {
  Socket& s = ctx.world.sock(id);
  if (s.data.datagrams.empty()) return;
  s.data.datagrams.clear();
  Socket& o = ctx.world.sock(old_peer);
  if (o.open && o.peer_socket == id) { ctx.rule("unix.dgram.disconnect_resets_peer"); o.so_error = ECONNRESET; }
}

Result dgram_send(Ctx& ctx, SocketId id, std::string_view data, const Address* to, MsgFlags flags) {
  Socket& s = ctx.world.sock(id);
  if (s.type == SockType::Seqpacket) {
    if (s.so_error) { ctx.rule("unix.seqpacket.pending_error"); return Result::err(std::exchange(s.so_error, 0)); }
    if (s.state != SockState::Established) { ctx.rule("unix.send.not_connected_enotconn"); return Result::err(ENOTCONN); }
    to = nullptr;  // unix_seqpacket_sendmsg ignores a destination
  }
  if (flags & kMsgOob) { ctx.rule("oob.unix.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (to && to->kind != AddressKind::Unix) { ctx.rule("unix.address.wrong_family_einval"); return Result::err(EINVAL); }
  if (to && to->path.empty()) { ctx.rule("unix.address.wrong_family_einval"); return Result::err(EINVAL); }
  // before 6.14 unix_dgram_sendmsg looked for the connected peer first
  if (!to && s.peer_socket == kNoSocket && ctx.applies(Variation::UnixDgramPeerFirst)) {
    ctx.rule("unix.send.not_connected_enotconn");
    return Result::err(ENOTCONN);
  }
  // sock_alloc_send_pskb reports a pending error, then SEND_SHUTDOWN, before
  // unix_dgram_sendmsg looks for the receiver (even the connected peer)
  if (s.so_error) {
    ctx.rule("unix.dgram.pending_error_first");
    return Result::err(std::exchange(s.so_error, 0));
  }
  if (s.data.snd_shutdown) { ctx.rule("unix.send.after_shutdown_epipe"); return Result::err(EPIPE); }
  if (!to && s.peer_socket == kNoSocket) { ctx.rule("unix.send.not_connected_enotconn"); return Result::err(ENOTCONN); }
  SocketId other = s.peer_socket;
  if (to) {
    int err = 0;
    other = find_other(ctx, s, *to, &err);
    if (other == kNoSocket) return Result::err(err);
  }
  Socket& o = ctx.world.sock(other);
  if (!o.open) {
    if (s.type == SockType::Seqpacket) { ctx.rule("unix.send.peer_gone_epipe"); return Result::err(EPIPE); }
    // the dead peer is forgotten, once, with ECONNREFUSED
    ctx.rule("unix.dgram.dead_peer_econnrefused");
    s.peer_socket = kNoSocket;
    s.peer.reset();
    s.state = SockState::Unconn;
    dgram_disconnected(ctx, id, other);
    return Result::err(ECONNREFUSED);
  }
  if (!may_send(s, id, o)) { ctx.rule("unix.dgram.peer_connected_elsewhere_eperm"); return Result::err(EPERM); }
  if (o.data.rcv_shutdown) { ctx.rule("unix.send.peer_gone_epipe"); return Result::err(EPIPE); }
  if (other != id && o.peer_socket != id && o.data.datagrams.size() > kMaxDgramQlen) {
    ctx.rule("unix.dgram.receiver_full_eagain");
    return Result::err(EAGAIN);
  }
  ctx.rule("unix.dgram.send_one_record");
  o.data.datagrams.push_back(Datagram{std::string(data), s.local, id});
  return Result::num(static_cast<std::int64_t>(data.size()));
}

// __unix_dgram_recvmsg (and unix_seqpacket_recvmsg)
Result dgram_recv(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags, bool want_source) {
  Socket& s = ctx.world.sock(id);
  if (s.type == SockType::Seqpacket && s.state != SockState::Established) {
    ctx.rule("unix.seqpacket.recv_unconnected_enotconn");
    return Result::err(ENOTCONN);
  }
  if (flags & kMsgOob) { ctx.rule("oob.unix.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (s.so_error) { ctx.rule("unix.dgram.pending_error_first"); return Result::err(std::exchange(s.so_error, 0)); }
  if (s.data.datagrams.empty()) {
    if (s.type == SockType::Seqpacket && s.data.rcv_shutdown) {
      ctx.rule("unix.seqpacket.recv_eof");
      return recv_result("", 0, flags, want_source, std::nullopt);
    }
    ctx.rule("data.recv.empty_eagain");
    return Result::err(EAGAIN);
  }
  return recv_datagram(ctx, s, len, flags, want_source);
}

}  // namespace

// ------------------------------------------------------------------ data entry points

Result unix_send(Ctx& ctx, SocketId id, std::string_view data, const Address* to, MsgFlags flags) {
  if (ctx.world.sock(id).type == SockType::Stream) return stream_send(ctx, id, data, to, flags);
  return dgram_send(ctx, id, data, to, flags);
}

Result unix_recv(Ctx& ctx, SocketId id, std::int64_t len, MsgFlags flags, bool want_source) {
  if (ctx.world.sock(id).type == SockType::Stream) return stream_recv(ctx, id, len, flags, want_source);
  return dgram_recv(ctx, id, len, flags, want_source);
}

PollEvents unix_poll_events(const World& world, SocketId id) {
  const Socket& s = world.sock(id);
  const StreamData& d = s.data;
  PollEvents ev = 0;
  if (s.so_error) ev |= kPollErr;
  if (d.rcv_shutdown && d.snd_shutdown) ev |= kPollHup;
  if (d.rcv_shutdown) ev |= kPollIn | kPollRdhup;
  const bool queued = !d.segments.empty() || !d.datagrams.empty() || !s.accept_queue.empty();
  if (queued) ev |= kPollIn;
  if (s.type == SockType::Stream) {
    // unix_poll
    if (std::any_of(d.segments.begin(), d.segments.end(), [](const UnixSegment& g) { return g.oob; })) ev |= kPollPri;
    if (s.state == SockState::Unconn || s.state == SockState::Close) ev |= kPollHup;
    if (s.state != SockState::Listen) ev |= kPollOut;
    return ev;
  }
  // unix_dgram_poll
  if (s.type == SockType::Seqpacket && (s.state == SockState::Unconn || s.state == SockState::Close)) ev |= kPollHup;
  bool writable = s.state != SockState::Listen;
  if (writable && s.peer_socket != kNoSocket) {
    const Socket& o = world.sock(s.peer_socket);
    if (o.open && o.peer_socket != id && o.data.datagrams.size() > kMaxDgramQlen) writable = false;
  }
  if (writable) ev |= kPollOut;
  return ev;
}

// ------------------------------------------------------------------ handlers

Result handle(Ctx& ctx, const op::SocketPair& op) {
  if (op.family != Family::Unix) { ctx.rule("unix.socketpair.only_unix"); return Result::err(EOPNOTSUPP); }
  if (ctx.line.names.size() != 2) return ctx.unsupported("socketpair needs two names");
  // unix_socketpair: both ends unnamed and connected back to back
  ctx.rule("unix.socketpair.connected_unnamed");
  Socket a = new_unix_socket(ctx.world, op.type), b = new_unix_socket(ctx.world, op.type);
  a.state = b.state = SockState::Established;
  a.peer = b.peer = unix_address("");
  const SocketId ia = add_socket(ctx.world, std::move(a));
  const SocketId ib = add_socket(ctx.world, std::move(b));
  ctx.world.sock(ia).peer_socket = ib;
  ctx.world.sock(ib).peer_socket = ia;
  ctx.world.give_name(ctx.line.names[0], ia);
  ctx.world.give_name(ctx.line.names[1], ib);
  return Result::ok();
}

Result handle(Ctx& ctx, const op::Unlink& op) {
  auto& paths = ctx.world.unix_paths.by_name;
  auto it = paths.find(file_of(op.path));
  if (it == paths.end()) { ctx.rule("unix.unlink.missing_enoent"); return Result::err(ENOENT); }
  if (!op.path.starts_with("/")) ctx.rule("unix.name.relative_is_tmp");
  ctx.rule("unix.unlink.removes_name");
  paths.erase(it);
  return Result::ok();
}

Result unix_bind(Ctx& ctx, SocketId id, const Address& addr) {
  Socket& s = ctx.world.sock(id);
  if (addr.kind != AddressKind::Unix) { ctx.rule("unix.address.wrong_family_einval"); return Result::err(EINVAL); }
  if (addr.path.empty()) {
    ctx.rule("unix.bind.autobind");
    if (s.local) return Result::ok();  // unix_autobind: already named, nothing to do
    std::string name = autobind_name(ctx, s);
    if (name.empty()) return Result::err(ENOSPC);
    abstract_names(ctx.world, s).by_name[abstract_key(s.type, name)] = id;
    s.local = unix_address(std::move(name));
    return Result::ok();
  }
  if (is_abstract(addr.path)) {
    // unix_bind_abstract: an existing name of the socket first, then the table
    if (s.local) { ctx.rule("unix.bind.already_bound_einval"); return Result::err(EINVAL); }
    auto& names = abstract_names(ctx.world, s).by_name;
    const std::string key = abstract_key(s.type, addr.path);
    if (names.contains(key)) { ctx.rule("unix.bind.abstract_in_use"); return Result::err(EADDRINUSE); }
    ctx.rule("unix.bind.abstract");
    names[key] = id;
    s.local = addr;
    return Result::ok();
  }
  // unix_bind_bsd: mknod first (EEXIST -> EADDRINUSE, also for a closed
  // socket's file), and only then the socket's existing name (EINVAL)
  if (!parent_exists(addr.path)) { ctx.rule("unix.bind.path_no_directory_enoent"); return Result::err(ENOENT); }
  auto& paths = ctx.world.unix_paths.by_name;
  const std::string file = file_of(addr.path);
  if (!addr.path.starts_with("/")) ctx.rule("unix.name.relative_is_tmp");
  if (paths.contains(file)) { ctx.rule("unix.bind.path_exists_eaddrinuse"); return Result::err(EADDRINUSE); }
  if (s.local) { ctx.rule("unix.bind.already_bound_einval"); return Result::err(EINVAL); }
  ctx.rule("unix.bind.path_creates_file");
  paths[file] = id;
  s.local = addr;
  return Result::ok();
}

Result unix_listen(Ctx& ctx, SocketId id, std::int64_t backlog) {
  Socket& s = ctx.world.sock(id);
  if (s.type == SockType::Dgram) { ctx.rule("unix.listen.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (!s.local) { ctx.rule("unix.listen.unbound_einval"); return Result::err(EINVAL); }
  if (s.state != SockState::Unconn && s.state != SockState::Close && s.state != SockState::Listen) {
    ctx.rule("unix.listen.connected_einval");
    return Result::err(EINVAL);
  }
  // __sys_listen clamps to net.core.somaxconn (unsigned: a negative backlog too)
  const int somaxconn = ctx.world.namespaces[static_cast<std::size_t>(s.ns)].sysctl.somaxconn;
  ctx.rule("unix.listen.backlog_clamped");
  s.backlog = (backlog < 0 || backlog > somaxconn) ? somaxconn : static_cast<int>(backlog);
  s.state = SockState::Listen;
  return Result::ok();
}

Result unix_connect(Ctx& ctx, SocketId id, const Address& addr, bool) {
  Socket& s = ctx.world.sock(id);
  if (s.type == SockType::Dgram) {
    // unix_dgram_connect
    if (addr.kind == AddressKind::Unspec) {
      ctx.rule("unix.dgram.connect_unspec_dissolves");
      const SocketId old = s.peer_socket;
      s.peer_socket = kNoSocket;
      s.peer.reset();
      s.state = SockState::Unconn;
      if (old != kNoSocket) dgram_disconnected(ctx, id, old);
      return Result::ok();
    }
    if (addr.kind != AddressKind::Unix || addr.path.empty()) { ctx.rule("unix.address.wrong_family_einval"); return Result::err(EINVAL); }
    int err = 0;
    const SocketId other = find_other(ctx, s, addr, &err);
    if (other == kNoSocket) return Result::err(err);
    Socket& o = ctx.world.sock(other);
    if (!may_send(s, id, o)) { ctx.rule("unix.dgram.peer_connected_elsewhere_eperm"); return Result::err(EPERM); }
    ctx.rule("unix.dgram.connect_sets_peer");
    const SocketId old = s.peer_socket;
    s.state = o.state = SockState::Established;  // both ends, as unix_dgram_connect writes
    s.peer_socket = other;
    s.peer = name_of(o);
    if (old != kNoSocket && old != other) dgram_disconnected(ctx, id, old);
    return Result::ok();
  }
  // unix_stream_connect (stream and seqpacket)
  if (addr.kind != AddressKind::Unix || addr.path.empty()) { ctx.rule("unix.address.wrong_family_einval"); return Result::err(EINVAL); }
  int err = 0;
  const SocketId other = find_other(ctx, s, addr, &err);
  if (other == kNoSocket) return Result::err(err);
  Socket& l = ctx.world.sock(other);
  if (l.state != SockState::Listen || l.data.rcv_shutdown) { ctx.rule("unix.connect.not_listening_econnrefused"); return Result::err(ECONNREFUSED); }
  if (l.accept_queue.size() > static_cast<std::size_t>(l.backlog)) {
    // unix_recvq_full: more than `backlog` waiting, so backlog + 1 fit
    ctx.rule("unix.connect.backlog_full_eagain");
    return Result::err(EAGAIN);
  }
  if (s.state != SockState::Unconn && s.state != SockState::Close) {
    ctx.rule("unix.connect.already_connected");
    return Result::err(s.state == SockState::Established ? EISCONN : EINVAL);
  }
  ctx.rule("unix.connect.queues_embryo");
  Socket child = new_unix_socket(ctx.world, s.type);
  child.ns = l.ns;
  child.state = SockState::Established;
  child.local = l.local;  // the new socket shares the listener's name
  child.peer = name_of(s);
  child.listener = other;
  child.peer_socket = id;
  const SocketId cid = add_socket(ctx.world, std::move(child));
  Socket& me = ctx.world.sock(id);
  me.state = SockState::Established;
  me.peer_socket = cid;
  me.peer = ctx.world.sock(other).local;
  ctx.world.sock(other).accept_queue.push_back(cid);
  return Result::ok();
}

Result unix_accept(Ctx& ctx, SocketId listener) {
  Socket& l = ctx.world.sock(listener);
  if (l.type == SockType::Dgram) { ctx.rule("unix.accept.dgram_eopnotsupp"); return Result::err(EOPNOTSUPP); }
  if (l.state != SockState::Listen) { ctx.rule("unix.accept.not_listening_einval"); return Result::err(EINVAL); }
  if (l.accept_queue.empty()) { ctx.rule("unix.accept.empty_eagain"); return Result::err(EAGAIN); }
  if (ctx.line.names.empty()) return ctx.unsupported("accept without a name");
  ctx.rule("unix.accept.takes_embryo");
  const SocketId child = l.accept_queue.front();
  l.accept_queue.pop_front();
  ctx.world.sock(child).listener = kNoSocket;
  ctx.world.give_name(ctx.line.names[0], child);
  return Result::ok();
}

void unix_release(Ctx& ctx, SocketId id) {
  Socket& s = ctx.world.sock(id);
  forget_abstract_name(ctx.world, s);  // unix_remove_socket; a path's file stays
  if (connection_type(s) && s.peer_socket != kNoSocket) {
    Socket& p = ctx.world.sock(s.peer_socket);
    if (p.open) {
      // unix_release_sock: the peer can neither send nor receive more, and
      // learns ECONNRESET when data it sent was never read
      ctx.rule("unix.close.peer_shutdown");
      p.data.rcv_shutdown = p.data.snd_shutdown = true;
      // a consumed urgent skb at the head (what recv(MSG_OOB) leaves) is
      // not unread data: unix_release_sock peeks past it
      const auto& q = s.data.segments;
      const bool husk_at_head = !q.empty() && q.front().unread() == 0;
      if (husk_at_head) ctx.rule("oob.unix.close_passes_consumed_head");
      if (q.size() > (husk_at_head ? 1u : 0u) || !s.data.datagrams.empty()) {
        ctx.rule("unix.close.unread_data_econnreset");
        p.so_error = ECONNRESET;
      }
    }
  }
  if (s.state == SockState::Listen) {
    // embryos never accepted are released with embrion = 1: their clients
    // are reset
    for (SocketId child : s.accept_queue) {
      Socket& c = ctx.world.sock(child);
      c.open = false;
      if (c.peer_socket != kNoSocket && ctx.world.sock(c.peer_socket).open) {
        ctx.rule("unix.close.listener_resets_queued");
        Socket& client = ctx.world.sock(c.peer_socket);
        client.data.rcv_shutdown = client.data.snd_shutdown = true;
        client.so_error = ECONNRESET;
      }
    }
    s.accept_queue.clear();
  }
  s.data.segments.clear();
  s.data.datagrams.clear();
  s.data.rcv_shutdown = s.data.snd_shutdown = true;
  s.state = SockState::Close;
}

// The server end of a connection not yet accepted: it waits in its
// listener's queue with no struct socket (no inode) and no place in the
// namespace's unix socket table.
bool is_embryo(const World& world, SocketId id) {
  const SocketId l = world.sock(id).listener;
  if (l == kNoSocket) return false;
  const auto& queue = world.sock(l).accept_queue;
  return std::find(queue.begin(), queue.end(), id) != queue.end();
}

void unix_ss_rows(Ctx& ctx, int ns, std::vector<SsRow>& rows) {
  const World& world = ctx.world;
  for (SocketId id = 0; id < static_cast<SocketId>(world.sockets.size()); ++id) {
    const Socket& s = world.sock(id);
    if (!s.open || s.ns != ns || s.family != Family::Unix) continue;
    // unix_diag walks the namespace's socket table, where an embryo is not
    if (is_embryo(world, id)) { ctx.rule("unix.ss.embryo_hidden"); continue; }
    SsRow row;
    row.proto = s.type == SockType::Stream ? "u_str" : s.type == SockType::Dgram ? "u_dgr" : "u_seq";
    row.state = s.state == SockState::Listen ? "LISTEN" : s.state == SockState::Established ? "ESTAB" : "UNCONN";
    row.local = name_of(s);
    // unix_diag's peer is the peer's inode, 0 once the peer closed
    // (sock_orphan), which ss prints as *
    if (s.peer_socket != kNoSocket) {
      if (is_embryo(world, s.peer_socket)) ctx.rule("unix.ss.embryo_hidden");  // inode 0, like a closed peer
      else if (world.sock(s.peer_socket).open) row.peer = name_of(world.sock(s.peer_socket));
      else ctx.rule("unix.ss.closed_peer_unnamed");
    }
    if (s.state == SockState::Listen) {
      row.recvq = static_cast<std::uint32_t>(s.accept_queue.size());
      row.sendq = static_cast<std::uint32_t>(s.backlog);
    } else {
      row.recvq = data_recvq(world, id);
      if (s.data.inq_leaked) ctx.rule("oob.unix.dropped_byte_stays_in_inq");  // counted in that Recv-Q
      row.sendq = choice::unix_sendq(ctx, id);
    }
    rows.push_back(std::move(row));
  }
}

}  // namespace sockspec
