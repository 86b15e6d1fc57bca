// Semantic generators for the property tests: short scenarios that MEAN
// something, over domains small enough that sockets collide all the time.
//
// Contract: gen::scenario() yields well-formed Programs of at most
// kMaxLines lines in which every line that acts on a socket names one that
// is open at that point (so almost nothing is a trivial EBADF), addresses
// mostly match the family of the socket they are used with, and every value
// comes from a collision-prone domain: namespaces main/a/b; hosts 0.0.0.0,
// 127.0.0.1, 127.0.0.2, ::, ::1, ::ffff:127.0.0.1, unix:@a, unix:@b,
// unix:/tmp/a and the unnamed unix address; ports 0, 8080, 8081.
// Lines are generated without expectations: the property tests compare
// results, they do not assert them.
//
// What is left out, and why: `sleep` (costs time, adds nothing loopback
// cannot show), `link add` / `addr add` (the model does not cover traffic
// beyond loopback), MPTCP / UDP-Lite sockets and scoped IPv6 addresses (the
// model marks them unsupported), `uid` unless the caller says it can run.
//
// Shrinking stays well formed because a scenario is a list of Recipes, each
// an operation whose socket and address are ABSTRACT choices (an index into
// the sockets open at that point, an index into the hosts of the socket's
// family). render() walks the list and resolves the choices against the
// sockets rendered so far, naming sockets s1, s2, ... in creation order, so
// dropping any recipe leaves a valid scenario. The rc::state tests use the
// same Recipe and render_line() against their own Roster.
#pragma once

#include <netinet/in.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenario/ast.h"
#include "tests/scenario_gen.h"  // address helpers, showValue(Program)

namespace sockspec::pgen {

inline constexpr std::size_t kMaxLines = 25;

// ------------------------------------------------------------ the roster

// What generation knows about an open socket. Roles are what was ATTEMPTED
// (a listen line was written), not what succeeded: they only steer later
// choices towards lines likely to do something.
struct OpenSocket {
  std::string name;
  Family family = Family::Inet;
  SockType type = SockType::Stream;
  bool listened = false;
  bool connected = false;
};

struct Roster {
  std::vector<OpenSocket> open;
  int created = 0;
  std::string fresh_name() { return "s" + std::to_string(++created); }
  OpenSocket* find(const std::string& name) {
    auto it = std::find_if(open.begin(), open.end(), [&](const OpenSocket& s) { return s.name == name; });
    return it == open.end() ? nullptr : &*it;
  }
};

// ------------------------------------------------------------ domains

inline Address any4() { return gen::inet4(0, 0, 0, 0); }
inline Address lo4() { return gen::inet4(127, 0, 0, 1); }
inline Address lo4b() { return gen::inet4(127, 0, 0, 2); }
inline Address any6() { return gen::inet6({}); }
inline Address lo6() { return gen::inet6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); }
inline Address mapped_lo4() { return gen::inet6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}); }

// Hosts a socket of `family` binds to (wildcards included) ...
inline std::vector<Address> bind_hosts(Family family) {
  switch (family) {
    case Family::Inet: return {any4(), lo4(), lo4b()};
    case Family::Inet6: return {any6(), lo6(), mapped_lo4()};
    case Family::Unix: break;
  }
  return {unix_address("@a"), unix_address("/tmp/a"), unix_address("@b"), unix_address("")};
}

// ... and sends or connects to (no wildcards: the model leaves connecting
// to 0.0.0.0 unsupported; `unspec` dissolves an association).
inline std::vector<Address> peer_hosts(Family family) {
  switch (family) {
    case Family::Inet: return {lo4(), lo4b(), Address{}};
    case Family::Inet6: return {lo6(), mapped_lo4(), Address{}};
    case Family::Unix: break;
  }
  return {unix_address("@a"), unix_address("/tmp/a"), unix_address("@b")};
}

// A host of another family (bind may use wildcards; a peer may not).
inline std::vector<Address> every_host(bool peer) {
  if (peer) return {lo4(), lo6(), mapped_lo4(), unix_address("@a")};
  return {any4(), lo4(), any6(), lo6(), mapped_lo4(), unix_address("@a"), unix_address("/tmp/a")};
}

