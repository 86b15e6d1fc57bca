// The `--max-*` flags: see tools/limit_options.h.
#include "tools/limit_options.h"

#include <cstdint>
#include <limits>

namespace sockspec::cli {

void add_limit_options(CLI::App* cmd, ScenarioLimits& limits) {
  const char* group = "Scenario limits (a scenario over one is refused before it runs, exit 2)";
  auto add = [&](const char* flag, auto& value, const char* what) {
    using T = std::decay_t<decltype(value)>;
    cmd->add_option(flag, value, what)
        ->capture_default_str()
        ->check(CLI::Range(T{1}, std::numeric_limits<T>::max()))
        ->group(group);
  };
  add("--max-lines", limits.max_lines, "statements in one scenario");
  add("--max-sockets", limits.max_sockets, "sockets one scenario makes (socket and accept one each, socketpair two)");
  add("--max-namespaces", limits.max_namespaces, "network namespaces one scenario uses, main included");
  add("--max-links", limits.max_links, "`link add` lines in one scenario");
  add("--max-bytes-sent", limits.max_bytes_sent, "bytes of send/sendto data in one scenario");
  add("--max-sleep-ms", limits.max_sleep_ms, "the sum of one scenario's `sleep` lines, in ms");
}

}  // namespace sockspec::cli
