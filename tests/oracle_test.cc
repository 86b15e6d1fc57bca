// The kernel oracle against known kernel behaviour (Linux 6.18).
//
// main() first checks the safety refusal (a KernelRun before the sandbox
// must throw), then enters the sandbox once, before gtest makes any thread.
// Most tests are scenarios: every expectation in corpus/examples (the shared examples) and
// corpus/oracle/*.scn must hold when run line by line through KernelRun.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "oracle/oracle.h"
#include "scenario/match.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

std::string g_refusal;  // what KernelRun said when made outside the sandbox
SandboxInfo g_sandbox;

std::uint64_t current_netns() {
  struct stat st{};
  stat("/proc/thread-self/ns/net", &st);
  return st.st_ino;
}

// Runs a scenario; returns one message per expectation that failed. A line
// the kernel skipped (`uid` without privilege) asserts nothing.
std::vector<std::string> run_checked(const Program& program, std::vector<Result>* results = nullptr,
                                     const OracleConfig& config = {}) {
  std::vector<std::string> failures;
  KernelRun run(config);
  Bindings bindings;
  for (const Line& line : program.lines) {
    std::string unbound;
    auto resolved = resolve(line, bindings, &unbound);
    if (!resolved) {
      failures.push_back(fmt::format("line {}: ${} unbound", line.line_no, unbound));
      continue;
    }
    Result result = run.execute(*resolved);
    if (results) results->push_back(result);
    if (line.expect && result.kind != Result::Kind::Skip && !matches(*line.expect, result, bindings))
      failures.push_back(fmt::format("{}:{}: {}  => kernel: {}", program.file, line.line_no, print_line(line),
                                     print_result(result)));
  }
  return failures;
}

std::vector<std::string> run_text(std::string_view text) { return run_checked(parse_scenario(text)); }

Result run_one(std::string_view text) {
  std::vector<Result> results;
  run_checked(parse_scenario(text), &results);
  return results.back();
}

// ------------------------------------------------------------ the sandbox

TEST(Sandbox, RefusesOutsideTheSandbox) {
  EXPECT_NE(g_refusal.find("refuses to run outside its sandbox"), std::string::npos) << g_refusal;
}

TEST(Sandbox, LeftTheHostNamespace) {
  EXPECT_TRUE(in_sandbox());
  EXPECT_NE(g_sandbox.host_netns, 0u);
  EXPECT_NE(g_sandbox.host_netns, g_sandbox.sandbox_netns);
  EXPECT_EQ(g_sandbox.root, geteuid() == 0 && !g_sandbox.user_namespace);
}

TEST(Sandbox, ScenariosRunInTheirOwnNamespaceAndReturnToTheBase) {
  std::uint64_t during = 0;
  {
    KernelRun run{OracleConfig{}};
    during = current_netns();
  }
  EXPECT_NE(during, g_sandbox.sandbox_netns);
  EXPECT_NE(during, g_sandbox.host_netns);
  EXPECT_EQ(current_netns(), g_sandbox.sandbox_netns);
}

TEST(Sandbox, EachRunSeesAnEmptyTmp) {
  EXPECT_TRUE(run_text("u = socket unix stream\nbind u unix:/tmp/left -> ok\n").empty());
  EXPECT_TRUE(run_text("u = socket unix stream\nbind u unix:/tmp/left -> ok\n").empty());
  EXPECT_TRUE(std::filesystem::is_empty("/tmp"));
}

// ------------------------------------------------------------ scenarios

class ScenarioFile : public testing::TestWithParam<std::string> {};

TEST_P(ScenarioFile, EveryExpectationHolds) {
  auto failures = run_checked(parse_scenario_file(GetParam()));
  for (const auto& f : failures) ADD_FAILURE() << f;
}

std::vector<std::string> scenario_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".scn") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = std::filesystem::path(info.param).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Examples, ScenarioFile, testing::ValuesIn(scenario_files(SOCKSPEC_SOURCE_DIR "/corpus/examples")),
                         test_name);
INSTANTIATE_TEST_SUITE_P(Corpus, ScenarioFile,
                         testing::ValuesIn(scenario_files(SOCKSPEC_SOURCE_DIR "/corpus/oracle")), test_name);