inline rc::Gen<std::uint16_t> port() {
  return rc::gen::weightedElement<std::uint16_t>({{4, 8080}, {2, 8081}, {1, 0}});
}

// ------------------------------------------------------------ recipes

// Which open socket a line prefers: a listener for accept, a connected
// socket for data, any socket otherwise.
enum class Prefer : std::uint8_t { Any, Listener, Connected };

// A story is a recipe that renders as several lines which together set up
// the collisions worth testing: a server (socket, an option, bind, listen)
// or a client (socket, connect), aimed at the same few addresses and ports.
enum class Story : std::uint8_t { None, Server, Client };

struct Recipe {
  Story story = Story::None;
  Family family = Family::Inet;      // Server, Client: the new socket's family
  SockType type = SockType::Stream;  // Server, Client: its type
  std::optional<op::SetSockOpt> option;  // Server: set before bind
  Line line;                 // the operation; socket, names and address host filled by render
  std::uint8_t target = 0;   // which open socket (modulo the candidates)
  std::uint8_t host = 0;     // which host of the family's list (modulo its size)
  bool foreign_host = false; // pick the host from every family (wrong-family errors)
};

inline OptValue integer_value(std::int64_t v) { OptValue o; o.integer = v; return o; }
inline OptValue off_value() { OptValue o; o.kind = OptValue::Kind::Off; return o; }
inline OptValue name_value(std::string name) { OptValue o; o.kind = OptValue::Kind::Name; o.name = std::move(name); return o; }

inline rc::Gen<op::SetSockOpt> set_option() {
  return rc::gen::exec([] {
    const auto opt = static_cast<SockOpt>(*rc::gen::inRange(0, 14));
    OptValue value;
    switch (opt) {
      case SockOpt::SoLinger:
        value = *rc::gen::element(off_value(), integer_value(0), integer_value(1));
        break;
      case SockOpt::SoBindtodevice:
        value = *rc::gen::element(off_value(), name_value("lo"));
        break;
      case SockOpt::IpLocalPortRange:
        value.kind = OptValue::Kind::Range;
        value.lo = *rc::gen::element<std::uint16_t>(40000, 8080, 0);
        value.hi = *rc::gen::element<std::uint16_t>(40001, 8081, 0);
        break;
      case SockOpt::SoRcvbuf: case SockOpt::SoSndbuf:
        value = integer_value(*rc::gen::element<std::int64_t>(1, 4096));
        break;
      default:  // the boolean options (and the read-only ones, which refuse)
        value = integer_value(*rc::gen::weightedElement<std::int64_t>({{4, 1}, {1, 0}}));
        break;
    }
    return op::SetSockOpt{opt, value};
  });
}

inline rc::Gen<MsgFlags> send_flags() {
  return rc::gen::weightedElement<MsgFlags>({{4, 0}, {3, kMsgOob}, {1, kMsgDontwait}, {1, kMsgOob | kMsgDontwait}});
}

inline rc::Gen<MsgFlags> recv_flags() {
  return rc::gen::weightedElement<MsgFlags>({{4, 0}, {3, kMsgOob}, {2, kMsgPeek}, {1, kMsgOob | kMsgPeek},
                                             {1, kMsgTrunc}, {1, kMsgPeek | kMsgTrunc}, {1, kMsgWaitall},
                                             {1, kMsgDontwait}});
}

inline rc::Gen<std::string> payload() { return rc::gen::element<std::string>("a", "ab", "xyz", "hello"); }

enum class Act : std::uint8_t {
  Socket, SocketPair, SetOpt, GetOpt, Bind, Listen, Connect, Accept, Send, SendTo, Recv, RecvFrom,
  AtMark, Shutdown, Close, GetSockName, GetPeerName, Poll, SetOwn, SigUrg, Unlink, Ss, Ns, Sysctl, Uid,
};

