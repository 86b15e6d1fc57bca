// `sockspec table backlog`: connections queued per listen() backlog on this
// kernel and the model, beside Stevens' table (check/backlog_table.h).
#include <fmt/format.h>

#include "check/backlog_table.h"
#include "oracle/oracle.h"
#include "tools/commands.h"

namespace sockspec::cli {

namespace {

void backlog_table(const std::vector<int>& backlogs, bool json) {
  if (auto why = enter_sandbox()) {
    fmt::print(stderr, "sockspec: the kernel oracle cannot run here: {}\n", *why);
    exit_code() = kNoOracle;
    return;
  }
  const std::vector<BacklogRow> rows = measure_backlogs(backlogs);
  if (json)
    fmt::print("{}\n", backlog_table_json(rows).dump(1));
  else
    fmt::print("{}", backlog_table_text(rows));
  exit_code() = model_agrees(rows) ? kOk : kFailed;
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
