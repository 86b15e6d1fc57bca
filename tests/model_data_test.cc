// TCP and UDP data rules of the model, one by one, without a kernel
// (spec/data.md).
#include <gtest/gtest.h>

#include "model/model.h"
#include "scenario/match.h"
#include "scenario/parser.h"
#include "scenario/printer.h"
#include "tests/model_steps.h"

namespace sockspec {
namespace {

using testing::run;  // tests/model_steps.h

const char* kTcpPair =
    "l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 5\n"
    "c = socket inet stream\nconnect c 127.0.0.1:7000\ns = accept l\n";

TEST(ModelData, TcpStreamAcrossSendsWithPeekAndTrunc) {
  auto st = run(std::string(kTcpPair) + "send c \"abc\" -> 3\nsend c \"def\" -> 3\nrecv s 2 MSG_PEEK -> \"ab\"\n"
                "recv s 2 MSG_TRUNC -> 2\nrecv s 9 -> \"cdef\"\nrecv s 9 -> EAGAIN\n");
  EXPECT_TRUE(st[6].rules.contains("data.tcp.send_delivers"));
  EXPECT_TRUE(st[8].rules.contains("data.recv.peek_keeps"));
  EXPECT_TRUE(st[9].rules.contains("data.tcp.recv_trunc_discards"));
  EXPECT_TRUE(st[11].rules.contains("data.recv.empty_eagain"));
}

TEST(ModelData, TcpFinAndReset) {
  auto st = run(std::string(kTcpPair) + "shutdown c wr\nrecv s 9 -> \"\"\nsend s \"x\" -> 1\nclose c\n"
                "recv s 9 -> \"\"\nsend s \"x\" -> EPIPE\nsend s \"x\" -> EPIPE\n");
  EXPECT_TRUE(st[7].rules.contains("data.tcp.recv_eof"));
  EXPECT_TRUE(st[9].rules.contains("data.tcp.close_unread_resets"));  // "x" was never read by c
  EXPECT_TRUE(st[11].rules.contains("data.tcp.send_pending_error"));  // the RST's EPIPE, once
}

TEST(ModelData, TcpNotConnected) {
  auto st = run("t = socket inet stream\nsend t \"x\" -> EPIPE\nrecv t 1 -> ENOTCONN\npoll t -> out|hup\n");
  EXPECT_TRUE(st[1].rules.contains("data.tcp.send_not_connected_epipe"));
  EXPECT_TRUE(st[2].rules.contains("data.tcp.recv_not_connected_enotconn"));
  EXPECT_TRUE(st[3].rules.contains("data.poll.tcp"));
}

TEST(ModelData, UdpDatagramsAndPortUnreachable) {
  auto st = run("r = socket inet dgram\nbind r 127.0.0.1:5000\nw = socket inet dgram\nsend w \"x\" -> EDESTADDRREQ\n"
                "sendto w \"hello\" 127.0.0.1:5000 -> 5\nrecv r 2 -> \"he\"\nconnect w 127.0.0.1:5999\n"
                "send w \"x\" -> 1\nsend w \"x\" -> ECONNREFUSED\nsend w \"x\" -> 1\nrecv w 1 -> ECONNREFUSED\n");
  EXPECT_TRUE(st[3].rules.contains("data.udp.send_unconnected_edestaddrreq"));
  EXPECT_TRUE(st[4].rules.contains("data.udp.send_delivers"));
  EXPECT_TRUE(st[5].rules.contains("data.dgram.recv_one_datagram"));
  EXPECT_TRUE(st[7].rules.contains("data.udp.port_unreachable_econnrefused"));
  EXPECT_TRUE(st[8].rules.contains("data.udp.pending_error_once"));
}

}  // namespace
}  // namespace sockspec

