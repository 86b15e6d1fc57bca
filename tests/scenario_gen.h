// RapidCheck generators of well-formed scenario Programs (header-only so
// any test can include it; a .cc in tests/ that is not a *_test.cc is not built).
//
// Contract: sockspec::gen::program() yields Programs that the printer prints
// and the parser reads back to an equal Program: every operation, option,
// flag, directive, address form and expectation form, over small
// collision-prone domains (namespaces main/a/b; a handful of addresses; ports
// 0, 8080, 8081), so that generated programs also make interesting property
// tests against the model and the kernel.
//
// Well-formedness survives shrinking because a program is built from a list
// of independent line "recipes": building walks them in order, points every
// socket reference at a name that exists by then (creating one first when
// none does) and replaces a variable argument that no earlier expectation
// binds with a concrete port. Removing any recipe keeps the rest valid.
#pragma once

#include <netinet/in.h>
#include <rapidcheck.h>

#include <algorithm>
#include <ostream>
#include <cerrno>
#include <climits>
#include <set>
#include <string>
#include <vector>

#include "scenario/address_builders.h"
#include "scenario/ast.h"
#include "scenario/printer.h"

namespace sockspec {
// How RapidCheck shows a failing Program: as the scenario text.
inline void showValue(const Program& program, std::ostream& os) { os << print_program(program); }
}  // namespace sockspec

namespace sockspec::gen {

// ------------------------------------------------------------ small domains

inline Address inet4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return inet4_address(a, b, c, d);
}
inline Address inet6(const std::array<std::uint8_t, 16>& ip) { return inet6_address(ip); }

// Hosts without a port: 0.0.0.0, 127.0.0.1, 127.0.0.2, ::, ::1, ::ffff:127.0.0.1.
inline rc::Gen<Address> inet_host() {
  return rc::gen::element(
      inet4(0, 0, 0, 0), inet4(127, 0, 0, 1), inet4(127, 0, 0, 2),
      inet6({}), inet6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
      inet6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}));
}

inline rc::Gen<std::uint16_t> port() { return rc::gen::element<std::uint16_t>(0, 8080, 8081); }

// Unix names that are valid arguments: abstract, under /tmp/, relative, unnamed.
inline rc::Gen<Address> unix_host() {
  return rc::gen::element(unix_address("@a"), unix_address("/tmp/a"), unix_address("a"), unix_address(""));
}

inline const std::vector<std::string>& port_vars() { static const std::vector<std::string> v{"p", "q"}; return v; }
inline const std::vector<std::string>& address_vars() { static const std::vector<std::string> v{"a", "b"}; return v; }
inline const std::vector<std::string>& socket_names() {
  static const std::vector<std::string> v{"s", "t", "u", "c", "l"};
  return v;
}

// A concrete address: in an argument, or in an expectation.
inline rc::Gen<Address> address() {
  return rc::gen::exec([] {
    int which = *rc::gen::inRange(0, 10);
    if (which < 6) {
      Address a = *inet_host();
      a.port = *port();
      if (a.kind == AddressKind::Inet6 && *rc::gen::inRange(0, 8) == 0) a.scope = "lo";
      return a;
    }
    if (which < 9) return *unix_host();
    return Address{};  // unspec
  });
}

// An address as an argument: concrete, or with a `$p` port, or a whole `$a`
// (build_program replaces variables that are not bound yet).
inline rc::Gen<AddressTerm> address_argument() {
  return rc::gen::exec([] {
    AddressTerm t;
    t.base = *address();
    int which = *rc::gen::inRange(0, 8);
    bool inet = t.base.kind == AddressKind::Inet4 || t.base.kind == AddressKind::Inet6;
    if (which == 0 && inet) {
      t.base.port = 0;
      t.port.kind = PortTerm::Kind::Var;
      t.port.var = *rc::gen::elementOf(port_vars());
    } else if (which == 1) {
      t = AddressTerm{};
      t.var = *rc::gen::elementOf(address_vars());
    }
    return t;
  });
}

