// Generating the C reproducer of a finding (check/reproducer.h). The fixed
// part, helpers mirroring oracle/kernel_run.cc, is reproducer_prelude.inc;
// this file turns each line into a call of them.
#include "check/reproducer.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec {

namespace {

constexpr std::string_view kPrelude =
#include "check/reproducer_prelude.inc"
    ;

// A C string literal; octal escapes, which never run into the next character.
std::string c_string(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') out += static_cast<char>(c);
    else out += fmt::format("\\{:03o}", c);
  }
  return out + "\"";
}

std::string c_bytes(const std::array<std::uint8_t, 16>& ip, std::size_t n) {
  std::string out = "(const uint8_t[]){";
  for (std::size_t i = 0; i < n; ++i) out += fmt::format("{}{}", i ? "," : "", ip[i]);
  return out + "}";
}

std::string msg_flags(MsgFlags f) {
  std::string out;
  auto add = [&](MsgFlags bit, const char* name) {
    if (f & bit) out += (out.empty() ? "" : "|") + std::string(name);
  };
  add(kMsgOob, "MSG_OOB");
  add(kMsgPeek, "MSG_PEEK");
  add(kMsgTrunc, "MSG_TRUNC");
  add(kMsgWaitall, "MSG_WAITALL");
  add(kMsgDontwait, "MSG_DONTWAIT");
  return out.empty() ? "0" : out;
}

std::string poll_events(PollEvents e) {
  std::string out;
  constexpr std::pair<PollEvent, const char*> kBits[] = {{kPollIn, "POLLIN"},   {kPollOut, "POLLOUT"},
                                                         {kPollPri, "POLLPRI"}, {kPollErr, "POLLERR"},
                                                         {kPollHup, "POLLHUP"}, {kPollRdhup, "POLLRDHUP"}};
  for (auto [bit, name] : kBits)
    if (e & bit) out += (out.empty() ? "" : "|") + std::string(name);
  return out.empty() ? "0" : out;
}

std::string protocol_c_name(const Protocol& p) {
  if (p.name == Protocol::Name::Number) return std::to_string(p.number);
  const vocab::ProtocolWord* w = vocab::protocol(p.name);
  return w ? std::string(w->c_name) : "0";
}

