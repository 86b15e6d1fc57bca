// Property 2: the model's own invariants, as a RapidCheck state machine
// (rc::state). No kernel: the system under test is a sockspec::Model, the
// commands are the semantic recipes of tests/property_gen.h, and after every
// line the World must satisfy what Linux guarantees of any reachable state:
//  - no two open sockets of a namespace hold bindings that conflict BOTH
//    ways under bind_conflict.h's concrete relation (whichever bound second
//    passed the check against the first, and listen re-checks); sockets
//    whose SO_REUSEADDR / SO_REUSEPORT / IPV6_V6ONLY changed after they took
//    their port are left out: the kernel does not re-check on setsockopt;
//  - established TCP 4-tuples are unique per namespace;
//  - a connection joins an accept queue only while it holds at most
//    backlog + 1 (sk_acceptq_is_full: ack_backlog > max_ack_backlog; a
//    later listen with a smaller backlog keeps what is queued);
//  - getsockname of a bound inet socket is the address the model holds;
//  - a port picked by bind(port 0) lies in the socket's ephemeral range;
//  - the model never throws, and leaves unsupported only the lines the
//    differential property already knows it does not cover.
// A failure names the line after which an invariant broke; the command list
// RapidCheck prints shows the recipes (their lines depend on the roster).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <set>
#include <string>
#include <vector>

#include "model/inet.h"
#include "model/model.h"
#include "model/world.h"
#include "scenario/printer.h"
#include "tests/property_gen.h"
#include "tests/property_run.h"

namespace sockspec {
namespace {

// The state machine's model: what generation knows (the roster), plus the
// sockets whose sharing options changed after they took a port.
struct GenState {
  pgen::Roster roster;
  std::set<std::string> options_changed_after_bind;
  // disconnected with connect AF_UNSPEC: udp_disconnect / tcp_disconnect put
  // an address a connect chose back to the wildcard without a conflict check
  std::set<std::string> disconnected;
  std::set<std::string> took_port;  // a bind, listen, connect or sendto line was written for it
};

// The system under test: the model, and the scenario it has run so far
// (printed with every failure, ready to save as a .scn).
struct ModelUnderTest {
  Model model;
  std::string transcript;
  std::set<std::string> bound;  // sockets a bind or listen line succeeded on
};

using Command = rc::state::Command<GenState, ModelUnderTest>;

bool sharing_option(const Line& line) {
  const auto* o = std::get_if<op::SetSockOpt>(&line.op);
  return o && (o->opt == SockOpt::SoReuseaddr || o->opt == SockOpt::SoReuseport || o->opt == SockOpt::Ipv6V6only);
}

bool takes_port(const Line& line) {
  return std::holds_alternative<op::Bind>(line.op) || std::holds_alternative<op::Listen>(line.op) ||
         std::holds_alternative<op::Connect>(line.op) || std::holds_alternative<op::SendTo>(line.op);
}

// Lines the model is known not to cover (see the differential test's
// known divergences): everything else must be supported.
bool known_unsupported(const Line& line, const Step& step) {
  return (std::holds_alternative<op::SockAtMark>(line.op) && step.note.find("SIOCATMARK") != std::string::npos) ||
         step.note.starts_with("AF_UNSPEC") || step.note.find("UDP destination") != std::string::npos;
}

// ------------------------------------------------------------ invariants

// Each invariant returns what is wrong, or "" when it holds.
std::string mutual_bind_conflict(const World& w, const GenState& s, const std::set<std::string>& bound) {
  // Only ports taken through bind() or listen() answer to the bind
  // relation: queued and accepted children share their listener's port, and
  // connect's autobind answers to 4-tuple uniqueness instead.
  auto eligible = [&](SocketId id) {
    const Socket& x = w.sock(id);
    const std::string name(inet::name_of(w, id));
    return x.open && x.port_bound && x.bucket_from_bind && x.local && inet::is_inet(x) &&
           x.state != SockState::TimeWait && bound.contains(name) && !s.options_changed_after_bind.contains(name) &&
           !s.disconnected.contains(name);
  };
  const BindEnv<ConcreteDomain> relaxed{true, false, false};
  for (SocketId a = 0; a < static_cast<SocketId>(w.sockets.size()); ++a) {
    const Socket& sa = w.sock(a);
    if (!eligible(a)) continue;
    for (SocketId b = a + 1; b < static_cast<SocketId>(w.sockets.size()); ++b) {
      const Socket& sb = w.sock(b);
      if (!eligible(b) || sa.ns != sb.ns) continue;
      const auto va = inet::bind_view(w, sa, *sa.local), vb = inet::bind_view(w, sb, *sb.local);
      const auto ab = decide_bind_conflict(va, vb, relaxed), ba = decide_bind_conflict(vb, va, relaxed);
      if (ab.outcome == BindOutcome::Conflict && ba.outcome == BindOutcome::Conflict)
        return fmt::format("{} ({}) and {} ({}) conflict both ways ({}, {})", inet::name_of(w, a),
                           print_address(*sa.local), inet::name_of(w, b), print_address(*sb.local), ab.rule, ba.rule);
    }
  }
  return {};
}

std::string duplicate_established_tuple(const World& w) {
  std::set<std::tuple<int, std::string, std::string>> seen;
  for (const Socket& s : w.sockets) {
    if (!s.open || !inet::is_tcp(s) || s.state != SockState::Established || !s.local || !s.peer) continue;
    if (!seen.emplace(s.ns, print_address(*s.local), print_address(*s.peer)).second)
      return fmt::format("two established sockets {} -> {}", print_address(*s.local), print_address(*s.peer));
  }
  return {};
}

// Queue lengths of every socket, to see which queues a line made grow.
std::vector<std::size_t> queue_lengths(const World& w) {
  std::vector<std::size_t> sizes;
  sizes.reserve(w.sockets.size());
  for (const Socket& s : w.sockets) sizes.push_back(s.accept_queue.size());
  return sizes;
}

// A queue only grows while it has room: a listen that lowers the backlog
// keeps what is already queued, so the bound holds when a queue grows.
std::string overfull_accept_queue(const World& w, const std::vector<std::size_t>& before) {
  for (SocketId id = 0; id < static_cast<SocketId>(w.sockets.size()); ++id) {
    const Socket& s = w.sock(id);
    const std::size_t was = static_cast<std::size_t>(id) < before.size() ? before[static_cast<std::size_t>(id)] : 0;
    if (s.accept_queue.size() > was && static_cast<int>(s.accept_queue.size()) > std::max(s.backlog, 0) + 1)
      return fmt::format("{} queued connection {} with backlog {}", inet::name_of(w, id), s.accept_queue.size(), s.backlog);
  }
  return {};
}

// The checks that look at one line's own result.
std::string inconsistent_result(const World& w, const Line& line, const Step& step) {
  auto it = w.names.find(line.socket);
  if (it == w.names.end()) return {};
  const Socket& s = w.sock(it->second);
  if (!inet::is_inet(s) || !s.local || !s.port_bound) return {};
  if (std::holds_alternative<op::GetSockName>(line.op) && step.result.kind == Result::Kind::Address &&
      *step.result.address != *s.local)
    return fmt::format("getsockname says {}, the socket holds {}", print_result(step.result), print_address(*s.local));
  const auto* bind = std::get_if<op::Bind>(&line.op);
  if (bind && bind->addr.base.port == 0 && step.result.kind == Result::Kind::Ok) {
    const inet::PortRange range = inet::local_port_range(w, s);
    if (s.local->port < range.lo || s.local->port > range.hi)
      return fmt::format("bind picked port {} outside {}-{}", s.local->port, range.lo, range.hi);
  }
  return {};
}

// ------------------------------------------------------------ the command

// One recipe, rendered against the roster the command finds (so a shrunk
// command list stays well formed), stepped on the model, then checked.
struct RecipeCommand : Command {
  pgen::Recipe recipe;
  explicit RecipeCommand(pgen::Recipe r) : recipe(std::move(r)) {}