// `allow_uid`: generate `uid` lines (the kernel honours them only as root).
inline rc::Gen<Recipe> recipe(bool allow_uid) {
  return rc::gen::exec([allow_uid] {
    Recipe r;
    r.target = *rc::gen::arbitrary<std::uint8_t>();
    r.host = *rc::gen::arbitrary<std::uint8_t>();
    r.foreign_host = *rc::gen::weightedElement<bool>({{15, false}, {1, true}});
    const auto story = *rc::gen::weightedElement<Story>({{6, Story::None}, {3, Story::Server}, {3, Story::Client}});
    if (story != Story::None) {
      r.story = story;
      r.family = *rc::gen::weightedElement<Family>({{4, Family::Inet}, {3, Family::Inet6}, {2, Family::Unix}});
      r.type = *rc::gen::weightedElement<SockType>({{3, SockType::Stream}, {1, SockType::Dgram}});
      if (story == Story::Server && *rc::gen::arbitrary<bool>())
        r.option = op::SetSockOpt{*rc::gen::element(SockOpt::SoReuseaddr, SockOpt::SoReuseport, SockOpt::Ipv6V6only,
                                                    SockOpt::SoOobinline, SockOpt::IpBindAddressNoPort),
                                  integer_value(1)};
      AddressTerm addr;
      addr.base.port = *rc::gen::weightedElement<std::uint16_t>({{4, 8080}, {2, 8081}});
      if (story == Story::Server) r.line.op = op::Bind{addr};
      else r.line.op = op::Connect{addr, false};
      return r;
    }
    const Act act = *rc::gen::weightedElement<Act>({
        {6, Act::Socket}, {1, Act::SocketPair}, {4, Act::SetOpt}, {1, Act::GetOpt}, {7, Act::Bind},
        {4, Act::Listen}, {6, Act::Connect}, {4, Act::Accept}, {4, Act::Send}, {2, Act::SendTo},
        {4, Act::Recv}, {2, Act::RecvFrom}, {2, Act::AtMark}, {2, Act::Shutdown}, {2, Act::Close},
        {2, Act::GetSockName}, {1, Act::GetPeerName}, {2, Act::Poll}, {1, Act::SetOwn}, {1, Act::SigUrg},
        {1, Act::Unlink}, {1, Act::Ss}, {1, Act::Ns}, {1, Act::Sysctl}, {allow_uid ? 1u : 0u, Act::Uid}});
    AddressTerm addr;
    addr.base.port = *port();
    switch (act) {
      case Act::Socket: {
        const Family f = *rc::gen::weightedElement<Family>({{4, Family::Inet}, {3, Family::Inet6}, {3, Family::Unix}});
        const SockType t = *rc::gen::weightedElement<SockType>(
            {{5, SockType::Stream}, {3, SockType::Dgram}, {f == Family::Unix ? 2u : 0u, SockType::Seqpacket}});
        Protocol p = *rc::gen::weightedElement<Protocol>({{8, Protocol{}},
                                                          {1, Protocol{Protocol::Name::Tcp, IPPROTO_TCP}},
                                                          {1, Protocol{Protocol::Name::Udp, IPPROTO_UDP}}});
        r.line.op = op::Socket{f, t, p};
        break;
      }
      case Act::SocketPair:
        r.line.op = op::SocketPair{Family::Unix, *rc::gen::element(SockType::Stream, SockType::Dgram, SockType::Seqpacket)};
        break;
      case Act::SetOpt: r.line.op = *set_option(); break;
      case Act::GetOpt: r.line.op = op::GetSockOpt{static_cast<SockOpt>(*rc::gen::inRange(0, 14))}; break;
      case Act::Bind: r.line.op = op::Bind{addr}; break;
      case Act::Listen: r.line.op = op::Listen{*rc::gen::weightedElement<std::int64_t>({{4, 5}, {2, 0}, {2, 1}, {1, -1}})}; break;
      case Act::Connect: r.line.op = op::Connect{addr, *rc::gen::weightedElement<bool>({{5, false}, {1, true}})}; break;
      case Act::Accept: r.line.op = op::Accept{}; break;
      case Act::Send: r.line.op = op::Send{*payload(), *send_flags()}; break;
      case Act::SendTo: r.line.op = op::SendTo{*payload(), addr, *send_flags()}; break;
      case Act::Recv: r.line.op = op::Recv{*rc::gen::element<std::int64_t>(16, 1, 2, 0), *recv_flags()}; break;
      case Act::RecvFrom: r.line.op = op::RecvFrom{*rc::gen::element<std::int64_t>(16, 1), *recv_flags()}; break;
      case Act::AtMark: r.line.op = op::SockAtMark{}; break;
      case Act::Shutdown: r.line.op = op::Shutdown{*rc::gen::element(ShutHow::Rd, ShutHow::Wr, ShutHow::RdWr)}; break;
      case Act::Close: r.line.op = op::Close{}; break;
      case Act::GetSockName: r.line.op = op::GetSockName{}; break;
      case Act::GetPeerName: r.line.op = op::GetPeerName{}; break;
      case Act::Poll: {
        op::Poll p;
        if (*rc::gen::inRange(0, 3) == 0) { p.mask = *rc::gen::element<PollEvents>(kPollIn | kPollPri, kPollOut); p.mask_written = true; }
        r.line.op = p;
        break;
      }
      case Act::SetOwn: r.line.op = op::SetOwn{}; break;
      case Act::SigUrg: r.line.op = op::SigUrg{}; break;
      case Act::Unlink: r.line.op = op::Unlink{"/tmp/a"}; break;
      case Act::Ss: r.line.op = op::Ss{}; break;
      case Act::Ns: r.line.op = op::Ns{*rc::gen::element<std::string>("main", "a", "b")}; break;
      case Act::Sysctl:
        r.line.op = *rc::gen::element(op::Sysctl{"net.ipv4.ip_local_port_range", {"40000", "40001"}},
                                      op::Sysctl{"net.core.somaxconn", {"1"}},
                                      op::Sysctl{"net.ipv6.bindv6only", {"1"}},
                                      op::Sysctl{"net.ipv4.tcp_stdurg", {"1"}},
                                      op::Sysctl{"net.ipv4.ip_nonlocal_bind", {"1"}});
        break;
      case Act::Uid: r.line.op = op::Uid{*rc::gen::element<std::int64_t>(1000, 0)}; break;
    }
    return r;
  });
}

