// Urgent-data rules of the model, one by one, without a kernel: each case
// steps parsed lines through a Model and checks the result and the rule
// that decided it (spec/oob.md).
#include <gtest/gtest.h>

#include "model/model.h"
#include "scenario/kernel_profile.h"
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

TEST(ModelOob, TcpLastByteUrgentAndReadStopsAtMark) {
  auto st = run(std::string(kTcpPair) + "send c \"abcd\" MSG_OOB -> 4\nrecv s 16 -> \"abc\"\nsockatmark s -> 1\n");
  EXPECT_TRUE(st[6].rules.contains("oob.tcp.last_byte_urgent"));
  EXPECT_TRUE(st[7].rules.contains("oob.tcp.recv_stops_at_mark"));
  EXPECT_TRUE(st[8].rules.contains("oob.tcp.sockatmark"));
}

TEST(ModelOob, TcpReadAndRereadUrgentByte) {
  auto st = run(std::string(kTcpPair) +
                "send c \"ab\" MSG_OOB\nrecv s 1 MSG_OOB|MSG_PEEK -> \"b\"\nrecv s 1 MSG_OOB -> \"b\"\n"
                "recv s 1 MSG_OOB -> EINVAL\nrecv s 9 -> \"a\"\nrecv s 9 -> EAGAIN\nsockatmark s -> 0\n"
                "recv s 1 MSG_OOB -> EINVAL\n");
  EXPECT_TRUE(st[7].rules.contains("oob.recv.peek_keeps_urgent"));
  EXPECT_TRUE(st[8].rules.contains("oob.recv.oob_reads_byte"));
  EXPECT_TRUE(st[9].rules.contains("oob.recv.already_read_einval"));
  EXPECT_TRUE(st[11].rules.contains("oob.tcp.recv_skips_urgent_byte"));
  EXPECT_TRUE(st[13].rules.contains("oob.recv.no_mark_einval"));
}

TEST(ModelOob, TcpReplacementDropsAtHeadElseKeepsAsData) {
  auto st = run(std::string(kTcpPair) +
                "send c \"x\" MSG_OOB\nsend c \"y\" MSG_OOB\nrecv s 1 MSG_OOB -> \"y\"\nrecv s 9 -> EAGAIN\n"
                "send c \"ab\" MSG_OOB\nsend c \"cd\" MSG_OOB\nrecv s 1 MSG_OOB -> \"d\"\nrecv s 9 -> \"abc\"\n");
  EXPECT_TRUE(st[7].rules.contains("oob.tcp.replaced_at_head_dropped"));
  EXPECT_TRUE(st[11].rules.contains("oob.tcp.replaced_becomes_data"));
}

TEST(ModelOob, TcpOobinline) {
  auto st = run(std::string(kTcpPair) +
                "setsockopt s SO_OOBINLINE 1\nsend c \"ab\" MSG_OOB\nrecv s 1 MSG_OOB -> EINVAL\n"
                "recv s 9 -> \"a\"\nrecv s 9 -> \"b\"\n");
  EXPECT_TRUE(st[8].rules.contains("oob.tcp.oobinline_recv_oob_einval"));
}

TEST(ModelOob, TcpStdurgNotYetThenArrives) {
  auto st = run("sysctl net.ipv4.tcp_stdurg 1\n" + std::string(kTcpPair) +
                "send c \"ab\" MSG_OOB\nrecv s 1 MSG_OOB -> EAGAIN\npoll s -> in|out\nsend c \"z\"\n"
                "poll s -> in|out|pri\nrecv s 1 MSG_OOB -> \"z\"\n");
  EXPECT_TRUE(st[7].rules.contains("oob.tcp.stdurg_points_past"));
  EXPECT_TRUE(st[8].rules.contains("oob.tcp.recv_oob_notyet_eagain"));
  EXPECT_TRUE(st[10].rules.contains("oob.tcp.notyet_byte_arrives"));
}

TEST(ModelOob, SigurgOnlyForOwnedSockets) {
  auto st = run(std::string(kTcpPair) +
                "send c \"a\" MSG_OOB\nsigurg -> 0\nsetown s -> ok\nsend c \"b\" MSG_OOB\nsend c \"plain\"\nsigurg -> 1\n");
  EXPECT_TRUE(st[9].rules.contains("oob.sigurg.one_per_urgent_send"));
  EXPECT_TRUE(st[11].rules.contains("oob.sigurg.count"));
}

