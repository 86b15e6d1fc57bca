// The parser: every construct of docs/language.md, and its error messages.

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>

#include "scenario/address_builders.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

Line one(std::string_view text) {
  Program p = parse_scenario(text, "t.scn");
  EXPECT_EQ(p.lines.size(), 1u) << text;
  return p.lines.empty() ? Line{} : p.lines.back();
}

// The last line of a multi-line text (earlier lines bind variables).
Line last(std::string_view text) {
  Program p = parse_scenario(text, "t.scn");
  return p.lines.back();
}

Pattern only_pattern(const Line& line) {
  EXPECT_TRUE(line.expect.has_value());
  if (!line.expect || line.expect->alternatives.size() != 1) {
    ADD_FAILURE() << "expected exactly one alternative";
    return {};
  }
  return line.expect->alternatives.front();
}

std::string error_of(std::string_view text) {
  try {
    parse_scenario(text, "x.scn");
  } catch (const ParseError& e) {
    return e.what();
  }
  return "no error";
}


TEST(ScenarioParser, CommentsAndBlankLinesAreIgnored) {
  Program p = parse_scenario("# only a comment\n\n   \t\ns = socket inet stream # trailing\r\n", "t.scn");
  ASSERT_EQ(p.lines.size(), 1u);
  EXPECT_EQ(p.lines[0].line_no, 4);
  EXPECT_EQ(p.file, "t.scn");
}

TEST(ScenarioParser, Socket) {
  Line l = one("s = socket inet6 dgram udplite");
  EXPECT_EQ(l.names, std::vector<std::string>{"s"});
  EXPECT_EQ(std::get<op::Socket>(l.op), (op::Socket{Family::Inet6, SockType::Dgram, {Protocol::Name::Udplite, IPPROTO_UDPLITE}}));
  EXPECT_EQ(std::get<op::Socket>(one("s = socket unix seqpacket").op).proto, Protocol{});
  EXPECT_EQ(std::get<op::Socket>(one("s = socket inet stream 262").op).proto, (Protocol{Protocol::Name::Number, 262}));
  EXPECT_EQ(std::get<op::Socket>(one("s = socket inet stream mptcp").op).proto.number, IPPROTO_MPTCP);
}

