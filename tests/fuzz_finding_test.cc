// Findings: signatures, deduplication, atomic files, and the C reproducer
// (check/finding.h, check/reproducer.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "check/finding.h"
#include "check/reproducer.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("sockspec-finding-test-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LineVerdict diverged(const Line& line, Result kernel, Result model, std::string_view rule) {
  LineVerdict v;
  v.line = &line;
  v.kernel = std::move(kernel);
  v.model = std::move(model);
  v.rules.add(rule);
  v.diverged = true;
  return v;
}

Address v4(std::uint8_t last, std::uint16_t port) {
  Address a;
  a.kind = AddressKind::Inet4;
  a.ip = {127, 0, 0, last};
  a.port = port;
  return a;
}

TEST(FindingSignature, NamesOperationRulesAndResults) {
  Program p = parse_scenario("s = socket inet stream\nbind s 127.0.0.1:80\nsetsockopt s SO_LINGER 1\n");
  auto bind = diverged(p.lines[1], Result::err(EADDRINUSE), Result::ok(), "bind.conflict.wildcard_v4");
  EXPECT_EQ(divergence_signature(p.lines[1], bind), "bind | bind.conflict.wildcard_v4 | EADDRINUSE | ok");
  auto opt = diverged(p.lines[2], Result::err(EINVAL), Result::ok(), "sockopt.linger");
  EXPECT_EQ(divergence_signature(p.lines[2], opt), "setsockopt SO_LINGER | sockopt.linger | EINVAL | ok");
  auto made = diverged(p.lines[0], Result::ok(), Result::err(EAFNOSUPPORT), "socket.create");
  EXPECT_EQ(divergence_signature(p.lines[0], made), "socket | socket.create | ok | EAFNOSUPPORT");
}

TEST(FindingSignature, IgnoresWhatVariesBetweenRunsOfOneBug) {
  Program p = parse_scenario("s = socket inet stream\ngetsockname s\nrecv s 16\n");
  auto port1 = diverged(p.lines[1], Result::addr(v4(1, 40000)), Result::addr(v4(1, 0)), "r");
  auto port2 = diverged(p.lines[1], Result::addr(v4(1, 40001)), Result::addr(v4(1, 0)), "r");
  EXPECT_EQ(divergence_signature(p.lines[1], port1), divergence_signature(p.lines[1], port2));
  auto data1 = diverged(p.lines[2], Result::bytes("ab"), Result::bytes("a"), "r");
  auto data2 = diverged(p.lines[2], Result::bytes("xy"), Result::bytes("x"), "r");
  auto data3 = diverged(p.lines[2], Result::bytes("xyz"), Result::bytes("x"), "r");
  EXPECT_EQ(divergence_signature(p.lines[2], data1), divergence_signature(p.lines[2], data2));
  EXPECT_NE(divergence_signature(p.lines[2], data1), divergence_signature(p.lines[2], data3));
  auto other_rule = diverged(p.lines[2], Result::bytes("ab"), Result::bytes("a"), "q");
  EXPECT_NE(divergence_signature(p.lines[2], data1), divergence_signature(p.lines[2], other_rule));
}

TEST(FindingSignature, TablesByTheRowsOnlyOneSideHas) {
  Program p = parse_scenario("ss\n");
  SsRow listener{"tcp", "LISTEN", v4(1, 8080), std::nullopt, 0, 5};
  SsRow unconnected{"tcp", "UNCONN", v4(1, 40000), v4(1, 0), 0, 3};
  Result kernel, model;
  kernel.kind = model.kind = Result::Kind::Table;
  kernel.rows = {listener, unconnected};
  model.rows = {listener, SsRow{"tcp", "UNCONN", v4(1, 40000), std::nullopt, 0, 0}};
  auto v = diverged(p.lines[0], kernel, model, "socket.ss.table");
  EXPECT_EQ(divergence_signature(p.lines[0], v), "ss | socket.ss.table | table(tcp UNCONN) | table(tcp UNCONN)");
  kernel.rows[1].local->port = 40001;  // another ephemeral port: the same finding
  model.rows[1].local->port = 40001;
  EXPECT_EQ(divergence_signature(p.lines[0], diverged(p.lines[0], kernel, model, "socket.ss.table")),
            divergence_signature(p.lines[0], v));
}

// An `ss` line cites a row's rule once per row: the number of rows is not
// part of the finding.
TEST(FindingSignature, NamesEachRuleOnce) {
  Program p = parse_scenario("ss\n");
  auto v = diverged(p.lines[0], Result::err(EINVAL), Result::ok(), "socket.ss.table");
  for (int row = 0; row < 3; ++row) {
    v.rules.add("data.udp.recvq_memory");
    v.rules.add("socket.ss.table");
  }
  EXPECT_EQ(divergence_signature(p.lines[0], v), "ss | socket.ss.table,data.udp.recvq_memory | EINVAL | ok");
}

TEST(FindingSignature, FindDivergenceFiltersBySignature) {
  Program p = parse_scenario("s = socket inet stream\nbind s 127.0.0.1:80\nlisten s 1\n");
  ScenarioVerdict v;
  v.lines.push_back(LineVerdict{});
  v.lines.push_back(diverged(p.lines[1], Result::err(EADDRINUSE), Result::ok(), "a"));
  v.lines.push_back(diverged(p.lines[2], Result::err(EINVAL), Result::ok(), "b"));
  ASSERT_TRUE(find_divergence(p, v));
  EXPECT_EQ(find_divergence(p, v)->line, 1u);
  auto second = find_divergence(p, v, "listen | b | EINVAL | ok");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->line, 2u);
  EXPECT_EQ(second->operation, "listen s 1");
  EXPECT_FALSE(find_divergence(p, v, "listen | b | EINVAL | pending"));
}

