// Splitting one scenario line into tokens (docs/language.md, "Lines").
//
// Contract: lex_line either returns the line's tokens or throws ParseError
// at the offending column. Tokens are separated by blanks (space, tab);
// `,` and `;` are tokens of their own (`A, B = socketpair`, `ss` rows);
// a double-quoted string is one token with its escapes decoded; `#` outside
// a string ends the line. The caller has already checked the line's length
// and encoding.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace sockspec {

struct Token {
  std::string text;      // a string's decoded bytes, or the token as written
  bool quoted = false;   // written as a "string"
  int column = 0;        // 1-based byte column of the first character
};

// `file` and `line_no` only name the position in a ParseError.
std::vector<Token> lex_line(std::string_view line, std::string_view file, int line_no);

}  // namespace sockspec
