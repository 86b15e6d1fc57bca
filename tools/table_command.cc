// `sockspec table backlog`: how many connections Linux queues for each
// listen() backlog, measured on this kernel (and asked of the model), beside
// the historical systems of Stevens' table (UNIX Network Programming vol. 1,
// 3rd ed., figure 4.10; table 4.6 of the Russian edition in
// ../shared/seeds/001_b670bd832795dd27.txt).
//
// For each backlog B the scenario is: a listener on 127.0.0.1:8080 with
// `listen l B`, then 2B+4 non-blocking connects (`connect cI ADDR nowait`),
// more than any historical system queued, then `ss`. On loopback each SYN
// is answered inside connect(2); once the accept queue is full the listener
// drops further SYNs (tcp_conn_request in net/ipv4/tcp_input.c checks
// sk_acceptq_is_full, which is `sk_ack_backlog > sk_max_ack_backlog`), so
// the listener's ss row reads RECVQ = the number of connections queued.
#include <fmt/format.h>

#include <array>
#include <nlohmann/json.hpp>
#include <optional>

#include "check/driver.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "tools/commands.h"

namespace sockspec::cli {

namespace {

// Stevens' measurements: connections actually queued for backlog 0..14.
// Transcribed from the seed text's table 4.6 (UNP vol. 1, figure 4.10).
struct HistoricalSystem {
  const char* name;
  std::array<int, 15> queued;  // index: backlog
};
constexpr std::array<HistoricalSystem, 5> kStevensTable = {{
    {"MacOS 10.2.6, AIX 5.1", {1, 2, 4, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22}},
    {"Linux 2.4.7", {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}},
    {"HP-UX 11.11", {1, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21}},
    {"FreeBSD 4.8, 5.1", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
    {"Solaris 2.9", {1, 2, 4, 5, 6, 8, 10, 11, 13, 14, 16, 17, 19, 20, 22}},
}};

std::string backlog_scenario(int backlog) {
  std::string text = fmt::format("l = socket inet stream\nbind l 127.0.0.1:8080\nlisten l {}\n", backlog);
  for (int i = 1; i <= 2 * backlog + 4; ++i)
    text += fmt::format("c{0} = socket inet stream\nconnect c{0} 127.0.0.1:8080 nowait\n", i);
  return text + "ss\n";
}

// The listener's RECVQ in an `ss` result.
std::optional<std::uint32_t> listener_queue(const std::optional<Result>& table) {
  if (!table || table->kind != Result::Kind::Table) return std::nullopt;
  for (const SsRow& row : table->rows)
    if (row.state == "LISTEN") return row.recvq;
  return std::nullopt;
}

std::string cell(std::optional<std::uint32_t> n) { return n ? std::to_string(*n) : "-"; }

void backlog_table(const std::vector<int>& backlogs, bool json) {
  if (auto why = enter_sandbox()) {
    fmt::print(stderr, "sockspec: the kernel oracle cannot run here: {}\n", *why);
    exit_code() = kNoOracle;
    return;
  }
  nlohmann::json rows = nlohmann::json::array();
  if (!json) {
    fmt::print("{:>7} {:>13} {:>6}", "backlog", "Linux (here)", "model");
    for (const auto& system : kStevensTable) fmt::print("  {:>21}", system.name);
    fmt::print("\n");
  }
  bool model_agrees = true;
  for (int backlog : backlogs) {
    const Program program = parse_scenario(backlog_scenario(backlog), fmt::format("<backlog {}>", backlog));
    const ScenarioVerdict verdict = run_scenario(program, Mode::Lockstep, DriverConfig{});
    const LineVerdict& ss = verdict.lines.back();
    auto kernel = listener_queue(ss.kernel), model = listener_queue(ss.model);
    model_agrees &= kernel == model;
    nlohmann::json historical = nlohmann::json::object();
    if (!json) fmt::print("{:>7} {:>13} {:>6}", backlog, cell(kernel), cell(model));
    for (const auto& system : kStevensTable) {
      const bool known = backlog >= 0 && backlog < static_cast<int>(system.queued.size());
      if (known) historical[system.name] = system.queued[static_cast<std::size_t>(backlog)];
      if (!json) fmt::print("  {:>21}", known ? std::to_string(system.queued[static_cast<std::size_t>(backlog)]) : "-");
    }
    if (!json) fmt::print("\n");
    rows.push_back({{"backlog", backlog},
                    {"linux", kernel ? nlohmann::json(*kernel) : nlohmann::json()},
                    {"model", model ? nlohmann::json(*model) : nlohmann::json()},
                    {"historical", historical}});
  }
  if (json) {
    fmt::print("{}\n", rows.dump(1));
  } else {
    fmt::print("Linux (here): the listener's accept queue (ss RECVQ) after 2*backlog+4 non-blocking connects.\n"
               "Historical columns: Stevens, UNIX Network Programming vol. 1, figure 4.10.\n");
  }
  exit_code() = model_agrees ? kOk : kFailed;
}

}  // namespace

void add_table_command(CLI::App& app) {
  static std::vector<int> backlogs{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16};
  static bool json = false;
  auto* table = app.add_subcommand("table", "tables measured on this kernel");
  table->require_subcommand(1);
  auto* backlog = table->add_subcommand(
      "backlog", "connections queued per listen() backlog, beside the historical systems of Stevens' table");
  backlog->add_option("--backlogs", backlogs, "the backlog values to measure")
      ->capture_default_str()
      ->check(CLI::Range(0, 256));
  backlog->add_flag("--json", json, "a JSON array, one object per backlog");
  backlog->callback([] { backlog_table(backlogs, json); });
}

}  // namespace sockspec::cli
