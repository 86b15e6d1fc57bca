// The campaign's limits through the environment: see fuzz/limit_environment.h.
#include "fuzz/limit_environment.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <string_view>
#include <cstdlib>
#include <cstring>

namespace sockspec::fuzz {

namespace {

// Calls visit(variable, member) for each limit; the variable is the flag's
// name in capitals after SOCKSPEC_FUZZ_ (--max-bytes-sent: SOCKSPEC_FUZZ_MAX_BYTES_SENT).
template <typename Limits, typename Visit>
void each_limit(Limits& l, Visit visit) {
  visit("SOCKSPEC_FUZZ_MAX_LINES", l.max_lines);
  visit("SOCKSPEC_FUZZ_MAX_SOCKETS", l.max_sockets);
  visit("SOCKSPEC_FUZZ_MAX_NAMESPACES", l.max_namespaces);
  visit("SOCKSPEC_FUZZ_MAX_LINKS", l.max_links);
  visit("SOCKSPEC_FUZZ_MAX_BYTES_SENT", l.max_bytes_sent);
  visit("SOCKSPEC_FUZZ_MAX_SLEEP_MS", l.max_sleep_ms);
}

}  // namespace

std::vector<std::string> limit_environment(const ScenarioLimits& limits) {
  std::vector<std::string> env;
  each_limit(limits, [&](const char* name, auto value) { env.push_back(fmt::format("{}={}", name, value)); });
  return env;
}

std::vector<std::string> limit_flags(const ScenarioLimits& limits) {
  std::vector<std::string> flags;
  each_limit(limits, [&](std::string_view name, auto value) {
    std::string flag = "--" + std::string(name.substr(std::string_view("SOCKSPEC_FUZZ_").size()));
    for (char& c : flag) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    flags.push_back(std::move(flag));
    flags.push_back(fmt::format("{}", value));
  });
  return flags;
}

ScenarioLimits limits_from_environment() {
  ScenarioLimits limits;
  each_limit(limits, [](const char* name, auto& value) {
    const char* text = std::getenv(name);
    if (text == nullptr) return;
    std::decay_t<decltype(value)> parsed{};
    const char* end = text + std::strlen(text);
    auto [rest, error] = std::from_chars(text, end, parsed);
    if (error == std::errc() && rest == end && parsed >= 1) value = parsed;
  });
  return limits;
}

}  // namespace sockspec::fuzz
