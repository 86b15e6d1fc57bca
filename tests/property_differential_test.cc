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

bool unsupported_because(const LineVerdict& v, std::string_view why) {
  return v.unsupported && v.note.find(why) != std::string::npos;
}

// Lines that diverge on their own (the rest of the corpus/property/ files
// agree since the model was fixed).
constexpr KnownDivergence kKnownDivergences[] = {
    // tcp_disconnect is not modelled for AF_UNSPEC on TCP (unsupported)
    {"connect-unspec-on-listener", [](const LineVerdict& v) { return unsupported_because(v, "AF_UNSPEC"); }},
    // SIOCATMARK is TCP's; other protocols answer ENOTTY (unsupported)
    {"sockatmark-not-tcp",
     [](const LineVerdict& v) { return is<op::SockAtMark>(v) && unsupported_because(v, "SIOCATMARK"); }},
    // AF_UNSPEC as a UDP destination: EINVAL / EDESTADDRREQ / the connected
    // peer, by family and state (unsupported)
    {"udp-sendto-unspec, udp-sendto-unspec-unconnected, udp6-connected-sendto-unspec",
     [](const LineVerdict& v) { return unsupported_because(v, "UDP destination"); }},
    // connect after shutdown(RDWR) of an unconnected socket: ECONNABORTED
    // (the model self-connects)
    {"connect-after-shutdown-econnaborted",
     [](const LineVerdict& v) { return is<op::Connect>(v) && kernel_errno(v, ECONNABORTED); }},
    // inet_listen wants sock->state == SS_UNCONNECTED, which a socket that
    // once connected never returns to
    {"listen-after-connected-einval, listen-after-peer-closed-einval",
     [](const LineVerdict& v) { return is<op::Listen>(v) && kernel_errno(v, EINVAL) && v.model->kind == Result::Kind::Ok; }},
    // a blocking connect after a completed one: connect(2) says EISCONN,
    // which the language reads as ok
    {"connect-after-nowait-completed-ok, connect-after-unspec-listener-ok",
     [](const LineVerdict& v) { return is<op::Connect>(v) && v.rules.contains("connect.state.connected_eisconn"); }},
    // a self-connected socket's FIN reaches itself: after shutdown(WR) it
    // leaves for TIME-WAIT and a second shutdown is ENOTCONN (inet_shutdown)
    {"self-connect-shutdown-twice-enotconn",
     [](const LineVerdict& v) { return is<op::Shutdown>(v) && kernel_errno(v, ENOTCONN) && v.model->kind == Result::Kind::Ok; }},
    // a second bind of a socket bound after a refused connect: EINVAL
    {"bind-twice-after-refused-connect",
     [](const LineVerdict& v) { return is<op::Bind>(v) && kernel_errno(v, EINVAL) && v.model->kind == Result::Kind::Ok; }},
    // UDP: SEND_SHUTDOWN is EPIPE before anything else; port 0 dissolves an
    // association; reconnecting clears sk_err
    {"udp-send-after-shutdown-epipe, udp6-sendto-oob-after-shutdown, udp-connect-port-zero-disconnects, "
     "udp6-reconnect-clears-pending-error",
     [](const LineVerdict& v) {
       return ((is<op::Send>(v) || is<op::SendTo>(v)) && (kernel_errno(v, EPIPE) || kernel_errno(v, ENETUNREACH))) ||
              (is<op::GetPeerName>(v) && kernel_errno(v, ENOTCONN)) || v.rules.contains("data.udp.pending_error_once");
     }},
    // connect unspec on an established socket sends RST: ECONNRESET after
    {"recv-after-unspec-disconnect-econnreset, send-after-unspec-disconnect-econnreset, send-after-unspec-disconnect-mapped",
     [](const LineVerdict& v) {
       return (is<op::Recv>(v) || is<op::RecvFrom>(v) || is<op::Send>(v) || is<op::SendTo>(v)) && kernel_errno(v, ECONNRESET);
     }},
    // bind(port 0) and listen's autobind also avoid ports that connect's
    // autobind took: the range can be exhausted where the model sees room
    {"ephemeral-exhaustion-counts-connect-ports",
     [](const LineVerdict& v) { return kernel_errno(v, EADDRINUSE) && v.rules.contains("bind.ephemeral.canonical"); }},
    // unix_find_bsd's permission check: the creator may write its own file
    {"unix-connect-own-path-eprototype",
     [](const LineVerdict& v) { return is<op::Connect>(v) && v.rules.contains("unix.connect.path_not_writable_eacces"); }},
    // may_delete: the sticky /tmp keeps uid 1000 from unlinking root's file
    {"unix-unlink-sticky-tmp-eperm", [](const LineVerdict& v) { return is<op::Unlink>(v) && kernel_errno(v, EPERM); }},
};

