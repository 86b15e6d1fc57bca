// The scenario printer: see scenario/printer.h. Every function here writes
// the canonical form the parser (scenario/parser.cc) reads back.

#include "scenario/printer.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "scenario/vocabulary.h"

namespace sockspec {
namespace {

template <typename... Ts>
struct Overloaded : Ts... { using Ts::operator()...; };
// clang 16 does not deduce aggregate template arguments (P1816) without it
template <typename... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;



std::string protocol_text(const Protocol& p) {
  if (p.name == Protocol::Name::Number) return fmt::format(" {}", p.number);
  const vocab::ProtocolWord* w = vocab::protocol(p.name);
  return w ? fmt::format(" {}", w->word) : "";
}

std::string opt_value_text(const OptValue& v) {
  switch (v.kind) {
    case OptValue::Kind::Integer: return std::to_string(v.integer);
    case OptValue::Kind::Off: return "off";
    case OptValue::Kind::Range: return fmt::format("{}-{}", v.lo, v.hi);
    case OptValue::Kind::Name: return v.name;
  }
  return "?";
}

std::string_view shutdown_name(ShutHow h) {
  switch (h) {
    case ShutHow::Rd: return "rd";
    case ShutHow::Wr: return "wr";
    case ShutHow::RdWr: return "rdwr";
  }
  return "?";
}

// The host part alone: `127.0.0.1`, `::1`, `fe80::1%lo` (no brackets).
std::string host_text(const Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  int af = a.kind == AddressKind::Inet4 ? AF_INET : AF_INET6;
  inet_ntop(af, a.ip.data(), buf, sizeof buf);
  std::string host = buf;
  if (a.kind == AddressKind::Inet6 && !a.scope.empty()) host += "%" + a.scope;
  return host;
}

std::string port_text(const Address& base, const PortTerm& port) {
  switch (port.kind) {
    case PortTerm::Kind::Exact: return std::to_string(base.port);
    case PortTerm::Kind::Any: return "*";
    case PortTerm::Kind::Range: return fmt::format("{}-{}", port.lo, port.hi);
    case PortTerm::Kind::Var: return "$" + port.var;
  }
  return "?";
}

std::string with_flags(std::string text, MsgFlags flags) {
  if (flags != 0) text += " " + print_flags(flags);
  return text;
}

std::string op_text(const Line& line) {
  const std::string& s = line.socket;
  return std::visit(
      Overloaded{
          [&](const op::Socket& o) {
            return fmt::format("socket {} {}{}", vocab::family(o.family).word, vocab::sock_type(o.type).word,
                               protocol_text(o.proto));
          },
          [&](const op::SocketPair& o) {
            return fmt::format("socketpair {} {}", vocab::family(o.family).word, vocab::sock_type(o.type).word);
          },
          [&](const op::SetSockOpt& o) {
            return fmt::format("setsockopt {} {} {}", s, vocab::option(o.opt).name, opt_value_text(o.value));
          },
          [&](const op::GetSockOpt& o) { return fmt::format("getsockopt {} {}", s, vocab::option(o.opt).name); },
          [&](const op::Bind& o) { return fmt::format("bind {} {}", s, print_address_term(o.addr)); },
          [&](const op::Listen& o) { return fmt::format("listen {} {}", s, o.backlog); },
          [&](const op::Connect& o) {
            return fmt::format("connect {} {}{}", s, print_address_term(o.addr), o.nowait ? " nowait" : "");
          },
          [&](const op::Accept&) { return fmt::format("accept {}", s); },
          [&](const op::Send& o) {
            return with_flags(fmt::format("send {} {}", s, print_string(o.data)), o.flags);
          },
          [&](const op::SendTo& o) {
            return with_flags(
                fmt::format("sendto {} {} {}", s, print_string(o.data), print_address_term(o.addr)), o.flags);
          },
          [&](const op::Recv& o) { return with_flags(fmt::format("recv {} {}", s, o.len), o.flags); },
          [&](const op::RecvFrom& o) { return with_flags(fmt::format("recvfrom {} {}", s, o.len), o.flags); },
          [&](const op::SockAtMark&) { return fmt::format("sockatmark {}", s); },
          [&](const op::Shutdown& o) { return fmt::format("shutdown {} {}", s, shutdown_name(o.how)); },
          [&](const op::Close&) { return fmt::format("close {}", s); },
          [&](const op::GetSockName&) { return fmt::format("getsockname {}", s); },
          [&](const op::GetPeerName&) { return fmt::format("getpeername {}", s); },
          [&](const op::Poll& o) {
            return o.mask_written ? fmt::format("poll {} {}", s, print_events(o.mask)) : fmt::format("poll {}", s);
          },
          [&](const op::SetOwn&) { return fmt::format("setown {}", s); },
          [&](const op::SigUrg&) { return std::string("sigurg"); },
          [&](const op::Unlink& o) { return fmt::format("unlink {}", o.path); },
          [&](const op::Sleep& o) { return fmt::format("sleep {}", o.ms); },
          [&](const op::Ss&) { return std::string("ss"); },
          [&](const op::Ns& o) { return fmt::format("ns {}", o.name); },
          [&](const op::Sysctl& o) { return fmt::format("sysctl {} {}", o.key, fmt::join(o.values, " ")); },
          [&](const op::LinkAdd& o) {
            std::string text = "link add " + o.name;
            if (!o.peer.empty()) text += " peer " + o.peer;
            if (!o.peer_ns.empty()) text += " ns " + o.peer_ns;
            return text;
          },
          [&](const op::AddrAdd& o) {
            std::string text = "addr add " + host_text(o.addr);
            if (o.prefix >= 0) text += fmt::format("/{}", o.prefix);
            if (!o.dev.empty()) text += " dev " + o.dev;
            return text;
          },
          [&](const op::Uid& o) { return fmt::format("uid {}", o.uid); },
      },
      line.op);
}

std::string optional_field(const std::optional<std::string>& field) { return field ? *field : "*"; }

std::string queue_text(const std::optional<std::uint32_t>& q) { return q ? std::to_string(*q) : "*"; }

std::string row_pattern_text(const SsRowPattern& r) {
  auto address = [](const std::optional<AddressTerm>& term, bool none) {
    if (none) return std::string("*:*");
    return term ? print_address_term(*term) : std::string("*");
  };
  std::string q = !r.recvq && !r.sendq ? "*" : fmt::format("q={}/{}", queue_text(r.recvq), queue_text(r.sendq));
  return fmt::format("{} {} {} {} {}", optional_field(r.proto), optional_field(r.state),
                     address(r.local, r.local_none), address(r.peer, r.peer_none), q);
}

std::string from_text(const Result& r) {
  return r.from_truncated ? std::to_string(r.integer) : print_string(r.text);
}

std::string pattern_text(const Pattern& p) {
  switch (p.kind) {
    case Pattern::Kind::Exact: return print_result(p.exact);
    case Pattern::Kind::AnyError: return "error";
    case Pattern::Kind::Anything: return "*";
    case Pattern::Kind::Skip: return "skip";
    case Pattern::Kind::Address: return p.address ? print_address_term(*p.address) : "*";
    case Pattern::Kind::From:
      return fmt::format("{} from {}", from_text(p.exact), p.address ? print_address_term(*p.address) : "none");
    case Pattern::Kind::Table: {
      if (p.rows.empty()) return "none";
      std::string text;
      for (const SsRowPattern& row : p.rows) {
        if (!text.empty()) text += "; ";
        text += row_pattern_text(row);
      }
      return text;
    }
  }
  return "?";
}

}  // namespace

std::string print_address(const Address& a) {
  switch (a.kind) {
    case AddressKind::Unspec: return "unspec";
    case AddressKind::Inet4: return fmt::format("{}:{}", host_text(a), a.port);
    case AddressKind::Inet6: return fmt::format("[{}]:{}", host_text(a), a.port);
    case AddressKind::Unix: return "unix:" + a.path;
  }
  return "?";
}

std::string print_address_term(const AddressTerm& term) {
  if (!term.var.empty()) return "$" + term.var;
  switch (term.base.kind) {
    case AddressKind::Inet4: return fmt::format("{}:{}", host_text(term.base), port_text(term.base, term.port));
    case AddressKind::Inet6: return fmt::format("[{}]:{}", host_text(term.base), port_text(term.base, term.port));
    case AddressKind::Unspec:
    case AddressKind::Unix: return print_address(term.base);
  }
  return "?";
}

std::string print_string(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + 2);
  out.push_back('"');
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\0': out += "\\0"; break;
      default:
        if (b < 0x20 || b >= 0x7f) out += fmt::format("\\x{:02x}", b);
        else out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string print_events(PollEvents events) {
  static constexpr std::pair<PollEvent, std::string_view> kNames[] = {
      {kPollIn, "in"}, {kPollOut, "out"}, {kPollPri, "pri"},
      {kPollErr, "err"}, {kPollHup, "hup"}, {kPollRdhup, "rdhup"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(events & bit)) continue;
    if (!out.empty()) out += "|";
    out += name;
  }
  return out.empty() ? "none" : out;
}

std::string print_flags(MsgFlags flags) {
  static constexpr std::pair<MsgFlag, std::string_view> kNames[] = {
      {kMsgOob, "MSG_OOB"}, {kMsgPeek, "MSG_PEEK"}, {kMsgTrunc, "MSG_TRUNC"},
      {kMsgWaitall, "MSG_WAITALL"}, {kMsgDontwait, "MSG_DONTWAIT"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += "|";
    out += name;
  }
  return out;
}

std::string print_ss_row(const SsRow& row) {
  auto address = [](const std::optional<Address>& a) { return a ? print_address(*a) : std::string("*:*"); };
  return fmt::format("{} {} {} {} q={}/{}", row.proto, row.state, address(row.local), address(row.peer),
                     row.recvq, row.sendq);
}

std::string print_result(const Result& r) {
  switch (r.kind) {
    case Result::Kind::Ok: return "ok";
    case Result::Kind::Errno: return errno_name(static_cast<int>(r.integer));
    case Result::Kind::Integer: return std::to_string(r.integer);
    case Result::Kind::Bytes: return print_string(r.text);
    case Result::Kind::Pending: return "pending";
    case Result::Kind::Address: return r.address ? print_address(*r.address) : "unspec";
    case Result::Kind::From:
      return fmt::format("{} from {}", from_text(r), r.address ? print_address(*r.address) : "none");
    case Result::Kind::Events: return print_events(static_cast<PollEvents>(r.integer));
    case Result::Kind::Word: return r.text;
    case Result::Kind::Table: {
      if (r.rows.empty()) return "none";
      std::vector<std::string> rows;
      rows.reserve(r.rows.size());
      for (const SsRow& row : r.rows) rows.push_back(print_ss_row(row));
      std::sort(rows.begin(), rows.end());
      return fmt::format("{}", fmt::join(rows, "; "));
    }
    case Result::Kind::Skip: return "skip";
  }
  return "?";
}

std::string print_expectation(const Expectation& expect) {
  std::string out;
  for (const Pattern& p : expect.alternatives) {
    if (!out.empty()) out += " or ";
    out += pattern_text(p);
  }
  return out;
}

std::string print_operation(const Line& line) {
  std::string out;
  if (!line.names.empty()) out = fmt::format("{} = ", fmt::join(line.names, ", "));
  return out + op_text(line);
}

std::string print_line(const Line& line) {
  std::string out = print_operation(line);
  if (line.expect) out += " -> " + print_expectation(*line.expect);
  for (const auto& k : line.on_kernels)
    out += " @" + print_kernel_condition(k.when) + " -> " + print_expectation(k.expect);
  return out;
}

std::string print_program(const Program& program) {
  std::string out;
  for (const Line& line : program.lines) {
    out += print_line(line);
    out += '\n';
  }
  return out;
}

}  // namespace sockspec
