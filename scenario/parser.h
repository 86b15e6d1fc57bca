// Parsing scenario text into a Program (docs/language.md).
//
// Contract: parse_scenario either returns the whole Program or throws
// ParseError naming `file:line:column: what was expected`; nothing is
// half-parsed. Variables must be bound by an expectation before they are
// used as arguments. Never crashes or hangs on any byte sequence.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "scenario/ast.h"

namespace sockspec {

class ParseError : public std::runtime_error {
 public:
  ParseError(std::string file, int line, int column, std::string what_expected);
  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }  // without the position

 private:
  std::string file_;
  int line_, column_;
  std::string message_;
};

Program parse_scenario(std::string_view text, std::string_view file = "<string>");

// Reads and parses a file; an unreadable file is a ParseError at line 0.
Program parse_scenario_file(const std::string& path);

}  // namespace sockspec
