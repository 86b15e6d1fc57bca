// Concrete addresses for the scenario tests, built without the parser.
#pragma once

#include <cstdint>

#include "scenario/ast.h"

namespace sockspec::testing {

inline Address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  Address x;
  x.kind = AddressKind::Inet4;
  x.ip = {a, b, c, d};
  x.port = port;
  return x;
}

}  // namespace sockspec::testing
