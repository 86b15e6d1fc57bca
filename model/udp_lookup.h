// Which socket a UDP datagram reaches when several share its port: the
// kernel's __udp4_lib_lookup / __udp6_lib_lookup (udp4_lib_lookup2,
// compute_score and their IPv6 twins), stated as the set of sockets the
// kernel may pick and the one it picks when nothing is left to chance.
// Rules data.udp.lookup.* in spec/data.md.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/rules.h"
#include "model/world.h"

namespace sockspec {

// A datagram as the receiving side's lookup sees it.
struct UdpDatagram {
  int ns = 0;          // the namespace it arrives in
  int protocol = 0;    // UDP or UDP-Lite: separate tables
  Address dest;        // as written (Inet4, v4-mapped or Inet6), port included
  Address source;      // its source address and port
  std::string device;  // the device it arrives through (lo within a namespace)
};

struct UdpReceivers {
  std::vector<SocketId> allowed;  // every socket the kernel may deliver to (empty: none)
  SocketId canonical = kNoSocket;  // the pick with no reuseport hash and no CPU point
  RuleTrace rules;                 // the lookup rules that decided
  std::string unsupported;         // non-empty: a case the model does not follow, and why
};

UdpReceivers udp_receivers(const World& w, const UdpDatagram& d);

// The socket enters its slot's list: udp_lib_get_port puts it at the head,
// or an AF_INET6 SO_REUSEPORT socket at the tail (by_bind); udp_lib_rehash
// always at the head.
void udp_hashed(World& w, Socket& s, bool by_bind);

}  // namespace sockspec
