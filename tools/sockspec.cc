// sockspec: an executable specification of Linux socket semantics, checked
// against the real kernel. `sockspec --help` lists the subcommands.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstring>

#include "scenario/message_text.h"
#include "tools/commands.h"

namespace sockspec::cli {
int& exit_code() {
  static int code = kOk;
  return code;
}
}  // namespace sockspec::cli

namespace {

// The word CLI11 left over where a subcommand was required (it says only "A
// subcommand is required"), or "".
std::string unknown_subcommand(const CLI::App& app) {
  const CLI::App* deepest = &app;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  const auto rest = deepest->remaining();
  return rest.empty() ? "" : rest.front();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sockspec::cli;
  using sockspec::escape_raw_bytes;
  CLI::App app{
      "sockspec: Linux socket semantics as an executable specification, checked against the kernel.\n"
      "Scenarios are written in the scenario language (docs/language.md)."};
  app.require_subcommand(1);
  // Before the subcommands are added: they copy it. An argument's raw bytes
  // are escaped in the message (CLI11 quotes arguments as given).
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const std::string text = CLI::FailureMessage::simple(a, e);  // what(), a newline, the --help hint
    return escape_raw_bytes(e.what()) + text.substr(std::strlen(e.what()));
  });
  add_scenario_commands(app);
  add_solve_command(app);
  add_fuzz_command(app);
  add_report_command(app);
  add_explain_command(app);
  add_table_command(app);
  add_kernels_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::RequiredError& e) {
    if (auto word = unknown_subcommand(app); !word.empty()) {
      fmt::print(stderr, "sockspec: `{}` is not a subcommand here (--help lists them)\n", escape_raw_bytes(word));
      return kBadInput;
    }
    return app.exit(e) == 0 ? 0 : kBadInput;
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kBadInput;
  }
  return exit_code();
}
