// The subcommands of `sockspec`. Each tools/*_command.cc adds one (or a few)
// to the CLI11 app; the action runs after parsing and sets the exit code.
//
// Exit codes (DESIGN.md): 0 all agree and every expectation holds, 1 a
// divergence or a failed expectation, 2 bad input, 3 the oracle cannot run
// here (no namespace permission).
#pragma once

#include <CLI/CLI.hpp>

namespace sockspec::cli {

enum ExitCode : int { kOk = 0, kFailed = 1, kBadInput = 2, kNoOracle = 3 };

// Where a subcommand's action stores its exit code.
int& exit_code();

void add_scenario_commands(CLI::App& app);  // run, model, check, rules
void add_solve_command(CLI::App& app);      // solve classes|asymmetric|diff|coexist
void add_fuzz_command(CLI::App& app);       // fuzz (a libFuzzer campaign)
void add_report_command(CLI::App& app);     // report DIR (report.md, report.html)
void add_explain_command(CLI::App& app);    // explain FILE:LINE
void add_table_command(CLI::App& app);      // table backlog
void add_kernels_command(CLI::App& app);    // kernels diff A B

}  // namespace sockspec::cli
