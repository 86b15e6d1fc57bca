// `solve coexist` (solver/coexist.h).
#include "solver/coexist.h"

#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec::solver {

namespace {

using Z = Z3Domain;

[[noreturn]] void fail(std::string_view file, int line, std::string_view what) {
  throw CoexistError(fmt::format("{}:{}: {}", file, line, what));
}

std::vector<std::string> words(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

OpenBool parse_open_bool(std::string_view v, std::string_view file, int line, std::string_view what) {
  if (v == "?") return {};
  if (v == "0") return {false};
  if (v == "1") return {true};
  fail(file, line, fmt::format("{} must be 0, 1 or ?, not `{}`", what, v));
}

// The address through the scenario language's own parser, so both accept
// exactly the same forms.
Address parse_address(const std::string& text, std::string_view file, int line) {
  Program p;
  try {
    p = parse_scenario(fmt::format("s = socket inet stream\nbind s {}\n", text), file);
  } catch (const ParseError& e) {
    fail(file, line, fmt::format("`{}` is not an address ({})", text, e.message()));
  }
  const auto& bind = std::get<op::Bind>(p.lines.at(1).op);
  const Address& a = bind.addr.base;
  if (!bind.addr.var.empty() || bind.addr.port.kind != PortTerm::Kind::Exact ||
      (a.kind != AddressKind::Inet4 && a.kind != AddressKind::Inet6))
    fail(file, line, fmt::format("`{}`: an IPv4 or IPv6 address with a port is expected", text));
  if (a.port == 0) fail(file, line, fmt::format("`{}`: the port must not be 0", text));
  if (!a.scope.empty()) fail(file, line, fmt::format("`{}`: scoped addresses are not supported", text));
  return a;
}

CoexistSocket parse_socket(const std::vector<std::string>& w, std::string_view file, int line) {
  CoexistSocket s;
  s.line_no = line;
  const auto proto = std::find_if(std::begin(kProtos), std::end(kProtos), [&](Proto p) { return proto_word(p) == w[0]; });
  if (proto == std::end(kProtos)) fail(file, line, fmt::format("expected tcp, udp, mptcp or sysctl, not `{}`", w[0]));
  s.proto = *proto;
  if (w.size() < 3) fail(file, line, "expected PROTO ACTION ADDRESS [OPTION=VALUE]...");
  if (w[1] != "bind" && w[1] != "listen") fail(file, line, fmt::format("expected bind or listen, not `{}`", w[1]));
  s.listen = w[1] == "listen";
  if (s.listen && !is_stream(s.proto)) fail(file, line, "only tcp and mptcp sockets listen");
  s.address = parse_address(w[2], file, line);
  for (std::size_t i = 3; i < w.size(); ++i) {
    const auto eq = w[i].find('=');
    if (eq == std::string::npos) fail(file, line, fmt::format("expected OPTION=VALUE, not `{}`", w[i]));
    const std::string key = w[i].substr(0, eq), value = w[i].substr(eq + 1);
    if (key == "v6only") {
      if (s.address.kind != AddressKind::Inet6) fail(file, line, "v6only is an option of inet6 sockets");
      s.v6only = parse_open_bool(value, file, line, key);
    } else if (key == "reuseaddr") {
      s.reuseaddr = parse_open_bool(value, file, line, key);
    } else if (key == "reuseport") {
      s.reuseport = parse_open_bool(value, file, line, key);
    } else if (key == "uid") {
      if (value == "?") s.uid.reset();
      else if (value == "0" || value == "1000") s.uid = std::stoll(value);
      else fail(file, line, fmt::format("uid must be 0, 1000 or ?, not `{}`", value));
    } else {
      fail(file, line, fmt::format("unknown option `{}` (v6only, reuseaddr, reuseport, uid)", key));
    }
  }
  return s;
}

// The BindView of a socket as bound: literals for what the user fixed,
// constants for what is open.
struct SymCoexist {
  BindView<Z> view;
  z3::expr v6only_written;  // Bool literal: was v6only written at all
  z3::expr v6only_value;
  z3::expr constraints;     // what ties the open fields
};

std::int64_t v6_half(const Address& a, std::size_t from) {
  std::uint64_t h = 0;
  for (std::size_t i = from; i < from + 8; ++i) h = (h << 8) | a.ip[i];
  return static_cast<std::int64_t>(h);
}

bool is_mapped(const Address& a) {
  return a.kind == AddressKind::Inet6 && std::all_of(a.ip.begin(), a.ip.begin() + 10, [](auto b) { return b == 0; }) &&
         a.ip[10] == 0xff && a.ip[11] == 0xff;
}

std::uint32_t v4_of(const Address& a) {
  const std::size_t at = a.kind == AddressKind::Inet4 ? 0 : 12;
  return (std::uint32_t{a.ip[at]} << 24) | (std::uint32_t{a.ip[at + 1]} << 16) | (std::uint32_t{a.ip[at + 2]} << 8) |
         std::uint32_t{a.ip[at + 3]};
}

AddrClass class_of(const Address& a) {
  if (a.kind == AddressKind::Inet4) return v4_of(a) == 0 ? AddrClass::Any4 : AddrClass::Ip4;
  if (is_mapped(a)) return AddrClass::Mapped;
  return std::all_of(a.ip.begin(), a.ip.end(), [](auto b) { return b == 0; }) ? AddrClass::Any6 : AddrClass::Ip6;
}

z3::expr open_bool(z3::context& c, const OpenBool& b, std::string name) {
  return b.value ? c.bool_val(*b.value) : c.bool_const(name.c_str());
}

SymCoexist symbolic(z3::context& c, const CoexistSocket& s, std::size_t k, const z3::expr& bindv6only) {
  const std::string p = fmt::format("s{}.", k + 1);
  const bool inet6 = s.address.kind == AddressKind::Inet6;
  const AddrClass cls = class_of(s.address);
  const bool carries_v4 = cls == AddrClass::Ip4 || cls == AddrClass::Mapped;
  const z3::expr written = c.bool_val(s.v6only.has_value());
  const z3::expr value = s.v6only ? open_bool(c, *s.v6only, p + "v6only") : c.bool_val(false);
  // binding a plain IPv6 address makes the socket IPv6-only (__inet6_bind)
  const z3::expr v6only = c.bool_val(inet6) && (z3::ite(written, value, bindv6only) || c.bool_val(cls == AddrClass::Ip6));
  const z3::expr uid = s.uid ? c.int_val(*s.uid) : c.int_const((p + "uid").c_str());
  z3::expr constraints = uid == c.int_val(0) || uid == c.int_val(1000);
  // ports below ip_unprivileged_port_start need root (inet_port_requires_bind_service)
  if (s.address.port < 1024) constraints = constraints && uid == c.int_val(0);
  // __inet6_bind: a v6-only socket may not bind a v4-mapped address
  if (cls == AddrClass::Mapped) constraints = constraints && !v6only;
  const bool ip6 = cls == AddrClass::Ip6;
  BindView<Z> v{
      .space = c.int_val(static_cast<std::int64_t>(port_space(s.proto))),
      .addr = c.int_val(static_cast<std::int64_t>(cls)),
      .v4 = c.int_val(static_cast<std::int64_t>(carries_v4 ? v4_of(s.address) : 0)),
      .v6_hi = c.int_val(ip6 ? v6_half(s.address, 0) : 0),
      .v6_lo = c.int_val(ip6 ? v6_half(s.address, 8) : 0),
      .port = c.int_val(static_cast<std::int64_t>(s.address.port)),
      .v6only = v6only,
      .reuseaddr = open_bool(c, s.reuseaddr, p + "reuseaddr"),
      .reuseport = open_bool(c, s.reuseport, p + "reuseport"),
      .uid = uid,
      .state = c.int_val(static_cast<std::int64_t>(s.listen ? HolderState::Listening : HolderState::Other)),
      .device = c.int_val(0),
  };
  return {v, written, value, constraints};
}

z3::expr conflicts(const BindView<Z>& holder, const BindView<Z>& newcomer) {
  const BindEnv<Z> env{holder.space.ctx().bool_val(true), holder.space.ctx().bool_val(false)};
  z3::expr any = holder.space.ctx().bool_val(false);
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i)
    if (kBindConflictRules[i].outcome == BindOutcome::Conflict)
      any = any || bind_conflict_path<Z>(i, holder, newcomer, env);
  return any;
}

}  // namespace

