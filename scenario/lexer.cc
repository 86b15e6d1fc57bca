// Tokens of one line: see scenario/lexer.h.

#include "scenario/lexer.h"

#include <fmt/format.h>

#include "scenario/parser.h"

namespace sockspec {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_punct(char c) { return c == ',' || c == ';'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<Token> lex_line(std::string_view line, std::string_view file, int line_no) {
  std::vector<Token> tokens;
  auto fail = [&](std::size_t at, std::string what) -> void {
    throw ParseError(std::string(file), line_no, static_cast<int>(at) + 1, std::move(what));
  };
  std::size_t i = 0;
  while (i < line.size()) {
    char c = line[i];
    if (is_blank(c)) { ++i; continue; }
    if (c == '#') break;
    Token token;
    token.column = static_cast<int>(i) + 1;
    if (is_punct(c)) {
      token.text = std::string(1, c);
      ++i;
    } else if (c == '"') {
      token.quoted = true;
      std::size_t start = i++;
      for (;;) {
        if (i >= line.size()) fail(start, "unterminated string: expected a closing \"");
        char s = line[i];
        if (s == '"') { ++i; break; }
        if (s != '\\') { token.text.push_back(s); ++i; continue; }
        if (i + 1 >= line.size()) fail(i, "unterminated string: expected a closing \"");
        char e = line[i + 1];
        switch (e) {
          case 'n': token.text.push_back('\n'); i += 2; break;
          case 't': token.text.push_back('\t'); i += 2; break;
          case '\\': token.text.push_back('\\'); i += 2; break;
          case '"': token.text.push_back('"'); i += 2; break;
          case '0': token.text.push_back('\0'); i += 2; break;
          case 'x': {
            int hi = i + 2 < line.size() ? hex_digit(line[i + 2]) : -1;
            int lo = i + 3 < line.size() ? hex_digit(line[i + 3]) : -1;
            if (hi < 0 || lo < 0) fail(i, "expected two hex digits after \\x in a string");
            token.text.push_back(static_cast<char>(hi * 16 + lo));
            i += 4;
            break;
          }
          default:
            fail(i, fmt::format("unknown escape \\{} in a string; the escapes are "
                                "\\n \\t \\\\ \\\" \\0 \\xHH",
                                e));
        }
      }
      if (i < line.size() && !is_blank(line[i]) && !is_punct(line[i]) && line[i] != '#')
        fail(i, "expected a blank after the closing \" of a string");
    } else {
      std::size_t start = i;
      while (i < line.size() && !is_blank(line[i]) && !is_punct(line[i]) && line[i] != '#') {
        if (line[i] == '"') fail(i, "expected a blank before a string's opening \"");
        ++i;
      }
      token.text = std::string(line.substr(start, i - start));
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace sockspec
