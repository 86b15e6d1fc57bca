#include "check/limits.h"

#include <fmt/format.h>

#include <set>
#include <variant>

namespace sockspec {

namespace {

struct Usage {
  std::int64_t lines = 0, sockets = 0, links = 0, bytes_sent = 0, sleep_ms = 0;
  std::set<std::string, std::less<>> namespaces{"main"};

  void count(const Operation& op) {
    ++lines;
    std::visit(
        [&](const auto& o) {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, op::Socket> || std::is_same_v<T, op::Accept>) sockets += 1;
          if constexpr (std::is_same_v<T, op::SocketPair>) sockets += 2;
          if constexpr (std::is_same_v<T, op::LinkAdd>) links += 1;
          if constexpr (std::is_same_v<T, op::Send> || std::is_same_v<T, op::SendTo>)
            bytes_sent += static_cast<std::int64_t>(o.data.size());
          if constexpr (std::is_same_v<T, op::Sleep>) sleep_ms += o.ms;
          if constexpr (std::is_same_v<T, op::Ns>) namespaces.insert(o.name);
          if constexpr (std::is_same_v<T, op::LinkAdd>)
            if (!o.peer_ns.empty()) namespaces.insert(o.peer_ns);
        },
        op);
  }
};

std::optional<std::string> over(std::string_view what, std::int64_t used, std::int64_t limit,
                                 std::string_view flag) {
  if (used <= limit) return std::nullopt;
  return fmt::format("this line brings the scenario to {} {}, over the limit of {} (raise it with {} N)", used,
                     what, limit, flag);
}

// The first limit the usage so far is over, if any.
std::optional<std::string> first_over(const Usage& use, const ScenarioLimits& limits) {
  for (auto verdict : {
           over("lines", use.lines, limits.max_lines, "--max-lines"),
           over("sockets (socket and accept lines count one, socketpair two)", use.sockets, limits.max_sockets,
                "--max-sockets"),
           over("network namespaces (main included)", static_cast<std::int64_t>(use.namespaces.size()),
                limits.max_namespaces, "--max-namespaces"),
           over("links", use.links, limits.max_links, "--max-links"),
           over("bytes of send/sendto data", use.bytes_sent, limits.max_bytes_sent, "--max-bytes-sent"),
           over("ms of sleep", use.sleep_ms, limits.max_sleep_ms, "--max-sleep-ms"),
       })
    if (verdict) return verdict;
  return std::nullopt;
}

}  // namespace

std::optional<LimitCrossed> check_limits(const Program& program, const ScenarioLimits& limits) {
  Usage use;
  for (const Line& line : program.lines) {
    use.count(line.op);
    if (auto why = first_over(use, limits)) return LimitCrossed{line.line_no, std::move(*why)};
  }
  return std::nullopt;
}

}  // namespace sockspec