// ------------------------------------------------------------ rendering

inline bool acts_on_socket(const Operation& op) { return gen::needs_socket(op); }

inline Prefer preference(const Operation& op) {
  if (std::holds_alternative<op::Accept>(op)) return Prefer::Listener;
  if (std::holds_alternative<op::Send>(op) || std::holds_alternative<op::Recv>(op) ||
      std::holds_alternative<op::RecvFrom>(op) || std::holds_alternative<op::SockAtMark>(op) ||
      std::holds_alternative<op::GetPeerName>(op) || std::holds_alternative<op::Shutdown>(op))
    return Prefer::Connected;
  return Prefer::Any;
}

// The open socket the recipe's `target` picks, among those it prefers.
inline OpenSocket& pick_target(Roster& roster, const Recipe& r) {
  std::vector<OpenSocket*> candidates;
  const Prefer prefer = preference(r.line.op);
  for (OpenSocket& s : roster.open)
    if ((prefer == Prefer::Listener && s.listened) || (prefer == Prefer::Connected && s.connected))
      candidates.push_back(&s);
  if (candidates.empty())
    for (OpenSocket& s : roster.open) candidates.push_back(&s);
  return *candidates[r.target % candidates.size()];
}

inline void place_host(AddressTerm& term, const Recipe& r, Family family, bool peer) {
  const std::vector<Address> hosts = r.foreign_host ? every_host(peer) : peer ? peer_hosts(family) : bind_hosts(family);
  const std::uint16_t port = term.base.port;
  term.base = hosts[r.host % hosts.size()];
  if (term.base.kind == AddressKind::Inet4 || term.base.kind == AddressKind::Inet6) term.base.port = port;
}