// The sysctl keys the oracle accepts (oracle/kernel_run.cc, valid_sysctl_key).
bool valid_sysctl_key(const std::string& key) {
  if (!key.starts_with("net.") || key.find("..") != std::string::npos || key.back() == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string host_text(const Address& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.kind == AddressKind::Inet4 ? AF_INET : AF_INET6, a.ip.data(), text, sizeof text);
  return text;
}

class Generator {
 public:
  Generator(const Program& program, const OracleConfig& config) : program_(program), config_(config) {
    namespaces_["main"] = 0;
    for (const Line& line : program.lines) {
      sockets_.insert(line.names.begin(), line.names.end());
      if (auto* ns = std::get_if<op::Ns>(&line.op)) namespace_index(ns->name);
      if (auto* link = std::get_if<op::LinkAdd>(&line.op); link && !link->peer_ns.empty())
        namespace_index(link->peer_ns);
      if (line.expect) collect_variables(*line.expect);
    }
  }

  std::string body(std::size_t divergent_line, std::string_view model_result) {
    std::string out;
    for (const auto& name : sockets_) out += fmt::format("static int S_{} = -1;\n", name);
    for (const auto& name : port_vars_) out += fmt::format("static int P_{};\n", name);
    for (const auto& name : address_vars_)
      out += fmt::format("static struct sockaddr_storage A_{0};\nstatic socklen_t A_{0}_len;\n", name);
    out += "\nint main(void) {\n  enter_sandbox();\n";
    for (std::size_t i = 0; i < program_.lines.size(); ++i) {
      const Line& line = program_.lines[i];
      std::string model = i == divergent_line ? c_string(model_result) : "NULL";
      out += fmt::format("\n  begin({}, {});\n", c_string(print_operation(line)), model);
      out += statement(line);
      out += bindings(line);
    }
    return out + "  return 0;\n}\n";
  }

 private:
  int namespace_index(const std::string& name) {
    auto [it, added] = namespaces_.emplace(name, static_cast<int>(namespaces_.size()));
    return it->second;
  }

  void collect_term(const AddressTerm& term) {
    if (!term.var.empty()) address_vars_.insert(term.var);
    if (term.port.kind == PortTerm::Kind::Var) port_vars_.insert(term.port.var);
  }

  void collect_variables(const Expectation& expect) {
    for (const Pattern& p : expect.alternatives)
      if (p.address) collect_term(*p.address);
  }

  // Code storing what the line printed into the variables its expectation binds.
  std::string bindings(const Line& line) {
    if (!line.expect) return "";
    std::string out;
    for (const Pattern& p : line.expect->alternatives) {
      if (!p.address) continue;
      if (!p.address->var.empty())
        out += fmt::format("  if (have_addr) {{ A_{0} = last_addr; A_{0}_len = last_len; }}\n", p.address->var);
      if (p.address->port.kind == PortTerm::Kind::Var)
        out += fmt::format("  if (have_addr) P_{} = port_of(&last_addr);\n", p.address->port.var);
    }
    return out;
  }

  // `struct sockaddr_storage sa; socklen_t len = ...;` for an argument.
  static std::string address(const AddressTerm& term) {
    std::string decl = "struct sockaddr_storage sa; socklen_t len = ";
    if (!term.var.empty()) return fmt::format("{0}A_{1}_len; sa = A_{1};", decl, term.var);
    std::string port = term.port.kind == PortTerm::Kind::Var ? "P_" + term.port.var : std::to_string(term.base.port);
    const Address& a = term.base;
    switch (a.kind) {
      case AddressKind::Unspec: return decl + "aunspec(&sa);";
      case AddressKind::Inet4: return fmt::format("{}a4(&sa, {}, {});", decl, c_bytes(a.ip, 4), port);
      case AddressKind::Inet6:
        return fmt::format("{}a6(&sa, {}, {}, {});", decl, c_bytes(a.ip, 16), port, c_string(a.scope));
      case AddressKind::Unix: return fmt::format("{}aun(&sa, {});", decl, c_string(a.path));
    }
    return decl + "aunspec(&sa);";
  }

  std::string statement(const Line& line) {
    std::string fd = line.socket.empty() ? "-1" : "S_" + line.socket;
    std::string guarded = fmt::format("  SOCKET_LINE({}) {{ ", fd);
    return std::visit([&](const auto& o) { return run(o, line, fd, guarded); }, line.op);
  }

  std::string run(const op::Socket& o, const Line& line, const std::string&, const std::string&) {
    return fmt::format(
        "  TOUCHES_SOCKETS {{ int fd = socket({}, {} | SOCK_NONBLOCK | SOCK_CLOEXEC, {});\n"
        "    if (fd < 0) r_errno(); else {{ S_{} = fd; r_word(\"ok\"); }} }}\n",
        vocab::family(o.family).c_name, vocab::sock_type(o.type).c_name, protocol_c_name(o.proto), line.names.at(0));
  }
  std::string run(const op::SocketPair& o, const Line& line, const std::string&, const std::string&) {
    return fmt::format(
        "  TOUCHES_SOCKETS {{ int sv[2];\n"
        "    if (socketpair({}, {} | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) r_errno();\n"
        "    else {{ S_{} = sv[0]; S_{} = sv[1]; r_word(\"ok\"); }} }}\n",
        vocab::family(o.family).c_name, vocab::sock_type(o.type).c_name, line.names.at(0), line.names.at(1));
  }
  std::string run(const op::SetSockOpt& o, const Line&, const std::string& fd, const std::string& g) {
    const auto& word = vocab::option(o.opt);
    const std::string_view level = word.level_name, name = word.name;
    const OptValue& v = o.value;
    std::string value;  // declarations of `value` and its length, or "" for EINVAL
    switch (o.opt) {
      case SockOpt::SoLinger:
        if (v.kind == OptValue::Kind::Off) value = "struct linger value = {0, 0};";
        else if (v.kind == OptValue::Kind::Integer)
          value = fmt::format("struct linger value = {{1, {}}};", std::clamp<std::int64_t>(v.integer, INT_MIN, INT_MAX));
        break;
      case SockOpt::IpLocalPortRange:
        if (v.kind == OptValue::Kind::Range)
          value = fmt::format("uint32_t value = {}u;", static_cast<std::uint32_t>(v.hi) << 16 | v.lo);
        else if (v.kind == OptValue::Kind::Integer)
          value = fmt::format("uint32_t value = {}u;", static_cast<std::uint32_t>(v.integer));
        break;
      case SockOpt::SoBindtodevice:
        if (v.kind == OptValue::Kind::Off)
          return g + fmt::format("r_ok_or_errno(setsockopt({}, {}, {}, \"\", 0)); }}\n", fd, level, name);
        if (v.kind == OptValue::Kind::Name)
          return g + fmt::format("r_ok_or_errno(setsockopt({}, {}, {}, {}, {})); }}\n", fd, level, name,
                                 c_string(v.name), v.name.size());
        break;
      default:
        if (v.kind == OptValue::Kind::Off) value = "int value = 0;";
        else if (v.kind == OptValue::Kind::Integer && v.integer >= INT_MIN && v.integer <= INT_MAX)
          value = fmt::format("int value = {};", v.integer);
        break;
    }
    if (value.empty()) return g + "r_word(\"EINVAL\"); }\n";
    return g + fmt::format("{} r_ok_or_errno(setsockopt({}, {}, {}, &value, sizeof value)); }}\n", value, fd,
                           level, name);
  }
  std::string run(const op::GetSockOpt& o, const Line&, const std::string& fd, const std::string& g) {
    const auto& word = vocab::option(o.opt);
    const std::string_view level = word.level_name, name = word.name;
    switch (o.opt) {
      case SockOpt::SoLinger: return g + fmt::format("do_getsockopt_linger({}); }}\n", fd);
      case SockOpt::IpLocalPortRange: return g + fmt::format("do_getsockopt_range({}); }}\n", fd);
      case SockOpt::SoBindtodevice: return g + fmt::format("do_getsockopt_device({}); }}\n", fd);
      default:
        return g + fmt::format("do_getsockopt_int({}, {}, {}, {}); }}\n", fd, level, name,
                               o.opt == SockOpt::SoError ? 1 : 0);
    }
  }
  std::string run(const op::Bind& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("{}\n    if (!len) r_word(\"ENODEV\"); else r_ok_or_errno(bind({}, (struct sockaddr *)&sa, len)); }}\n",
                           address(o.addr), fd);
  }
  std::string run(const op::Listen& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("r_ok_or_errno(listen({}, {})); }}\n", fd, std::clamp<std::int64_t>(o.backlog, INT_MIN + 1, INT_MAX));
  }
  std::string run(const op::Connect& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("{}\n    do_connect({}, &sa, len, {}, {}); }}\n", address(o.addr), fd, o.nowait ? 1 : 0,
                           config_.settle_ms);
  }
  std::string run(const op::Accept&, const Line& line, const std::string& fd, const std::string& g) {
    return g + fmt::format(
                   "int fd = accept4({0}, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);\n"
                   "    if (fd < 0 && errno == EAGAIN && links_made) {{ wait_for({0}, POLLIN, {1}); "
                   "fd = accept4({0}, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }}\n"
                   "    if (fd < 0) r_errno(); else {{ S_{2} = fd; r_word(\"ok\"); }} }}\n",
                   fd, config_.delivery_ms, line.names.at(0));
  }
  std::string run(const op::Send& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("r_count(send({}, {}, {}, {} | MSG_NOSIGNAL | MSG_DONTWAIT)); }}\n", fd,
                           c_string(o.data), o.data.size(), msg_flags(o.flags));
  }
  std::string run(const op::SendTo& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format(
                   "{}\n    if (!len) r_word(\"ENODEV\"); else r_count(sendto({}, {}, {}, {} | MSG_NOSIGNAL | "
                   "MSG_DONTWAIT, (struct sockaddr *)&sa, len)); }}\n",
                   address(o.addr), fd, c_string(o.data), o.data.size(), msg_flags(o.flags));
  }
  std::string run(const op::Recv& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("do_recv({}, {}L, {}, {}); }}\n", fd, o.len, msg_flags(o.flags), config_.delivery_ms);
  }
  std::string run(const op::RecvFrom& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("do_recvfrom({}, {}L, {}, {}); }}\n", fd, o.len, msg_flags(o.flags), config_.delivery_ms);
  }
  std::string run(const op::SockAtMark&, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("int mark = 0; if (ioctl({}, SIOCATMARK, &mark) != 0) r_errno(); else r_count(mark); }}\n", fd);
  }
  std::string run(const op::Shutdown& o, const Line&, const std::string& fd, const std::string& g) {
    const char* how = o.how == ShutHow::Rd ? "SHUT_RD" : o.how == ShutHow::Wr ? "SHUT_WR" : "SHUT_RDWR";
    return g + fmt::format("r_ok_or_errno(shutdown({}, {})); }}\n", fd, how);
  }
  std::string run(const op::Close&, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("int rc = close({0}); {0} = -1; r_ok_or_errno(rc); }}\n", fd);
  }
  std::string run(const op::GetSockName&, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("do_name({}, getsockname); }}\n", fd);
  }
  std::string run(const op::GetPeerName&, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("do_name({}, getpeername); }}\n", fd);
  }
  std::string run(const op::Poll& o, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("do_poll({}, {}); }}\n", fd, poll_events(o.mask));
  }
  std::string run(const op::SetOwn&, const Line&, const std::string& fd, const std::string& g) {
    return g + fmt::format("r_ok_or_errno(fcntl({}, F_SETOWN, getpid())); }}\n", fd);
  }
  std::string run(const op::SigUrg&, const Line&, const std::string&, const std::string&) {
    return "  TOUCHES_SOCKETS { r_count(sigurg_count); sigurg_count = 0; }\n";
  }
  std::string run(const op::Unlink& o, const Line&, const std::string&, const std::string&) {
    return fmt::format("  TOUCHES_SOCKETS {{ r_ok_or_errno(unlink({})); }}\n", c_string(o.path));
  }
  std::string run(const op::Sleep& o, const Line&, const std::string&, const std::string&) {
    return fmt::format("  usleep({}); r_word(\"ok\");\n", std::clamp<std::int64_t>(o.ms, 0, 2000) * 1000);
  }
  std::string run(const op::Ss&, const Line&, const std::string&, const std::string&) {
    return "  TOUCHES_SOCKETS { r_word(\"(the kernel's table, as ss -atuxn prints it:)\"); "
           "if (system(\"ss -atuxn\") != 0) printf(\"(ss failed)\\n\"); }\n";
  }
  std::string run(const op::Ns& o, const Line&, const std::string&, const std::string&) {
    return fmt::format("  ns_enter({}); r_word(\"ok\");\n", namespace_index(o.name));
  }
  std::string run(const op::Sysctl& o, const Line&, const std::string&, const std::string&) {
    if (!valid_sysctl_key(o.key)) return "  r_word(\"EINVAL\");\n";
    std::string value;
    for (const auto& v : o.values) value += (value.empty() ? "" : "\t") + v;
    return fmt::format("  do_sysctl({}, {});\n", c_string(o.key), c_string(value));
  }
  std::string run(const op::LinkAdd& o, const Line&, const std::string&, const std::string&) {
    std::string peer = o.peer.empty() ? o.name + "p" : o.peer;
    std::string peer_ns = o.peer_ns.empty() ? "ns_current" : std::to_string(namespace_index(o.peer_ns));
    return fmt::format("  do_link_add({}, {}, {});\n", c_string(o.name), c_string(peer), peer_ns);
  }
  std::string run(const op::AddrAdd& o, const Line&, const std::string&, const std::string&) {
    bool v6 = o.addr.kind == AddressKind::Inet6;
    int prefix = o.prefix >= 0 ? o.prefix : (v6 ? 128 : 32);
    std::string cidr = fmt::format("{}/{}", host_text(o.addr), prefix);
    return fmt::format("  do_addr_add({}, {}, {});\n", c_string(cidr), c_string(o.dev.empty() ? "lo" : o.dev),
                       v6 ? 1 : 0);
  }
  std::string run(const op::Uid& o, const Line&, const std::string&, const std::string&) {
    return fmt::format("  TOUCHES_SOCKETS do_uid({}L);\n", o.uid);
  }

  const Program& program_;
  const OracleConfig& config_;
  std::set<std::string> sockets_, port_vars_, address_vars_;
  std::map<std::string, int> namespaces_;
};

}  // namespace

std::string c_reproducer(const Program& program, std::size_t divergent_line, std::string_view model_result,
                         const OracleConfig& config, const KernelProfile& profile) {
  Generator generator(program, config);
  std::string out =
      "/* A sockspec finding as a standalone program: it replays the scenario on\n"
      " * this machine's kernel, in network namespaces of its own (never the one\n"
      " * it starts in), and prints each line with the kernel's result.\n"
      " *   cc -o repro THIS_FILE.c && ./repro      (root, or any user allowed\n"
      " *   to make user namespaces; `unshare -Urn ./repro` works too)\n"
      " * Seen on " + profile.describe() + ", where the model (answering for that\n"
      " * kernel) said otherwise; other kernels may answer otherwise too.\n" +
      (is_gvisor_release(profile.release)
           ? std::string(" * On gVisor, as root: cc -static -o repro THIS_FILE.c &&\n"
                         " *   unshare -n runsc --network=none --platform=ptrace do ./repro\n"
                         " * (the DIVERGENCE mark gives what Linux does.)\n")
           : std::string()) +
      " */\n";
  out += kPrelude;
  out += "\n";
  out += generator.body(divergent_line, model_result);
  return out;
}

}  // namespace sockspec
