// How long the ss expectation matcher takes on a 200-row table whose pattern
// rows each bind their own port variable (the case that once backtracked
// over permutations), and on one where the last pattern fits no row.
#include <benchmark/benchmark.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "scenario/address_builders.h"
#include "scenario/match.h"
#include "scenario/parser.h"

namespace sockspec {
namespace {

Result client_table(int n) {
  Result r;
  r.kind = Result::Kind::Table;
  for (int i = 0; i < n; ++i) {
    auto port = static_cast<std::uint16_t>(40000 + (i * 7) % n);
    r.rows.push_back(SsRow{"tcp", "ESTAB", inet4_address(127, 0, 0, 1, port), inet4_address(127, 0, 0, 1, 8080), 0, 0});
  }
  return r;
}

Expectation unbound_rows(int n, bool last_fits) {
  std::string text = "ss -> ";
  for (int i = 0; i < n; ++i)
    text += fmt::format("{}{} ESTAB 127.0.0.1:$p{} * *", i ? "; " : "", (i + 1 < n || last_fits) ? "tcp" : "udp", i);
  return *parse_scenario(text).lines.at(0).expect;
}

void run(benchmark::State& state, bool last_fits) {
  const int n = static_cast<int>(state.range(0));
  const Result table = client_table(n);
  const Expectation expect = unbound_rows(n, last_fits);
  for (auto _ : state) {
    Bindings b;
    bool ok = matches(expect, table, b);
    if (ok != last_fits) state.SkipWithError("wrong match result");
    benchmark::DoNotOptimize(ok);
  }
}

void BM_SsUnboundRows(benchmark::State& state) { run(state, true); }
void BM_SsUnboundRowsOneMisfit(benchmark::State& state) { run(state, false); }

BENCHMARK(BM_SsUnboundRows)->Arg(12)->Arg(200)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SsUnboundRowsOneMisfit)->Arg(12)->Arg(200)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sockspec
