// A fuzzer input as a scenario.
//
// Contract: parse_input returns the Program the bytes spell, cut down to
// FuzzLimits (fit_to_limits), or nullopt when they are not a scenario. It
// never throws and never crashes, whatever the bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz/mutator.h"
#include "scenario/ast.h"

namespace sockspec::fuzz {

std::optional<Program> parse_input(const std::uint8_t* data, std::size_t size, const FuzzLimits& limits = {});

}  // namespace sockspec::fuzz
