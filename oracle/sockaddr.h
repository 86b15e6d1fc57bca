// Socket addresses between the language's form (scenario/ast.h) and the
// kernel's (struct sockaddr_*).
//
// Contract: to_sockaddr builds the address in the family it is written in
// (so a family that does not match the socket gets the kernel's own errno),
// or returns the errno the language prescribes without any call: ENODEV for
// an unknown IPv6 scope, EACCES for an AF_UNIX path outside the scenario's
// private /tmp (a guard; the parser already rejects those), EINVAL for a
// path longer than any sockaddr_un. from_sockaddr is its inverse, reading
// back what getsockname/getpeername/recvfrom returned.
#pragma once

#include <sys/socket.h>

#include <string_view>

#include "scenario/ast.h"

namespace sockspec::oracle {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// Returns 0 and fills *out, or the errno for the line (no call was made).
// `socket_family` (AF_INET, AF_INET6, AF_UNIX) is the family of the socket the
// address is for: `unspec` takes that family's address length, as a C program
// that zeroes its own sockaddr and sets AF_UNSPEC passes.
int to_sockaddr(const Address& address, int socket_family, SockAddr* out);

// The address in the language's form; an unnamed AF_UNIX address (len ==
// sizeof(sa_family_t)) is `unix:`, an abstract one `unix:@name`.
Address from_sockaddr(const sockaddr_storage& storage, socklen_t len);

// Whether a path may be touched by a scenario: relative, or under /tmp/,
// with no `..` component.
bool is_scenario_path(std::string_view path);

}  // namespace sockspec::oracle
