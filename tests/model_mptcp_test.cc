// The MPTCP rules of the model alone (spec/mptcp.md): each test runs a few
// lines through testing::run, which checks every expectation written, and
// looks at the rules the deciding line cited.
#include <gtest/gtest.h>

#include "model/model.h"
#include "scenario/kernel_profile.h"
#include "scenario/parser.h"
#include "scenario/printer.h"
#include "tests/model_steps.h"

namespace sockspec {
namespace {

using testing::run;

// Runs `text` on a model answering for `kernel`; returns every step.
std::vector<Step> run_on(std::string_view kernel, const std::string& text) {
  const auto profile = parse_kernel_profile(kernel);
  EXPECT_TRUE(profile) << kernel;
  Model model(profile.value_or(reference_kernel_profile()));
  std::vector<Step> steps;
  for (const Line& line : parse_scenario(text).lines) steps.push_back(model.step(line));
  return steps;
}

TEST(ModelMptcp, AnMptcpSocketBindsInTcpsTableNotUdps) {
  const auto st = run(
      "m = socket inet stream mptcp -> ok\nbind m 127.0.0.1:8080 -> ok\n"
      "t = socket inet stream -> ok\nbind t 0.0.0.0:8080 -> EADDRINUSE\n"
      "u = socket inet dgram -> ok\nbind u 127.0.0.1:8080 -> ok\n");
  EXPECT_TRUE(st[1].rules.contains("mptcp.bind.first_subflow"));
  EXPECT_TRUE(st[3].rules.contains("bind.conflict.wildcard_v4"));
  EXPECT_TRUE(st[5].rules.contains("bind.conflict.other_protocol"));
}

TEST(ModelMptcp, TheSysctlTurnsCreationOff) {
  const auto st = run(
      "sysctl net.mptcp.enabled 0 -> ok\nm = socket inet6 stream mptcp -> ENOPROTOOPT\n"
      "sysctl net.mptcp.enabled 1 -> ok\nn = socket inet6 stream mptcp -> ok\n");
  EXPECT_TRUE(st[1].rules.contains("mptcp.create.disabled_enoprotoopt"));
  EXPECT_TRUE(st[3].rules.contains("mptcp.create.ok"));
}

TEST(ModelMptcp, SolSocketTakesOnlyItsSubset) {
  const auto st = run(
      "m = socket inet stream mptcp -> ok\nsetsockopt m SO_OOBINLINE 1 -> EOPNOTSUPP\n"
      "setsockopt m SO_REUSEADDR 1 -> ok\ngetsockopt m SO_OOBINLINE -> 0\n");
  EXPECT_TRUE(st[1].rules.contains("mptcp.option.sol_socket_subset"));
  EXPECT_FALSE(st[2].rules.contains("mptcp.option.sol_socket_subset"));
}

TEST(ModelMptcp, UrgentDataIsOrdinaryAndTheChildFollowsTheClient) {
  const auto st = run(
      "l = socket inet stream mptcp -> ok\nbind l 127.0.0.1:8080 -> ok\nlisten l 5 -> ok\n"
      "c = socket inet stream mptcp -> ok\nconnect c 127.0.0.1:8080 -> ok\na = accept l -> ok\n"
      "send c \"ab\" MSG_OOB -> 2\nrecv a 10 -> \"ab\"\nsockatmark a -> ENOTTY\n"
      "setsockopt a SO_OOBINLINE 1 -> EOPNOTSUPP\n"
      "t = socket inet stream -> ok\nconnect t 127.0.0.1:8080 -> ok\nb = accept l -> ok\n"
      "setsockopt b SO_OOBINLINE 1 -> ok\n");
  EXPECT_TRUE(st[4].rules.contains("mptcp.accept.child_is_mptcp"));
  EXPECT_TRUE(st[6].rules.contains("mptcp.data.oob_flag_ignored"));
  EXPECT_TRUE(st[8].rules.contains("mptcp.data.sockatmark_enotty"));
  EXPECT_TRUE(st[11].rules.contains("mptcp.accept.fallback_child_is_tcp"));
}

TEST(ModelMptcp, AClosedConnectionLeavesItsNamespaceUnsettled) {
  const auto st = run_on("6.18",
                         "l = socket inet stream mptcp\nbind l 127.0.0.1:8080\nlisten l 5\n"
                         "c = socket inet stream mptcp\nconnect c 127.0.0.1:8080\na = accept l\n"
                         "close c\nt = socket inet stream\nbind t 127.0.0.1:9090\n");
  EXPECT_FALSE(st[6].unsupported);
  EXPECT_TRUE(st[6].rules.contains("mptcp.close.data_fin_unsettled"));
  EXPECT_FALSE(st[7].unsupported);  // creating a socket reads no port
  EXPECT_TRUE(st[8].unsupported) << st[8].note;
}

// IP_LOCAL_PORT_RANGE and IP_BIND_ADDRESS_NO_PORT reach MPTCP from 6.8 on.
constexpr const char* kPortOptions =
    "m = socket inet stream mptcp\nsetsockopt m IP_LOCAL_PORT_RANGE 45000-45000\n"
    "getsockopt m IP_LOCAL_PORT_RANGE\nsetsockopt m IP_BIND_ADDRESS_NO_PORT 1\n"
    "getsockopt m IP_BIND_ADDRESS_NO_PORT\n";

TEST(ModelMptcp, PortOptionsWorkFromLinux68) {
  const auto st = run_on("6.18", kPortOptions);
  EXPECT_EQ(print_result(st[1].result), "ok");
  EXPECT_EQ(print_result(st[2].result), "45000-45000");
  EXPECT_EQ(print_result(st[3].result), "ok");
  EXPECT_EQ(print_result(st[4].result), "1");
  for (const Step& s : st) EXPECT_FALSE(s.rules.contains("mptcp.option.port_options_before_6_8"));
}

TEST(ModelMptcp, PortOptionsAreRefusedBeforeLinux68) {
  const auto st = run_on("6.1", kPortOptions);
  EXPECT_EQ(print_result(st[1].result), "ENOPROTOOPT");
  EXPECT_EQ(print_result(st[2].result), "EOPNOTSUPP");
  EXPECT_EQ(print_result(st[3].result), "EOPNOTSUPP");
  EXPECT_EQ(print_result(st[4].result), "EOPNOTSUPP");
  for (std::size_t i = 1; i < st.size(); ++i)
    EXPECT_TRUE(st[i].rules.contains("mptcp.option.port_options_before_6_8")) << i;
  // a plain TCP socket has both options on 6.1 too
  const auto tcp = run_on("6.1", "t = socket inet stream\nsetsockopt t IP_LOCAL_PORT_RANGE 45000-45000\n");
  EXPECT_EQ(print_result(tcp[1].result), "ok");
}

TEST(ModelMptcp, BeforeLinux68AConnectedSocketsFallbackIsNotGuessed) {
  const auto st = run_on("6.1",
                         "l = socket inet stream\nbind l 127.0.0.1:8080\nlisten l 5\n"
                         "m = socket inet stream mptcp\nconnect m 127.0.0.1:8080\n"
                         "setsockopt m IP_LOCAL_PORT_RANGE 45000-45000\ngetsockopt m IP_BIND_ADDRESS_NO_PORT\n");
  EXPECT_EQ(print_result(st[5].result), "ENOPROTOOPT");  // mptcp_supported_sockopt comes before the fallback
  EXPECT_TRUE(st[6].unsupported) << st[6].note;
}

}  // namespace
}  // namespace sockspec