TEST(ScenarioParser, SocketPairTakesTwoNames) {
  Line l = one("a, b = socketpair unix stream -> ok");
  EXPECT_EQ(l.names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(std::get<op::SocketPair>(l.op), (op::SocketPair{Family::Unix, SockType::Stream}));
}

TEST(ScenarioParser, Options) {
  auto value = [](std::string_view text) { return std::get<op::SetSockOpt>(one(text).op); };
  EXPECT_EQ(value("setsockopt s SO_REUSEADDR 1").value.integer, 1);
  EXPECT_EQ(value("setsockopt s SO_LINGER off").value.kind, OptValue::Kind::Off);
  EXPECT_EQ(value("setsockopt s SO_LINGER 5").value.integer, 5);
  auto range = value("setsockopt s IP_LOCAL_PORT_RANGE 40000-40009").value;
  EXPECT_EQ(range.kind, OptValue::Kind::Range);
  EXPECT_EQ(range.lo, 40000);
  EXPECT_EQ(range.hi, 40009);
  auto dev = value("setsockopt s SO_BINDTODEVICE lo");
  EXPECT_EQ(dev.opt, SockOpt::SoBindtodevice);
  EXPECT_EQ(dev.value.name, "lo");
  EXPECT_EQ(value("setsockopt s SO_BINDTODEVICE off").value.kind, OptValue::Kind::Off);
  EXPECT_EQ(std::get<op::GetSockOpt>(one("getsockopt s IPV6_V6ONLY").op).opt, SockOpt::Ipv6V6only);
  EXPECT_EQ(one("getsockopt s SO_ERROR").socket, "s");
}

TEST(ScenarioParser, AddressForms) {
  auto bound = [](std::string_view text) { return std::get<op::Bind>(one(text).op).addr; };
  EXPECT_EQ(bound("bind s 127.0.0.1:8080").base, inet4_address(127, 0, 0, 1, 8080));
  AddressTerm six = bound("bind s [::1]:80");
  EXPECT_EQ(six.base.kind, AddressKind::Inet6);
  EXPECT_EQ(six.base.ip[15], 1);
  EXPECT_EQ(six.base.port, 80);
  AddressTerm mapped = bound("bind s [::ffff:127.0.0.1]:80");
  EXPECT_EQ(mapped.base.ip[10], 0xff);
  EXPECT_EQ(mapped.base.ip[12], 127);
  EXPECT_EQ(bound("bind s [fe80::1%lo]:80").base.scope, "lo");
  EXPECT_EQ(bound("bind s unix:/tmp/x").base.path, "/tmp/x");
  EXPECT_EQ(bound("bind s unix:x").base.path, "x");
  EXPECT_EQ(bound("bind s unix:@name").base.path, "@name");
  AddressTerm unnamed = bound("bind s unix:");
  EXPECT_EQ(unnamed.base.kind, AddressKind::Unix);
  EXPECT_EQ(unnamed.base.path, "");
  EXPECT_EQ(std::get<op::Connect>(one("connect s unspec").op).addr.base.kind, AddressKind::Unspec);
  EXPECT_TRUE(std::get<op::Connect>(one("connect s 127.0.0.1:1 nowait").op).nowait);
}

TEST(ScenarioParser, DataOperations) {
  auto send = std::get<op::Send>(one(R"(send c "a\n\t\\\"\0\x7f" MSG_OOB|MSG_DONTWAIT)").op);
  EXPECT_EQ(send.data, std::string("a\n\t\\\"\0\x7f", 7));
  EXPECT_EQ(send.flags, kMsgOob | kMsgDontwait);
  auto sendto = std::get<op::SendTo>(one(R"(sendto d "x" 127.0.0.1:9)").op);
  EXPECT_EQ(sendto.addr.base, inet4_address(127, 0, 0, 1, 9));
  EXPECT_EQ(std::get<op::Recv>(one("recv s 16 MSG_PEEK|MSG_TRUNC|MSG_WAITALL").op),
            (op::Recv{16, kMsgPeek | kMsgTrunc | kMsgWaitall}));
  EXPECT_EQ(std::get<op::RecvFrom>(one("recvfrom s 0").op), (op::RecvFrom{0, 0}));
}

TEST(ScenarioParser, SmallOperations) {
  EXPECT_EQ(std::get<op::Listen>(one("listen s -1").op).backlog, -1);
  EXPECT_EQ(std::get<op::Shutdown>(one("shutdown s rdwr").op).how, ShutHow::RdWr);
  EXPECT_EQ(one("a = accept l").socket, "l");
  EXPECT_TRUE(std::holds_alternative<op::SockAtMark>(one("sockatmark s").op));
  EXPECT_TRUE(std::holds_alternative<op::Close>(one("close s").op));
  EXPECT_TRUE(std::holds_alternative<op::GetSockName>(one("getsockname s").op));
  EXPECT_TRUE(std::holds_alternative<op::GetPeerName>(one("getpeername s").op));
  EXPECT_TRUE(std::holds_alternative<op::SetOwn>(one("setown s").op));
  EXPECT_TRUE(std::holds_alternative<op::SigUrg>(one("sigurg -> 0").op));
  EXPECT_EQ(std::get<op::Unlink>(one("unlink /tmp/x").op).path, "/tmp/x");
  EXPECT_EQ(std::get<op::Unlink>(one("unlink unix:rel").op).path, "rel");
  EXPECT_EQ(std::get<op::Sleep>(one("sleep 2000").op).ms, 2000);
  EXPECT_TRUE(std::holds_alternative<op::Ss>(one("ss").op));
  op::Poll dflt = std::get<op::Poll>(one("poll s").op);
  EXPECT_EQ(dflt.mask, kPollDefaultMask);
  EXPECT_FALSE(dflt.mask_written);
  op::Poll in = std::get<op::Poll>(one("poll s in|pri").op);
  EXPECT_EQ(in.mask, kPollIn | kPollPri);
  EXPECT_TRUE(in.mask_written);
}

TEST(ScenarioParser, Directives) {
  EXPECT_EQ(std::get<op::Ns>(one("ns other").op).name, "other");
  EXPECT_EQ(std::get<op::Sysctl>(one("sysctl net.ipv4.ip_local_port_range 40000 40009 -> ok").op),
            (op::Sysctl{"net.ipv4.ip_local_port_range", {"40000", "40009"}}));
  EXPECT_EQ(std::get<op::LinkAdd>(one("link add v0").op), (op::LinkAdd{"v0", "", ""}));
  EXPECT_EQ(std::get<op::LinkAdd>(one("link add v0 ns b peer v1").op), (op::LinkAdd{"v0", "v1", "b"}));
  op::AddrAdd a = std::get<op::AddrAdd>(one("addr add 10.0.0.1/24 dev v0").op);
  EXPECT_EQ(a.addr, inet4_address(10, 0, 0, 1, 0));
  EXPECT_EQ(a.prefix, 24);
  EXPECT_EQ(a.dev, "v0");
  op::AddrAdd host = std::get<op::AddrAdd>(one("addr add fd00::1").op);
  EXPECT_EQ(host.addr.kind, AddressKind::Inet6);
  EXPECT_EQ(host.prefix, -1);
  EXPECT_EQ(std::get<op::Uid>(one("uid 1000 -> ok").op).uid, 1000);
}

TEST(ScenarioParser, SimpleExpectations) {
  EXPECT_EQ(only_pattern(one("bind s 127.0.0.1:1 -> ok")).exact, Result::ok());
  EXPECT_EQ(only_pattern(one("bind s 127.0.0.1:1 -> EADDRINUSE")).exact, Result::err(EADDRINUSE));
  EXPECT_EQ(only_pattern(one("recv s 1 -> EWOULDBLOCK")).exact, Result::err(EAGAIN));
  EXPECT_EQ(only_pattern(one("recv s 1 -> E200")).exact, Result::err(200));
  EXPECT_EQ(only_pattern(one("send s \"abc\" -> 3")).exact, Result::num(3));
  EXPECT_EQ(only_pattern(one("recv s 4 -> \"a#b\"")).exact, Result::bytes("a#b"));
  EXPECT_EQ(only_pattern(one("connect s 127.0.0.1:1 -> pending")).exact, Result::pending());
  EXPECT_EQ(only_pattern(one("poll s -> none")).exact, Result::events(0));
  EXPECT_EQ(only_pattern(one("poll s -> in|out|hup")).exact, Result::events(kPollIn | kPollOut | kPollHup));
  EXPECT_EQ(only_pattern(one("listen s 1 -> error")).kind, Pattern::Kind::AnyError);
  EXPECT_EQ(only_pattern(one("listen s 1 -> *")).kind, Pattern::Kind::Anything);
  EXPECT_EQ(only_pattern(one("listen s 1 -> skip")).kind, Pattern::Kind::Skip);
  Line alt = one("bind s 127.0.0.1:1 -> EINVAL or EAFNOSUPPORT");
  ASSERT_EQ(alt.expect->alternatives.size(), 2u);
  EXPECT_EQ(alt.expect->alternatives[1].exact, Result::err(EAFNOSUPPORT));
}

TEST(ScenarioParser, GetsockoptValuesAreWords) {
  EXPECT_EQ(only_pattern(one("getsockopt s SO_LINGER -> off")).exact, Result::word("off"));
  EXPECT_EQ(only_pattern(one("getsockopt s IP_LOCAL_PORT_RANGE -> 40000-40009")).exact, Result::word("40000-40009"));
  EXPECT_EQ(only_pattern(one("getsockopt s SO_BINDTODEVICE -> lo")).exact, Result::word("lo"));
  EXPECT_EQ(only_pattern(one("getsockopt s SO_ERROR -> ECONNREFUSED")).exact, Result::err(ECONNREFUSED));
  EXPECT_EQ(only_pattern(one("getsockopt s SO_TYPE -> 1")).exact, Result::num(1));
}

TEST(ScenarioParser, AddressExpectations) {
  Pattern any = only_pattern(one("getsockname s -> 127.0.0.1:*"));
  EXPECT_EQ(any.kind, Pattern::Kind::Address);
  EXPECT_EQ(any.address->port.kind, PortTerm::Kind::Any);
  Pattern range = only_pattern(one("getsockname s -> [::]:40000-40007"));
  EXPECT_EQ(range.address->port, (PortTerm{PortTerm::Kind::Range, 40000, 40007, ""}));
  Line var = last("getsockname s -> 127.0.0.1:$p\nconnect t 127.0.0.1:$p -> ok");
  EXPECT_EQ(std::get<op::Connect>(var.op).addr.port, (PortTerm{PortTerm::Kind::Var, 0, 0, "p"}));
  Line whole = last("getsockname s -> $a\nconnect t $a");
  EXPECT_EQ(std::get<op::Connect>(whole.op).addr.var, "a");
}

TEST(ScenarioParser, FromExpectations) {
  Pattern from = only_pattern(one("recvfrom u 16 -> \"x\" from 127.0.0.1:*"));
  EXPECT_EQ(from.kind, Pattern::Kind::From);
  EXPECT_EQ(from.exact.text, "x");
  EXPECT_FALSE(from.exact.from_truncated);
  EXPECT_EQ(from.address->base.kind, AddressKind::Inet4);
  Pattern none = only_pattern(one("recvfrom u 16 MSG_TRUNC -> 5 from none"));
  EXPECT_TRUE(none.exact.from_truncated);
  EXPECT_EQ(none.exact.integer, 5);
  EXPECT_FALSE(none.address.has_value());
}

TEST(ScenarioParser, SsTables) {
  Pattern empty = only_pattern(one("ss -> none"));
  EXPECT_EQ(empty.kind, Pattern::Kind::Table);
  EXPECT_TRUE(empty.rows.empty());
  Pattern t = only_pattern(one("ss -> tcp LISTEN 0.0.0.0:8080 *:* q=1/5; * ESTAB * 127.0.0.1:* q=*/0; u_str LISTEN unix:/tmp/x *:* *"));
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0].proto, "tcp");
  EXPECT_EQ(t.rows[0].local->base, inet4_address(0, 0, 0, 0, 8080));
  EXPECT_TRUE(t.rows[0].peer_none);
  EXPECT_FALSE(t.rows[0].peer.has_value());
  EXPECT_EQ(t.rows[0].recvq, 1u);
  EXPECT_EQ(t.rows[0].sendq, 5u);
  EXPECT_FALSE(t.rows[1].proto.has_value());
  EXPECT_FALSE(t.rows[1].local.has_value());
  EXPECT_FALSE(t.rows[1].local_none);
  EXPECT_FALSE(t.rows[1].recvq.has_value());
  EXPECT_EQ(t.rows[1].sendq, 0u);
  EXPECT_EQ(t.rows[2].local->base.path, "/tmp/x");
  EXPECT_FALSE(t.rows[2].sendq.has_value());
  EXPECT_EQ(only_pattern(one("ss -> *")).kind, Pattern::Kind::Anything);
}