// An address in an expectation: every port form, or a whole `$a`.
inline rc::Gen<AddressTerm> address_pattern(bool allow_unspec = true) {
  return rc::gen::exec([allow_unspec] {
    AddressTerm t;
    t.base = *address();
    if (!allow_unspec && t.base.kind == AddressKind::Unspec) t.base = unix_address("@a");
    bool inet = t.base.kind == AddressKind::Inet4 || t.base.kind == AddressKind::Inet6;
    switch (*rc::gen::inRange(0, 6)) {
      case 0:
        if (inet) { t.base.port = 0; t.port.kind = PortTerm::Kind::Any; }
        break;
      case 1:
        if (inet) {
          t.base.port = 0;
          t.port.kind = PortTerm::Kind::Range;
          t.port.lo = *rc::gen::element<std::uint16_t>(0, 8080, 40000);
          t.port.hi = *rc::gen::element<std::uint16_t>(8081, 40007, 65535);
        }
        break;
      case 2:
        if (inet) { t.base.port = 0; t.port.kind = PortTerm::Kind::Var; t.port.var = *rc::gen::elementOf(port_vars()); }
        break;
      case 3:
        t = AddressTerm{};
        t.var = *rc::gen::elementOf(address_vars());
        break;
      default: break;
    }
    return t;
  });
}

inline rc::Gen<MsgFlags> flags() {
  return rc::gen::weightedOneOf<MsgFlags>({{3, rc::gen::just<MsgFlags>(0)},
                                           {2, rc::gen::inRange<MsgFlags>(1, 32)}});
}

inline rc::Gen<std::string> data() {
  return rc::gen::oneOf(rc::gen::element<std::string>("", "abcd", "x", "hello world", "#;,->or"),
                        rc::gen::string<std::string>());
}

inline rc::Gen<int> errno_value() {
  return rc::gen::element(EADDRINUSE, EADDRNOTAVAIL, EAGAIN, EINVAL, ECONNREFUSED, EISCONN,
                          ENOTCONN, EPIPE, EBADF, EAFNOSUPPORT, EINPROGRESS, EOPNOTSUPP, ENODEV);
}

// ------------------------------------------------------------ operations

inline rc::Gen<OptValue> opt_value(SockOpt opt) {
  return rc::gen::exec([opt] {
    OptValue v;
    bool alt = *rc::gen::arbitrary<bool>();
    switch (opt) {
      case SockOpt::SoLinger:
        if (alt) v.kind = OptValue::Kind::Off;
        else v.integer = *rc::gen::inRange<std::int64_t>(0, 10);
        return v;
      case SockOpt::SoBindtodevice:
        if (alt) v.kind = OptValue::Kind::Off;
        else { v.kind = OptValue::Kind::Name; v.name = *rc::gen::element<std::string>("lo", "veth0", "eth1"); }
        return v;
      case SockOpt::IpLocalPortRange:
        if (alt) {
          v.kind = OptValue::Kind::Range;
          v.lo = *rc::gen::element<std::uint16_t>(0, 40000, 8080);
          v.hi = *rc::gen::element<std::uint16_t>(40009, 8081, 65535);
        } else {
          v.integer = *rc::gen::element<std::int64_t>(0, (40009LL << 16) | 40000, UINT32_MAX);
        }
        return v;
      default:
        v.integer = *rc::gen::element<std::int64_t>(0, 1, -1, 4096, INT32_MIN, INT32_MAX);
        return v;
    }
  });
}

inline rc::Gen<SockOpt> sock_opt() {
  return rc::gen::map(rc::gen::inRange(0, 14), [](int i) { return static_cast<SockOpt>(i); });
}

inline rc::Gen<Family> family() { return rc::gen::element(Family::Inet, Family::Inet6, Family::Unix); }
inline rc::Gen<SockType> sock_type() { return rc::gen::element(SockType::Stream, SockType::Dgram, SockType::Seqpacket); }

inline rc::Gen<Protocol> protocol() {
  return rc::gen::element(Protocol{}, Protocol{Protocol::Name::Tcp, IPPROTO_TCP},
                          Protocol{Protocol::Name::Udp, IPPROTO_UDP},
                          Protocol{Protocol::Name::Udplite, IPPROTO_UDPLITE},
                          Protocol{Protocol::Name::Sctp, IPPROTO_SCTP},
                          Protocol{Protocol::Name::Mptcp, IPPROTO_MPTCP},
                          Protocol{Protocol::Name::Number, 6}, Protocol{Protocol::Name::Number, 255});
}

