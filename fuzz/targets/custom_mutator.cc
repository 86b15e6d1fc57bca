// The libFuzzer hooks both targets share: scenario text is mutated through
// its syntax tree (fuzz/mutator.h) and printed back, so every input the
// mutator makes is a readable, well-formed scenario.
#include <cstdint>
#include <cstring>
#include <optional>

#include "fuzz/input.h"
#include "fuzz/mutator.h"
#include "scenario/printer.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using sockspec::Program;
using sockspec::fuzz::ScenarioMutator;

// Copies the printed program into libFuzzer's buffer, if it fits.
std::optional<size_t> emit(const Program& program, uint8_t* out, size_t max_size) {
  std::string text = sockspec::print_program(program);
  if (text.empty() || text.size() > max_size) return std::nullopt;
  std::memcpy(out, text.data(), text.size());
  return text.size();
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  ScenarioMutator mutator(seed);
  auto program = sockspec::fuzz::parse_input(data, size);
  if (!program) {
    // Not a scenario: now and then libFuzzer's byte mutations (they reach
    // the parser's corners); mostly a fresh scenario.
    if (seed % 4 == 0) return LLVMFuzzerMutate(data, size, max_size);
    if (auto n = emit(mutator.generate(), data, max_size)) return *n;
    return LLVMFuzzerMutate(data, size, max_size);
  }
  for (int attempt = 0; attempt < 4; ++attempt)
    if (auto n = emit(mutator.mutate(*program), data, max_size)) return *n;
  return LLVMFuzzerMutate(data, size, max_size);
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  auto a = sockspec::fuzz::parse_input(data1, size1);
  auto b = sockspec::fuzz::parse_input(data2, size2);
  if (!a || !b) return 0;  // libFuzzer then tries another mutation
  ScenarioMutator mutator(seed);
  return emit(mutator.crossover(*a, *b), out, max_out_size).value_or(0);
}