TEST(ScenarioParser, PrintedFormParsesBack) {
  const char* text = "s = socket inet stream -> ok\nbind s [::ffff:127.0.0.1]:80 -> EADDRINUSE or ok\n";
  Program p = parse_scenario(text);
  EXPECT_EQ(print_program(p), text);
}

// ------------------------------------------------------------ errors

TEST(ScenarioParserErrors, NameFileLineAndColumn) {
  EXPECT_EQ(error_of("s = socket inet stream\n\nbind s foo"),
            "x.scn:3:8: expected an address such as 127.0.0.1:80, [::1]:80 or unix:/tmp/x, got \"foo\"");
  try {
    parse_scenario("ss\nfrob s", "y.scn");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file(), "y.scn");
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 1);
    EXPECT_EQ(e.message().rfind("unknown operation \"frob\"", 0), 0u) << e.message();
  }
}

TEST(ScenarioParserErrors, Messages) {
  struct Case { const char* text; const char* error; };
  const Case cases[] = {
      {"setsockopt s SO_FOO 1", "x.scn:1:14: unknown option \"SO_FOO\": expected one of SO_REUSEADDR"},
      {"send s \"x\" MSG_FOO", "x.scn:1:12: unknown flag \"MSG_FOO\""},
      {"s = socket inet raw", "x.scn:1:17: unknown type \"raw\""},
      {"s = socket ipx stream", "x.scn:1:12: unknown family \"ipx\""},
      {"s = socket inet stream foo", "x.scn:1:24: unknown protocol \"foo\""},
      {"send s \"\\q\"", "x.scn:1:9: unknown escape \\q in a string"},
      {"send s \"\\x4\"", "x.scn:1:9: expected two hex digits after \\x"},
      {"send s \"abc", "x.scn:1:8: unterminated string"},
      {"send s abc", "x.scn:1:8: expected the data as a \"string\", got \"abc\""},
      {"socket inet stream", "x.scn:1:1: socket needs a name: write NAME = socket ..."},
      {"x = bind s 127.0.0.1:1", "x.scn:1:1: bind takes no NAME =; only socket, accept and socketpair do"},
      {"a = socketpair unix stream", "x.scn:1:5: socketpair needs two names"},
      {"a, a = socketpair unix stream", "x.scn:1:4: the two names of a socketpair must differ"},
      {"1s = socket inet stream", "x.scn:1:1: expected a socket name ([A-Za-z_][A-Za-z0-9_]*) before ="},
      {"bind 9 127.0.0.1:1", "x.scn:1:6: expected a socket name"},
      {"bind s 127.0.0.1:70000", "x.scn:1:8: port 70000 out of range: expected 0 to 65535"},
      {"bind s 127.0.0.1:*", "x.scn:1:8: expected a port (0-65535 or $var), got \"*\""},
      {"bind s ::1:80", "x.scn:1:8: an IPv6 address needs brackets and a port"},
      {"bind s [::1]", "x.scn:1:8: expected an address such as"},
      {"bind s [::g]:1", "x.scn:1:8: expected an IPv6 address inside [], got \"::g\""},
      {"bind s 127.0.0.1:$p", "x.scn:1:8: variable $p is used before an expectation binds it"},
      {"connect s $a -> ok", "x.scn:1:11: variable $a is used before an expectation binds it"},
      {"getsockname s -> $a\nbind s 1.2.3.4:$a", "x.scn:2:8: variable $a is bound to an address, not a port"},
      {"bind s unix:/etc/passwd", "x.scn:1:8: unix path \"/etc/passwd\" must be under /tmp/ or relative"},
      {"bind s unix:/tmp/../etc/x", "x.scn:1:8: unix path \"/tmp/../etc/x\" must not contain \"..\""},
      {"unlink ../x", "x.scn:1:8: unix path \"../x\" must not contain \"..\""},
      {"sleep 2001", "x.scn:1:7: 2001 out of range: expected milliseconds from 0 to 2000"},
      {"listen s 99999999999999999999", "x.scn:1:10: 99999999999999999999 out of range"},
      {"listen s x", "x.scn:1:10: expected a backlog, got \"x\""},
      {"bind s 127.0.0.1:1 ->", "x.scn:1:22: expected an expectation such as"},
      {"bind s 127.0.0.1:1 -> EFOO", "x.scn:1:23: unknown errno name \"EFOO\""},
      {"bind s 127.0.0.1:1 -> ok or", "x.scn:1:28: expected an expectation such as"},
      {"bind s 127.0.0.1:1 -> banana", "x.scn:1:23: expected an expectation such as"},
      {"ss -> tcp LISTEN", "x.scn:1:7: expected an ss row: PROTO STATE LOCAL PEER q=RECVQ/SENDQ (each may be *); this row has 2 fields"},
      {"ss -> tcp LISTEN * * q=1", "x.scn:1:22: expected q=RECVQ/SENDQ or *, got \"q=1\""},
      {"ss -> tcp LISTEN * * q=1/5;", "x.scn:1:28: expected an ss row after \";\""},
      {"close s extra", "x.scn:1:9: unexpected \"extra\" after the arguments of close"},
      {"sysctl kernel.panic 1", "x.scn:1:8: expected a sysctl key beginning with net."},
      {"sysctl net.core.somaxconn", "x.scn:1:26: expected a value after the sysctl key"},
      {"link del v0", "x.scn:1:6: expected \"link add\", got \"link del\""},
      {"addr add 10.0.0.1/33", "x.scn:1:19: 33 out of range: expected a prefix length from 0 to 32"},
      {"poll s in|bogus", "x.scn:1:8: expected events in, out, pri, err, hup, rdhup joined with |"},
      {"shutdown s both", "x.scn:1:12: expected rd, wr or rdwr, got \"both\""},
      {"recv s 2000000", "x.scn:1:8: 2000000 out of range: expected a length from 0 to 1048576"},
      {"s=socket inet stream", "x.scn:1:1: unknown operation \"s=socket\": write blanks around =, as in s = socket inet stream"},
      {"-> ok", "x.scn:1:1: expected an operation before ->"},
      {"send s\"x\"", "x.scn:1:7: expected a blank before a string's opening \""},
      {"send s \"x\"y", "x.scn:1:11: expected a blank after the closing \" of a string"},
      {"uid -1", "x.scn:1:5: -1 out of range: expected a uid"},
      {"bind s [fe80::1%bad/name]:1", "x.scn:1:8: expected an interface name after %"},
  };
  for (const Case& c : cases) {
    std::string got = error_of(c.text);
    EXPECT_EQ(got.rfind(c.error, 0), 0u) << "input: " << c.text << "\n  got: " << got << "\n want: " << c.error;
  }
}

