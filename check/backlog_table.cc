#include "check/backlog_table.h"

#include <fmt/format.h>

#include <array>

#include "check/driver.h"
#include "scenario/parser.h"

namespace sockspec {

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

std::optional<int> historical(const HistoricalSystem& system, int backlog) {
  if (backlog < 0 || backlog >= static_cast<int>(system.queued.size())) return std::nullopt;
  return system.queued[static_cast<std::size_t>(backlog)];
}

template <class N>
std::string cell(std::optional<N> n) { return n ? std::to_string(*n) : "-"; }

}  // namespace

std::vector<BacklogRow> measure_backlogs(const std::vector<int>& backlogs) {
  std::vector<BacklogRow> rows;
  for (int backlog : backlogs) {
    const Program program = parse_scenario(backlog_scenario(backlog), fmt::format("<backlog {}>", backlog));
    const ScenarioVerdict verdict = run_scenario(program, Mode::Lockstep, DriverConfig{});
    const LineVerdict& ss = verdict.lines.back();
    rows.push_back({backlog, listener_queue(ss.kernel), listener_queue(ss.model)});
  }
  return rows;
}

bool model_agrees(const std::vector<BacklogRow>& rows) {
  for (const BacklogRow& r : rows)
    if (r.kernel != r.model) return false;
  return true;
}

std::string backlog_table_text(const std::vector<BacklogRow>& rows) {
  std::string out = fmt::format("{:>7} {:>13} {:>6}", "backlog", "Linux (here)", "model");
  for (const auto& system : kStevensTable) out += fmt::format("  {:>21}", system.name);
  out += "\n";
  for (const BacklogRow& r : rows) {
    out += fmt::format("{:>7} {:>13} {:>6}", r.backlog, cell(r.kernel), cell(r.model));
    for (const auto& system : kStevensTable) out += fmt::format("  {:>21}", cell(historical(system, r.backlog)));
    out += "\n";
  }
  return out +
         "Linux (here): the listener's accept queue (ss RECVQ) after 2*backlog+4 non-blocking connects.\n"
         "Historical columns: Stevens, UNIX Network Programming vol. 1, figure 4.10.\n";
}

nlohmann::json backlog_table_json(const std::vector<BacklogRow>& rows) {
  nlohmann::json out = nlohmann::json::array();
  for (const BacklogRow& r : rows) {
    nlohmann::json past = nlohmann::json::object();
    for (const auto& system : kStevensTable)
      if (auto n = historical(system, r.backlog)) past[system.name] = *n;
    out.push_back({{"backlog", r.backlog},
                   {"linux", r.kernel ? nlohmann::json(*r.kernel) : nlohmann::json()},
                   {"model", r.model ? nlohmann::json(*r.model) : nlohmann::json()},
                   {"historical", past}});
  }
  return out;
}

}  // namespace sockspec
