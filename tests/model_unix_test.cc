// AF_UNIX rules of the model, one by one, without a kernel (spec/unix.md).
#include <gtest/gtest.h>

#include "model/model.h"
#include "scenario/match.h"
#include "scenario/parser.h"
#include "scenario/printer.h"
#include "tests/model_steps.h"

namespace sockspec {
namespace {

using testing::run;  // tests/model_steps.h

TEST(ModelUnix, PathNamesOutliveTheirSocket) {
  auto st = run("a = socket unix stream\nbind a unix:/tmp/s -> ok\nb = socket unix stream\n"
                "bind b unix:/tmp/s -> EADDRINUSE\nclose a\nbind b unix:/tmp/s -> EADDRINUSE\n"
                "unlink /tmp/s -> ok\nunlink /tmp/s -> ENOENT\nbind b unix:/tmp/s -> ok\nbind b unix:/tmp/t -> EINVAL\n"
                "bind b unix:/tmp/d/x -> ENOENT\n");
  EXPECT_TRUE(st[1].rules.contains("unix.bind.path_creates_file"));
  EXPECT_TRUE(st[5].rules.contains("unix.bind.path_exists_eaddrinuse"));
  EXPECT_TRUE(st[6].rules.contains("unix.unlink.removes_name"));
  EXPECT_TRUE(st[7].rules.contains("unix.unlink.missing_enoent"));
  EXPECT_TRUE(st[9].rules.contains("unix.bind.already_bound_einval"));
  EXPECT_TRUE(st[10].rules.contains("unix.bind.path_no_directory_enoent"));
}

TEST(ModelUnix, AbstractNamesArePerTypeAndAutobindPicksFiveHexDigits) {
  auto st = run("a = socket unix stream\nbind a unix:@n -> ok\nb = socket unix stream\nbind b unix:@n -> EADDRINUSE\n"
                "d = socket unix dgram\nbind d unix:@n -> ok\nz = socket unix dgram\nbind z unix: -> ok\n"
                "getsockname z -> unix:@00000\n");
  EXPECT_TRUE(st[1].rules.contains("unix.bind.abstract"));
  EXPECT_TRUE(st[3].rules.contains("unix.bind.abstract_in_use"));
  EXPECT_TRUE(st[7].rules.contains("unix.bind.autobind"));
}

TEST(ModelUnix, ListenConnectAcceptAndBacklogPlusOne) {
  auto st = run("l = socket unix stream\nlisten l 1 -> EINVAL\nbind l unix:@l\nlisten l 1 -> ok\n"
                "c1 = socket unix stream\nconnect c1 unix:@l -> ok\nc2 = socket unix stream\nconnect c2 unix:@l -> ok\n"
                "c3 = socket unix stream\nconnect c3 unix:@l -> EAGAIN\ns = accept l -> ok\n"
                "getpeername c1 -> unix:@l\ngetsockname s -> unix:@l\nconnect c3 unix:@missing -> ECONNREFUSED\n"
                "connect c3 unix:/tmp/missing -> ENOENT\n");
  EXPECT_TRUE(st[1].rules.contains("unix.listen.unbound_einval"));
  EXPECT_TRUE(st[5].rules.contains("unix.connect.queues_embryo"));
  EXPECT_TRUE(st[9].rules.contains("unix.connect.backlog_full_eagain"));
  EXPECT_TRUE(st[10].rules.contains("unix.accept.takes_embryo"));
  EXPECT_TRUE(st[13].rules.contains("unix.connect.abstract_missing_econnrefused"));
  EXPECT_TRUE(st[14].rules.contains("unix.connect.path_missing_enoent"));
}

TEST(ModelUnix, CloseWithUnreadDataResetsPeer) {
  auto st = run("a, b = socketpair unix stream\nsend a \"x\" -> 1\nclose b\npoll a -> in|out|err|hup|rdhup\n"
                "recv a 4 -> ECONNRESET\nrecv a 4 -> \"\"\nsend a \"y\" -> EPIPE\n");
  EXPECT_TRUE(st[2].rules.contains("unix.close.unread_data_econnreset"));
  EXPECT_TRUE(st[4].rules.contains("unix.stream.recv_peer_reset"));
  EXPECT_TRUE(st[5].rules.contains("unix.stream.recv_eof"));
}

// The sender is named as it is at the recv (unix_copy_addr(msg, skb->sk)):
// the first datagram, sent unnamed, reads as from the name bound since.
TEST(ModelUnix, DatagramsCarryTheSendersName) {
  auto st = run("r = socket unix dgram\nbind r unix:/tmp/r\nw = socket unix dgram\nsendto w \"1\" unix:/tmp/r -> 1\n"
                "bind w unix:@w\nsendto w \"22\" unix:/tmp/r -> 2\nrecvfrom r 9 -> \"1\" from unix:@w\n"
                "recvfrom r 1 MSG_TRUNC -> 2 from unix:@w\nconnect w unix:/tmp/r -> ok\nclose r\n"
                "send w \"x\" -> ECONNREFUSED\nsend w \"x\" -> ENOTCONN\n");
  EXPECT_TRUE(st[3].rules.contains("unix.dgram.send_one_record"));
  EXPECT_TRUE(st[7].rules.contains("data.dgram.trunc_full_length"));
  EXPECT_TRUE(st[10].rules.contains("unix.dgram.dead_peer_econnrefused"));
}

TEST(ModelUnix, SeqpacketKeepsRecordsAndReportsEof) {
  auto st = run("p, q = socketpair unix seqpacket\nsend p \"abc\" -> 3\nrecv q 2 -> \"ab\"\nrecv q 9 -> EAGAIN\n"
                "close p\nrecv q 9 -> \"\"\n");
  EXPECT_TRUE(st[5].rules.contains("unix.seqpacket.recv_eof"));
}

}  // namespace
}  // namespace sockspec

namespace sockspec {
namespace {

TEST(ModelUnix, ARelativePathIsTheSameFileAsItsTmpSpelling) {
  Model model;
  const Program p = parse_scenario(
      "r = socket unix dgram\nbind r unix:rel -> ok\ngetsockname r -> unix:rel\nw = socket unix dgram\n"
      "bind w unix:/tmp/rel -> EADDRINUSE\nsendto w \"hi\" unix:/tmp/rel -> 2\nunlink /tmp/rel -> ok\nunlink rel -> ENOENT\n");
  Bindings b;
  for (const Line& line : p.lines) {
    Step s = model.step(line);
    if (line.expect) EXPECT_TRUE(matches(*line.expect, s.result, b)) << print_line(line) << " gave " << print_result(s.result);
    if (line.line_no == 2) EXPECT_TRUE(s.rules.contains("unix.name.relative_is_tmp"));
  }
}

}  // namespace
}  // namespace sockspec
