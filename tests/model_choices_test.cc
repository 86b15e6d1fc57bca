// Every choice the model adopts from the kernel (model/choices.h) against
// planted observations: a figure inside the rule's allowed set is adopted
// (the model then answers with it), one outside is not (the model answers
// otherwise, so lockstep reports a divergence: the recording case caught).
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "model/model.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

// What the planted kernel shows of one socket after the last line.
using Plant = std::function<void(ObservedSocket&)>;

// Runs `text` on the model; the last line gets an observation with the
// first generation of `name` (current) filled in by `plant`, and also the
// table row `row` when one is given. Returns the last step.
Step last_step_with(const std::string& text, const std::string& name, const Plant& plant,
                    std::optional<SsRow> row = std::nullopt) {
  Program p = parse_scenario(text);
  Model m;
  Step last;
  for (std::size_t i = 0; i < p.lines.size(); ++i) {
    if (i + 1 < p.lines.size()) { last = m.step(p.lines[i]); continue; }
    Observation o;
    ObservedSocket& s = o.sockets.emplace_back();
    s.name = name;
    plant(s);
    if (row) o.rows.push_back(*row);
    last = m.step(p.lines[i], &o);
  }
  return last;
}

// Runs `text` with the observation planted at line `at` (0-based), then
// the rest alone; returns the last step (a line that shows the choice).
Step shown_after(const std::string& text, std::size_t at, const std::string& name, const Plant& plant) {
  Program p = parse_scenario(text);
  Model m;
  Step last;
  for (std::size_t i = 0; i < p.lines.size(); ++i) {
    if (i != at) { last = m.step(p.lines[i]); continue; }
    Observation o;
    ObservedSocket& s = o.sockets.emplace_back();
    s.name = name;
    plant(s);
    last = m.step(p.lines[i], &o);
  }
  return last;
}

Address loopback(std::uint16_t port) {
  Address a;
  a.kind = AddressKind::Inet4;
  a.ip = {127, 0, 0, 1};
  a.port = port;
  return a;
}

Plant local_port(std::uint16_t port) {
  return [port](ObservedSocket& s) { s.local = loopback(port); };
}

TEST(Choices, BindPortIsAdoptedOnlyInsideTheRangeAndFree) {
  const std::string text = "s = socket inet stream\nbind s 127.0.0.1:0\ngetsockname s\n";
  EXPECT_EQ(shown_after(text, 1, "s", local_port(40001)).result, Result::addr(loopback(40001)));
  Step below = shown_after(text, 1, "s", local_port(80));  // outside ip_local_port_range
  EXPECT_NE(below.result, Result::addr(loopback(80)));
  const std::string taken = "t = socket inet stream\nbind t 127.0.0.1:40001\ns = socket inet stream\n"
                            "bind s 127.0.0.1:0\ngetsockname s\n";
  EXPECT_NE(shown_after(taken, 3, "s", local_port(40001)).result, Result::addr(loopback(40001)));
}

TEST(Choices, ConnectPortIsAdoptedOnlyInsideTheRange) {
  const std::string text = "l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 5\n"
                           "c = socket inet stream\nconnect c 127.0.0.1:7000\ngetsockname c\n";
  EXPECT_EQ(shown_after(text, 4, "c", local_port(40002)).result, Result::addr(loopback(40002)));
  Step outside = last_step_with("l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 5\n"
                                "c = socket inet stream\nconnect c 127.0.0.1:7000\n",
                                "c", local_port(1000));
  EXPECT_NE(outside.result, Result::ok());  // the kernel's ok diverges
}

TEST(Choices, AutobindNameIsAdoptedOnlyInItsShape) {
  const std::string text = "u = socket unix dgram\nbind u unix:\ngetsockname u\n";
  auto name = [](std::string path) {
    return [path](ObservedSocket& s) {
      Address a;
      a.kind = AddressKind::Unix;
      a.path = path;
      s.local = a;
    };
  };
  EXPECT_EQ(print_result(shown_after(text, 1, "u", name("@abc12")).result), "unix:@abc12");
  EXPECT_NE(print_result(shown_after(text, 1, "u", name("@xyz12")).result), "unix:@xyz12");   // not hex
  EXPECT_NE(print_result(shown_after(text, 1, "u", name("@abc123")).result), "unix:@abc123"); // six digits
}

