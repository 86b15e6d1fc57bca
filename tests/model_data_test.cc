// TCP and UDP data rules of the model, one by one, without a kernel
// (spec/data.md).
#include <gtest/gtest.h>

#include "model/model.h"
#include "scenario/match.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

// Runs every line; every expectation written in `text` must hold. Returns
// the steps so a test can look at the rules a line cited.
std::vector<Step> run(const std::string& text) {
  Program p = parse_scenario(text);
  Model m;
  Bindings b;
  std::vector<Step> steps;
  for (const Line& line : p.lines) {
    Step s = m.step(line);
    EXPECT_FALSE(s.unsupported) << print_line(line) << ": " << s.note;
    if (line.expect) EXPECT_TRUE(matches(*line.expect, s.result, b)) << print_line(line) << " gave " << print_result(s.result);
    steps.push_back(std::move(s));
  }
  return steps;
}

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
