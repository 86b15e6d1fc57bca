// Minimization shrinks a planted failure to the lines that cause it
// (check/minimize.h). The "failure" is a predicate, not a kernel, so the
// shrinking is tested alone.
#include <gtest/gtest.h>

#include "check/minimize.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

// The planted bug: "a TCP socket bound to 127.0.0.2:8081 then listening"
// fails. It needs three lines: the socket, the bind and the listen.
bool planted_bug(const Program& p) {
  std::string socket;
  bool bound = false;
  for (const Line& line : p.lines) {
    if (auto* s = std::get_if<op::Socket>(&line.op); s && s->family == Family::Inet && s->type == SockType::Stream)
      socket = line.names[0];
    if (auto* b = std::get_if<op::Bind>(&line.op); b && line.socket == socket && b->addr.base.port == 8081)
      bound = true;
    if (std::holds_alternative<op::Listen>(line.op) && bound && line.socket == socket) return true;
  }
  return false;
}

constexpr const char* kNoisy = R"(
a = socket inet dgram -> ok
bind a 127.0.0.1:8080 -> ok
x = socket inet stream -> ok
setsockopt x SO_REUSEADDR 1 -> ok
c = socket inet6 stream
getsockname a -> 127.0.0.1:$p
connect c [::1]:$p
bind x 127.0.0.2:8081 -> ok
send a "abcdef" MSG_OOB|MSG_PEEK
ns other
y = socket unix stream
bind y unix:@z
ns main
close c
listen x 5 -> ok
recv a 16
ss
)";

TEST(Minimize, ShrinksAPlantedFailureToItsThreeLines) {
  Program noisy = parse_scenario(kNoisy);
  ASSERT_TRUE(planted_bug(noisy));
  std::size_t calls = 0;
  bool only_well_formed = true;
  MinimizeStats stats;
  Program small = minimize(
      noisy,
      [&](const Program& p) {
        ++calls;
        only_well_formed = only_well_formed && well_formed(p);
        return planted_bug(p);
      },
      400, &stats);
  EXPECT_EQ(print_program(small), "x = socket inet stream\nbind x 127.0.0.2:8081\nlisten x 5\n");
  EXPECT_TRUE(only_well_formed) << "the predicate saw a malformed candidate";
  EXPECT_EQ(stats.tests, calls);
  EXPECT_EQ(stats.lines_before, noisy.lines.size());
  EXPECT_EQ(stats.lines_after, 3u);
}

TEST(Minimize, KeepsTheLinesThatBindAVariableInUse) {
  // the failure needs `connect c [::1]:$p`, so the line binding $p stays
  Program p = parse_scenario(kNoisy);
  auto uses_variable_connect = [](const Program& prog) {
    for (const Line& line : prog.lines)
      if (auto* c = std::get_if<op::Connect>(&line.op); c && c->addr.port.kind == PortTerm::Kind::Var) return true;
    return false;
  };
  Program small = minimize(p, uses_variable_connect);
  EXPECT_TRUE(well_formed(small));
  EXPECT_EQ(print_program(small),
            "a = socket inet dgram\nc = socket inet6 stream\ngetsockname a -> 127.0.0.1:$p\nconnect c [::1]:$p\n");
}

TEST(Minimize, SimplifiesValues) {
  Program p = parse_scenario("s, t = socketpair unix stream\nsend s \"abcdef\" MSG_OOB|MSG_PEEK -> 6\n");
  auto sends_something = [](const Program& prog) {
    for (const Line& line : prog.lines)
      if (std::holds_alternative<op::Send>(line.op)) return true;
    return false;
  };
  EXPECT_EQ(print_program(minimize(p, sends_something)), "s, t = socketpair unix stream\nsend s \"a\"\n");
}

TEST(Minimize, LeavesAPassingProgramAlone) {
  Program p = parse_scenario(kNoisy);
  int calls = 0;
  Program same = minimize(p, [&](const Program&) { return ++calls, false; });
  EXPECT_EQ(same, p);
  EXPECT_EQ(calls, 1);
}

TEST(Minimize, RespectsItsBudget) {
  Program p = parse_scenario(kNoisy);
  int calls = 0;
  minimize(p, [&](const Program&) { return ++calls, true; }, 5);
  EXPECT_LE(calls, 5);
}

TEST(Minimize, WellFormedRejectsUndeclaredSockets) {
  EXPECT_TRUE(well_formed(parse_scenario("s = socket inet stream\nlisten s 1\n")));
  Program p = parse_scenario("s = socket inet stream\nlisten s 1\n");
  p.lines.erase(p.lines.begin());
  EXPECT_FALSE(well_formed(p));
}

}  // namespace
}  // namespace sockspec
