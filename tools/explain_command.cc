// `sockspec explain FILE:LINE[:COL]`: why that line got its result, in plain
// words: the rules that decided it (with their statements from spec/) and
// the other sockets involved (check/explain.h).
#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <string_view>

#include "check/explain.h"
#include "check/files.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"
#include "tools/limit_options.h"

namespace sockspec::cli {

namespace {

struct ExplainOptions {
  std::string where;  // FILE:LINE
  bool model_only = false;
  DriverConfig driver;
  ScenarioLimits limits;
};

// A positive decimal number filling all of `text`, or nullopt.
std::optional<int> positive_number(std::string_view text) {
  int n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n <= 0) return std::nullopt;
  return n;
}

// `corpus/x.scn:12` -> {file, 12}; `corpus/x.scn:12:5` (the form error
// messages print) -> {file, 12}: a line holds one statement, so the column
// adds nothing.
std::optional<std::pair<std::string, int>> split_location(const std::string& where) {
  auto colon = where.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  auto last = positive_number(std::string_view(where).substr(colon + 1));
  if (!last) return std::nullopt;
  if (auto before = where.rfind(':', colon - 1); before != std::string::npos && before > 0)
    if (auto line = positive_number(std::string_view(where).substr(before + 1, colon - before - 1)))
      return std::pair{where.substr(0, before), *line};
  return std::pair{where.substr(0, colon), *last};
}

void explain(const ExplainOptions& o) {
  auto location = split_location(o.where);
  if (!location) {
    fmt::print(stderr, "sockspec explain: expected FILE:LINE or FILE:LINE:COL (e.g. corpus/inet/bind-errors.scn:12), got `{}`\n",
               o.where);
    exit_code() = kBadInput;
    return;
  }
  auto [file, line_no] = *location;
  std::vector<Program> programs;
  try {
    programs = load_programs({file}, o.limits);
  } catch (const std::exception& e) {  // ParseError says file:line itself
    fmt::print(stderr, "{}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  std::map<std::string, RuleDoc, std::less<>> docs;
  if (auto spec = find_spec_dir()) {
    docs = read_rule_docs(*spec);
  } else {
    fmt::print(stderr, "sockspec explain: spec/ not found (set SOCKSPEC_SPEC_DIR); naming rules without statements\n");
  }
  Mode mode = Mode::Model;
  if (!o.model_only) {
    if (auto why = enter_sandbox()) {
      fmt::print(stderr, "sockspec explain: the kernel oracle cannot run here ({}); explaining on the model alone\n",
                 *why);
    } else {
      mode = Mode::Lockstep;
    }
  }
  auto explanation = explain_line(programs.front(), line_no, mode, o.driver);
  if (!explanation) {
    fmt::print(stderr, "sockspec explain: {}:{} holds no statement (a blank line, a comment, or past the end)\n", file,
               line_no);
    exit_code() = kBadInput;
    return;
  }
  fmt::print("{}", explanation_text(*explanation, docs));
  exit_code() = explanation->diverged ? kFailed : kOk;
}

}  // namespace

void add_explain_command(CLI::App& app) {
  static ExplainOptions o;
  auto* cmd = app.add_subcommand("explain", "why a scenario line got its result: the rules and the sockets involved");
  cmd->add_option("location", o.where, "FILE:LINE or FILE:LINE:COL (as error messages print it), a line of a scenario")->required();
  cmd->add_flag("--model-only", o.model_only, "explain on the model alone, without the kernel");
  cmd->add_option("--plant-fault", o.driver.planted_fault, "as `check --plant-fault RULE`")->check(registered_rule());
  add_limit_options(cmd, o.limits);
  cmd->callback([] { explain(o); });
}

}  // namespace sockspec::cli