TEST(Choices, ReuseportListenerIsOneWhoseQueueGrew) {
  const std::string group =
      "a = socket inet stream\nsetsockopt a SO_REUSEPORT 1\nbind a 127.0.0.1:7000\nlisten a 5\n"
      "b = socket inet stream\nsetsockopt b SO_REUSEPORT 1\nbind b 127.0.0.1:7000\nlisten b 5\n"
      "c = socket inet stream\nconnect c 127.0.0.1:7000\nx = accept b\n";
  auto queue = [](std::uint32_t n) { return [n](ObservedSocket& s) { s.accept_queue = n; }; };
  Program p = parse_scenario(group);
  EXPECT_EQ(shown_after(group, 9, "b", queue(1)).result, Result::ok());       // b's queue grew: b took it
  EXPECT_EQ(shown_after(group, 9, "b", queue(7)).result, Result::err(EAGAIN));  // no member grew by one: the first
}

SsRow udp_row(std::uint16_t port, std::uint32_t recvq, std::uint32_t sendq) {
  return SsRow{"udp", "UNCONN", loopback(port), std::nullopt, recvq, sendq};
}

Plant queues(std::uint32_t recvq, std::uint32_t sendq) {
  return [=](ObservedSocket& s) { s.queues = QueueSizes{recvq, sendq}; };
}

std::uint32_t udp_recvq_planted(const std::string& text, std::uint32_t recvq) {
  Step st = last_step_with(text, "r", queues(recvq, 0));
  EXPECT_TRUE(st.rules.contains("data.udp.recvq_memory"));
  return st.result.rows.at(0).recvq;
}

TEST(Choices, UdpRecvQIsAdoptedBetweenThePayloadAndTheSkbMemoryLimit) {
  const std::string queued = "r = socket inet dgram\nbind r 127.0.0.1:5000\nsendto r \"abc\" 127.0.0.1:5000\nss\n";
  const std::string empty = "r = socket inet dgram\nbind r 127.0.0.1:5000\nss\n";
  EXPECT_EQ(last_step_with(queued, "nobody", queues(0, 0)).result.rows.at(0).recvq, 3u);  // not observed: payload
  EXPECT_EQ(udp_recvq_planted(queued, 832), 832u);   // adopted: Linux 6.18's truesize
  EXPECT_EQ(udp_recvq_planted(queued, 0), 3u);       // 0 with a datagram queued: not allowed
  EXPECT_EQ(udp_recvq_planted(queued, 2), 3u);       // less than the payload: not allowed
  EXPECT_EQ(udp_recvq_planted(queued, 2 * 3 + 4097), 3u);  // over skb_memory_limit: not allowed
  EXPECT_EQ(udp_recvq_planted(empty, 832), 0u);      // > 0 with nothing queued: not allowed
  // a socket no line names any more is found by its row only
  const std::string renamed = "r = socket inet dgram\nbind r 127.0.0.1:5000\nsendto r \"abc\" 127.0.0.1:5000\n"
                              "r = socket inet dgram\nss\n";
  Step by_row = last_step_with(renamed, "nobody", queues(0, 0), udp_row(5000, 900, 0));
  EXPECT_EQ(by_row.result.rows.at(0).recvq, 3u);  // a named socket (generation 0 of r) is not found by row
}

TEST(Choices, UnixSendQIsAdoptedBetweenTheUnreadBytesAndTheSkbMemoryLimit) {
  const std::string text = "a, b = socketpair unix dgram\nsend a \"hello\"\nss\n";
  auto sendq_of_a = [&](std::uint32_t planted) {
    Step st = last_step_with(text, "a", queues(0, planted));
    for (const SsRow& r : st.result.rows)
      if (r.sendq != 0) return r.sendq;
    return 0u;
  };
  EXPECT_EQ(sendq_of_a(768), 768u);
  EXPECT_EQ(sendq_of_a(4), 5u);                  // below the unread bytes
  EXPECT_EQ(sendq_of_a(2 * 5 + 4097), 5u);       // over skb_memory_limit
  EXPECT_EQ(sendq_of_a(0), 5u);                  // 0 with a datagram unread
}

