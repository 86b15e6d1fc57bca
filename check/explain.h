// Why did this line get its result? (`sockspec explain FILE:LINE`)
//
// Contract: explain_line runs the scenario (in lockstep when the kernel is
// available, else on the model alone) and, for the statement on the given
// text line, says in plain words: the operation and its result (the
// kernel's and the model's, and whether they agree), every rule the model
// used with the statement spec/*.md gives it, and the other sockets the
// line met, as the model saw them just before the line ran (the socket the
// line acts on, sockets holding the port it binds or connects to, the peer
// of a connected socket). The rule statements are read from spec/*.md (the
// paragraph under each `### rule` heading), never duplicated in code.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "check/driver.h"
#include "model/world.h"
#include "scenario/ast.h"

namespace sockspec {

struct RuleDoc {
  std::string statement;  // the first paragraph under `### name`
  std::string kernel;     // the `Kernel:` paragraph, without the word
  std::string file;       // `spec/bind.md`
};

// Every `### rule` of spec_dir/*.md. Throws std::runtime_error when the
// directory cannot be read.
std::map<std::string, RuleDoc, std::less<>> read_rule_docs(const std::filesystem::path& spec_dir);

// Where spec/ is: $SOCKSPEC_SPEC_DIR, ./spec, or next to the binary's
// source tree (<exe>/../spec, <exe>/../../spec); nullopt when none exists.
std::optional<std::filesystem::path> find_spec_dir();

struct Explanation {
  std::string file;
  int line_no = 0;
  std::string operation;
  std::optional<Result> kernel, model;
  std::vector<std::string> rules;
  std::vector<std::string> sockets;  // `s1: inet stream, bound 0.0.0.0:8080, LISTEN, SO_REUSEADDR`
  std::string note;                  // the model's note, or why the line did not run
  bool diverged = false, unsupported = false, skipped = false;
};

// nullopt when no statement starts on text line `line_no`.
std::optional<Explanation> explain_line(const Program& program, int line_no, Mode mode, DriverConfig config);

// The sockets of `world` a line meets (see the contract), described.
std::vector<std::string> sockets_involved(const Line& line, const World& world);

// The explanation in plain words; rules without a doc are named alone.
std::string explanation_text(const Explanation& e,
                             const std::map<std::string, RuleDoc, std::less<>>& docs);

}  // namespace sockspec