// Divergences that depend on what happened earlier in the scenario, kept
// as scenario-wide flags while walking its lines.
//  - The kernel caches SO_REUSEPORT compatibility in the port's bind bucket
//    (tb->fastreuseport): once SO_REUSEPORT is in play it may admit a bind
//    or listen the pairwise relation refuses.
//  - An inet6 socket bound to [::] and then connected keeps 0.0.0.0 as its
//    IPv4 receive address: a later bind of its port may be EADDRINUSE.
//  - connect unspec on a socket bound by bind(port 0) keeps the port.
//  - A UDP connect to port 0 dissolves the association: the socket then
//    receives what it sends to itself.
//  - A TCPv6 socket refused on a v4-mapped address keeps the mapped source:
//    its later connects to native IPv6 stay pending (no RST can reach it).
constexpr std::string_view kReuseportBucket = "reuseport-bucket-admits-after-v6only";
constexpr std::string_view kUdp6ConnectedWildcard = "udp6-connect-keeps-v4-wildcard, tcp6-connect-keeps-v4-wildcard";
constexpr std::string_view kPortZeroDisconnects = "udp-connect-port-zero-then-receive-own";
constexpr std::string_view kUnspecKeepsPort = "ss-after-unspec-keeps-bound-port";
constexpr std::string_view kMappedRefused =
    "tcp6-mapped-refused-then-v6-pending, tcp6-mapped-refused-then-v6-poll, tcp6-mapped-refused-then-v6-recv, "
    "tcp6-mapped-refused-then-v6-ss";

struct ScenarioHistory {
  std::map<std::string, Address> bound;  // socket -> the address a successful bind gave it
  bool reuseport = false;                // some line set SO_REUSEPORT
  bool v6_connected_from_wildcard = false;
  std::set<std::string> mapped_refused;  // TCPv6 sockets refused on a v4-mapped address
  bool unspec_connect = false;           // some TCP socket was disconnected by connect unspec
  bool connect_port_zero = false;        // some socket connected to port 0 (a UDP disconnect)

  void record(const LineVerdict& v) {
    if (const auto* c = std::get_if<op::Connect>(&v.line->op);
        c && v.kernel && kernel_errno(v, ECONNREFUSED) && c->addr.base.kind == AddressKind::Inet6)
      mapped_refused.insert(v.line->socket);
    if (is<op::Connect>(v) && v.kernel && kernel_errno(v, EINPROGRESS)) note_connect_from_wildcard(v);
    if (!v.kernel || v.kernel->kind != Result::Kind::Ok) return;
    if (const auto* c = std::get_if<op::Connect>(&v.line->op); c && c->addr.base.kind == AddressKind::Unspec)
      unspec_connect = true;
    if (const auto* c = std::get_if<op::Connect>(&v.line->op); c && c->addr.base.kind != AddressKind::Unspec && c->addr.base.port == 0)
      connect_port_zero = true;
    if (const auto* b = std::get_if<op::Bind>(&v.line->op)) bound[v.line->socket] = b->addr.base;
    if (const auto* o = std::get_if<op::SetSockOpt>(&v.line->op); o && o->opt == SockOpt::SoReuseport)
      reuseport = true;
    if (is<op::Connect>(v)) note_connect_from_wildcard(v);
  }

  void note_connect_from_wildcard(const LineVerdict& v) {
    if (auto it = bound.find(v.line->socket); it != bound.end() && it->second.kind == AddressKind::Inet6 && inet_wildcard(it->second))
      v6_connected_from_wildcard = true;
  }
};

// Which known divergence explains line `v`, or "" when none does.
std::string_view known(const LineVerdict& v, const ScenarioHistory& history) {
  const bool takes_port = is<op::Bind>(v) || is<op::Listen>(v);
  if (history.reuseport && takes_port && v.kernel->kind == Result::Kind::Ok && v.model->kind == Result::Kind::Errno &&
      v.model->integer == EADDRINUSE)
    return kReuseportBucket;
  if (history.v6_connected_from_wildcard && takes_port && kernel_errno(v, EADDRINUSE)) return kUdp6ConnectedWildcard;
  if (history.mapped_refused.contains(v.line->socket) || (is<op::Ss>(v) && !history.mapped_refused.empty()))
    return kMappedRefused;
  if (history.connect_port_zero && v.rules.contains("data.recv.empty_eagain")) return kPortZeroDisconnects;
  if (history.unspec_connect && is<op::Ss>(v) && v.model->rows.size() != v.kernel->rows.size()) return kUnspecKeepsPort;
  for (const KnownDivergence& k : kKnownDivergences)
    if (k.matches(v)) return k.corpus;
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
  ScenarioHistory history;
  for (std::size_t i = 0; i < verdict.lines.size(); ++i) {
    const LineVerdict& v = verdict.lines[i];
    history.record(v);
    if (!v.diverged && !v.unsupported) continue;
    if (std::string_view family = known(v, history); !family.empty()) {
      RC_TAG(fmt::format("stopped at a known divergence ({})", family.substr(0, family.find(','))));
      return;
    }
    RC_FAIL(fmt::format("line {} {}:\n{}", i + 1, v.diverged ? "diverges" : "is unsupported",
                        counterexample(verdict)));
  }
}

constexpr prop::Budget kBudget{.ci = 1000, .nightly = 100000};
// The random seed explores new ground on every CI run; each new counterexample
// it finds is a real divergence, but one that CI did not introduce. Keep its
// CI share small (about 1% of runs met an unknown divergence at 100 cases)
// and let the nightly long mode do the exploring.
constexpr prop::Budget kRandomBudget{.ci = 100, .nightly = 100000};

TEST(PropertyDifferential, FixedSeed) {
  if (g_sandbox_error) GTEST_SKIP() << "the oracle cannot run here: " << *g_sandbox_error;
  prop::check_property(model_allows_every_kernel_result, kBudget, prop::Seed::Fixed);
}

TEST(PropertyDifferential, RandomSeed) {
  if (g_sandbox_error) GTEST_SKIP() << "the oracle cannot run here: " << *g_sandbox_error;
  prop::check_property(model_allows_every_kernel_result, kRandomBudget, prop::Seed::Random);
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