TEST(ModelOob, UdpRejectsOob) {
  auto st = run("u = socket inet dgram\nsendto u \"x\" 127.0.0.1:9 MSG_OOB -> EOPNOTSUPP\ngetsockname u -> 0.0.0.0:*\n");
  EXPECT_TRUE(st[1].rules.contains("oob.udp.send_eopnotsupp"));
}

TEST(ModelOob, UnixKeepsOldUrgentByteAsData) {
  auto st = run("a, b = socketpair unix stream\nsend a \"x\" MSG_OOB\nsend a \"y\" MSG_OOB\n"
                "sockatmark b -> 0\nrecv b 9 -> \"x\"\nsockatmark b -> 1\nrecv b 1 MSG_OOB -> \"y\"\n");
  EXPECT_TRUE(st[1].rules.contains("oob.unix.last_byte_own_skb"));
  EXPECT_TRUE(st[2].rules.contains("oob.unix.replaced_becomes_data"));
  EXPECT_TRUE(st[4].rules.contains("oob.unix.recv_stops_at_mark"));
  EXPECT_TRUE(st[5].rules.contains("oob.unix.sockatmark"));
}

TEST(ModelOob, UnixNormalReadDropsUrgentByteAndStopsAtHusk) {
  auto st = run("a, b = socketpair unix stream\nsend a \"x\" MSG_OOB\nrecv b 1 -> EAGAIN\n"
                "recv b 1 MSG_OOB -> EINVAL\nsend a \"hello\" MSG_OOB\nsend a \"world\"\n"
                "recv b 1 MSG_OOB -> \"o\"\nrecv b 9 -> \"hell\"\nrecv b 9 -> \"world\"\n"
                "send a \"pq\" MSG_OOB\nrecv b 9 MSG_PEEK -> \"p\"\n");
  EXPECT_TRUE(st[2].rules.contains("oob.unix.recv_drops_urgent_byte"));
  EXPECT_TRUE(st[3].rules.contains("oob.unix.recv_oob_none_einval"));
  EXPECT_TRUE(st[7].rules.contains("oob.unix.recv_stops_at_read_urgent"));
}

TEST(ModelOob, UnixMisuse) {
  auto st = run("a, b = socketpair unix stream\nsend a \"\" MSG_OOB -> EOPNOTSUPP\n"
                "setsockopt b SO_OOBINLINE 1\nsend a \"k\" MSG_OOB\nrecv b 1 MSG_OOB -> EINVAL\nrecv b 1 -> \"k\"\n"
                "d, e = socketpair unix dgram\nsend d \"x\" MSG_OOB -> EOPNOTSUPP\nsockatmark e -> EOPNOTSUPP\n");
  EXPECT_TRUE(st[1].rules.contains("oob.unix.send_empty_eopnotsupp"));
  EXPECT_TRUE(st[4].rules.contains("oob.unix.oobinline_recv_oob_einval"));
  EXPECT_TRUE(st[5].rules.contains("oob.unix.oobinline_reads_inline"));
  EXPECT_TRUE(st[7].rules.contains("oob.unix.dgram_eopnotsupp"));
  EXPECT_TRUE(st[8].rules.contains("oob.unix.sockatmark_not_stream_eopnotsupp"));
}

// The same lines on a model answering for `profile`: the printed results
// and the rules each line cited (no expectations are checked).
struct Answers {
  std::vector<std::string> results;
  std::vector<Step> steps;
};
Answers answers(const KernelProfile& profile, const std::string& text) {
  Model model(profile);
  Answers a;
  for (const Line& line : parse_scenario(text).lines) {
    Step s = model.step(line);
    EXPECT_FALSE(s.unsupported) << print_line(line) << ": " << s.note;
    a.results.push_back(print_result(s.result));
    a.steps.push_back(std::move(s));
  }
  return a;
}

