// The printer: results in the language's own form, canonical lines.

#include <gtest/gtest.h>

#include <cerrno>

#include "scenario/address_builders.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

Address v6(std::array<std::uint8_t, 16> ip, std::uint16_t port, std::string scope = "") {
  Address x = inet6_address(ip, port);
  x.scope = std::move(scope);
  return x;
}

TEST(ScenarioPrinter, Addresses) {
  EXPECT_EQ(print_address(inet4_address(127, 0, 0, 1, 8080)), "127.0.0.1:8080");
  EXPECT_EQ(print_address(v6({}, 0)), "[::]:0");
  EXPECT_EQ(print_address(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80)), "[::1]:80");
  EXPECT_EQ(print_address(v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}, 80)), "[::ffff:127.0.0.1]:80");
  // RFC 5952: lower case, the longest run of zeros shortened
  EXPECT_EQ(print_address(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0xAB}, 1)), "[2001:db8::1:0:0:ab]:1");
  EXPECT_EQ(print_address(v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 80, "lo")), "[fe80::1%lo]:80");
  EXPECT_EQ(print_address(unix_address("/tmp/x")), "unix:/tmp/x");
  EXPECT_EQ(print_address(unix_address("@name")), "unix:@name");
  EXPECT_EQ(print_address(unix_address("")), "unix:");
  EXPECT_EQ(print_address(Address{}), "unspec");
}

TEST(ScenarioPrinter, Strings) {
  EXPECT_EQ(print_string(std::string("a\n\t\\\"\0z", 7)), R"("a\n\t\\\"\0z")");
  EXPECT_EQ(print_string("\x01\x7f\xff"), R"("\x01\x7f\xff")");
  EXPECT_EQ(print_string("# or ->"), R"("# or ->")");
}

TEST(ScenarioPrinter, EventsFlagsAndErrnos) {
  EXPECT_EQ(print_events(0), "none");
  EXPECT_EQ(print_events(kPollRdhup | kPollIn | kPollErr), "in|err|rdhup");
  EXPECT_EQ(print_flags(kMsgDontwait | kMsgOob), "MSG_OOB|MSG_DONTWAIT");
  EXPECT_EQ(errno_name(EADDRINUSE), "EADDRINUSE");
  EXPECT_EQ(errno_name(EWOULDBLOCK), "EAGAIN");
  EXPECT_EQ(errno_name(999), "E999");
  EXPECT_EQ(errno_from_name("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(errno_from_name("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(errno_from_name("EADDRNOTAVAIL"), EADDRNOTAVAIL);
  EXPECT_EQ(errno_from_name("E999"), 999);
  EXPECT_EQ(errno_from_name("E0"), std::nullopt);
  EXPECT_EQ(errno_from_name("EBOGUS"), std::nullopt);
}

TEST(ScenarioPrinter, Results) {
  EXPECT_EQ(print_result(Result::ok()), "ok");
  EXPECT_EQ(print_result(Result::err(ECONNREFUSED)), "ECONNREFUSED");
  EXPECT_EQ(print_result(Result::num(-3)), "-3");
  EXPECT_EQ(print_result(Result::bytes("")), "\"\"");
  EXPECT_EQ(print_result(Result::pending()), "pending");
  EXPECT_EQ(print_result(Result::addr(inet4_address(1, 2, 3, 4, 5))), "1.2.3.4:5");
  EXPECT_EQ(print_result(Result::events(kPollIn | kPollOut | kPollPri)), "in|out|pri");
  EXPECT_EQ(print_result(Result::events(0)), "none");
  EXPECT_EQ(print_result(Result::word("40000-40009")), "40000-40009");
  EXPECT_EQ(print_result(Result::skip()), "skip");
  Result from;
  from.kind = Result::Kind::From;
  from.text = "hi";
  from.address = inet4_address(127, 0, 0, 1, 9);
  EXPECT_EQ(print_result(from), "\"hi\" from 127.0.0.1:9");
  from.address.reset();
  from.from_truncated = true;
  from.integer = 12;
  EXPECT_EQ(print_result(from), "12 from none");
}

TEST(ScenarioPrinter, SsTablesAreSortedRows) {
  Result table;
  table.kind = Result::Kind::Table;
  EXPECT_EQ(print_result(table), "none");
  table.rows.push_back({"udp", "UNCONN", inet4_address(127, 0, 0, 1, 8080), std::nullopt, 0, 0});
  table.rows.push_back({"tcp", "LISTEN", inet4_address(0, 0, 0, 0, 8080), std::nullopt, 1, 5});
  table.rows.push_back({"u_str", "LISTEN", unix_address("/tmp/x"), std::nullopt, 0, 5});
  EXPECT_EQ(print_result(table),
            "tcp LISTEN 0.0.0.0:8080 *:* q=1/5; u_str LISTEN unix:/tmp/x *:* q=0/5; udp UNCONN 127.0.0.1:8080 *:* q=0/0");
}

TEST(ScenarioPrinter, LinesAreCanonical) {
  // extra blanks, comments, aliases and optional spellings disappear
  Program p = parse_scenario(
      "a ,b = socketpair unix dgram\n"
      "x  =  socket inet stream   tcp  # c\n"
      "poll x in|out|pri|rdhup -> in|out\n"
      "recv x 4 MSG_PEEK|MSG_OOB -> EWOULDBLOCK or \"a\"\n"
      "unlink unix:/tmp/a\n"
      "link add v0 ns b peer w0\n"
      "ss -> tcp  LISTEN  *   *:* q=*/*\n");
  EXPECT_EQ(print_program(p),
            "a, b = socketpair unix dgram\n"
            "x = socket inet stream tcp\n"
            "poll x in|out|pri|rdhup -> in|out\n"
            "recv x 4 MSG_OOB|MSG_PEEK -> EAGAIN or \"a\"\n"
            "unlink /tmp/a\n"
            "link add v0 peer w0 ns b\n"
            "ss -> tcp LISTEN * *:* *\n");
  EXPECT_EQ(print_operation(p.lines[3]), "recv x 4 MSG_OOB|MSG_PEEK");
  EXPECT_EQ(print_expectation(*p.lines[3].expect), "EAGAIN or \"a\"");
}

}  // namespace
}  // namespace sockspec
