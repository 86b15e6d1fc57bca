// Concrete addresses built without the parser, for the model, the mutator,
// the solver's witnesses and the tests: one place that knows how an
// Address holds each family (scenario/ast.h).
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

// a.b.c.d:port
inline Address inet4_address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port = 0) {
  Address x;
  x.kind = AddressKind::Inet4;
  x.ip = {a, b, c, d};
  x.port = port;
  return x;
}

// An IPv4 address given as a host-order number (INADDR_LOOPBACK).
inline Address inet4_address(std::uint32_t ip, std::uint16_t port = 0) {
  return inet4_address(static_cast<std::uint8_t>(ip >> 24), static_cast<std::uint8_t>(ip >> 16),
                       static_cast<std::uint8_t>(ip >> 8), static_cast<std::uint8_t>(ip), port);
}

inline Address inet6_address(const std::array<std::uint8_t, 16>& ip, std::uint16_t port = 0) {
  Address x;
  x.kind = AddressKind::Inet6;
  x.ip = ip;
  x.port = port;
  return x;
}

// ::ffff:a.b.c.d, the IPv4 address as an inet6 socket sees it.
inline Address v4_mapped_address(std::uint32_t ip, std::uint16_t port = 0) {
  Address x = inet6_address({}, port);
  x.ip[10] = x.ip[11] = 0xff;
  const Address v4 = inet4_address(ip);
  for (int i = 0; i < 4; ++i) x.ip[12 + i] = v4.ip[i];
  return x;
}

inline Address unix_address(std::string path) {
  Address x;
  x.kind = AddressKind::Unix;
  x.path = std::move(path);
  return x;
}

}  // namespace sockspec
