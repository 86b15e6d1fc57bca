// Fuzzer inputs as scenarios (fuzz/input.h).
#include "fuzz/input.h"

#include <string_view>

#include "scenario/parser.h"

namespace sockspec::fuzz {

std::optional<Program> parse_input(const std::uint8_t* data, std::size_t size, const FuzzLimits& limits) {
  try {
    Program program = parse_scenario(std::string_view(reinterpret_cast<const char*>(data), size), "<fuzz input>");
    fit_to_limits(program, limits);
    return program;
  } catch (const ParseError&) {
    return std::nullopt;
  }
}

}  // namespace sockspec::fuzz
