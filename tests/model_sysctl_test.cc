// The sysctls the model interprets (model/sysctl.cc), alone: their bounds
// and parsing, and what each changes in bind, listen and connect.
#include <gtest/gtest.h>

#include "model/bind_conflict.h"
#include "model/world.h"
#include "tests/model_steps.h"

namespace sockspec {
namespace {

Step run(Model& model, const std::string& text) { return testing::run_last(model, text); }
Step run(const std::string& text) { return testing::run_last(text); }
using testing::printed;

std::string sysctl(const std::string& key, const std::string& value) {
  return printed(run("sysctl " + key + " " + value + "\n"));
}

TEST(ModelSysctl, U8KnobsTakeZeroTo255) {
  for (const char* key : {"net.ipv4.ip_nonlocal_bind", "net.ipv6.ip_nonlocal_bind", "net.ipv6.bindv6only",
                          "net.ipv4.tcp_stdurg", "net.ipv4.tcp_syncookies"}) {
    EXPECT_EQ(sysctl(key, "-1"), "EINVAL") << key;
    EXPECT_EQ(sysctl(key, "255"), "ok") << key;
    EXPECT_EQ(sysctl(key, "256"), "EINVAL") << key;
  }
}

// One write and what the kernel answers it (each seen on 6.18 and 6.1:
// corpus/sysctl/bounds.scn, reserved-ports.scn).
struct Write {
  const char* key;
  const char* value;
  const char* result;
};

constexpr Write kWrites[] = {
    // narrower bounds than u8
    {"net.ipv4.ip_autobind_reuse", "1", "ok"},
    {"net.ipv4.ip_autobind_reuse", "2", "EINVAL"},
    {"net.ipv4.tcp_tw_reuse", "2", "ok"},
    {"net.ipv4.tcp_tw_reuse", "3", "EINVAL"},
    {"net.ipv4.udp_l3mdev_accept", "2", "EINVAL"},
    {"net.ipv4.tcp_max_syn_backlog", "-2147483648", "ok"},
    {"net.ipv4.tcp_max_syn_backlog", "2147483648", "EINVAL"},
    // numbers as strtoul base 0 reads them
    {"net.ipv4.ip_autobind_reuse", "0x1", "ok"},
    {"net.ipv4.ip_autobind_reuse", "02", "EINVAL"},  // octal 2
    {"net.ipv4.tcp_max_syn_backlog", "-0x10", "ok"},
    {"net.ipv4.tcp_max_syn_backlog", "+2", "EINVAL"},
    {"net.ipv4.tcp_max_syn_backlog", "2x", "EINVAL"},
    // the unprivileged start may equal the range's low end, not pass it
    {"net.ipv4.ip_unprivileged_port_start", "32768", "ok"},
    {"net.ipv4.ip_unprivileged_port_start", "32769", "EINVAL"},
    // reserved ports: one port or one range
    {"net.ipv4.ip_local_reserved_ports", "40000-40003", "ok"},
    {"net.ipv4.ip_local_reserved_ports", "3-3", "ok"},
    {"net.ipv4.ip_local_reserved_ports", "9-3", "EINVAL"},
    {"net.ipv4.ip_local_reserved_ports", "-3", "EINVAL"},
    {"net.ipv4.ip_local_reserved_ports", "65536", "EINVAL"},
    {"net.ipv4.ip_local_reserved_ports", "40000 40001", "EINVAL"},
};

TEST(ModelSysctl, EachWriteGetsTheKernelsAnswer) {
  for (const Write& w : kWrites) EXPECT_EQ(sysctl(w.key, w.value), w.result) << w.key << " " << w.value;
}

TEST(ModelSysctl, ASingleValuedKnobIgnoresWhatFollowsItsValue) {
  EXPECT_EQ(sysctl("net.core.somaxconn", "5 abc"), "ok");
  EXPECT_EQ(sysctl("net.ipv4.ip_autobind_reuse", "5 1"), "EINVAL");
  Model model;
  run(model, "sysctl net.core.somaxconn 5 -1\n");
  EXPECT_EQ(model.world().namespaces[0].sysctl.somaxconn, 5);
}

TEST(ModelSysctl, PortRangeWithOneValueKeepsItsHighEnd) {
  Model model;
  EXPECT_EQ(printed(run(model, "sysctl net.ipv4.ip_local_port_range 40005\n")), "ok");
  EXPECT_EQ(model.world().namespaces[0].sysctl.port_lo, 40005);
  EXPECT_EQ(model.world().namespaces[0].sysctl.port_hi, 60999);
  EXPECT_EQ(printed(run(model, "sysctl net.ipv4.ip_local_port_range 40000 abc\n")), "EINVAL");
}

TEST(ModelSysctl, EphemeralSearchesSkipReservedPorts) {
  const std::string world =
      "sysctl net.ipv4.ip_local_port_range 40000 40003\nsysctl net.ipv4.ip_local_reserved_ports 40000-40002\n";
  Model model;
  Step s = run(model, world + "t = socket inet stream\nbind t 127.0.0.1:0\nu = socket inet dgram\nbind u 127.0.0.1:0\n");
  EXPECT_TRUE(s.rules.contains("bind.ephemeral.skips_reserved"));
  const World& w = model.world();
  EXPECT_EQ(w.sock(w.names.at("t")).local->port, 40003);
  EXPECT_EQ(w.sock(w.names.at("u")).local->port, 40003);
  EXPECT_EQ(printed(run(model, "c = socket inet stream\nconnect c 127.0.0.1:9\n")), "EADDRNOTAVAIL");
  EXPECT_EQ(printed(run(model, "x = socket inet stream\nbind x 127.0.0.1:40001\n")), "ok");  // explicit
}

// The options lines of socket `name`: SO_REUSEADDR, and SO_REUSEPORT too.
std::string opts(const std::string& name, bool reuseport) {
  return "setsockopt " + name + " SO_REUSEADDR 1\n" + (reuseport ? "setsockopt " + name + " SO_REUSEPORT 1\n" : "");
}

// Holders a and b (SO_REUSEADDR, and SO_REUSEPORT when `holders_reuseport`)
// take the whole range 40000-40001; then c is made with `c_options`.
std::string exhausted(bool holders_reuseport, const std::string& c_options) {
  return "sysctl net.ipv4.ip_local_port_range 40000 40001\n"
         "a = socket inet stream\n" + opts("a", holders_reuseport) + "bind a 127.0.0.1:40000\n"
         "b = socket inet stream\n" + opts("b", holders_reuseport) + "bind b 127.0.0.1:40001\n"
         "c = socket inet stream\n" + c_options;
}

TEST(ModelSysctl, AutobindReuseSharesAfterTheStrictPassFails) {
  const std::string both = exhausted(false, opts("c", false));
  EXPECT_EQ(printed(run(both + "bind c 127.0.0.1:0\n")), "EADDRINUSE");
  Step s = run("sysctl net.ipv4.ip_autobind_reuse 1\n" + both + "bind c 127.0.0.1:0\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_TRUE(s.rules.contains("bind.ephemeral.autobind_reuse"));
  EXPECT_TRUE(s.rules.contains("bind.conflict.autobind_reuse_shares"));
}

TEST(ModelSysctl, AutobindReusePrefersAFreePort) {
  Model model;
  Step s = run(model,
               "sysctl net.ipv4.ip_autobind_reuse 1\nsysctl net.ipv4.ip_local_port_range 40000 40001\n"
               "a = socket inet stream\nsetsockopt a SO_REUSEADDR 1\nbind a 127.0.0.1:40000\n"
               "c = socket inet stream\nsetsockopt c SO_REUSEADDR 1\nbind c 127.0.0.1:0\n");
  EXPECT_EQ(printed(s), "ok");
  EXPECT_FALSE(s.rules.contains("bind.ephemeral.autobind_reuse"));
  EXPECT_EQ(model.world().sock(model.world().names.at("c")).local->port, 40001);
}

TEST(ModelSysctl, AutobindReuseRefusesSameOwnerReuseportAndListeners) {
  const std::string on = "sysctl net.ipv4.ip_autobind_reuse 1\n";
  const std::string rp = exhausted(true, opts("c", true));
  EXPECT_EQ(printed(run(on + rp + "bind c 127.0.0.1:0\n")), "EADDRINUSE");
  const std::string plain = exhausted(true, opts("c", false));
  EXPECT_EQ(printed(run(on + plain + "bind c 127.0.0.1:0\n")), "ok");
  EXPECT_EQ(printed(run(on + plain + "listen a 5\nlisten b 5\nbind c 127.0.0.1:0\n")), "EADDRINUSE");
  EXPECT_EQ(printed(run(on + exhausted(false, "bind c 127.0.0.1:0\n"))), "EADDRINUSE");  // c without SO_REUSEADDR
}

TEST(ModelSysctl, AutobindReuseLeavesUdpAlone) {
  const std::string text =
      "sysctl net.ipv4.ip_autobind_reuse 1\nsysctl net.ipv4.ip_local_port_range 40000 40000\n"
      "a = socket inet dgram\nbind a 127.0.0.1:40000\nc = socket inet dgram\nbind c 127.0.0.1:0\n";
  EXPECT_EQ(printed(run(text)), "EADDRINUSE");
}

TEST(ModelSysctl, TheRelaxedPassIsOneRuleOfTheRelation) {
  BindView<ConcreteDomain> h{}, n{};
  h.space = n.space = static_cast<std::int64_t>(PortSpace::Tcp);
  h.addr = n.addr = static_cast<std::int64_t>(AddrClass::Ip4);
  h.v4 = n.v4 = 0x7f000001;
  h.port = n.port = 40000;
  h.reuseaddr = n.reuseaddr = true;
  h.state = static_cast<std::int64_t>(HolderState::Other);
  EXPECT_EQ(decide_bind_conflict(h, n, {false, false, false}).rule, "bind.conflict.ephemeral_strict");
  EXPECT_EQ(decide_bind_conflict(h, n, {false, false, true}).rule, "bind.conflict.autobind_reuse_shares");
  EXPECT_EQ(decide_bind_conflict(h, n, {true, false, true}).rule, "bind.conflict.tcp_reuseaddr");
}

TEST(ModelSysctl, SynQueueLimitDropsOnlyWithoutCookiesAndBelowMinusOne) {
  const std::string listener = "l = socket inet stream\nbind l 127.0.0.1:80\nlisten l 5\nc = socket inet stream\n";
  EXPECT_EQ(printed(run("sysctl net.ipv4.tcp_max_syn_backlog -2\n" + listener + "connect c 127.0.0.1:80\n")), "ok");
  Step s = run("sysctl net.ipv4.tcp_syncookies 0\nsysctl net.ipv4.tcp_max_syn_backlog -2\n" + listener +
               "connect c 127.0.0.1:80\n");
  EXPECT_EQ(printed(s), "pending");
  EXPECT_TRUE(s.rules.contains("connect.listener.syn_queue_limit_drops"));
  EXPECT_EQ(printed(run("sysctl net.ipv4.tcp_syncookies 0\nsysctl net.ipv4.tcp_max_syn_backlog -1\n" + listener +
                        "connect c 127.0.0.1:80\n")),
            "ok");
}

TEST(ModelSysctl, SynQueueLimitSparesAPeerWhoseListenerQueueGrew) {
  const Program p = parse_scenario(
      "sysctl net.ipv4.tcp_syncookies 0\nsysctl net.ipv4.tcp_max_syn_backlog -4\nl = socket inet stream\n"
      "bind l 127.0.0.1:80\nlisten l 5\nc = socket inet stream\nconnect c 127.0.0.1:80\n");
  auto last = [&](std::optional<std::uint32_t> queue) {
    Model m;
    Step step;
    for (std::size_t i = 0; i + 1 < p.lines.size(); ++i) m.step(p.lines[i]);
    Observation o;
    ObservedSocket& l = o.sockets.emplace_back();
    l.name = "l";
    l.accept_queue = queue;
    return printed(m.step(p.lines.back(), &o));
  };
  EXPECT_EQ(last(1), "ok");         // the kernel queued it: tcp_metrics proved the peer
  EXPECT_EQ(last(0), "pending");    // dropped
  EXPECT_EQ(last(std::nullopt), "pending");
}

TEST(ModelSysctl, KeysOutsideTheTableAreUnsupported) {
  Step s = run("sysctl net.ipv4.tcp_rmem 4096 131072 6291456\n");
  EXPECT_TRUE(s.unsupported);
  EXPECT_NE(s.note.find("does not interpret"), std::string::npos);
}

}  // namespace
}  // namespace sockspec