namespace sockspec {
namespace {

// The Recv-Q of the (only) CLOSE-WAIT row of an ss step.
std::uint32_t close_wait_recvq(const Step& ss) {
  for (const SsRow& row : ss.result.rows)
    if (row.state == "CLOSE-WAIT") return row.recvq;
  ADD_FAILURE() << "no CLOSE-WAIT row in " << print_result(ss.result);
  return 0;
}

TEST(ModelData, FinCoalescedWithDataIsReadWithTheLastByte) {
  auto st = run(std::string(kTcpPair) + "send s \"abc\"\nshutdown s wr\nss\nrecv c 2 -> \"ab\"\nss\n"
                "recv c 1 -> \"c\"\nss\nrecv c 8 -> \"\"\n");
  EXPECT_EQ(close_wait_recvq(st[8]), 4u);  // three bytes and the FIN
  EXPECT_TRUE(st[8].rules.contains("data.tcp.fin_in_recvq"));
  EXPECT_EQ(close_wait_recvq(st[10]), 2u);
  EXPECT_TRUE(st[11].rules.contains("data.tcp.fin_in_recvq"));
  EXPECT_EQ(close_wait_recvq(st[12]), 0u);  // the FIN rode on the last byte's skb
}

TEST(ModelData, FinOfItsOwnIsReadByTheEofReadNotByPeek) {
  auto st = run(std::string(kTcpPair) + "shutdown s wr\nss\nrecv c 8 MSG_PEEK -> \"\"\nss\nrecv c 8 -> \"\"\nss\n");
  EXPECT_EQ(close_wait_recvq(st[7]), 1u);
  EXPECT_EQ(close_wait_recvq(st[9]), 1u);
  EXPECT_EQ(close_wait_recvq(st[11]), 0u);
}

TEST(ModelData, DataFromThePeerAcknowledgesTheFin) {
  auto st = run(std::string(kTcpPair) + "shutdown s wr\nsend c \"late\" -> 4\nss\nrecv s 8 -> \"late\"\n");
  EXPECT_TRUE(st[7].rules.contains("data.tcp.data_acks_fin"));
  bool fin_wait2 = false;
  for (const auto& r : st[8].result.rows) fin_wait2 |= r.state == "FIN-WAIT-2" && r.recvq == 4;
  EXPECT_TRUE(fin_wait2) << print_result(st[8].result);
}

TEST(ModelData, Ipv4TrafficFromAnInet6UdpSocket) {
  auto st = run("r = socket inet dgram\nbind r 127.0.0.1:5002\nd = socket inet6 dgram\nbind d [::]:5003\n"
                "sendto d \"m\" [::ffff:127.0.0.1]:5002 -> 1\nrecvfrom r 8 -> \"m\" from 127.0.0.1:5003\n"
                "sendto r \"b\" [::1]:5003 -> EAFNOSUPPORT\n"
                "o = socket inet6 dgram\nbind o [::1]:0\nsendto o \"x\" 127.0.0.1:5002 -> ENETUNREACH\n");
  EXPECT_TRUE(st[6].rules.contains("data.udp.sendto_inet6_on_inet_eafnosupport"));
  EXPECT_TRUE(st[9].rules.contains("data.udp.v4_on_v6only_enetunreach"));
}

TEST(ModelData, UdpLiteHasItsOwnPortsAndNoSsRow) {
  auto st = run("l = socket inet dgram udplite -> ok\nbind l 127.0.0.1:6000 -> ok\n"
                "u = socket inet dgram\nbind u 127.0.0.1:6000 -> ok\nl2 = socket inet dgram udplite\n"
                "bind l2 127.0.0.1:6001 -> ok\nsendto u \"x\" 127.0.0.1:6001 -> 1\nrecv l2 8 -> EAGAIN\n"
                "sendto l \"y\" 127.0.0.1:6001 -> 1\nrecv l2 8 -> \"y\"\nss -> udp UNCONN 127.0.0.1:6000 *:* q=0/0\n");
  EXPECT_TRUE(st[0].rules.contains("socket.create.udplite"));
  EXPECT_TRUE(st[3].rules.contains("bind.conflict.other_protocol"));
}

}  // namespace
}  // namespace sockspec
