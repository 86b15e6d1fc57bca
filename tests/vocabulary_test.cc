// The vocabulary tables (scenario/vocabulary.h): one row per enumerator,
// no word twice, and every word reads back through the parser.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <set>
#include <string>

#include <fmt/format.h>

#include "scenario/parser.h"
#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec {
namespace {

template <typename Rows, typename Key, typename Word>
void expect_one_row_each(const Rows& rows, int enumerators, Key key, Word word) {
  std::set<int> keys;
  std::set<std::string> words;
  for (const auto& r : rows) {
    EXPECT_TRUE(keys.insert(static_cast<int>(r.*key)).second) << r.*word << " has a second row";
    EXPECT_TRUE(words.insert(std::string(r.*word)).second) << r.*word << " is written twice";
  }
  EXPECT_EQ(static_cast<int>(keys.size()), enumerators);
}

TEST(Vocabulary, EveryEnumeratorHasOneRowAndEveryWordOneMeaning) {
  expect_one_row_each(vocab::families(), 3, &vocab::FamilyWord::family, &vocab::FamilyWord::word);
  expect_one_row_each(vocab::sock_types(), 3, &vocab::SockTypeWord::type, &vocab::SockTypeWord::word);
  expect_one_row_each(vocab::protocols(), 5, &vocab::ProtocolWord::name, &vocab::ProtocolWord::word);
  expect_one_row_each(vocab::options(), static_cast<int>(SockOpt::SoBindtodevice) + 1, &vocab::OptionWord::opt,
                      &vocab::OptionWord::name);
}

TEST(Vocabulary, EveryOptionReadsBackThroughTheParser) {
  for (const auto& w : vocab::options()) {
    Program p = parse_scenario(fmt::format("s = socket inet stream\ngetsockopt s {}\n", w.name));
    const auto* get = std::get_if<op::GetSockOpt>(&p.lines.at(1).op);
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->opt, w.opt);
    EXPECT_EQ(print_line(p.lines.at(1)), fmt::format("getsockopt s {}", w.name));
  }
  EXPECT_EQ(vocab::option_named("SO_NOSUCH"), std::nullopt);
}

TEST(Vocabulary, NumbersAreTheKernelsAndStatesAreSsWords) {
  EXPECT_EQ(vocab::option(SockOpt::SoReuseport).level, SOL_SOCKET);
  EXPECT_EQ(vocab::option(SockOpt::SoReuseport).number, SO_REUSEPORT);
  EXPECT_EQ(vocab::option(SockOpt::Ipv6V6only).level, IPPROTO_IPV6);
  EXPECT_EQ(vocab::family(Family::Inet6).number, AF_INET6);
  EXPECT_EQ(vocab::tcp_state_word(TCP_ESTABLISHED), "ESTAB");
  EXPECT_EQ(vocab::tcp_state_word(TCP_CLOSE), "UNCONN");
  EXPECT_EQ(vocab::tcp_state_word(TCP_LISTEN), "LISTEN");
  EXPECT_EQ(vocab::tcp_state_word(vocab::TcpState::TimeWait), "TIME-WAIT");
  EXPECT_EQ(vocab::tcp_state_word(99), "UNKNOWN");
}

}  // namespace
}  // namespace sockspec