TEST(Choices, UnixSendQOfAnEmptyDatagramIsNeverZero) {
  const std::string text = "a, b = socketpair unix dgram\nsend a \"\"\nss\n";
  auto sendq_of_a = [&](std::uint32_t planted) {
    Step st = last_step_with(text, "a", queues(0, planted));
    std::uint32_t most = 0;
    for (const SsRow& r : st.result.rows) most = std::max(most, r.sendq);
    return most;
  };
  EXPECT_EQ(sendq_of_a(768), 768u);  // the skb's truesize
  EXPECT_EQ(sendq_of_a(0), 1u);      // an skb is queued: 0 is outside the set
  EXPECT_EQ(sendq_of_a(4097), 1u);   // over skb_memory_limit(0)
}

TEST(Choices, DisconnectedSendQIsAdoptedUpToTheWindowLimit) {
  const std::string text = "l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 5\n"
                           "c = socket inet stream\nbind c 127.0.0.1:7001\nconnect c 127.0.0.1:7000\n"
                           "connect c unspec\nss\n";
  auto sendq_of_c = [&](std::uint32_t planted) {
    Step st = last_step_with(text, "c", queues(0, planted));
    EXPECT_TRUE(st.rules.contains("connect.tcp.disconnect_sendq"));
    for (const SsRow& r : st.result.rows)
      if (r.local && r.local->port == 7001) return r.sendq;
    ADD_FAILURE() << "no row for c";
    return 0u;
  };
  EXPECT_EQ(sendq_of_c(65537), 65537u);     // max_window + 2 of a 64 KiB window
  EXPECT_EQ(sendq_of_c(0), 1u);             // below 1: not allowed
  EXPECT_EQ(sendq_of_c(0x40000000), 1u);    // beyond two 8 MiB windows: not allowed
}

TEST(Choices, AutotunedBufferIsAdoptedBetweenTheInitialSizeAndTheSysctlMaximum) {
  const std::string text = "l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 5\n"
                           "c = socket inet stream\nconnect c 127.0.0.1:7000\ngetsockopt c SO_SNDBUF\n";
  auto sndbuf = [&](std::int64_t planted) {
    return last_step_with(text, "c", [planted](ObservedSocket& s) { s.sndbuf = planted; }).result;
  };
  EXPECT_EQ(sndbuf(3939840), Result::num(3939840));
  EXPECT_EQ(sndbuf(100), Result::num(16384));            // below the initial size
  EXPECT_EQ(sndbuf(50 << 20), Result::num(16384));       // above tcp_wmem[2]
}

// time.timer.adopt_kernel: a full queue dropped p's SYN at clock 0,
// then an accept made room. A sleep that ends near the retransmit's due
// time (1 s) takes the kernel's table: p still SYN-SENT means not yet;
// outside the window [500, 1225) ms the clock alone decides.
std::string after_syn_sleep(std::int64_t sleep_ms, const std::optional<std::vector<SsRow>>& rows) {
  Program p = parse_scenario(
      "l = socket inet stream\nbind l 127.0.0.1:7000\nlisten l 0\nk = socket inet stream\n"
      "connect k 127.0.0.1:7000\np = socket inet stream\nconnect p 127.0.0.1:7000\na = accept l\n"
      "sleep " + std::to_string(sleep_ms) + "\nconnect p 127.0.0.1:7000 nowait\n");
  Model m;
  Step last;
  for (const Line& line : p.lines) {
    Observation o;
    if (rows) o.rows = *rows;
    const bool at_sleep = std::holds_alternative<op::Sleep>(line.op);
    last = m.step(line, at_sleep && rows ? &o : nullptr);
  }
  return print_result(last.result);
}

TEST(Choices, SynRetransmitNearItsDueTimeIsTheKernels) {
  SsRow syn_sent{.proto = "tcp", .state = "SYN-SENT", .local = loopback(32770), .peer = loopback(7000)};
  const std::vector<SsRow> still_sent = {syn_sent}, gone = {};
  EXPECT_EQ(after_syn_sleep(900, still_sent), "EALREADY");  // not yet: still connecting
  EXPECT_EQ(after_syn_sleep(900, gone), "ok");              // fired: the handshake completed
  EXPECT_EQ(after_syn_sleep(900, std::nullopt), "EALREADY");   // alone: 900 < 1000
  EXPECT_EQ(after_syn_sleep(1100, std::nullopt), "ok");        // alone: due passed
  // outside the window the kernel's table is not asked
  EXPECT_EQ(after_syn_sleep(400, gone), "EALREADY");
  EXPECT_EQ(after_syn_sleep(1300, still_sent), "ok");
}

}  // namespace
}  // namespace sockspec
