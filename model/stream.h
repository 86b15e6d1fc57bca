// Bytes in flight and urgent data of one socket's receive side, and the
// AF_UNIX name tables. Owned by the data handlers (model/data.cc, unix.cc).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

using SocketIdInStream = int;

// What a socket has received and not yet read.
struct StreamData {
  std::string bytes;  // stream: the unread bytes, in order
  // datagrams / seqpacket records: payload and source
  std::deque<std::pair<std::string, std::optional<Address>>> datagrams;
  bool eof = false;   // the peer shut down its write side or closed
};

// Bound AF_UNIX names -> socket id.
struct UnixNames {
  std::map<std::string, int, std::less<>> by_name;
};

}  // namespace sockspec
