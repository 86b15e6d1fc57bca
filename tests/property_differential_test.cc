// Property 1, differential: on every generated scenario (tests/property_gen.h)
// every line's kernel result is the one the model allows — no divergence,
// no line the model leaves unsupported, no scenario stopped.
//
// The kernel runs in the oracle's sandbox, which main() enters before
// GoogleTest (or anything else) can start a thread. On failure the shrunk
// counterexample is printed as a ready-to-save scenario: each line carries
// the kernel's result as its expectation, and a diverging line a comment
// with the model's result and the rules that decided it. Save it under
// corpus/property/ (docs/testing.md).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "check/driver.h"
#include "oracle/oracle.h"
#include "scenario/printer.h"
#include "tests/property_gen.h"
#include "tests/property_run.h"

namespace sockspec {
namespace {

std::optional<std::string> g_sandbox_error;
SandboxInfo g_sandbox;

// ------------------------------------------------------------ counterexamples

// Ports the generator never writes come from the kernel's ephemeral choice:
// an expectation keeps the host and lets the port be any.
bool generated_port(std::uint16_t port) { return port == 0 || port == 8080 || port == 8081; }

AddressTerm address_expectation(const Address& a) {
  AddressTerm term;
  term.base = a;
  const bool inet = a.kind == AddressKind::Inet4 || a.kind == AddressKind::Inet6;
  if (inet && !generated_port(a.port)) {
    term.base.port = 0;
    term.port.kind = PortTerm::Kind::Any;
  }
  return term;
}

// A Unix autobind name (`unix:@` and five hex digits) is the kernel's choice.
bool autobound(const Address& a) {
  return a.kind == AddressKind::Unix && a.path.size() == 6 && a.path[0] == '@' && a.path != "@a" && a.path != "@b";
}

SsRowPattern row_expectation(const SsRow& row) {
  SsRowPattern p;
  p.proto = row.proto;
  p.state = row.state;
  auto field = [](const std::optional<Address>& a, std::optional<AddressTerm>& term, bool& none) {
    if (!a) none = true;
    else if (!autobound(*a)) term = address_expectation(*a);
  };
  field(row.local, p.local, p.local_none);
  field(row.peer, p.peer, p.peer_none);
  p.recvq = row.recvq;
  p.sendq = row.sendq;
  return p;
}

// The expectation that holds for exactly what the kernel returned (up to
// the kernel's own choices: ephemeral ports, autobind names).
Expectation kernel_expectation(const Result& r) {
  Pattern p;
  switch (r.kind) {
    case Result::Kind::Skip: p.kind = Pattern::Kind::Skip; break;
    case Result::Kind::Address:
      if (autobound(*r.address)) p.kind = Pattern::Kind::Anything;
      else { p.kind = Pattern::Kind::Address; p.address = address_expectation(*r.address); }
      break;
    case Result::Kind::From:
      p.kind = Pattern::Kind::From;
      p.exact = r;
      p.exact.address.reset();
      if (r.address && !autobound(*r.address)) p.address = address_expectation(*r.address);
      else if (r.address) p.kind = Pattern::Kind::Anything;
      break;
    case Result::Kind::Table:
      p.kind = Pattern::Kind::Table;
      for (const SsRow& row : r.rows) p.rows.push_back(row_expectation(row));
      if (p.rows.empty()) { p.kind = Pattern::Kind::Exact; p.exact = r; }
      break;
    default: p.exact = r; break;
  }
  return Expectation{{p}};
}

// The scenario as a corpus file: kernel results as expectations, the
// model's disagreement as comments.
std::string counterexample(const ScenarioVerdict& verdict) {
  std::string text = "# found by tests/property_differential_test.cc; expectations are the kernel's results\n";
  for (const LineVerdict& v : verdict.lines) {
    Line line = *v.line;
    if (v.kernel) line.expect = kernel_expectation(*v.kernel);
    text += print_line(line);
    if (v.diverged) {
      text += "  # model: " + print_result(*v.model);
      std::string rules;
      for (std::string_view r : v.rules) rules += (rules.empty() ? "" : ", ") + std::string(r);
      if (!rules.empty()) text += " (" + rules + ")";
      if (!v.note.empty()) text += " - " + v.note;
    } else if (v.unsupported) {
      text += "  # model: unsupported - " + v.note;
    }
    text += '\n';
  }
  if (!verdict.error.empty()) text += "# stopped: " + verdict.error + '\n';
  return text;
}

// ------------------------------------------------------------ known divergences

// Divergences found by this property, saved under corpus/property/ with the
// kernel's results, and waiting for a model fix (docs/testing.md lists
// them). A generated scenario that hits one is judged up to that line only:
// past a divergence the model's state no longer follows the kernel's, so
// later lines prove nothing. Delete an entry when its corpus files pass
// `sockspec check`.
struct KnownDivergence {
  std::string_view corpus;  // the corpus/property/ files that show it
  bool (*matches)(const LineVerdict&);
};

template <class Op> bool is(const LineVerdict& v) { return std::holds_alternative<Op>(v.line->op); }
bool inet_wildcard(const Address& a) {
  return (a.kind == AddressKind::Inet4 || a.kind == AddressKind::Inet6) && a.ip == std::array<std::uint8_t, 16>{};
}
bool kernel_errno(const LineVerdict& v, int e) { return v.kernel->kind == Result::Kind::Errno && v.kernel->integer == e; }
bool has_flag(const LineVerdict& v, MsgFlags f) {
  if (const auto* o = std::get_if<op::Send>(&v.line->op)) return (o->flags & f) != 0;
  if (const auto* o = std::get_if<op::SendTo>(&v.line->op)) return (o->flags & f) != 0;
  return false;
}

constexpr KnownDivergence kKnownDivergences[] = {
    // shutdown(RD) on a listener runs tcp_disconnect and releases its port
    {"listener-shutdown-rd-then-bind",
     [](const LineVerdict& v) { return is<op::Bind>(v) && v.rules.contains("bind.state.already_bound_einval"); }},
    // the model leaves AF_UNSPEC on a TCP socket unsupported (tcp_disconnect)
    {"connect-unspec-on-listener",
     [](const LineVerdict& v) { return v.unsupported && v.note.starts_with("AF_UNSPEC"); }},
    // SIOCATMARK is TCP's; other protocols answer ENOTTY (unsupported in the model)
    {"sockatmark-not-tcp", [](const LineVerdict& v) { return v.unsupported && is<op::SockAtMark>(v) && kernel_errno(v, ENOTTY); }},
    // udpv6_sendmsg has no MSG_OOB check (udp_sendmsg has)
    {"udp6-sendto-oob-allowed, udp6-send-oob-unconnected",
     [](const LineVerdict& v) { return has_flag(v, kMsgOob) && v.rules.contains("oob.udp.send_eopnotsupp"); }},
    // unix_dgram_sendmsg checks SEND_SHUTDOWN before the peer
    {"unix-dgram-send-after-shutdown",
     [](const LineVerdict& v) { return is<op::Send>(v) && kernel_errno(v, EPIPE) && v.rules.contains("unix.send.not_connected_enotconn"); }},
    // recvfrom at a seqpacket end of stream: the model gives a plain string
    {"unix-seqpacket-recvfrom-eof-form",
     [](const LineVerdict& v) { return is<op::RecvFrom>(v) && v.model->kind == Result::Kind::Bytes; }},
    // unix_diag's SENDQ of a connected socket is its unread skbs' truesize
    {"ss-unix-seqpacket-sendq, ss-unix-dgram-sendq, ss-unix-stream-sendq",
     [](const LineVerdict& v) {
       return is<op::Ss>(v) && std::any_of(v.kernel->rows.begin(), v.kernel->rows.end(), [](const SsRow& row) {
                return row.proto.starts_with("u_") && row.state != "LISTEN" && row.sendq != 0;
              });
     }},
    // abstract names belong to sock_net(sk), the socket's namespace
    {"unix-abstract-name-socket-namespace",
     [](const LineVerdict& v) { return is<op::Bind>(v) && v.rules.contains("unix.bind.abstract"); }},
    // ICMP port unreachable on a connected UDP socket (__udp4_lib_err ->
    // sk_err) after an explicit sendto, and its order against other checks
    {"udp-sendto-then-send-refused, udp6-sendto-unreachable-recv, udp6-pending-error-vs-family",
     [](const LineVerdict& v) {
       const bool data = is<op::Send>(v) || is<op::SendTo>(v) || is<op::Recv>(v) || is<op::RecvFrom>(v);
       const bool model_refused = v.model && v.model->kind == Result::Kind::Errno && v.model->integer == ECONNREFUSED;
       return data && (kernel_errno(v, ECONNREFUSED) || model_refused || v.rules.contains("data.udp.pending_error_once"));
     }},
    // abstract names are looked up in sock_net(sk) too (and a listener cannot connect)
    {"unix-connect-from-listener",
     [](const LineVerdict& v) { return is<op::Connect>(v) && v.rules.contains("unix.connect.abstract_missing_econnrefused"); }},
    // unix_find_bsd checks write permission on the path (EACCES)
    {"unix-connect-path-permission", [](const LineVerdict& v) { return is<op::Connect>(v) && kernel_errno(v, EACCES); }},
};

// Some lines leave a TCP socket in states the model does not follow yet;
// every later divergence on that socket (and any `ss` after one) belongs to
// the family that tainted it.
//  - a refused connect (ECONNREFUSED, or a nowait connect the RST then
//    closed): tcp_done keeps the addresses and SS_CONNECTING, releases the
//    autobound port, and reports its error once;
//  - shutdown of a listener or of an unconnected socket, and connect unspec:
//    tcp_disconnect / tcp_set_state(TCP_CLOSE) release ports and reset state.
constexpr std::string_view kAfterRefusedConnect =
    "bind-after-refused-connect, listen-after-connect-nowait, listener-keeps-refused-peer, "
    "name-after-refused-connect, recv-eof-after-refused-connect, recv-after-refused-connect-enotconn, "
    "recvfrom-after-refused-connect, poll-after-refused-connect, connect-nowait-then-refused, "
    "connect-after-refused-not-self, connect-after-nowait-shutdown-einval, ss-stale-peer-after-refused-connect";
constexpr std::string_view kAfterDisconnect =
    "listener-shutdown-rd-then-bind, listener-shutdown-rd-relisten-port, ss-after-listener-shutdown, "
    "connect-after-shutdown-econnaborted, recv-after-unspec-enotconn, poll-after-unspec, ss-after-unspec-sendq";

std::string_view taint_of(const LineVerdict& v) {
  if (!v.kernel) return {};
  if (const auto* c = std::get_if<op::Connect>(&v.line->op)) {
    if (c->addr.base.kind == AddressKind::Unspec) return kAfterDisconnect;
    if (kernel_errno(v, ECONNREFUSED) || kernel_errno(v, EINPROGRESS)) return kAfterRefusedConnect;
  }
  if (is<op::Shutdown>(v)) return kAfterDisconnect;
  return {};
}

// Destinations the model does not check yet: UDP port 0 (EINVAL), unspec,
// and a family other than the one the socket is bound in (EAFNOSUPPORT,
// ENETUNREACH from ip6_datagram_connect / udpv6_sendmsg / tcp_v6_connect).
constexpr KnownDivergence kUdpDestination{
    "udp-sendto-unspec, udp-sendto-unspec-unconnected, udp4-sendto-v6, udp6-sendto-port-zero, udp6-bound-v6-sendto-mapped, "
    "udp6-bound-mapped-sendto-v6, udp6-mapped-bound-connect-v6, udp6-connected-port-zero-send, "
    "udp6-connected-sendto-unspec, tcp6-mapped-bound-connect-v6",
    [](const LineVerdict& v) {
      if (v.unsupported && v.note.find("UDP destination") != std::string::npos) return true;
      return (is<op::SendTo>(v) || is<op::Connect>(v) || is<op::Send>(v)) && v.kernel->kind == Result::Kind::Errno &&
             (v.unsupported || v.model->kind != Result::Kind::Errno) &&
             (kernel_errno(v, EINVAL) || kernel_errno(v, EAFNOSUPPORT) || kernel_errno(v, ENETUNREACH) ||
              kernel_errno(v, EDESTADDRREQ));
    }};

// AF_UNIX names the model does not follow yet: a datagram socketpair end
// sees its peer's later bind; ss shows a closed stream peer as *:*.
constexpr KnownDivergence kUnixNames{
    "unix-dgram-socketpair-peer-name, ss-unix-stream-peer-closed, ss-unix-dgram-peer-closed",
    [](const LineVerdict& v) {
      return is<op::GetPeerName>(v) ||
             (is<op::Ss>(v) && std::any_of(v.kernel->rows.begin(), v.kernel->rows.end(),
                                           [](const SsRow& row) { return row.proto.starts_with("u_") && !row.peer; }));
    }};

// A UDPv6 socket bound to [::] and then connected keeps 0.0.0.0 as its IPv4
// receive address: it still conflicts with every IPv4 bind of its port.
constexpr std::string_view kUdp6ConnectedWildcard = "udp6-connect-keeps-v4-wildcard";

bool udp6_connect_from_wildcard(const LineVerdict& v, const std::map<std::string, Address>& bound) {
  const auto* c = std::get_if<op::Connect>(&v.line->op);
  auto it = bound.find(v.line->socket);
  return c && v.kernel && v.kernel->kind == Result::Kind::Ok && it != bound.end() &&
         it->second.kind == AddressKind::Inet6 && inet_wildcard(it->second);
}

// The kernel caches SO_REUSEPORT compatibility in the port's bind bucket
// (tb->fastreuseport); the model evaluates only the pairwise relation.
constexpr std::string_view kReuseportBucket = "reuseport-bucket-admits-after-v6only";
// A UDP socket connected twice keeps the first connect's source address.
constexpr std::string_view kUdpReconnect = "udp6-reconnect-keeps-source";

// Closing a self-connected socket leaves a TIME_WAIT socket on its port
// that the model does not keep: later binds of the port are EADDRINUSE.
constexpr std::string_view kSelfConnectTimeWait = "self-connect-close-time-wait";
constexpr std::string_view kScenarioWide = "";  // the taint map's key for a taint on every socket

// A successful connect to the very address the socket is bound to.
bool self_connect(const LineVerdict& v, const std::map<std::string, Address>& bound) {
  const auto* c = std::get_if<op::Connect>(&v.line->op);
  if (!c || !v.kernel || v.kernel->kind != Result::Kind::Ok) return false;
  auto it = bound.find(v.line->socket);
  return it != bound.end() && it->second.port == c->addr.base.port;
}

// Which known divergence explains line `v`, or "" when none does.
std::string_view known(const LineVerdict& v, const std::map<std::string, std::string_view, std::less<>>& tainted) {
  if (auto it = tainted.find(v.line->socket); it != tainted.end()) return it->second;
  if (is<op::Ss>(v))  // ss shows every socket, tainted ones included
    for (const auto& [key, family] : tainted)
      if (key != kReuseportBucket) return family;
  const bool port_taken = is<op::Bind>(v) || is<op::Listen>(v);
  if (auto it = tainted.find(kScenarioWide); it != tainted.end() && port_taken && v.kernel->kind == Result::Kind::Errno)
    return it->second;
  // the kernel admits what the pairwise relation refuses, once SO_REUSEPORT is in play
  if (tainted.contains(kReuseportBucket) && port_taken && v.kernel->kind == Result::Kind::Ok &&
      v.model->kind == Result::Kind::Errno && v.model->integer == EADDRINUSE)
    return kReuseportBucket;
  for (const KnownDivergence& k : kKnownDivergences)
    if (k.matches(v)) return k.corpus;
  for (const KnownDivergence* k : {&kUdpDestination, &kUnixNames})
    if (k->matches(v)) return k->corpus;
  return {};
}

// ------------------------------------------------------------ the property

bool any_result(const ScenarioVerdict& v, auto&& pred) {
  for (const LineVerdict& l : v.lines)
    if (l.kernel && pred(*l.line, *l.kernel)) return true;
  return false;
}

void model_allows_every_kernel_result() {
  const Program program = *pgen::scenario(g_sandbox.root);
  const ScenarioVerdict verdict = run_scenario(program, Mode::Lockstep, DriverConfig{});
  // How often the interesting things happen (printed as the distribution).
  RC_CLASSIFY(any_result(verdict, [](const Line&, const Result& r) { return r.kind == Result::Kind::Errno && r.integer == EADDRINUSE; }),
              "bind conflict");
  RC_CLASSIFY(any_result(verdict, [](const Line& l, const Result& r) { return std::holds_alternative<op::Accept>(l.op) && r.kind == Result::Kind::Ok; }),
              "accepted");
  RC_CLASSIFY(any_result(verdict, [](const Line& l, const Result& r) {
                const auto* recv = std::get_if<op::Recv>(&l.op);
                return recv && (recv->flags & kMsgOob) && r.kind == Result::Kind::Bytes && !r.text.empty();
              }),
              "urgent byte read");
  RC_ASSERT(verdict.error.empty());
  std::map<std::string, std::string_view, std::less<>> tainted;  // socket -> the known family it is in
  std::map<std::string, Address> bound;              // socket -> the address it bound
  std::set<std::string> self_connected, connected;
  for (std::size_t i = 0; i < verdict.lines.size(); ++i) {
    const LineVerdict& v = verdict.lines[i];
    if (std::string_view t = taint_of(v); !t.empty()) tainted.emplace(v.line->socket, t);
    if (const auto* b = std::get_if<op::Bind>(&v.line->op); b && v.kernel && v.kernel->kind == Result::Kind::Ok)
      bound[v.line->socket] = b->addr.base;
    if (self_connect(v, bound)) self_connected.insert(v.line->socket);
    if (is<op::Close>(v) && self_connected.contains(v.line->socket))
      tainted.emplace(std::string(kScenarioWide), kSelfConnectTimeWait);
    if (const auto* o = std::get_if<op::SetSockOpt>(&v.line->op); o && o->opt == SockOpt::SoReuseport)
      tainted.emplace(std::string(kReuseportBucket), kReuseportBucket);
    if (is<op::Connect>(v) && !connected.insert(v.line->socket).second) tainted.emplace(v.line->socket, kUdpReconnect);
    if (udp6_connect_from_wildcard(v, bound)) tainted.emplace(std::string(kScenarioWide), kUdp6ConnectedWildcard);
    if (!v.diverged && !v.unsupported) continue;
    if (std::string_view family = known(v, tainted); !family.empty()) {
      RC_TAG(fmt::format("stopped at a known divergence ({})", family.substr(0, family.find(','))));
      return;
    }
    RC_FAIL(fmt::format("line {} {}:\n{}", i + 1, v.diverged ? "diverges" : "is unsupported",
                        counterexample(verdict)));
  }
}

constexpr prop::Budget kBudget{.ci = 1000, .nightly = 100000};

TEST(PropertyDifferential, FixedSeed) {
  if (g_sandbox_error) GTEST_SKIP() << "the oracle cannot run here: " << *g_sandbox_error;
  prop::check_property(model_allows_every_kernel_result, kBudget, prop::Seed::Fixed);
}

TEST(PropertyDifferential, RandomSeed) {
  if (g_sandbox_error) GTEST_SKIP() << "the oracle cannot run here: " << *g_sandbox_error;
  prop::check_property(model_allows_every_kernel_result, kBudget, prop::Seed::Random);
}

}  // namespace
}  // namespace sockspec

// The sandbox must be entered while the process has one thread (oracle.h),
// so before RUN_ALL_TESTS.
int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  sockspec::g_sandbox_error = sockspec::enter_sandbox(&sockspec::g_sandbox);
  if (sockspec::g_sandbox_error) std::fprintf(stderr, "skipping: %s\n", sockspec::g_sandbox_error->c_str());
  return RUN_ALL_TESTS();
}
