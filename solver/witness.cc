// Witness scenarios (solver/witness.h).
#include "solver/witness.h"

#include <fmt/format.h>

#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec::solver {

namespace {

// Where a connected holder connects: the helper listener on [::] (dual
// stack) at kPortListener, in the holder's own address family.
Address helper_destination(const SocketChoice& s) {
  Address a;
  if (s.family == Family::Inet) {
    a.kind = AddressKind::Inet4;
    a.ip = {127, 0, 0, 1};
  } else {
    a.kind = AddressKind::Inet6;
    a.ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};  // [::1]
    if (s.addr == AddrClass::Mapped) a.ip = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  }
  a.port = kPortListener;
  return a;
}

Address dual_stack_any(std::uint16_t port) {
  Address a;
  a.kind = AddressKind::Inet6;
  a.port = port;
  return a;
}

// `-> RESULT`: the expectation a witness line states.
Expectation expecting(Result r) { return Expectation{{Pattern{.kind = Pattern::Kind::Exact, .exact = std::move(r)}}}; }

// "ok" or an errno name, as the searches write a prediction.
Result predicted_result(std::string_view word) {
  if (word == "ok") return Result::ok();
  const auto e = errno_from_name(word);
  return e ? Result::err(*e) : Result::ok();
}

Line make_line(std::string_view socket, Operation op, std::optional<Expectation> expect = expecting(Result::ok())) {
  Line l;
  l.socket = std::string(socket);
  l.op = std::move(op);
  l.expect = std::move(expect);
  return l;
}

Line named(std::string_view name, Operation op) {
  Line l = make_line("", std::move(op));
  l.names = {std::string(name)};
  return l;
}

AddressTerm term(const Address& a) { return AddressTerm{.base = a}; }

}  // namespace

void ScenarioWriter::add(const Line& l) {
  text_ += print_line(l);
  text_.push_back('\n');
  program_.lines.push_back(l);
  program_.lines.back().line_no = ++line_no_;
}

void ScenarioWriter::comment(std::string_view text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    text_ += fmt::format("# {}\n", text.substr(start, end - start));
    ++line_no_;
    start = end + 1;
  }
}

void ScenarioWriter::blank() {
  text_.push_back('\n');
  ++line_no_;
}

void ScenarioWriter::section(std::string_view ns, const KnobChoice& knobs, bool needs_extra_v6) {
  add(make_line("", op::Ns{std::string(ns)}, std::nullopt));
  // `uid` outlives `ns`; sysctls and addresses are set as root
  if (knobs.bindv6only || needs_extra_v6) switch_uid(0);
  if (knobs.bindv6only) add(make_line("", op::Sysctl{"net.ipv6.bindv6only", {"1"}}));
  if (needs_extra_v6) {
    Address extra = dual_stack_any(0);
    extra.ip = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};  // fd00::2
    add(make_line("", op::AddrAdd{.addr = extra}));
  }
}

void ScenarioWriter::single_port_range(std::uint16_t port) {
  switch_uid(0);
  add(make_line("", op::Sysctl{"net.ipv4.ip_local_port_range", {std::to_string(port), std::to_string(port)}}));
}

void ScenarioWriter::switch_uid(std::int64_t uid) {
  if (uid == uid_) return;
  add(make_line("", op::Uid{uid}));
  uid_ = uid;
}

void ScenarioWriter::create(std::string_view name, const SocketChoice& s) {
  switch_uid(s.uid);
  const Protocol proto{.name = s.proto == Proto::Mptcp ? Protocol::Name::Mptcp : Protocol::Name::Default};
  add(named(name, op::Socket{s.family, is_stream(s.proto) ? SockType::Stream : SockType::Dgram, proto}));
  auto set = [&](SockOpt opt, std::int64_t value) { add(make_line(name, op::SetSockOpt{opt, OptValue{.integer = value}})); };
  if (s.v6only_set) set(SockOpt::Ipv6V6only, s.v6only_value ? 1 : 0);
  if (s.reuseaddr) set(SockOpt::SoReuseaddr, 1);
  if (s.reuseport) set(SockOpt::SoReuseport, 1);
}

void ScenarioWriter::create_and_bind(std::string_view name, const SocketChoice& s) {
  create(name, s);
  add(make_line(name, op::Bind{term(s.bound_address())}));
}

void ScenarioWriter::enter_role(std::string_view name, const SocketChoice& s, std::string_view tag) {
  switch (s.role) {
    case Role::Bound:
      return;
    case Role::Listening:
      add(make_line(name, op::Listen{5}));
      return;
    case Role::Connected:
    case Role::TimeWait:
      break;
  }
  const std::string l = fmt::format("l{}", tag);
  if (is_stream(s.proto)) {
    add(named(l, op::Socket{Family::Inet6, SockType::Stream, {}}));
    add(make_line(l, op::SetSockOpt{SockOpt::Ipv6V6only, OptValue{.integer = 0}}));
    add(make_line(l, op::Bind{term(dual_stack_any(kPortListener))}));
    add(make_line(l, op::Listen{5}));
  }
  add(make_line(name, op::Connect{term(helper_destination(s))}));
  if (s.role == Role::TimeWait) {
    const std::string c = fmt::format("c{}", tag);
    Line accept = make_line(l, op::Accept{});
    accept.names = {c};
    add(accept);
    add(make_line(name, op::Close{}));  // the active close: FIN_WAIT2, then TIME_WAIT
    add(make_line(c, op::Close{}));
    add(make_line("", op::Ss{}, std::nullopt));
  }
}

void ScenarioWriter::bind_predicted(std::string_view name, const SocketChoice& s, bool explicit_port,
                                    std::string_view expect, std::string_view rule,
                                    std::optional<KernelPrediction> elsewhere) {
  create(name, s);
  Address a = s.address();
  if (!explicit_port) a.port = 0;
  Line bind = make_line(name, op::Bind{term(a)}, expecting(predicted_result(expect)));
  if (elsewhere) bind.on_kernels.push_back({elsewhere->when, expecting(predicted_result(elsewhere->expect))});
  add(bind);
  decisive_.push_back({line_no_, rule});
}

void ScenarioWriter::listen_predicted(std::string_view name, std::string_view expect, std::string_view rule) {
  add(make_line(name, op::Listen{5}, expecting(predicted_result(expect))));
  decisive_.push_back({line_no_, rule});
}

std::string describe(const SocketChoice& s) {
  std::string d = fmt::format("{} {} {}", proto_word(s.proto), vocab::family(s.family).word, print_address(s.address()));
  if (s.wild_connect) d += fmt::format(" (bound {}, then connected)", print_address(s.bound_address()));
  if (s.v6only_set) d += fmt::format(" v6only={}", s.v6only_value ? 1 : 0);
  if (s.reuseaddr) d += " SO_REUSEADDR";
  if (s.reuseport) d += " SO_REUSEPORT";
  if (s.uid != 0) d += fmt::format(" uid={}", s.uid);
  return d;
}

std::string describe(const KnobChoice& k) { return k.bindv6only ? "net.ipv6.bindv6only=1" : "defaults"; }

bool needs_extra_v6(const SocketChoice& s) { return s.addr == AddrClass::Ip6 && s.v6 == kV6Extra; }

}  // namespace sockspec::solver