  // The lines this command is in state `s`; advances `s` past them.
  std::vector<Line> render(GenState& s) const {
    std::vector<Line> out;
    if (recipe.story == pgen::Story::None) pgen::render_line(recipe, s.roster, out);
    else pgen::render_story(recipe, s.roster, out);
    for (const Line& line : out) {
      if (takes_port(line)) s.took_port.insert(line.socket);
      if (sharing_option(line) && s.took_port.contains(line.socket)) s.options_changed_after_bind.insert(line.socket);
      if (const auto* c = std::get_if<op::Connect>(&line.op); c && c->addr.base.kind == AddressKind::Unspec)
        s.disconnected.insert(line.socket);
    }
    return out;
  }

  void apply(GenState& s0) const override { render(s0); }

  void run(const GenState& s0, ModelUnderTest& sut) const override {
    GenState state = s0;
    for (const Line& line : render(state)) {
      sut.transcript += print_line(line);
      const std::vector<std::size_t> queues_before = queue_lengths(sut.model.world());
      Step step;
      try {
        step = sut.model.step(line);
      } catch (const std::exception& e) {
        RC_FAIL(fmt::format("the model threw ({}) on the last line of:\n{}", e.what(), sut.transcript));
      }
      sut.transcript += " -> " + print_result(step.result) + "\n";
      const bool binds = std::holds_alternative<op::Bind>(line.op) || std::holds_alternative<op::Listen>(line.op);
      if (binds && step.result.kind == Result::Kind::Ok) sut.bound.insert(line.socket);
      if (step.unsupported && !known_unsupported(line, step))
        RC_FAIL(fmt::format("the model does not cover the last line ({}):\n{}", step.note, sut.transcript));
      for (std::string why : {inconsistent_result(sut.model.world(), line, step),
                              overfull_accept_queue(sut.model.world(), queues_before)})
        if (!why.empty()) RC_FAIL(fmt::format("{} after:\n{}", why, sut.transcript));
    }
    const World& w = sut.model.world();
    // how often the invariants had something to bite on (the distribution)
    RC_CLASSIFY(sut.bound.size() >= 2, "two sockets bound");
    RC_CLASSIFY(std::any_of(w.sockets.begin(), w.sockets.end(),
                            [](const Socket& x) { return x.open && !x.accept_queue.empty(); }),
                "a connection queued");
    for (std::string why : {mutual_bind_conflict(w, state, sut.bound), duplicate_established_tuple(w)})
      if (!why.empty()) RC_FAIL(fmt::format("{} after:\n{}", why, sut.transcript));
  }

  void show(std::ostream& os) const override {
    // the lines depend on the state the command meets; RapidCheck shows the
    // recipe (the failure message names the lines themselves)
    pgen::showValue(recipe, os);
  }
};

void model_invariants_hold() {
  GenState initial;
  ModelUnderTest sut;
  rc::state::check(initial, sut, [](const GenState&) {
    return rc::gen::map(pgen::recipe(true),
                        [](pgen::Recipe r) { return std::shared_ptr<const Command>(std::make_shared<RecipeCommand>(std::move(r))); });
  });
}

constexpr prop::Budget kBudget{.ci = 1000, .nightly = 100000};

TEST(PropertyModelState, FixedSeed) { prop::check_property(model_invariants_hold, kBudget, prop::Seed::Fixed); }
TEST(PropertyModelState, RandomSeed) { prop::check_property(model_invariants_hold, kBudget, prop::Seed::Random); }

}  // namespace
}  // namespace sockspec
