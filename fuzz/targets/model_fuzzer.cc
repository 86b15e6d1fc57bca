// The model-only fuzzer: each input is a scenario, run on the model alone
// (no kernel), in a build with ASan and UBSan (the fuzz preset). It looks
// for crashes, memory errors, undefined behaviour and hangs in the model,
// the parser and the printer, at far more executions per second than the
// differential fuzzer.
#include <cstdint>

#include "check/driver.h"
#include "check/limits.h"
#include "fuzz/input.h"
#include "fuzz/limit_environment.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sockspec::ScenarioLimits limits = sockspec::fuzz::limits_from_environment();  // --max-*
  auto program = sockspec::fuzz::parse_input(data, size);
  if (!program || sockspec::check_limits(*program, limits)) return -1;
  // the printer's contract: what it prints parses back to the same program
  if (!(sockspec::parse_scenario(sockspec::print_program(*program)) == *program)) __builtin_trap();
  sockspec::run_scenario(*program, sockspec::Mode::Model, sockspec::DriverConfig{});
  return 0;
}
