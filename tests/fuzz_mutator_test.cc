// The scenario mutator keeps its contract (fuzz/mutator.h) over many
// mutations of the whole corpus: every result is well formed (prints and
// parses back, names only created sockets) and fits the limits.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "check/files.h"
#include "check/minimize.h"
#include "fuzz/input.h"
#include "fuzz/mutator.h"
#include "scenario/printer.h"

namespace sockspec::fuzz {
namespace {

std::vector<Program> corpus() {
  auto programs = load_programs(expand_scenario_paths({std::string(SOCKSPEC_SOURCE_DIR) + "/corpus"}));
  for (auto& p : programs) fit_to_limits(p, FuzzLimits{});
  return programs;
}

void expect_within_contract(const Program& p, const FuzzLimits& limits) {
  ASSERT_TRUE(well_formed(p)) << print_program(p);
  EXPECT_LE(p.lines.size(), limits.max_lines);
  std::set<std::string> names;
  for (const Line& line : p.lines) {
    names.insert(line.names.begin(), line.names.end());
    EXPECT_FALSE(std::holds_alternative<op::Sleep>(line.op));
  }
  EXPECT_LE(names.size(), limits.max_sockets);
}

TEST(FuzzMutator, CorpusSeedsAreWellFormedAfterFitting) {
  auto seeds = corpus();
  ASSERT_GE(seeds.size(), 10u);
  for (const Program& p : seeds) expect_within_contract(p, FuzzLimits{});
}

TEST(FuzzMutator, ChainsOfMutationsStayWellFormed) {
  FuzzLimits limits;
  auto seeds = corpus();
  int changed = 0, total = 0;
  for (std::uint32_t seed = 0; seed < 60; ++seed) {
    ScenarioMutator mutator(seed, limits);
    Program p = seeds[seed % seeds.size()];
    for (int step = 0; step < 40; ++step) {  // each mutant is mutated again, as libFuzzer does
      Program next = mutator.mutate(p);
      expect_within_contract(next, limits);
      if (::testing::Test::HasFatalFailure()) return;
      changed += next == p ? 0 : 1;
      ++total;
      p = std::move(next);
    }
  }
  EXPECT_EQ(changed, total) << "mutate() returned its input unchanged";
}

TEST(FuzzMutator, CrossoverAndGenerateStayWellFormed) {
  auto seeds = corpus();
  ScenarioMutator mutator(7);
  for (std::size_t i = 0; i < 400; ++i) {
    const Program& a = seeds[i % seeds.size()];
    const Program& b = seeds[(i * 7 + 3) % seeds.size()];
    expect_within_contract(mutator.crossover(a, b), FuzzLimits{});
    expect_within_contract(mutator.generate(), FuzzLimits{});
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(FuzzMutator, SmallLimitsHold) {
  FuzzLimits tight{.max_lines = 6, .max_sockets = 2, .max_namespaces = 1, .max_links = 0,
                   .max_recv_len = 8, .max_data = 2};
  auto seeds = corpus();
  ScenarioMutator mutator(11, tight);
  for (std::size_t i = 0; i < 300; ++i) {
    Program p = seeds[i % seeds.size()];
    fit_to_limits(p, tight);
    Program m = mutator.mutate(p);
    expect_within_contract(m, tight);
    for (const Line& line : m.lines) {
      if (auto* s = std::get_if<op::Send>(&line.op)) EXPECT_LE(s->data.size(), 2u);
      if (auto* r = std::get_if<op::Recv>(&line.op)) EXPECT_LE(r->len, 8);
      EXPECT_FALSE(std::holds_alternative<op::LinkAdd>(line.op));
    }
  }
}

TEST(FuzzMutator, SameSeedSameMutant) {
  auto seeds = corpus();
  ScenarioMutator a(42), b(42);
  for (const Program& p : seeds) EXPECT_EQ(print_program(a.mutate(p)), print_program(b.mutate(p)));
}

TEST(FuzzMutator, MutantsReachTheDictionaries) {
  // The collision-prone values must actually appear: a v4-mapped address,
  // an abstract unix name and SO_REUSEPORT.
  ScenarioMutator mutator(3);
  std::string all;
  Program p = corpus().front();
  for (int i = 0; i < 2000; ++i) {
    p = mutator.mutate(p);
    all += print_program(p);
  }
  for (const char* needle : {"[::ffff:127.0.0.1]:", "unix:@a", "SO_REUSEPORT", "MSG_OOB", "0.0.0.0:8081", "[::]:"})
    EXPECT_NE(all.find(needle), std::string::npos) << needle;
}

TEST(FuzzInput, ArbitraryBytesNeverThrow) {
  std::mt19937 rng(1);
  auto seeds = corpus();
  for (int i = 0; i < 3000; ++i) {
    std::string text = print_program(seeds[i % seeds.size()]);
    for (int flips = 0; flips < 4 && !text.empty(); ++flips)
      text[rng() % text.size()] = static_cast<char>(rng() % 256);
    auto p = parse_input(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    if (p) EXPECT_TRUE(well_formed(*p)) << text;
  }
}

}  // namespace
}  // namespace sockspec::fuzz
