// Delta debugging over lines, then over values (check/minimize.h).
#include "check/minimize.h"

#include <set>
#include <string>
#include <vector>

#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {

bool well_formed(const Program& program) {
  std::set<std::string, std::less<>> declared;
  for (const Line& line : program.lines) {
    if (!line.socket.empty() && !declared.contains(line.socket)) return false;
    declared.insert(line.names.begin(), line.names.end());
  }
  try {
    return parse_scenario(print_program(program)) == program;
  } catch (const ParseError&) {
    return false;
  }
}

namespace {

class Shrinker {
 public:
  Shrinker(const std::function<bool(const Program&)>& still_fails, std::size_t max_tests)
      : still_fails_(still_fails), max_tests_(max_tests) {}

  // Whether `candidate` is well formed and still fails (within the budget).
  bool holds(const Program& candidate) {
    if (tests_ >= max_tests_ || !well_formed(candidate)) return false;
    ++tests_;
    return still_fails_(candidate);
  }

  std::size_t tests() const { return tests_; }

  // ddmin over lines: try dropping each of n chunks; on success keep the
  // rest and coarsen, otherwise refine until chunks are single lines.
  void drop_lines(Program& best) {
    std::size_t chunks = 2;
    while (best.lines.size() >= 2 && tests_ < max_tests_) {
      std::size_t size = best.lines.size();
      chunks = std::min(chunks, size);
      bool dropped = false;
      for (std::size_t c = 0; c < chunks && !dropped; ++c) {
        std::size_t begin = size * c / chunks, end = size * (c + 1) / chunks;
        Program candidate = best;
        candidate.lines.erase(candidate.lines.begin() + static_cast<std::ptrdiff_t>(begin),
                              candidate.lines.begin() + static_cast<std::ptrdiff_t>(end));
        if (holds(candidate)) {
          best = std::move(candidate);
          chunks = std::max<std::size_t>(chunks - 1, 2);
          dropped = true;
        }
      }
      if (dropped) continue;
      if (chunks >= size) break;  // 1-minimal
      chunks = std::min(chunks * 2, size);
    }
  }

  // One simplification at a time, each kept only if the failure persists.
  void simplify_values(Program& best) {
    for (std::size_t i = 0; i < best.lines.size(); ++i) {
      for (const auto& simplify : simplifications()) {
        Program candidate = best;
        if (simplify(candidate.lines[i]) && holds(candidate)) best = std::move(candidate);
      }
    }
  }

 private:
  using Simplification = bool (*)(Line&);

  // Each returns false when it does not apply to the line (nothing to test).
  static const std::vector<Simplification>& simplifications() {
    static const std::vector<Simplification> all = {
        [](Line& l) { return l.expect.has_value() && (l.expect.reset(), l.on_kernels.clear(), true); },
        [](Line& l) { return clear_flags(l); },
        [](Line& l) { return shorten_data(l); },
        [](Line& l) {
          auto* s = std::get_if<op::Socket>(&l.op);
          if (!s || s->proto.name == Protocol::Name::Default) return false;
          s->proto = Protocol{};
          return true;
        },
        [](Line& l) {
          auto* c = std::get_if<op::Connect>(&l.op);
          if (!c || !c->nowait) return false;
          c->nowait = false;
          return true;
        },
        [](Line& l) {
          auto* p = std::get_if<op::Poll>(&l.op);
          if (!p || !p->mask_written) return false;
          *p = op::Poll{};
          return true;
        },
    };
    return all;
  }

  static bool clear_flags(Line& line) {
    auto clear = [](MsgFlags& flags) { return flags != 0 && ((flags = 0), true); };
    if (auto* o = std::get_if<op::Send>(&line.op)) return clear(o->flags);
    if (auto* o = std::get_if<op::SendTo>(&line.op)) return clear(o->flags);
    if (auto* o = std::get_if<op::Recv>(&line.op)) return clear(o->flags);
    if (auto* o = std::get_if<op::RecvFrom>(&line.op)) return clear(o->flags);
    return false;
  }

  static bool shorten_data(Line& line) {
    auto shorten = [](std::string& data) { return data.size() > 1 && (data.resize(1), true); };
    if (auto* o = std::get_if<op::Send>(&line.op)) return shorten(o->data);
    if (auto* o = std::get_if<op::SendTo>(&line.op)) return shorten(o->data);
    return false;
  }

  const std::function<bool(const Program&)>& still_fails_;
  std::size_t max_tests_;
  std::size_t tests_ = 0;
};

}  // namespace

Program minimize(const Program& program, const std::function<bool(const Program&)>& still_fails,
                 std::size_t max_tests, MinimizeStats* stats) {
  Shrinker shrinker(still_fails, max_tests);
  Program best = program;
  if (shrinker.holds(program)) {
    shrinker.drop_lines(best);
    shrinker.simplify_values(best);
  }
  if (stats) *stats = {shrinker.tests(), program.lines.size(), best.lines.size()};
  return best;
}

}  // namespace sockspec