// The concrete line a recipe becomes when `roster` is open, appended to
// `out` (preceded by a `socket` line when the recipe needs a socket and
// none is open). Updates the roster.
inline void render_line(const Recipe& r, Roster& roster, std::vector<Line>& out) {
  Line line = r.line;
  if (acts_on_socket(line.op) && roster.open.empty()) {
    Line create;
    create.names = {roster.fresh_name()};
    create.op = op::Socket{Family::Inet, SockType::Stream, {}};
    roster.open.push_back({create.names[0], Family::Inet, SockType::Stream});
    out.push_back(std::move(create));
  }
  OpenSocket* target = acts_on_socket(line.op) ? &pick_target(roster, r) : nullptr;
  if (target) line.socket = target->name;
  std::visit([&](auto& o) {
    using T = std::decay_t<decltype(o)>;
    if constexpr (std::is_same_v<T, op::Bind>) place_host(o.addr, r, target->family, false);
    if constexpr (std::is_same_v<T, op::Connect> || std::is_same_v<T, op::SendTo>) place_host(o.addr, r, target->family, true);
  }, line.op);
  // roster updates (a target pointer is not used after the roster grows)
  if (auto* s = std::get_if<op::Socket>(&line.op)) {
    line.names = {roster.fresh_name()};
    roster.open.push_back({line.names[0], s->family, s->type});
  } else if (auto* p = std::get_if<op::SocketPair>(&line.op)) {
    line.names = {roster.fresh_name(), roster.fresh_name()};
    for (const std::string& n : line.names) roster.open.push_back({n, Family::Unix, p->type, false, true});
  } else if (std::holds_alternative<op::Accept>(line.op)) {
    const OpenSocket child{roster.fresh_name(), target->family, target->type, false, true};
    line.names = {child.name};
    roster.open.push_back(child);
  } else if (std::holds_alternative<op::Listen>(line.op)) {
    target->listened = true;
  } else if (std::holds_alternative<op::Connect>(line.op)) {
    target->connected = true;
  } else if (std::holds_alternative<op::Close>(line.op)) {
    const std::string name = target->name;
    std::erase_if(roster.open, [&](const OpenSocket& s) { return s.name == name; });
  }
  out.push_back(std::move(line));
}

// A story's lines: a new socket, then (Server) an option, bind and listen,
// or (Client) connect.
inline void render_story(const Recipe& r, Roster& roster, std::vector<Line>& out) {
  Line create;
  create.names = {roster.fresh_name()};
  create.op = op::Socket{r.family, r.type, {}};
  roster.open.push_back({create.names[0], r.family, r.type});
  out.push_back(create);
  Recipe step = r;  // the story's own socket is the only candidate for its lines
  step.story = Story::None;
  step.target = static_cast<std::uint8_t>(roster.open.size() - 1);
  if (r.option && r.family != Family::Unix) {
    Line set;
    set.socket = create.names[0];
    set.op = *r.option;
    out.push_back(std::move(set));
  }
  render_line(step, roster, out);
  if (r.story == Story::Server && r.type == SockType::Stream) {
    step.line = Line{};
    step.line.op = op::Listen{5};
    render_line(step, roster, out);
  }
}

inline Program render(const std::vector<Recipe>& recipes) {
  Program program;
  program.file = "<generated>";
  Roster roster;
  for (const Recipe& r : recipes) {
    if (program.lines.size() + 4 > kMaxLines) break;  // room for the longest story
    if (r.story == Story::None) render_line(r, roster, program.lines);
    else render_story(r, roster, program.lines);
  }
  return program;
}

// A meaningful scenario of at most kMaxLines lines.
inline rc::Gen<Program> scenario(bool allow_uid) {
  return rc::gen::map(rc::gen::scale(0.3, rc::gen::container<std::vector<Recipe>>(recipe(allow_uid))), render);
}

// How RapidCheck shows a recipe (scenarios show as their text).
inline void showValue(const Recipe& r, std::ostream& os) { os << "recipe: " << print_operation(r.line); }

}  // namespace sockspec::pgen