// ------------------------------------------------------------ single operations

TEST(Execute, UnknownSocketIsEbadfWithoutACall) {
  EXPECT_EQ(run_one("bind nosuch 127.0.0.1:1\n"), Result::err(EBADF));
  EXPECT_EQ(run_one("s = socket inet stream\nclose s\nclose s\n"), Result::err(EBADF));
}

TEST(Execute, UnknownScopeIsEnodevWithoutACall) {
  EXPECT_EQ(run_one("s = socket inet6 dgram\nbind s [fe80::1%nosuchif]:1\n"), Result::err(ENODEV));
}

// The model interprets only the sysctls it follows; whether a key exists at
// all is the kernel's business (proc_sys_lookup), so this is a kernel-only check.
TEST(Execute, UnknownSysctlKeyIsEnoent) {
  EXPECT_EQ(run_one("sysctl net.ipv4.no_such_key 1\n"), Result::err(ENOENT));
  EXPECT_EQ(run_one("sysctl net.core.somaxconn 7\n"), Result::ok());
}

TEST(Execute, SsRowsAreSortedAsText) {
  Result r = run_one(
      "b = socket inet dgram\nbind b 127.0.0.1:9\na = socket inet stream\nbind a 127.0.0.2:7\nss\n");
  ASSERT_EQ(r.kind, Result::Kind::Table);
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(print_ss_row(r.rows[0]), "tcp UNCONN 127.0.0.2:7 *:* q=0/0");
  EXPECT_EQ(print_ss_row(r.rows[1]), "udp UNCONN 127.0.0.1:9 *:* q=0/0");
}

// The parser only takes uids 0..4294967294; a hand-made line with one the
// kernel cannot take exercises the skip path even as root.
TEST(Execute, AFailedUidSkipsEverySocketLineAfterIt) {
  auto program = parse_scenario(
      "uid 0\ns = socket inet stream\nns other\nsysctl net.ipv4.ip_local_port_range 40000 40001\nss\n");
  program.lines[0].op = op::Uid{-5};
  std::vector<Result> results;
  run_checked(program, &results);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0], Result::skip());
  EXPECT_EQ(results[1], Result::skip());
  EXPECT_EQ(results[2], Result::ok());  // directives still run
  EXPECT_EQ(results[3], Result::ok());
  EXPECT_EQ(results[4], Result::skip());
}

TEST(Execute, UidIsHonouredOnlyWithPrivilege) {
  Result r = run_one("uid 1000\n");
  EXPECT_EQ(r, g_sandbox.root ? Result::ok() : Result::skip());
  EXPECT_EQ(geteuid(), g_sandbox.root ? 0u : geteuid());  // the run restored it
}

// From one unprivileged user to another: the second switch must run (it
// once gave skip, so every later line passed untested).
TEST(Execute, SwitchesBetweenTwoUnprivilegedUsers) {
  if (!g_sandbox.root) GTEST_SKIP() << "needs root to take uids";
  std::vector<Result> results;
  auto failures = run_checked(parse_scenario("uid 1000\nuid 2000\na = socket inet stream\nbind a 127.0.0.1:80\n"
                                             "uid 1000\nuid 0\nb = socket inet stream\nbind b 127.0.0.1:80\n"),
                              &results);
  ASSERT_EQ(results.size(), 8u);
  EXPECT_EQ(results[1], Result::ok());
  EXPECT_EQ(results[3], Result::err(EACCES));  // uid 2000 has no CAP_NET_BIND_SERVICE
  EXPECT_EQ(results[4], Result::ok());
  EXPECT_EQ(results[7], Result::ok());         // back to root
  EXPECT_EQ(geteuid(), 0u);
}

// ------------------------------------------------------------ observation

// What observe() shows of the socket `name` means now (nullptr: not held).
const ObservedSocket* seen(const Observation& o, std::string_view name) { return o.current(name); }