TEST(ScenarioParserErrors, HostileBytes) {
  EXPECT_EQ(error_of(std::string("ss\nclose s\0x", 12)),
            "x.scn:2:8: a NUL byte is not allowed in a scenario (write \\0 inside a string)");
  EXPECT_EQ(error_of("send s \"\xff\""), "x.scn:1:9: invalid UTF-8 (write other bytes as \\xHH inside a string)");
  EXPECT_EQ(error_of("# \xed\xa0\x80 surrogate"), "x.scn:1:3: invalid UTF-8 (write other bytes as \\xHH inside a string)");
  EXPECT_EQ(error_of("send s \"caf\xc3\xa9\" -> 5"), "no error");  // well-formed UTF-8 is fine
  std::string long_line = "ss # " + std::string(70000, 'x');
  EXPECT_EQ(error_of(long_line), "x.scn:1:65537: line too long: at most 65536 bytes");
  std::string many;
  for (int i = 0; i < 100001; ++i) many += "\n";
  EXPECT_EQ(error_of(many), "x.scn:100001:1: too many lines: at most 100000");
}

TEST(ScenarioParserErrors, UnreadableFile) {
  try {
    parse_scenario_file("/nonexistent/dir/f.scn");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line(), 0);
    EXPECT_EQ(std::string(e.what()), "/nonexistent/dir/f.scn: cannot read: No such file or directory");
  }
}

}  // namespace
}  // namespace sockspec

// ------------------------------------------------------------ malformed corpus
// Each tests/malformed/*.scn starts with `# error: LINE:COLUMN: MESSAGE`, the
// exact error the parser must give (after the file name).

namespace sockspec {
namespace {

TEST(ScenarioParserErrors, MalformedCorpusGivesEachFilesExactMessage) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(SOCKSPEC_SOURCE_DIR "/tests/malformed")) {
    if (entry.path().extension() != ".scn") continue;
    std::string path = entry.path().string();
    SCOPED_TRACE(path);
    std::ifstream in(path, std::ios::binary);
    std::string first;
    std::getline(in, first);
    const std::string marker = "# error: ";
    ASSERT_EQ(first.rfind(marker, 0), 0u) << "first line must be `# error: L:C: message`";
    try {
      parse_scenario_file(path);
      ADD_FAILURE() << "parsed without error";
    } catch (const ParseError& e) {
      EXPECT_EQ(std::string(e.what()), path + ":" + first.substr(marker.size()));
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

}  // namespace
}  // namespace sockspec
