// Which socket a UDP datagram reaches among sockets sharing its port
// (model/udp_lookup.h), and how the model adopts the kernel's pick within
// the allowed set (choice::udp_receiver).
#include <gtest/gtest.h>

#include <algorithm>

#include "model/inet.h"
#include "model/udp_lookup.h"
#include "model/world.h"
#include "scenario/kernel_profile.h"
#include "tests/model_steps.h"

namespace sockspec {
namespace {

// Runs `text` alone on `model`.
void run(Model& model, const std::string& text) { testing::run_last(model, text); }

SocketId id(const Model& m, const std::string& name) { return m.world().names.at(name); }

Address v4(std::uint8_t last, std::uint16_t port) { return inet::v4(0x7f000000u | last, port); }

Address v6_loopback(std::uint16_t port) {
  Address a = inet::loopback(Family::Inet6);
  a.port = port;
  return a;
}

// The receivers of a datagram from 127.0.0.1:9000 (or [::1]:9000) to `dest`.
UdpReceivers receivers(const Model& m, const Address& dest) {
  UdpDatagram d;
  d.protocol = m.world().sockets.front().protocol;
  d.dest = dest;
  d.source = dest.kind == AddressKind::Inet4 ? v4(1, 9000) : v6_loopback(9000);
  d.device = "lo";
  return udp_receivers(m.world(), d);
}

std::string sharer(const std::string& name, const std::string& family, const std::string& addr,
                   const std::string& option = "SO_REUSEADDR") {
  return name + " = socket " + family + " dgram\nsetsockopt " + name + " " + option + " 1\nbind " + name + " " + addr +
         "\n";
}

TEST(UdpLookup, TheLastBoundOfEqualSharersWins) {
  Model m;
  run(m, sharer("a", "inet", "0.0.0.0:7000") + sharer("b", "inet", "0.0.0.0:7000"));
  const UdpReceivers r = receivers(m, v4(1, 7000));
  EXPECT_EQ(r.canonical, id(m, "b"));
  EXPECT_EQ(r.allowed, std::vector<SocketId>{id(m, "b")});
  EXPECT_TRUE(r.rules.contains("data.udp.lookup.score"));
}

TEST(UdpLookup, TheExactAddressWinsOverALaterWildcard) {
  Model m;
  run(m, sharer("c", "inet", "127.0.0.1:7001") + sharer("d", "inet", "0.0.0.0:7001"));
  const UdpReceivers r = receivers(m, v4(1, 7001));
  EXPECT_EQ(r.canonical, id(m, "c"));
  EXPECT_TRUE(r.rules.contains("data.udp.lookup.exact_before_wildcard"));
  EXPECT_EQ(receivers(m, v4(2, 7001)).canonical, id(m, "d"));  // 127.0.0.2: only the wildcard's slot
}

TEST(UdpLookup, InetBeatsDualStackWhicheverCameLast) {
  Model m;
  run(m, sharer("e", "inet6", "[::]:7002") + sharer("f", "inet", "0.0.0.0:7002") + sharer("g", "inet6", "[::]:7002"));
  EXPECT_EQ(receivers(m, v4(1, 7002)).canonical, id(m, "f"));
  EXPECT_EQ(receivers(m, v6_loopback(7002)).canonical, id(m, "g"));  // IPv6 traffic: AF_INET6 only
}

TEST(UdpLookup, V6onlyAndPlainV6SocketsMissIpv4Traffic) {
  Model m;
  run(m, "a = socket inet6 dgram\nsetsockopt a IPV6_V6ONLY 1\nbind a [::]:7003\n"
         "b = socket inet6 dgram\nbind b [::1]:7004\n");
  EXPECT_TRUE(receivers(m, v4(1, 7003)).allowed.empty());
  EXPECT_TRUE(receivers(m, v4(1, 7004)).allowed.empty());
  EXPECT_EQ(receivers(m, v6_loopback(7004)).canonical, id(m, "b"));
}

TEST(UdpLookup, AConnectedSocketWinsOnlyForItsPeer) {
  Model m;
  run(m, sharer("j", "inet", "127.0.0.1:7005") + "connect j 127.0.0.1:9000\n" + sharer("k", "inet", "127.0.0.1:7005"));
  EXPECT_EQ(receivers(m, v4(1, 7005)).canonical, id(m, "j"));  // 2+4+4 against 2
  UdpDatagram other;
  other.protocol = m.world().sockets.front().protocol;
  other.dest = v4(1, 7005);
  other.source = v4(1, 9001);
  other.device = "lo";
  EXPECT_EQ(udp_receivers(m.world(), other).canonical, id(m, "k"));
}

TEST(UdpLookup, AReuseportGroupIsTheAllowedSet) {
  Model m;
  run(m, sharer("a", "inet", "127.0.0.1:7006", "SO_REUSEPORT") + sharer("b", "inet", "127.0.0.1:7006", "SO_REUSEPORT") +
             sharer("c", "inet", "127.0.0.1:7006", "SO_REUSEPORT"));
  const UdpReceivers r = receivers(m, v4(1, 7006));
  std::vector<SocketId> allowed = r.allowed;
  std::sort(allowed.begin(), allowed.end());
  EXPECT_EQ(allowed, (std::vector<SocketId>{id(m, "a"), id(m, "b"), id(m, "c")}));
  EXPECT_EQ(r.canonical, id(m, "c"));
  EXPECT_TRUE(r.rules.contains("data.udp.lookup.reuseport_group"));
}

TEST(UdpLookup, AGroupWithAConnectedMemberIsUnsupported) {
  Model m;
  run(m, sharer("a", "inet", "127.0.0.1:7007", "SO_REUSEPORT") + sharer("b", "inet", "127.0.0.1:7007", "SO_REUSEPORT") +
             "connect a 127.0.0.1:9001\n");
  EXPECT_FALSE(receivers(m, v4(1, 7007)).unsupported.empty());
}

TEST(UdpLookup, AnAf6ReuseportSocketJoinsTheTail) {
  Model m;
  run(m, sharer("h", "inet6", "[::]:7008") +
             "v1 = socket inet6 dgram\nsetsockopt v1 SO_REUSEPORT 1\nsetsockopt v1 SO_REUSEADDR 1\nbind v1 [::]:7008\n");
  ASSERT_TRUE(m.world().sock(id(m, "v1")).port_bound);
  // v1, bound last, went to the tail behind h: equal scores, h first
  const UdpReceivers r = receivers(m, v6_loopback(7008));
  EXPECT_EQ(r.canonical, id(m, "h"));
}

TEST(UdpLookup, ADisconnectedInet6SocketStillComparesItsOldPeerAddress) {
  Model m;
  run(m, "addr add 2001:db8::5\no = socket inet6 dgram\nbind o [::]:7009\nconnect o [::1]:9000\nconnect o unspec\n");
  UdpDatagram d;
  d.protocol = m.world().sockets.front().protocol;
  d.dest = v6_loopback(7009);
  d.source = v6_loopback(9005);
  d.device = "lo";
  EXPECT_EQ(udp_receivers(m.world(), d).canonical, id(m, "o"));
  d.source.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  EXPECT_TRUE(udp_receivers(m.world(), d).allowed.empty());
}

TEST(UdpLookup, ACpuPointWidensTheSetToALowerScoringSocketListedFirst) {
  Model m;
  run(m, "s = socket inet dgram\nbind s 127.0.0.1:9000\n"
         "b = socket inet6 dgram\nsetsockopt b SO_REUSEADDR 1\nbind b [::]:7010\nconnect b [::ffff:127.0.0.1]:9000\n"
         "sendto s \"x\" 127.0.0.1:7010\n" +
             sharer("a", "inet", "0.0.0.0:7010") +
             "connect a 127.0.0.1:9000\nconnect b unspec\nconnect b [::ffff:127.0.0.1]:9000\n");
  const UdpReceivers r = receivers(m, v4(1, 7010));
  EXPECT_EQ(r.canonical, id(m, "a"));  // 10 against 9
  EXPECT_EQ(r.allowed.size(), 2u);     // b, listed first, ties with its point
  EXPECT_TRUE(r.rules.contains("data.udp.lookup.incoming_cpu_point"));
}

TEST(UdpLookup, On61AnySocketMayCarryTheCpuPoint) {
  const std::string sharers =
      sharer("e", "inet6", "[::]:7012") + sharer("f", "inet", "0.0.0.0:7012") + sharer("g", "inet6", "[::]:7012");
  Model reference;
  run(reference, sharers);
  EXPECT_EQ(receivers(reference, v4(1, 7012)).allowed, std::vector<SocketId>{id(reference, "f")});
  Model old(*parse_kernel_profile("6.1.192"));
  run(old, sharers);
  const UdpReceivers r = receivers(old, v4(1, 7012));
  EXPECT_EQ(r.canonical, id(old, "f"));
  // g, listed before f, ties it with the point; e, listed after f, cannot
  std::vector<SocketId> allowed = r.allowed;
  std::sort(allowed.begin(), allowed.end());
  EXPECT_EQ(allowed, (std::vector<SocketId>{id(old, "f"), id(old, "g")}));
  EXPECT_TRUE(r.rules.contains("data.udp.lookup.cpu_point_any_socket"));
}

// The send of a datagram to a three-member group, with the kernel showing
// `grown` (a member's receive memory) after it.
std::string recv_after_send_observed(const std::string& grown) {
  const Program p = parse_scenario(
      sharer("a", "inet", "127.0.0.1:7011", "SO_REUSEPORT") + sharer("b", "inet", "127.0.0.1:7011", "SO_REUSEPORT") +
      "s = socket inet dgram\nsendto s \"hi\" 127.0.0.1:7011\nrecv a 10\n");
  Model m;
  std::string last;
  for (std::size_t i = 0; i < p.lines.size(); ++i) {
    if (i + 2 != p.lines.size()) { last = print_result(m.step(p.lines[i]).result); continue; }
    Observation o;
    for (const char* name : {"a", "b", "s"}) {
      ObservedSocket& seen = o.sockets.emplace_back();
      seen.name = name;
      seen.rmem = name == grown ? 768 : 0;
    }
    m.step(p.lines[i], &o);
  }
  return last;
}

TEST(UdpLookup, TheModelAdoptsTheMemberWhoseMemoryGrew) {
  EXPECT_EQ(recv_after_send_observed("a"), "\"hi\"");
  EXPECT_EQ(recv_after_send_observed("b"), "EAGAIN");
  EXPECT_EQ(recv_after_send_observed("s"), "EAGAIN");  // none of the group grew: the canonical pick, b
}

}  // namespace
}  // namespace sockspec