// spec/oob.md: the oob.unix rules that hold below 6.10 (model/kernel_variations.h).
TEST(ModelOob, UnixConsumedUrgentSkbBeforeAndAfter610) {
  const std::string text =
      "a, b = socketpair unix stream\nsend a \"x\" MSG_OOB\nrecv b 1 MSG_OOB\nsend a \"y\"\n"
      "sockatmark b\nrecv b 1\nrecv b 1\n"                                            // 4 5 6
      "send a \"hello\" MSG_OOB\nsend a \"world\"\nrecv b 1 MSG_OOB\nrecv b 9 MSG_PEEK\n"  // 10
      "send a \"wor\" MSG_OOB\nrecv b 1 MSG_OOB\nsend a \"ld\" MSG_OOB\nrecv b 20\n";     // 14
  const Answers old = answers(*parse_kernel_profile("6.1"), text);
  const Answers now = answers(reference_kernel_profile(), text);
  // e400cfa38bb0: a consumed skb at the head is at the mark only from 6.10
  EXPECT_EQ(old.results[4], "0");
  EXPECT_EQ(now.results[4], "1");
  EXPECT_TRUE(old.steps[4].rules.contains("oob.unix.sockatmark_head_only"));
  EXPECT_FALSE(now.steps[4].rules.contains("oob.unix.sockatmark_head_only"));
  // 93c99f21db36: before 6.10 the read frees the consumed skb and ends
  EXPECT_EQ(old.results[5], "EAGAIN");
  EXPECT_EQ(old.results[6], "\"y\"");
  EXPECT_EQ(now.results[5], "\"y\"");
  EXPECT_EQ(now.results[6], "EAGAIN");
  EXPECT_TRUE(old.steps[5].rules.contains("oob.unix.consumed_head_ends_read"));
  // b94038d841a9: before 6.10 a peek runs over the consumed skb
  EXPECT_EQ(old.results[10], "\"hellworld\"");
  EXPECT_EQ(now.results[10], "\"hell\"");
  EXPECT_TRUE(old.steps[10].rules.contains("oob.unix.peek_passes_consumed_skb"));
  // 36893ef0b661: before 6.10 a read stops at any consumed skb, here the "r"
  // (6.18 goes on to the current mark); the "o" in the middle was read first
  EXPECT_EQ(old.results[14], "\"hell\"");
  EXPECT_EQ(now.results[14], "\"hellworldwol\"");
  EXPECT_TRUE(old.steps[14].rules.contains("oob.unix.recv_stops_at_any_consumed"));
  EXPECT_FALSE(now.steps[14].rules.contains("oob.unix.recv_stops_at_any_consumed"));
}

// A listener's queued connections: at the mark from 6.10 only (e400cfa38bb0).
TEST(ModelOob, UnixListenerSockatmarkBefore610) {
  const std::string text =
      "l = socket unix stream\nbind l unix:@m\nlisten l 5\nc = socket unix stream\nconnect c unix:@m\n"
      "sockatmark l\n";
  EXPECT_EQ(answers(*parse_kernel_profile("6.1"), text).results[5], "0");
  EXPECT_EQ(answers(reference_kernel_profile(), text).results[5], "1");
}

// A husk at the head of the closing socket's queue is not unread data; an
// skb behind it is (spec/oob.md oob.unix.close_passes_consumed_head), on
// every profile: 6.1 and 6.18 agree.
TEST(ModelOob, UnixCloseAfterUrgentByteReadLeavesPeerAtEof) {
  const std::string text =
      "a, b = socketpair unix stream\nsend a \"x\" MSG_OOB\nrecv b 1 MSG_OOB\nclose b\nrecv a 8\n"  // 4
      "c, d = socketpair unix stream\nsend c \"x\" MSG_OOB\nrecv d 1 MSG_OOB\nsend c \"y\"\nclose d\n"
      "recv c 8\nrecv c 8\n";  // 10 11
  for (const KernelProfile& profile : {*parse_kernel_profile("6.1"), reference_kernel_profile()}) {
    const Answers got = answers(profile, text);
    EXPECT_EQ(got.results[4], "\"\"");
    EXPECT_TRUE(got.steps[3].rules.contains("oob.unix.close_passes_consumed_head"));
    EXPECT_FALSE(got.steps[3].rules.contains("unix.close.unread_data_econnreset"));
    EXPECT_EQ(got.results[10], "ECONNRESET");
    EXPECT_TRUE(got.steps[9].rules.contains("unix.close.unread_data_econnreset"));
    EXPECT_EQ(got.results[11], "\"\"");
  }
}

}  // namespace
}  // namespace sockspec
