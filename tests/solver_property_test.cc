// The solver searches the relation the model checks (DESIGN.md, principle 3):
// on generated concrete pairs of BindViews, every guard of
// model/bind_conflict.h evaluated over Z3 (fields fixed to the concrete
// values) equals the concrete guard, and the rule Z3 finds deciding is the
// rule decide_bind_conflict returns. A second property ties the solver's
// socket space (solver/bind_space.h) to the model's own inet::bind_view.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidcheck/gtest.h>

#include "model/inet.h"
#include "model/world.h"
#include "solver/bind_space.h"
#include "solver/z3_domain.h"

namespace sockspec::solver {
namespace {

using CView = BindView<ConcreteDomain>;

// Field values from small sets, so that equalities (same port, same
// address, same uid, same device) happen often.
rc::Gen<CView> gen_view() {
  return rc::gen::exec([] {
    CView v{};
    v.space = *rc::gen::inRange<std::int64_t>(0, 2);
    v.addr = *rc::gen::inRange<std::int64_t>(0, 5);
    v.v4 = *rc::gen::element<std::int64_t>(0, 0x7f000001, 0x7f000002);
    v.v6_hi = *rc::gen::element<std::int64_t>(0, static_cast<std::int64_t>(0xfd00000000000000ull));
    v.v6_lo = *rc::gen::element<std::int64_t>(0, 1, 2);
    v.port = *rc::gen::element<std::int64_t>(40000, 40001);
    v.v6only = *rc::gen::arbitrary<bool>();
    v.reuseaddr = *rc::gen::arbitrary<bool>();
    v.reuseport = *rc::gen::arbitrary<bool>();
    v.uid = *rc::gen::element<std::int64_t>(0, 1000);
    v.state = *rc::gen::inRange<std::int64_t>(0, 3);
    v.device = *rc::gen::element<std::int64_t>(0, 0, 1, 2);
    return v;
  });
}

BindView<Z3Domain> literal(const CView& v) {
  auto i = [](std::int64_t x) { return Z3Domain::lit(x); };
  auto b = [](bool x) { return Z3Domain::lit(x); };
  return {i(v.space), i(v.addr), i(v.v4), i(v.v6_hi), i(v.v6_lo), i(v.port), b(v.v6only),
          b(v.reuseaddr), b(v.reuseport), i(v.uid), i(v.state), i(v.device)};
}

// Free constants for every field, and the formula fixing them to `v`.
struct FreeView {
  BindView<Z3Domain> view;
  z3::expr fixed;
};
FreeView free_view(z3::context& c, const std::string& p, const CView& v) {
  auto i = [&](const char* f) { return c.int_const((p + f).c_str()); };
  auto b = [&](const char* f) { return c.bool_const((p + f).c_str()); };
  BindView<Z3Domain> s{i("space"), i("addr"), i("v4"), i("v6_hi"), i("v6_lo"), i("port"), b("v6only"),
                       b("reuseaddr"), b("reuseport"), i("uid"), i("state"), i("device")};
  auto flag = [](const z3::expr& e, bool x) { return x ? e : !e; };
  z3::expr fixed = s.space == c.int_val(v.space) && s.addr == c.int_val(v.addr) && s.v4 == c.int_val(v.v4) &&
                   s.v6_hi == c.int_val(v.v6_hi) && s.v6_lo == c.int_val(v.v6_lo) && s.port == c.int_val(v.port) &&
                   flag(s.v6only, v.v6only) && flag(s.reuseaddr, v.reuseaddr) && flag(s.reuseport, v.reuseport) &&
                   s.uid == c.int_val(v.uid) && s.state == c.int_val(v.state) && s.device == c.int_val(v.device);
  return {s, fixed};
}

RC_GTEST_PROP(SolverRelation, EveryGuardAgreesWithTheConcreteOne, ()) {
  const CView h = *gen_view(), n = *gen_view();
  const bool explicit_port = *rc::gen::arbitrary<bool>();
  z3::context c;
  Z3Domain::Use use(c);
  const auto hz = literal(h), nz = literal(n);
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i) {
    const bool concrete = bind_conflict_guard<ConcreteDomain>(i, h, n, BindEnv<ConcreteDomain>{explicit_port});
    const z3::expr symbolic = bind_conflict_guard<Z3Domain>(i, hz, nz, BindEnv<Z3Domain>{c.bool_val(explicit_port), c.bool_val(false)}).simplify();
    RC_ASSERT(symbolic.is_true() || symbolic.is_false());
    RC_ASSERT(symbolic.is_true() == concrete);
  }
}

RC_GTEST_PROP(SolverRelation, TheSatisfiablePathIsTheModelsDecision, ()) {
  const CView h = *gen_view(), n = *gen_view();
  const bool explicit_port = *rc::gen::arbitrary<bool>();
  const BindDecision d = decide_bind_conflict(h, n, BindEnv<ConcreteDomain>{explicit_port});
  z3::context c;
  Z3Domain::Use use(c);
  const FreeView hf = free_view(c, "h.", h), nf = free_view(c, "n.", n);
  const z3::expr env_port = c.bool_const("explicit_port");
  z3::solver s(c);
  s.add(hf.fixed && nf.fixed && (explicit_port ? env_port : !env_port));
  for (std::size_t i = 0; i < kBindConflictRules.size(); ++i) {
    s.push();
    s.add(bind_conflict_path<Z3Domain>(i, hf.view, nf.view, BindEnv<Z3Domain>{env_port, c.bool_val(false)}));
    const bool sat = s.check() == z3::sat;
    s.pop();
    RC_ASSERT(sat == (kBindConflictRules[i].name == d.rule));
  }
}

// A SocketChoice of the solver's menu, generated directly.
rc::Gen<SocketChoice> gen_choice() {
  return rc::gen::exec([] {
    SocketChoice s;
    s.proto = *rc::gen::element(Proto::Tcp, Proto::Udp, Proto::Mptcp);
    s.family = *rc::gen::element(Family::Inet, Family::Inet6);
    s.addr = s.family == Family::Inet ? *rc::gen::element(AddrClass::Any4, AddrClass::Ip4)
                                      : *rc::gen::element(AddrClass::Any6, AddrClass::Mapped, AddrClass::Ip6);
    if (s.addr == AddrClass::Ip4) s.v4 = *rc::gen::elementOf(kV4Menu);
    if (s.addr == AddrClass::Mapped) s.v4 = *rc::gen::element<std::uint32_t>(0, kV4Menu[0], kV4Menu[1]);
    if (s.addr == AddrClass::Ip6) s.v6 = *rc::gen::element(kV6Loopback, kV6Extra);
    s.port = static_cast<std::uint16_t>(*rc::gen::element(kPortA, kPortB));
    if (s.family == Family::Inet6) {
      s.v6only_set = *rc::gen::arbitrary<bool>();
      s.v6only_value = s.v6only_set && *rc::gen::arbitrary<bool>();
    }
    s.reuseaddr = *rc::gen::arbitrary<bool>();
    s.reuseport = *rc::gen::arbitrary<bool>();
    s.uid = *rc::gen::element<std::int64_t>(0, 1000);
    s.role = s.proto == Proto::Tcp     ? *rc::gen::element(Role::Bound, Role::Listening, Role::Connected, Role::TimeWait)
             : s.proto == Proto::Mptcp ? *rc::gen::element(Role::Bound, Role::Listening, Role::Connected)
                                       : *rc::gen::element(Role::Bound, Role::Connected);
    // connect gives a wildcard-bound socket the loopback source
    const bool loopback = (s.addr == AddrClass::Ip4 || s.addr == AddrClass::Mapped) ? s.v4 == kV4Menu[0]
                                                                                    : s.v6 == kV6Loopback;
    if (s.role == Role::Connected || s.role == Role::TimeWait)
      s.wild_connect = s.addr != AddrClass::Any4 && s.addr != AddrClass::Any6 && loopback && *rc::gen::arbitrary<bool>();
    return s;
  });
}

// The model's socket for a choice, as the witness scenario would leave it.
Socket model_socket(const SocketChoice& c, bool bindv6only) {
  Socket s;
  s.family = c.family;
  s.type = is_stream(c.proto) ? SockType::Stream : SockType::Dgram;
  s.protocol = c.proto == Proto::Mptcp ? IPPROTO_MPTCP : 0;
  s.uid = c.uid;
  s.opt.reuseaddr = c.reuseaddr;
  s.opt.reuseport = c.reuseport;
  s.opt.v6only = c.family == Family::Inet6 && (c.v6only_set ? c.v6only_value : bindv6only);
  if (c.addr == AddrClass::Ip6 && !c.wild_connect) s.opt.v6only = true;  // bind_inet: bind.address.v6_specific_sets_v6only
  s.state = c.role == Role::Listening  ? SockState::Listen
            : c.role == Role::TimeWait ? SockState::TimeWait
            : c.role == Role::Connected && is_stream(c.proto) ? SockState::Established
                                                 : SockState::Unconn;
  return s;
}

RC_GTEST_PROP(SolverSpace, TheSymbolicViewIsTheModelsBindView, ()) {
  const SocketChoice choice = *gen_choice();
  const bool bindv6only = *rc::gen::arbitrary<bool>();
  World w;
  w.namespaces.emplace_back();
  const CView want = inet::bind_view(w, model_socket(choice, bindv6only), choice.address());

  z3::context c;
  Z3Domain::Use use(c);
  const SymSocket s = SymSocket::make(c, "s");
  const SymKnobs k{c.bool_val(bindv6only)};
  z3::solver solver(c);
  solver.add(fixed_to(s, choice));
  RC_ASSERT(solver.check() == z3::sat);
  const z3::model m = solver.get_model();
  const auto got = view(s, k);
  auto num = [&](const z3::expr& e) { return m.eval(e, true).get_numeral_int64(); };
  auto truth = [&](const z3::expr& e) { return m.eval(e, true).is_true(); };
  RC_ASSERT(num(got.space) == want.space);
  RC_ASSERT(num(got.addr) == want.addr);
  RC_ASSERT(num(got.v4) == want.v4);
  RC_ASSERT(num(got.v6_hi) == want.v6_hi);
  RC_ASSERT(num(got.v6_lo) == want.v6_lo);
  RC_ASSERT(num(got.port) == want.port);
  RC_ASSERT(truth(got.v6only) == want.v6only);
  RC_ASSERT(truth(got.reuseaddr) == want.reuseaddr);
  RC_ASSERT(truth(got.reuseport) == want.reuseport);
  RC_ASSERT(num(got.uid) == want.uid);
  RC_ASSERT(num(got.state) == want.state);
  RC_ASSERT(num(got.device) == want.device);
}

}  // namespace
}  // namespace sockspec::solver