CoexistProblem parse_coexist(std::string_view text, std::string_view file) {
  CoexistProblem p;
  p.file = file;
  int line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    line = line.substr(0, line.find('#'));
    const auto w = words(line);
    if (w.empty()) continue;
    if (w[0] == "sysctl") {
      if (w.size() != 3 || w[1] != "net.ipv6.bindv6only")
        fail(file, line_no, "expected `sysctl net.ipv6.bindv6only 0|1|?`");
      p.bindv6only = parse_open_bool(w[2], file, line_no, "net.ipv6.bindv6only");
      continue;
    }
    p.sockets.push_back(parse_socket(w, file, line_no));
    if (p.sockets.size() > 64) fail(file, line_no, "at most 64 sockets");
  }
  if (p.sockets.empty()) fail(file, line_no, "no sockets: expected lines like `tcp listen [::]:443 v6only=?`");
  return p;
}

CoexistAnswer solve_coexist(const CoexistProblem& problem) {
  z3::context c;
  Z3Domain::Use use(c);
  const z3::expr bindv6only = open_bool(c, problem.bindv6only, "bindv6only");
  std::vector<SymCoexist> socks;
  z3::solver s(c);
  for (std::size_t k = 0; k < problem.sockets.size(); ++k) {
    socks.push_back(symbolic(c, problem.sockets[k], k, bindv6only));
    s.add(socks.back().constraints);
  }
  // one tracked assumption per ordered pair, so an unsat core names pairs
  z3::expr_vector pairs(c);
  std::vector<std::pair<int, int>> pair_of;
  for (std::size_t k = 0; k < socks.size(); ++k)
    for (std::size_t j = 0; j < k; ++j) {
      const z3::expr tag = c.bool_const(fmt::format("pair_{}_{}", j + 1, k + 1).c_str());
      s.add(z3::implies(tag, !conflicts(socks[j].view, socks[k].view)));
      pairs.push_back(tag);
      pair_of.emplace_back(static_cast<int>(j + 1), static_cast<int>(k + 1));
    }
  CoexistAnswer answer;
  if (s.check(pairs) != z3::sat) {
    const z3::expr_vector core = s.unsat_core();
    for (unsigned i = 0; i < core.size(); ++i)
      for (unsigned p = 0; p < pairs.size(); ++p)
        if (z3::eq(core[i], pairs[p])) answer.conflicting.push_back(pair_of[p]);
    std::sort(answer.conflicting.begin(), answer.conflicting.end());
    return answer;
  }
  for (unsigned p = 0; p < pairs.size(); ++p) s.add(pairs[p]);
  std::vector<z3::expr> prefs{!bindv6only};
  for (const auto& x : socks) {
    prefs.push_back(x.view.uid == c.int_val(0));
    prefs.push_back(!x.view.reuseport);
    prefs.push_back(!x.view.reuseaddr);
    prefs.push_back(!x.v6only_value);
  }
  const z3::model m = *solve_simply(s, prefs);
  auto truth = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  answer.sat = true;
  answer.knobs.bindv6only = truth(bindv6only);
  ScenarioWriter w;
  w.comment(fmt::format("sockspec solve coexist {}: option values that let every socket bind{}.", problem.file,
                        std::any_of(problem.sockets.begin(), problem.sockets.end(), [](auto& x) { return x.listen; })
                            ? " and listen"
                            : ""));
  w.section("main", answer.knobs, false);
  for (std::size_t k = 0; k < socks.size(); ++k) {
    const CoexistSocket& in = problem.sockets[k];
    SocketChoice sc;
    sc.proto = in.proto;
    sc.family = in.address.kind == AddressKind::Inet6 ? Family::Inet6 : Family::Inet;
    sc.addr = class_of(in.address);
    sc.port = in.address.port;
    sc.literal = in.address;
    sc.v6only_set = in.v6only.has_value();
    sc.v6only_value = truth(socks[k].v6only_value);
    sc.reuseaddr = truth(socks[k].view.reuseaddr);
    sc.reuseport = truth(socks[k].view.reuseport);
    sc.uid = m.eval(socks[k].view.uid, true).get_numeral_int64();
    sc.role = in.listen ? Role::Listening : Role::Bound;
    const std::string name = fmt::format("s{}", k + 1);
    w.bind_predicted(name, sc, true, "ok", "");
    if (in.listen) w.listen_predicted(name, "ok", "");
    answer.sockets.push_back(sc);
  }
  answer.witness = {"coexist", problem.file, w.text(), w.decisive()};
  return answer;
}

}  // namespace sockspec::solver
