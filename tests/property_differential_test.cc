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
// kernel's results, and waiting for a model fix. A generated scenario that
// hits one is judged up to that line only: past a divergence the model's
// state no longer follows the kernel's, so later lines prove nothing.
// Delete an entry when its corpus file passes `sockspec check`.
struct KnownDivergence {
  std::string_view corpus;  // corpus/property/NAME.scn
  bool (*matches)(const LineVerdict&);
};

template <class Op> bool is(const LineVerdict& v) { return std::holds_alternative<Op>(v.line->op); }
bool inet_wildcard(const Address& a) {
  return (a.kind == AddressKind::Inet4 || a.kind == AddressKind::Inet6) && a.ip == std::array<std::uint8_t, 16>{};
}
bool kernel_ok(const LineVerdict& v) { return v.kernel->kind == Result::Kind::Ok; }
bool kernel_errno(const LineVerdict& v, int e) { return v.kernel->kind == Result::Kind::Errno && v.kernel->integer == e; }

constexpr KnownDivergence kKnownDivergences[] = {
    // TCP_CLOSE (a refused connect's tcp_done, a listener's shutdown(RD)
    // through tcp_disconnect) releases an autobound port in inet_put_port:
    // inet_num is 0 again, so __inet_bind accepts a new bind.
    {"bind-after-refused-connect",
     [](const LineVerdict& v) { return is<op::Bind>(v) && kernel_ok(v) && v.rules.contains("bind.state.already_bound_einval"); }},
    // inet_listen wants sock->state == SS_UNCONNECTED; a `connect nowait`
    // leaves SS_CONNECTING even after the RST closed the socket.
    {"listen-after-connect-nowait",
     [](const LineVerdict& v) { return is<op::Listen>(v) && kernel_errno(v, EINVAL) && v.model->kind == Result::Kind::Ok; }},
    // tcp_done keeps inet_daddr/inet_saddr/inet_sport: a later listener shows
    // the old peer in ss, and getsockname the old source address.
    {"listener-keeps-refused-peer",
     [](const LineVerdict& v) {
       return is<op::Ss>(v) && std::any_of(v.kernel->rows.begin(), v.kernel->rows.end(), [](const SsRow& row) {
                return row.state == "LISTEN" && row.peer.has_value();
              });
     }},
    {"name-after-refused-connect",
     [](const LineVerdict& v) {
       return is<op::GetSockName>(v) && v.kernel->kind == Result::Kind::Address &&
              v.model->kind == Result::Kind::Address && !inet_wildcard(*v.kernel->address) &&
              inet_wildcard(*v.model->address);
     }},
    // tcp_recvmsg on a closed socket with SOCK_DONE (set by tcp_done) reads
    // end of stream once sk_err has been reported.
    {"recv-after-refused-connect",
     [](const LineVerdict& v) {
       const bool end_of_stream = (v.kernel->kind == Result::Kind::Bytes || v.kernel->kind == Result::Kind::From) &&
                                  v.kernel->text.empty() && !v.kernel->from_truncated;
       return (is<op::Recv>(v) || is<op::RecvFrom>(v)) && end_of_stream && v.model->kind == Result::Kind::Errno &&
              v.model->integer == ENOTCONN;
     }},
    // SIOCATMARK exists for TCP only: inet_ioctl passes it to the protocol's
    // ioctl, and udp_ioctl / unix_ioctl answer ENOIOCTLCMD -> ENOTTY.
    {"sockatmark-not-tcp",
     [](const LineVerdict& v) { return v.unsupported && is<op::SockAtMark>(v) && kernel_errno(v, ENOTTY); }},
};

const KnownDivergence* known(const LineVerdict& v) {
  for (const KnownDivergence& k : kKnownDivergences)
    if (k.matches(v)) return &k;
  return nullptr;
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
  for (std::size_t i = 0; i < verdict.lines.size(); ++i) {
    const LineVerdict& v = verdict.lines[i];
    if (!v.diverged && !v.unsupported) continue;
    if (const KnownDivergence* k = known(v)) {
      RC_TAG(std::string("known: ") + std::string(k->corpus));
      return;
    }
    RC_FAIL(fmt::format("line {} {}:\n{}", i + 1, v.diverged ? "diverges" : "is unsupported",
                        counterexample(verdict)));
  }
}

constexpr prop::Budget kBudget{.ci = 200, .nightly = 20000};

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
