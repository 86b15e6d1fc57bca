// The Z3 searches (solver/search.h).
#include "solver/search.h"

#include <fmt/format.h>

#include "model/bind_conflict.h"
#include "model/kernel_variations.h"
#include "scenario/vocabulary.h"

namespace sockspec::solver {

namespace {

using Z = Z3Domain;

constexpr std::size_t kRuleCount = kBindConflictRules.size();
constexpr std::size_t kDisjointAddresses = bind_rule_index(BindRule::DisjointAddresses);  // the rule the legacy switch changes

// The relation as kernels before bhash2 read it (Knob::LegacyAny4CoversIp6):
// identical to today's but for address overlap, where 0.0.0.0 on one side
// also covered an inet6 socket on a plain IPv6 address on the other.
// Written over any domain, like the relation, so the model could adopt it.
template <class D>
typename D::Bool legacy_guard(std::size_t i, const BindView<D>& h, const BindView<D>& n, const BindEnv<D>& env) {
  if (i != kDisjointAddresses) return bind_conflict_guard<D>(i, h, n, env);
  auto is = [](const typename D::Int& x, AddrClass c) { return D::eq(x, D::lit(static_cast<std::int64_t>(c))); };
  auto any4_covers_ip6 = D::or_(D::and_(is(h.addr, AddrClass::Any4), is(n.addr, AddrClass::Ip6)),
                                D::and_(is(h.addr, AddrClass::Ip6), is(n.addr, AddrClass::Any4)));
  return D::not_(D::or_(addresses_overlap<D>(h, n), any4_covers_ip6));
}

template <class D>
typename D::Bool legacy_path(std::size_t i, const BindView<D>& h, const BindView<D>& n, const BindEnv<D>& env) {
  auto path = legacy_guard<D>(i, h, n, env);
  for (std::size_t j = 0; j < i; ++j) path = D::and_(path, D::not_(legacy_guard<D>(j, h, n, env)));
  return path;
}

// The searches answer for the reference kernel. Where the relation's
// variation (bind.conflict.mapped_any_misses_mapped) gives the pair `m`
// found another outcome, the witness says so in an `@COND -> EXPECT`.
std::optional<KernelPrediction> on_variant_kernels(const z3::model& m, const BindView<Z>& h, const BindView<Z>& n,
                                                   const z3::expr& explicit_port, BindOutcome reference) {
  const BindEnv<Z> hole{explicit_port, explicit_port.ctx().bool_val(true)};
  for (std::size_t i = 0; i < kRuleCount; ++i) {
    if (!m.eval(bind_conflict_guard<Z>(i, h, n, hole), true).is_true()) continue;
    if (kBindConflictRules[i].outcome == reference) return std::nullopt;
    return KernelPrediction{variation_rule(Variation::MappedAnyMissesMapped).when,
                            expect_word(kBindConflictRules[i].outcome)};
  }
  return std::nullopt;
}

// `# ` lines naming the guards that were false before the deciding one.
std::string path_text(std::size_t rule) {
  std::string earlier;
  for (std::size_t j = 0; j < rule; ++j) earlier += fmt::format("{}{}", j ? ", " : "", short_rule(j));
  if (rule == 0) return fmt::format("{} decides (the first guard)", kBindConflictRules[rule].name);
  return fmt::format("{} decides; the guards before it are false: {}", kBindConflictRules[rule].name, earlier);
}

// Everything about a pair (holder, newcomer) the searches share.
struct PairSpace {
  SymSocket holder, newcomer;
  SymKnobs knobs;
  z3::expr explicit_port;

  explicit PairSpace(z3::context& c)
      : holder(SymSocket::make(c, "A")),
        newcomer(SymSocket::make(c, "B")),
        knobs(SymKnobs::make(c)),
        explicit_port(c.bool_const("B.explicit_port")) {}

