// The parser fuzzer: arbitrary bytes into the scenario parser, in a build
// with ASan and UBSan (the fuzz preset). It links the scenario library
// only — no model, no kernel — so it runs at full libFuzzer speed and a
// finding here is always a bug of scenario/*.cc.
//
// What it checks, per input (scenario/parser.h, scenario/printer.h):
//  - the parser either returns a Program or throws ParseError; any other
//    exception, crash, memory error, undefined behaviour or hang is a bug;
//  - a ParseError's position lies inside the text (line >= 1, column >= 1);
//  - print_program's output parses back to an equal Program.
//
// Seed it with corpus/ and tests/malformed/ (docs/safety.md).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scenario/parser.h"
#include "scenario/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sockspec::Program program;
  try {
    program = sockspec::parse_scenario(text, "fuzz");
  } catch (const sockspec::ParseError& e) {
    if (e.line() < 1 || e.column() < 1 || e.message().empty()) __builtin_trap();
    return 0;
  }
  // print∘parse is the identity on what parses; a throw here escapes and
  // libFuzzer reports it as a crash, which is what it is.
  if (!(sockspec::parse_scenario(sockspec::print_program(program), "fuzz") == program)) __builtin_trap();
  return 0;
}