TEST(FindingFiles, AtomicWriteReplacesWholeAndLeavesNoTemporaries) {
  TempDir dir;
  fs::path f = dir.path / "x.scn";
  write_file_atomically(f, "first\n");
  write_file_atomically(f, "second\n");
  EXPECT_EQ(read(f), "second\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}), 1);
  EXPECT_THROW(write_file_atomically(dir.path / "no" / "such" / "dir", "x"), std::system_error);
}

TEST(FindingFiles, RecordsOncePerSignature) {
  TempDir dir;
  Program p = parse_scenario("a = socket inet stream\nb = socket inet stream\nbind a 127.0.0.1:8080\n"
                             "bind b 127.0.0.1:8080\n");
  Divergence d{3, "bind b 127.0.0.1:8080", Result::err(EADDRINUSE), Result::ok(), {"bind.conflict.same_addr"},
               "bind | bind.conflict.same_addr | EADDRINUSE | ok"};
  auto first = record_finding(dir.path, p, d);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->filename(), finding_id(d.signature) + ".scn");
  EXPECT_TRUE(fs::exists(dir.path / (finding_id(d.signature) + ".c")));
  EXPECT_FALSE(record_finding(dir.path, p, d)) << "the same signature was recorded twice";
  Divergence other = d;
  other.signature = "bind | bind.conflict.same_addr | EADDRINUSE | EINVAL";
  EXPECT_TRUE(record_finding(dir.path, p, other));

  // the .scn is the program with a header comment, and parses back to it
  std::string text = read(*first);
  EXPECT_NE(text.find("# kernel: EADDRINUSE\n# model:  ok\n# rules:  bind.conflict.same_addr\n"), std::string::npos)
      << text;
  EXPECT_EQ(parse_scenario(text), p);
}

// Compiles the reproducer with cc and runs it in a network namespace of its
// own (it makes one itself too).
std::string compile_and_run(const std::string& c_source) {
  TempDir dir;
  fs::path src = dir.path / "repro.c", bin = dir.path / "repro", out = dir.path / "out.txt";
  write_file_atomically(src, c_source);
  std::string cc = "cc -std=gnu11 -Wall -Werror -o " + bin.string() + " " + src.string() + " 2>" +
                   (dir.path / "cc.txt").string();
  if (std::system(cc.c_str()) != 0) return "COMPILE ERROR:\n" + read(dir.path / "cc.txt") + c_source;
  std::string unshare = geteuid() == 0 ? "unshare -n " : "unshare -Urn ";
  std::string run = unshare + bin.string() + " >" + out.string() + " 2>&1";
  int rc = std::system(run.c_str());
  return read(out) + (rc == 0 ? "" : "EXIT STATUS " + std::to_string(rc));
}

TEST(Reproducer, CompilesAndPrintsTheKernelsResults) {
  if (std::system("command -v cc >/dev/null && command -v unshare >/dev/null") != 0)
    GTEST_SKIP() << "needs cc and unshare";
  Program p = parse_scenario(R"(
a = socket inet stream
bind a 0.0.0.0:8080
listen a 1
b = socket inet6 stream
bind b [::]:8080
c = socket inet stream
connect c 127.0.0.1:8080
getsockname c -> 127.0.0.1:$p
s = accept a
getpeername s -> $peer
send c "ab\n" MSG_OOB
recv s 16
recv s 16 MSG_OOB
sockatmark s
poll s
u = socket inet dgram
sendto u "x" $peer
setsockopt a SO_LINGER 3
getsockopt a SO_LINGER
getsockopt a SO_ERROR
close a
listen a 1
ns other
listen s 1
d = socket unix dgram
bind d unix:@fuzz
recvfrom d 4
)");
  std::string out = compile_and_run(c_reproducer(p, 4, "ok"));
  EXPECT_NE(out.find("bind b [::]:8080 -> EADDRINUSE    # <- DIVERGENCE: the model says ok\n"), std::string::npos)
      << out;
  for (const char* line : {"bind a 0.0.0.0:8080 -> ok\n", "connect c 127.0.0.1:8080 -> ok\n",
                           "getsockname c -> 127.0.0.1:", "s = accept a -> ok\n", "send c \"ab\\n\" MSG_OOB -> 3\n",
                           "recv s 16 -> \"ab\"\n", "recv s 16 MSG_OOB -> \"\\n\"\n", "sockatmark s -> 1\n",
                           "sendto u \"x\" $peer -> 1\n", "getsockopt a SO_LINGER -> 3\n",
                           "getsockopt a SO_ERROR -> 0\n", "close a -> ok\n", "listen a 1 -> EBADF\n",
                           "listen s 1 -> EINVAL\n", "bind d unix:@fuzz -> ok\n", "recvfrom d 4 -> EAGAIN\n"})
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n---\n" << out;
  EXPECT_EQ(out.find("EXIT STATUS"), std::string::npos) << out;
}

}  // namespace
}  // namespace sockspec