  z3::expr well_formed_pair() const {
    // the newcomer is about to bind: its role is Bound
    return well_formed(holder, knobs) && well_formed(newcomer, knobs) &&
           newcomer.role == newcomer.role.ctx().int_val(static_cast<std::int64_t>(Role::Bound));
  }
  z3::expr path(std::size_t rule) const {
    return bind_conflict_path<Z>(rule, view(holder, knobs), view(newcomer, knobs), BindEnv<Z>{explicit_port, explicit_port.ctx().bool_val(false)});
  }
  std::vector<z3::expr> preferences() const {
    std::vector<z3::expr> p{explicit_port, !knobs.bindv6only};
    for (const auto& s : {holder, newcomer})
      for (auto& e : simplicity_preferences(s)) p.push_back(e);
    return p;
  }
};

z3::expr is_family(const SymSocket& s, Family f) { return f == Family::Inet6 ? s.inet6 : !s.inet6; }
z3::expr is_proto(const SymSocket& s, Proto p) { return s.proto == s.proto.ctx().int_val(static_cast<std::int64_t>(p)); }

std::string class_name(const ClassKey& k) {
  return fmt::format("{}-{}-{}-vs-{}-{}-{}", proto_word(k.holder_proto), role_name(k.role), vocab::family(k.holder_family).word,
                     proto_word(k.newcomer_proto), vocab::family(k.newcomer_family).word, short_rule(k.rule));
}

std::string class_title(const ClassKey& k) {
  return fmt::format("A {} {} {}, B {} {} binds", proto_word(k.holder_proto), vocab::family(k.holder_family).word,
                     role_name(k.role), proto_word(k.newcomer_proto), vocab::family(k.newcomer_family).word);
}

Witness class_witness(const ClassResult& r, std::optional<KernelPrediction> elsewhere) {
  ScenarioWriter w;
  w.comment("sockspec solve classes: a witness of one decision path of the bind-conflict relation\n"
            "(model/bind_conflict.h), found by Z3. Regenerate with `sockspec solve classes --write corpus/solver/classes`.");
  w.comment(fmt::format("class: {}", class_title(r.key)));
  w.comment(fmt::format("path: {}", path_text(r.key.rule)));
  w.comment(fmt::format("predicted: bind B -> {}", expect_word(r.predicted)));
  w.comment(fmt::format("A: {} ({}); B: {}{}; knobs: {}", describe(r.holder), role_name(r.holder.role),
                        describe(r.newcomer), r.explicit_port ? "" : " binding port 0", describe(r.knobs)));
  w.section("main", r.knobs, needs_extra_v6(r.holder) || needs_extra_v6(r.newcomer));
  if (!r.explicit_port) w.single_port_range(r.newcomer.port);
  w.create_and_bind("a", r.holder);
  w.enter_role("a", r.holder, "");
  w.bind_predicted("b", r.newcomer, r.explicit_port, expect_word(r.predicted), kBindConflictRules[r.key.rule].name,
                   elsewhere);
  return {class_name(r.key), class_title(r.key), w.text(), w.decisive()};
}

}  // namespace

std::string_view short_rule(std::size_t rule) {
  std::string_view n = kBindConflictRules[rule].name;
  return n.substr(n.rfind('.') + 1);
}

std::string_view expect_word(BindOutcome o) { return o == BindOutcome::Conflict ? "EADDRINUSE" : "ok"; }

std::string_view knob_name(Knob k) {
  return k == Knob::BindV6Only ? "net.ipv6.bindv6only" : "legacy-any4-covers-ip6";
}

std::optional<z3::model> solve_simply(z3::solver& s, const std::vector<z3::expr>& preferences) {
  if (s.check() != z3::sat) return std::nullopt;
  z3::expr_vector kept(s.ctx());
  for (const auto& p : preferences) {
    kept.push_back(p);
    if (s.check(kept) != z3::sat) kept.pop_back();
  }
  s.check(kept);  // sat: the last kept set was
  return s.get_model();
}

std::vector<ClassResult> enumerate_classes() {
  z3::context c;
  Z3Domain::Use use(c);
  PairSpace p(c);
  const auto prefs = p.preferences();
  z3::solver s(c);
  s.add(p.well_formed_pair());
  std::vector<ClassResult> out;
  for (Proto holder_proto : kProtos)
    for (Proto newcomer_proto : kProtos)
      for (Role role : {Role::Bound, Role::Listening, Role::Connected, Role::TimeWait})
        for (Family hf : {Family::Inet, Family::Inet6})
          for (Family nf : {Family::Inet, Family::Inet6})
            for (std::size_t rule = 0; rule < kRuleCount; ++rule) {
              const ClassKey key{holder_proto, newcomer_proto, role, hf, nf, rule};
              s.push();
              s.add(is_proto(p.holder, holder_proto) && is_proto(p.newcomer, newcomer_proto) &&
                    p.holder.role == c.int_val(static_cast<std::int64_t>(role)) && is_family(p.holder, hf) &&
                    is_family(p.newcomer, nf) && p.path(rule));
              if (auto m = solve_simply(s, prefs)) {
                ClassResult r{key, read(*m, p.holder), read(*m, p.newcomer), read(*m, p.knobs),
                              m->eval(p.explicit_port, true).is_true(), kBindConflictRules[rule].outcome, {}};
                r.witness = class_witness(r, on_variant_kernels(*m, view(p.holder, p.knobs), view(p.newcomer, p.knobs),
                                                                p.explicit_port, r.predicted));
                out.push_back(std::move(r));
              }
              s.pop();
            }
  return out;
}

std::vector<AsymmetricResult> enumerate_asymmetric() {
  z3::context c;
  Z3Domain::Use use(c);
  PairSpace p(c);  // holder = A, newcomer = B for "A then B"
  // "B then A": the same sockets with the roles swapped. The newcomer's role
  // does not enter the relation, so B keeps its own role for when it holds.
  SymSocket a = p.holder, b = p.newcomer;
  const auto ka = p.knobs;
  z3::solver s(c);
  // each binds as a newcomer too, so each names its address in bind()
  s.add(well_formed(a, ka) && well_formed(b, ka) && !a.wild_connect && !b.wild_connect);
  const BindEnv<Z> bind_env{c.bool_val(true), c.bool_val(false)};
  std::vector<z3::expr> prefs{!ka.bindv6only};
  for (const auto& x : {a, b})
    for (auto& e : simplicity_preferences(x)) prefs.push_back(e);
  std::vector<AsymmetricResult> out;
  for (std::size_t ab = 0; ab < kRuleCount; ++ab)
    for (std::size_t ba = 0; ba < kRuleCount; ++ba) {
      if (kBindConflictRules[ab].outcome == kBindConflictRules[ba].outcome) continue;
      s.push();
      s.add(bind_conflict_path<Z>(ab, view(a, ka), view(b, ka), bind_env));
      s.add(bind_conflict_path<Z>(ba, view(b, ka), view(a, ka), bind_env));
      if (auto m = solve_simply(s, prefs)) {
        AsymmetricResult r{ab, ba, read(*m, a), read(*m, b), read(*m, ka), {}};
        const std::string name = fmt::format("asymmetric-{}-vs-{}", short_rule(ab), short_rule(ba));
        const std::string title = fmt::format("A {} then B: {}; B {} then A: {}", role_name(r.a.role),
                                              expect_word(kBindConflictRules[ab].outcome), role_name(r.b.role),
                                              expect_word(kBindConflictRules[ba].outcome));
        ScenarioWriter w;
        w.comment("sockspec solve asymmetric: the outcome depends on which socket binds first.\n"
                  "Regenerate with `sockspec solve asymmetric --write corpus/solver/asymmetric`.");
        w.comment(fmt::format("A: {} (then {}); B: {} (then {}); knobs: {}", describe(r.a), role_name(r.a.role),
                              describe(r.b), role_name(r.b.role), describe(r.knobs)));
        w.comment(fmt::format("A then B: {}", path_text(ab)));
        w.comment(fmt::format("B then A: {}", path_text(ba)));
        const bool extra = needs_extra_v6(r.a) || needs_extra_v6(r.b);
        w.section("a_then_b", r.knobs, extra);
        w.create_and_bind("a1", r.a);
        w.enter_role("a1", r.a, "1");
        const z3::expr explicit_port = c.bool_val(true);
        w.bind_predicted("b1", r.b, true, expect_word(kBindConflictRules[ab].outcome), kBindConflictRules[ab].name,
                         on_variant_kernels(*m, view(a, ka), view(b, ka), explicit_port, kBindConflictRules[ab].outcome));
        w.blank();
        w.section("b_then_a", r.knobs, extra);
        w.create_and_bind("b2", r.b);
        w.enter_role("b2", r.b, "2");
        w.bind_predicted("a2", r.a, true, expect_word(kBindConflictRules[ba].outcome), kBindConflictRules[ba].name,
                         on_variant_kernels(*m, view(b, ka), view(a, ka), explicit_port, kBindConflictRules[ba].outcome));
        r.witness = {name, title, w.text(), w.decisive()};
        out.push_back(std::move(r));
      }
      s.pop();
    }
  return out;
}

std::vector<DiffResult> enumerate_diff(Knob knob) {
  z3::context c;
  Z3Domain::Use use(c);
  PairSpace p(c);
  z3::solver s(c);
  // the knob's two settings: for the sysctl, two knob sets over the same sockets
  const SymKnobs off{c.bool_val(false)}, on{c.bool_val(true)};
  const bool sysctl = knob == Knob::BindV6Only;
  const auto& k_off = sysctl ? off : p.knobs;
  const auto& k_on = sysctl ? on : p.knobs;
  const auto role_bound = p.newcomer.role == c.int_val(static_cast<std::int64_t>(Role::Bound));
  s.add(well_formed(p.holder, k_off) && well_formed(p.newcomer, k_off) && well_formed(p.holder, k_on) &&
        well_formed(p.newcomer, k_on) && role_bound);
  const BindEnv<Z> env{p.explicit_port, c.bool_val(false)};
  auto path_off = [&](std::size_t i) {
    return bind_conflict_path<Z>(i, view(p.holder, k_off), view(p.newcomer, k_off), env);
  };
  auto path_on = [&](std::size_t i) {
    if (sysctl) return bind_conflict_path<Z>(i, view(p.holder, k_on), view(p.newcomer, k_on), env);
    return legacy_path<Z>(i, view(p.holder, k_on), view(p.newcomer, k_on), env);
  };
  std::vector<DiffResult> out;
  for (std::size_t i = 0; i < kRuleCount; ++i)
    for (std::size_t j = 0; j < kRuleCount; ++j) {
      if (kBindConflictRules[i].outcome == kBindConflictRules[j].outcome) continue;
      s.push();
      s.add(path_off(i) && path_on(j));
      if (auto m = solve_simply(s, p.preferences())) {
        DiffResult r{knob, i, j, kBindConflictRules[i].outcome, kBindConflictRules[j].outcome,
                     read(*m, p.holder), read(*m, p.newcomer), {}};
        const bool explicit_port = m->eval(p.explicit_port, true).is_true();
        ScenarioWriter w;
        w.comment(fmt::format("sockspec solve diff {}: a bind whose outcome the knob changes.\n"
                              "Regenerate with `sockspec solve diff --knob {} --write corpus/solver/diff`.",
                              knob_name(knob), sysctl ? "bindv6only" : "legacy"));
        w.comment(fmt::format("A: {} ({}); B: {}{}", describe(r.holder), role_name(r.holder.role),
                              describe(r.newcomer), explicit_port ? "" : " binding port 0"));
        w.comment(fmt::format("knob off: {} -> {}", path_text(i), expect_word(r.outcome_off)));
        w.comment(fmt::format("knob on: {} -> {}", path_text(j), expect_word(r.outcome_on)));
        const bool extra = needs_extra_v6(r.holder) || needs_extra_v6(r.newcomer);
        auto section = [&](std::string_view ns, bool knob_on, std::string_view tag) {
          w.section(ns, KnobChoice{sysctl && knob_on}, extra);
          if (!explicit_port) w.single_port_range(r.newcomer.port);
          const std::string a = fmt::format("a{}", tag), b = fmt::format("b{}", tag);
          w.create_and_bind(a, r.holder);
          w.enter_role(a, r.holder, tag);
          const std::size_t rule = knob_on ? j : i;
          const SymKnobs& k = knob_on && sysctl ? on : off;
          w.bind_predicted(b, r.newcomer, explicit_port, expect_word(kBindConflictRules[rule].outcome),
                           kBindConflictRules[rule].name,
                           on_variant_kernels(*m, view(p.holder, k), view(p.newcomer, k), p.explicit_port,
                                              kBindConflictRules[rule].outcome));
        };
        if (sysctl) {
          section("bindv6only_0", false, "0");
          w.blank();
          section("bindv6only_1", true, "1");
        } else {
          w.comment(fmt::format("Only today's behaviour runs here (Linux 6.18); older kernels predicted {}.",
                                expect_word(r.outcome_on)));
          section("main", false, "");
        }
        const std::string name = fmt::format("diff-{}-{}-vs-{}", sysctl ? "bindv6only" : "legacy", short_rule(i),
                                             short_rule(j));
        const std::string title = fmt::format("{}: {} -> {}, {} -> {}", knob_name(knob), short_rule(i),
                                              expect_word(r.outcome_off), short_rule(j), expect_word(r.outcome_on));
        r.witness = {name, title, w.text(), w.decisive()};
        out.push_back(std::move(r));
      }
      s.pop();
    }
  return out;
}

}  // namespace sockspec::solver