TEST(Observation, LocalAddressOfTheLinesSocketAndAcceptQueuesAfterAConnect) {
  KernelRun run{OracleConfig{}};
  auto program = parse_scenario("l = socket inet stream\nbind l 127.0.0.1:0\nlisten l 4\nc = socket inet stream\n");
  for (std::size_t i = 0; i < 2; ++i) run.execute(program.lines[i]);
  Observation after_bind = run.observe(program.lines[1]);
  ASSERT_NE(seen(after_bind, "l"), nullptr);
  const auto local = seen(after_bind, "l")->local;
  ASSERT_TRUE(local.has_value());
  EXPECT_EQ(local->kind, AddressKind::Inet4);
  EXPECT_NE(local->port, 0);
  EXPECT_EQ(seen(after_bind, "l")->accept_queue, std::nullopt);  // a bind line: not in its scope
  for (std::size_t i = 2; i < program.lines.size(); ++i) run.execute(program.lines[i]);
  Line connect_c = parse_scenario(fmt::format("connect c 127.0.0.1:{} -> ok\n", local->port)).lines[0];
  EXPECT_EQ(run.execute(connect_c), Result::ok());
  Observation after_connect = run.observe(connect_c);
  EXPECT_EQ(seen(after_connect, "l")->accept_queue, 1u);
  EXPECT_EQ(seen(after_connect, "c")->accept_queue, std::nullopt);  // not a listener
  EXPECT_EQ(seen(after_connect, "l")->local, std::nullopt);  // not the line's socket
  EXPECT_EQ(seen(after_connect, "nosuch"), nullptr);
}

// The queue figures are the row `ss` prints: a UDP socket's Recv-Q is skb
// memory (truesize), so it exceeds the payload while a datagram waits.
TEST(Observation, QueueSizesAreTheSsFigures) {
  KernelRun run{OracleConfig{}};
  auto program = parse_scenario(
      "r = socket inet dgram\nbind r 127.0.0.1:5000\nw = socket inet dgram\n"
      "sendto w \"abc\" 127.0.0.1:5000\nss\nrecv r 16\nss\n");
  for (std::size_t i = 0; i < 5; ++i) run.execute(program.lines[i]);
  Observation queued = run.observe(program.lines[4]);
  ASSERT_TRUE(seen(queued, "r")->queues.has_value());
  EXPECT_GT(seen(queued, "r")->queues->recvq, 3u);
  EXPECT_EQ(seen(queued, "r")->queues->sendq, 0u);
  EXPECT_EQ(run.execute(program.lines[5]), Result::bytes("abc"));
  EXPECT_EQ(run.observe(program.lines[5]).rows.size(), 0u);  // a recv line: no rows in its scope
  run.execute(program.lines[6]);
  Observation drained = run.observe(program.lines[6]);
  EXPECT_EQ(seen(drained, "r")->queues->recvq, 0u);
  ASSERT_TRUE(seen(drained, "w")->queues.has_value());  // its sendto autobound it: it has a row
  EXPECT_EQ(seen(drained, "w")->queues->sendq, 0u);      // and loopback freed the sent skb
}

// A socket no name reaches is found by its row, and never by a guess
// between two sockets with the same row.
TEST(Observation, QueueSizesOfARowAreTheOneSocketsFigures) {
  KernelRun run{OracleConfig{}};
  auto program = parse_scenario(
      "r = socket inet dgram\nbind r 127.0.0.1:5000\nw = socket inet dgram\n"
      "sendto w \"abc\" 127.0.0.1:5000\nr = socket inet dgram\n"
      "a = socket inet dgram\nsetsockopt a SO_REUSEADDR 1\nbind a 127.0.0.1:5001\n"
      "b = socket inet dgram\nsetsockopt b SO_REUSEADDR 1\nbind b 127.0.0.1:5001\nss\n");
  for (const Line& line : program.lines) run.execute(line);
  Observation o = run.observe(program.lines.back());
  auto loopback = [](std::uint16_t port) {
    Address a;
    a.kind = AddressKind::Inet4;
    a.ip = {127, 0, 0, 1};
    a.port = port;
    return a;
  };
  const Address at5000 = loopback(5000), at5001 = loopback(5001);
  auto sizes = o.queues_of_row(SsRow{"udp", "UNCONN", at5000, std::nullopt, 0, 0});
  ASSERT_TRUE(sizes.has_value());
  EXPECT_GT(sizes->recvq, 3u);  // the unnamed socket's datagram, as skb memory
  EXPECT_EQ(o.queues_of_row(SsRow{"udp", "UNCONN", at5001, std::nullopt, 0, 0}), std::nullopt);
  EXPECT_EQ(o.queues_of_row(SsRow{"tcp", "UNCONN", at5000, std::nullopt, 0, 0}), std::nullopt);
}

