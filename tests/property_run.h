// Running a RapidCheck property inside a GoogleTest case with the project's
// CI policy (docs/testing.md):
//  - a bounded number of cases (Budget::ci), or Budget::nightly when the
//    environment says SOCKSPEC_LONG=1;
//  - Seed::Fixed runs the same cases every time (a CI failure is reproducible
//    from the log alone); Seed::Random explores a new seed each run and
//    prints it;
//  - RC_PARAMS, when set, overrides both (seed, max_success, max_size...),
//    so the line printed on failure,
//      RC_PARAMS="seed=N max_success=M" ./tests/BINARY --gtest_filter=CASE
//    replays the failing run exactly (RapidCheck derives each case's size
//    from max_success, so both numbers are needed).
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>

namespace sockspec::prop {

struct Budget {
  int ci = 100;        // cases per run in CI
  int nightly = 5000;  // cases per run with SOCKSPEC_LONG=1
};

enum class Seed { Fixed, Random };

inline constexpr std::uint64_t kFixedSeed = 20251218;

inline bool long_mode() {
  const char* v = std::getenv("SOCKSPEC_LONG");
  return v != nullptr && std::string_view(v) == "1";
}

inline rc::detail::TestParams params_for(Budget budget, Seed seed) {
  rc::detail::TestParams params = rc::detail::configuration().testParams;
  if (std::getenv("RC_PARAMS") != nullptr) return params;  // reproducing: take it as given
  params.maxSuccess = long_mode() ? budget.nightly : budget.ci;
  params.seed = seed == Seed::Fixed ? kFixedSeed : (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  return params;
}

// Checks `testable` (a callable with RC_* assertions, as for rc::check) and
// fails the current GoogleTest case with RapidCheck's report, the shrunk
// counterexample and the RC_PARAMS line that reproduces it.
template <class Testable>
void check_property(Testable&& testable, Budget budget, Seed seed) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  rc::detail::TestMetadata metadata;
  metadata.id = std::string(info->test_suite_name()) + "." + info->name();
  metadata.description = metadata.id;
  const rc::detail::TestParams params = params_for(budget, seed);
  std::cout << metadata.id << ": seed=" << params.seed << " max_success=" << params.maxSuccess << std::endl;

  const auto result = rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
  std::ostringstream report;
  rc::detail::printResultMessage(result, report);
  if (result.template is<rc::detail::SuccessResult>()) {
    std::cout << report.str() << std::endl;  // with the distribution of RC_TAGs
    return;
  }
  FAIL() << report.str() << "\nreproduce with: RC_PARAMS=\"seed=" << params.seed
         << " max_success=" << params.maxSuccess << " max_size=" << params.maxSize
         << "\" --gtest_filter=" << metadata.id;
}

}  // namespace sockspec::prop