// The operation and the names it needs; `socket` fields get placeholders
// that build_program fills in.
inline rc::Gen<Line> bare_line() {
  return rc::gen::exec([] {
    Line line;
    auto name = [] { return *rc::gen::elementOf(socket_names()); };
    switch (*rc::gen::inRange(0, 28)) {
      case 0: line.names = {name()}; line.op = op::Socket{*family(), *sock_type(), *protocol()}; break;
      case 1: {
        std::string a = name(), b = name();
        if (a == b) b += "2";
        line.names = {a, b};
        line.op = op::SocketPair{*family(), *sock_type()};
        break;
      }
      case 2: { SockOpt o = *sock_opt(); line.op = op::SetSockOpt{o, *opt_value(o)}; break; }
      case 3: line.op = op::GetSockOpt{*sock_opt()}; break;
      case 4: line.op = op::Bind{*address_argument()}; break;
      case 5: line.op = op::Listen{*rc::gen::element<std::int64_t>(0, 1, 5, -1, 4096, INT_MAX, INT_MIN)}; break;
      case 6: line.op = op::Connect{*address_argument(), *rc::gen::arbitrary<bool>()}; break;
      case 7: line.names = {name()}; line.op = op::Accept{}; break;
      case 8: line.op = op::Send{*data(), *flags()}; break;
      case 9: line.op = op::SendTo{*data(), *address_argument(), *flags()}; break;
      case 10: line.op = op::Recv{*rc::gen::element<std::int64_t>(0, 1, 16, 1 << 20), *flags()}; break;
      case 11: line.op = op::RecvFrom{*rc::gen::element<std::int64_t>(0, 16), *flags()}; break;
      case 12: line.op = op::SockAtMark{}; break;
      case 13: line.op = op::Shutdown{*rc::gen::element(ShutHow::Rd, ShutHow::Wr, ShutHow::RdWr)}; break;
      case 14: line.op = op::Close{}; break;
      case 15: line.op = op::GetSockName{}; break;
      case 16: line.op = op::GetPeerName{}; break;
      case 17: {
        op::Poll p;
        if (*rc::gen::arbitrary<bool>()) { p.mask = *rc::gen::inRange<PollEvents>(0, 64); p.mask_written = true; }
        line.op = p;
        break;
      }
      case 18: line.op = op::SetOwn{}; break;
      case 19: line.op = op::SigUrg{}; break;
      case 20: line.op = op::Unlink{*rc::gen::element<std::string>("/tmp/a", "a", "/tmp/d/b")}; break;
      case 21: line.op = op::Sleep{*rc::gen::element<std::int64_t>(0, 1, 2000)}; break;
      case 22: line.op = op::Ss{}; break;
      case 23: line.op = op::Ns{*rc::gen::element<std::string>("main", "a", "b")}; break;
      case 24:
        line.op = *rc::gen::element(
            op::Sysctl{"net.ipv4.ip_local_port_range", {"40000", "40001"}},
            op::Sysctl{"net.core.somaxconn", {"5"}}, op::Sysctl{"net.ipv6.bindv6only", {"1"}});
        break;
      case 25:
        line.op = op::LinkAdd{*rc::gen::element<std::string>("veth0", "v1"), *rc::gen::element<std::string>("", "veth0p", "peer1"),
                              *rc::gen::element<std::string>("", "a", "b")};
        break;
      case 26: {
        op::AddrAdd a;
        a.addr = *rc::gen::element(inet4(10, 0, 0, 1), inet4(127, 0, 0, 2), inet6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
        a.prefix = *rc::gen::element(-1, 0, 8, 24, 32);
        a.dev = *rc::gen::element<std::string>("", "veth0");
        line.op = a;
        break;
      }
      default: line.op = op::Uid{*rc::gen::element<std::int64_t>(0, 1000, 65534)}; break;
    }
    return line;
  });
}

// ------------------------------------------------------------ expectations

enum class ExpectFor : std::uint8_t { Any, Ss, GetSockOpt };

inline ExpectFor expect_for(const Operation& op) {
  if (std::holds_alternative<op::Ss>(op)) return ExpectFor::Ss;
  if (std::holds_alternative<op::GetSockOpt>(op)) return ExpectFor::GetSockOpt;
  return ExpectFor::Any;
}

inline Pattern exact_pattern(Result r) {
  Pattern p;
  p.exact = std::move(r);
  return p;
}

inline rc::Gen<SsRowPattern> row_pattern() {
  return rc::gen::exec([] {
    SsRowPattern r;
    auto field = [](std::initializer_list<const char*> words) -> std::optional<std::string> {
      std::vector<std::string> v(words.begin(), words.end());
      std::string w = *rc::gen::elementOf(v);
      if (w == "*") return std::nullopt;
      return w;
    };
    r.proto = field({"*", "tcp", "udp", "u_str", "u_dgr"});
    r.state = field({"*", "LISTEN", "ESTAB", "UNCONN", "SYN-SENT"});
    auto address_field = [](std::optional<AddressTerm>& term, bool& none) {
      switch (*rc::gen::inRange(0, 3)) {
        case 0: break;
        case 1: none = true; break;
        default: term = *address_pattern(); break;
      }
    };
    address_field(r.local, r.local_none);
    address_field(r.peer, r.peer_none);
    if (*rc::gen::inRange(0, 4) != 0) {
      r.sendq = *rc::gen::element<std::uint32_t>(0, 1, 5, 4096);
      if (*rc::gen::arbitrary<bool>()) r.recvq = *rc::gen::element<std::uint32_t>(0, 1, 9);
    }
    return r;
  });
}

// One alternative that the parser reads back as itself for this op: `none`
// is an empty table for `ss` and no events elsewhere; a bare word is a Word
// only for `getsockopt`.
inline rc::Gen<Pattern> pattern(ExpectFor what) {
  return rc::gen::exec([what] {
    Pattern p;
    switch (*rc::gen::inRange(0, 13)) {
      case 0: return exact_pattern(Result::ok());
      case 1: return exact_pattern(Result::err(*errno_value()));
      case 2: return exact_pattern(Result::num(*rc::gen::element<std::int64_t>(0, 1, 7, -1, INT64_MAX, INT64_MIN)));
      case 3: return exact_pattern(Result::bytes(*data()));
      case 4: return exact_pattern(Result::pending());
      case 5: p.kind = Pattern::Kind::AnyError; return p;
      case 6: p.kind = Pattern::Kind::Anything; return p;
      case 7: p.kind = Pattern::Kind::Skip; return p;
      case 8:
        p.kind = Pattern::Kind::Address;
        p.address = *address_pattern(what != ExpectFor::GetSockOpt);
        return p;
      case 9:
        p.kind = Pattern::Kind::From;
        p.exact.kind = Result::Kind::From;
        if (*rc::gen::arbitrary<bool>()) p.exact.text = *data();
        else { p.exact.from_truncated = true; p.exact.integer = *rc::gen::element<std::int64_t>(0, 5, 100); }
        if (*rc::gen::inRange(0, 3) != 0) p.address = *address_pattern();
        return p;
      case 10:
        if (what == ExpectFor::GetSockOpt)
          return exact_pattern(Result::word(*rc::gen::element<std::string>("off", "lo", "veth0", "40000-40009")));
        if (what == ExpectFor::Ss) {
          p.kind = Pattern::Kind::Table;
          p.rows = *rc::gen::container<std::vector<SsRowPattern>>(row_pattern());
          return p;
        }
        return exact_pattern(Result::events(*rc::gen::inRange<PollEvents>(0, 64)));
      case 11:
        if (what == ExpectFor::Ss) {
          p.kind = Pattern::Kind::Table;
          p.rows = *rc::gen::nonEmpty(rc::gen::container<std::vector<SsRowPattern>>(row_pattern()));
          return p;
        }
        return exact_pattern(Result::ok());
      default:
        if (what == ExpectFor::GetSockOpt) return exact_pattern(Result::num(1));
        return exact_pattern(Result::events(*rc::gen::inRange<PollEvents>(1, 64)));
    }
  });
}

inline rc::Gen<std::optional<Expectation>> expectation(ExpectFor what) {
  return rc::gen::exec([what]() -> std::optional<Expectation> {
    if (*rc::gen::inRange(0, 4) == 0) return std::nullopt;
    Expectation e;
    e.alternatives.push_back(*pattern(what));
    if (*rc::gen::inRange(0, 4) == 0) e.alternatives.push_back(*pattern(what));
    return e;
  });
}

// A line recipe: an operation with its expectation, and which existing
// socket its `socket` field should name.
struct LineRecipe {
  Line line;
  std::size_t socket_choice = 0;
};

inline rc::Gen<LineRecipe> line_recipe() {
  return rc::gen::exec([] {
    LineRecipe r;
    r.line = *bare_line();
    r.line.expect = *expectation(expect_for(r.line.op));
    r.socket_choice = *rc::gen::inRange<std::size_t>(0, 8);
    return r;
  });
}

// ------------------------------------------------------------ programs

inline bool needs_socket(const Operation& op) {
  return !(std::holds_alternative<op::Socket>(op) || std::holds_alternative<op::SocketPair>(op) ||
           std::holds_alternative<op::SigUrg>(op) || std::holds_alternative<op::Unlink>(op) ||
           std::holds_alternative<op::Sleep>(op) || std::holds_alternative<op::Ss>(op) ||
           std::holds_alternative<op::Ns>(op) || std::holds_alternative<op::Sysctl>(op) ||
           std::holds_alternative<op::LinkAdd>(op) || std::holds_alternative<op::AddrAdd>(op) ||
           std::holds_alternative<op::Uid>(op));
}

// Replaces an argument variable that is not bound yet with a concrete value.
inline void bind_or_replace(AddressTerm& t, const std::set<std::string>& ports, const std::set<std::string>& addrs) {
  if (!t.var.empty() && !addrs.contains(t.var)) {
    t = AddressTerm{};
    t.base = inet4(127, 0, 0, 1);
    t.base.port = 8080;
  }
  if (t.port.kind == PortTerm::Kind::Var && !ports.contains(t.port.var)) {
    t.port = PortTerm{};
    t.base.port = 8081;
  }
}

inline void collect_bound(const AddressTerm& t, std::set<std::string>& ports, std::set<std::string>& addrs) {
  if (!t.var.empty()) addrs.insert(t.var);
  if (t.port.kind == PortTerm::Kind::Var) ports.insert(t.port.var);
}

inline void collect_bound(const Expectation& e, std::set<std::string>& ports, std::set<std::string>& addrs) {
  for (const Pattern& p : e.alternatives) {
    if (p.address) collect_bound(*p.address, ports, addrs);
    for (const SsRowPattern& row : p.rows) {
      if (row.local) collect_bound(*row.local, ports, addrs);
      if (row.peer) collect_bound(*row.peer, ports, addrs);
    }
  }
}

inline Program build_program(const std::vector<LineRecipe>& recipes) {
  Program program;
  std::vector<std::string> open;  // names created so far, in order, without repeats
  std::set<std::string> ports, addrs;
  for (const LineRecipe& recipe : recipes) {
    Line line = recipe.line;
    if (needs_socket(line.op)) {
      if (open.empty()) {
        Line create;
        create.names = {"s"};
        create.op = op::Socket{Family::Inet, SockType::Stream, {}};
        program.lines.push_back(create);
        open.push_back("s");
      }
      line.socket = open[recipe.socket_choice % open.size()];
    }
    std::visit([&](auto& o) {
      if constexpr (requires { o.addr.var; }) bind_or_replace(o.addr, ports, addrs);
    }, line.op);
    for (const std::string& n : line.names)
      if (std::find(open.begin(), open.end(), n) == open.end()) open.push_back(n);
    if (line.expect) collect_bound(*line.expect, ports, addrs);
    program.lines.push_back(std::move(line));
  }
  return program;
}

inline rc::Gen<Program> program() {
  return rc::gen::map(rc::gen::container<std::vector<LineRecipe>>(line_recipe()), build_program);
}

}  // namespace sockspec::gen
