// Witness scenarios (solver/witness.h).
#include "solver/witness.h"

#include <fmt/format.h>

#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec::solver {

namespace {

// Where a connected holder connects: the helper listener on [::] (dual
// stack) at kPortListener, in the holder's own address family.
std::string helper_destination(const SocketChoice& s) {
  if (s.family == Family::Inet) return fmt::format("127.0.0.1:{}", kPortListener);
  if (s.addr == AddrClass::Mapped) return fmt::format("[::ffff:127.0.0.1]:{}", kPortListener);
  return fmt::format("[::1]:{}", kPortListener);
}


}  // namespace

void ScenarioWriter::line(std::string_view text) {
  text_.append(text);
  text_.push_back('\n');
  ++line_no_;
}

void ScenarioWriter::comment(std::string_view text) {
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    line(fmt::format("# {}", text.substr(start, end - start)));
    start = end + 1;
  }
}

void ScenarioWriter::blank() { line(""); }

void ScenarioWriter::section(std::string_view ns, const KnobChoice& knobs, bool needs_extra_v6) {
  line(fmt::format("ns {}", ns));
  // `uid` outlives `ns`; sysctls and addresses are set as root
  if (knobs.bindv6only || needs_extra_v6) switch_uid(0);
  if (knobs.bindv6only) line("sysctl net.ipv6.bindv6only 1 -> ok");
  if (needs_extra_v6) line("addr add fd00::2 -> ok");
}

void ScenarioWriter::single_port_range(std::uint16_t port) {
  switch_uid(0);
  line(fmt::format("sysctl net.ipv4.ip_local_port_range {} {} -> ok", port, port));
}

void ScenarioWriter::switch_uid(std::int64_t uid) {
  if (uid == uid_) return;
  line(fmt::format("uid {} -> ok", uid));
  uid_ = uid;
}

void ScenarioWriter::create(std::string_view name, const SocketChoice& s) {
  switch_uid(s.uid);
  line(fmt::format("{} = socket {} {} -> ok", name, vocab::family(s.family).word, s.tcp ? "stream" : "dgram"));
  if (s.v6only_set) line(fmt::format("setsockopt {} IPV6_V6ONLY {} -> ok", name, s.v6only_value ? 1 : 0));
  if (s.reuseaddr) line(fmt::format("setsockopt {} SO_REUSEADDR 1 -> ok", name));
  if (s.reuseport) line(fmt::format("setsockopt {} SO_REUSEPORT 1 -> ok", name));
}

void ScenarioWriter::create_and_bind(std::string_view name, const SocketChoice& s) {
  create(name, s);
  line(fmt::format("bind {} {} -> ok", name, print_address(s.address())));
}

void ScenarioWriter::enter_role(std::string_view name, const SocketChoice& s, std::string_view tag) {
  switch (s.role) {
    case Role::Bound:
      return;
    case Role::Listening:
      line(fmt::format("listen {} 5 -> ok", name));
      return;
    case Role::Connected:
    case Role::TimeWait:
      break;
  }
  if (s.tcp) {
    const std::string l = fmt::format("l{}", tag);
    line(fmt::format("{} = socket inet6 stream -> ok", l));
    line(fmt::format("setsockopt {} IPV6_V6ONLY 0 -> ok", l));
    line(fmt::format("bind {} [::]:{} -> ok", l, kPortListener));
    line(fmt::format("listen {} 5 -> ok", l));
  }
  line(fmt::format("connect {} {} -> ok", name, helper_destination(s)));
  if (s.role == Role::TimeWait) {
    const std::string c = fmt::format("c{}", tag);
    line(fmt::format("{} = accept l{} -> ok", c, tag));
    line(fmt::format("close {} -> ok", name));  // the active close: FIN_WAIT2, then TIME_WAIT
    line(fmt::format("close {} -> ok", c));
    line("ss");
  }
}

void ScenarioWriter::bind_predicted(std::string_view name, const SocketChoice& s, bool explicit_port,
                                    std::string_view expect, std::string_view rule) {
  create(name, s);
  Address a = s.address();
  if (!explicit_port) a.port = 0;
  line(fmt::format("bind {} {} -> {}", name, print_address(a), expect));
  decisive_.push_back({line_no_, rule});
}

void ScenarioWriter::listen_predicted(std::string_view name, std::string_view expect, std::string_view rule) {
  line(fmt::format("listen {} 5 -> {}", name, expect));
  decisive_.push_back({line_no_, rule});
}

std::string describe(const SocketChoice& s) {
  std::string d = fmt::format("{} {} {}", s.tcp ? "tcp" : "udp", vocab::family(s.family).word, print_address(s.address()));
  if (s.v6only_set) d += fmt::format(" v6only={}", s.v6only_value ? 1 : 0);
  if (s.reuseaddr) d += " SO_REUSEADDR";
  if (s.reuseport) d += " SO_REUSEPORT";
  if (s.uid != 0) d += fmt::format(" uid={}", s.uid);
  return d;
}

std::string describe(const KnobChoice& k) { return k.bindv6only ? "net.ipv6.bindv6only=1" : "defaults"; }

bool needs_extra_v6(const SocketChoice& s) { return s.addr == AddrClass::Ip6 && s.v6 == kV6Extra; }

}  // namespace sockspec::solver
