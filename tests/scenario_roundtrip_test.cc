// print∘parse is the identity on Programs: over every scenario in corpus/
// and the shared examples, and over generated Programs (tests/scenario_gen.h).

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>

#include "scenario/parser.h"
#include "scenario/printer.h"
#include "tests/scenario_gen.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const char* dir : {SOCKSPEC_SOURCE_DIR "/corpus", SOCKSPEC_SOURCE_DIR "/../shared/examples"}) {
    if (!fs::exists(dir)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_regular_file() && entry.path().extension() == ".scn") files.push_back(entry.path());
  }
  return files;
}

TEST(ScenarioRoundtrip, EveryCorpusFileParsesAndPrintsBackToItself) {
  auto files = scenario_files();
  ASSERT_FALSE(files.empty()) << "no .scn files found";
  for (const fs::path& path : files) {
    SCOPED_TRACE(path.string());
    Program program = parse_scenario_file(path.string());
    EXPECT_FALSE(program.lines.empty());
    std::string printed = print_program(program);
    Program again = parse_scenario(printed, path.string());
    EXPECT_EQ(again, program) << printed;
    EXPECT_EQ(print_program(again), printed) << "printing is not canonical";
  }
}

RC_GTEST_PROP(ScenarioRoundtrip, PrintThenParseIsIdentity, ()) {
  Program program = *gen::program();
  std::string printed = print_program(program);
  Program again = parse_scenario(printed);
  RC_ASSERT(again == program);
}

// Bad input never crashes: any bytes, and printed programs with bytes
// overwritten, either parse or give a ParseError (nothing else escapes).
RC_GTEST_PROP(ScenarioRoundtrip, AnyBytesParseOrGiveAParseError, ()) {
  std::string text = *rc::gen::oneOf(
      rc::gen::string<std::string>(),
      rc::gen::exec([] {
        std::string printed = print_program(*gen::program());
        if (printed.empty()) return printed;
        int edits = *rc::gen::inRange(1, 4);
        for (int i = 0; i < edits; ++i) {
          std::size_t at = *rc::gen::inRange<std::size_t>(0, printed.size());
          printed[at] = *rc::gen::element(' ', '"', '\\', '#', ';', '$', ':', '[', '-', '\n', 'x', '9', '\0');
        }
        return printed;
      }));
  try {
    Program program = parse_scenario(text);
    RC_ASSERT(parse_scenario(print_program(program)) == program);
  } catch (const ParseError& e) {
    RC_ASSERT(e.line() >= 1);
    RC_ASSERT(e.column() >= 1);
  }
}

}  // namespace
}  // namespace sockspec