// Every socket a name was given to is observed with that name's
// generation, after the name moved on to a later socket.
TEST(Observation, EarlierBearersOfANameKeepTheirGeneration) {
  KernelRun run{OracleConfig{}};
  auto program = parse_scenario("s1, s9 = socketpair unix dgram\nsend s9 \"a\"\ns9 = socket inet6 stream\nss\n");
  for (const Line& line : program.lines) run.execute(line);
  Observation o = run.observe(program.lines.back());
  const ObservedSocket* first = o.bearer("s9", 0);
  ASSERT_NE(first, nullptr);
  EXPECT_FALSE(first->current);
  ASSERT_TRUE(first->queues.has_value());
  EXPECT_GT(first->queues->sendq, 0u);  // the datagram it sent, unread, charged to it
  const ObservedSocket* reader = o.bearer("s1", 0);  // a name still in use works too
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->current);
  EXPECT_GT(reader->queues->recvq, 0u);
  ASSERT_NE(o.bearer("s9", 1), nullptr);
  EXPECT_FALSE(o.bearer("s9", 1)->queues.has_value());  // an unbound TCP socket has no row
  EXPECT_EQ(o.bearer("s9", 2), nullptr);
  EXPECT_EQ(o.bearer("nosuch", 0), nullptr);
}

// ------------------------------------------------------------ determinism

// connects that complete, one that stays pending (a full accept queue),
// urgent data: the same results every time, and fast.
constexpr const char* kDeterminism = R"(
l = socket inet stream
bind l 127.0.0.1:8080
listen l 0
c = socket inet stream
connect c 127.0.0.1:8080
p = socket inet stream
connect p 127.0.0.1:8080
connect p 127.0.0.1:8080
s = accept l
send c "abcd" MSG_OOB
poll s
recv s 16
sockatmark s
recv s 16 MSG_OOB
getsockopt p SO_ERROR
ss
close c
recv s 16
)";

TEST(Determinism, ThousandRunsGiveIdenticalResults) {
  auto program = parse_scenario(kDeterminism);
  std::vector<Result> first;
  run_checked(program, &first);
  EXPECT_EQ(first[6], Result::pending());
  EXPECT_EQ(first[7], Result::pending());  // EALREADY, still no room
  auto start = std::chrono::steady_clock::now();
  int differing = 0;
  for (int i = 0; i < 1000; ++i) {
    std::vector<Result> again;
    run_checked(program, &again);
    if (again.size() != first.size()) {
      ++differing;
      continue;
    }
    // pending connects pick another ephemeral port each time: compare the
    // printed table without ports
    for (std::size_t k = 0; k < first.size(); ++k) {
      if (first[k].kind == Result::Kind::Table) {
        if (again[k].rows.size() != first[k].rows.size()) ++differing;
        for (std::size_t r = 0; r < again[k].rows.size() && r < first[k].rows.size(); ++r)
          if (again[k].rows[r].state != first[k].rows[r].state) ++differing;
      } else if (again[k] != first[k]) {
        ++differing;
        ADD_FAILURE() << "run " << i << " line " << k << ": " << print_result(again[k]) << " vs "
                      << print_result(first[k]);
      }
    }
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("1000 runs of the determinism scenario: %lld ms\n", static_cast<long long>(ms.count()));
  EXPECT_EQ(differing, 0);
}

}  // namespace
}  // namespace sockspec

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  try {
    sockspec::KernelRun refused{sockspec::OracleConfig{}};
  } catch (const std::runtime_error& e) {
    sockspec::g_refusal = e.what();
  }
  if (auto error = sockspec::enter_sandbox(&sockspec::g_sandbox)) {
    std::fprintf(stderr, "%s\n", error->c_str());
    return 3;
  }
  return RUN_ALL_TESTS();
}
