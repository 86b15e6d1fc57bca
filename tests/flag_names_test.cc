// Every message that names a flag names one the subcommand has: the flags
// the tool's messages name, found two ways, are looked up in `--help`.
//  - Driven: the errors are provoked (every scenario limit crossed on every
//    subcommand that loads scenarios, every bad flag value), and each flag
//    a message names must be in the `--help` of the subcommand that printed it.
//  - Read: every flag inside a string literal of the sources (tools/, check/,
//    fuzz/, scenario/, model/, oracle/, solver/, guest/) must be in the
//    `--help` of some subcommand; the flags of other programs (an argv
//    element of its own, `cmake --preset`, `docker run --privileged`) are not
//    sockspec's and are left out.
// The checker is tested too: a message naming a flag no help lists fails it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

// The flags of other programs the sources name: the argv of the programs
// guest/ runs, and the build commands a message suggests. Not sockspec's.
const std::set<std::string>& other_programs_flags() {
  static const std::set<std::string> flags = {
      "--strip-debug",                    // objcopy (guest/initramfs.cc)
      "--list",                           // busybox (guest/initramfs.cc)
      "--names-only", "--no-all-versions",  // apt-cache (guest/kernels.cc)
      "--single-stream",                  // xz (guest/boot_image.cc)
      "--preset", "--build",              // cmake (fuzz/campaign.cc: how to build the fuzzer)
      "--privileged",                     // docker run (fuzz/targets/differential_fuzzer.cc)
      "--network", "--platform", "--root", "--cwd", "--version",  // runsc (guest/gvisor.cc, reproducers)
  };
  return flags;
}

// The sockspec `--flags` a text names.
std::set<std::string> flags_named(const std::string& text) {
  static const std::regex flag(R"((^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*))");
  std::set<std::string> flags;
  for (std::sregex_iterator it(text.begin(), text.end(), flag), end; it != end; ++it)
    if (!other_programs_flags().contains((*it)[2])) flags.insert((*it)[2]);
  return flags;
}

// The flags `text` names that `help` does not list.
std::set<std::string> unlisted_flags(const std::string& text, const std::string& help) {
  static const std::regex flag(R"((^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*))");
  std::set<std::string> listed;
  for (std::sregex_iterator it(help.begin(), help.end(), flag), end; it != end; ++it) listed.insert((*it)[2]);
  std::set<std::string> missing;
  for (const std::string& f : flags_named(text))
    if (!listed.contains(f)) missing.insert(f);
  return missing;
}

std::string help_of(const std::string& subcommand) {
  return run_command(sockspec_binary() + " " + subcommand + " --help").out;
}

// Every subcommand path (`run`, `solve coexist`, ...), from the help texts.
std::vector<std::string> subcommands(const std::string& parent = "") {
  std::vector<std::string> found;
  std::istringstream in(help_of(parent));
  bool listing = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "Subcommands:") listing = true;
    else if (line.empty() || line[0] != ' ') listing = false;
    else if (listing && line.size() > 2 && line[2] != ' ') {
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      const std::string path = parent.empty() ? name : parent + " " + name;
      found.push_back(path);
      for (const std::string& sub : subcommands(path)) found.push_back(sub);
    }
  }
  return found;
}

std::string all_help() {
  std::string help = help_of("");
  for (const std::string& sub : subcommands()) help += help_of(sub);
  return help;
}

// ------------------------------------------------------------ driven

struct Provoked {
  std::string subcommand;  // whose --help must list the flags
  std::string args;        // after the subcommand
  bool names_a_flag = true;  // false: a file's error, which may name none
};

// One scenario that crosses each limit set to 1 (the others at their defaults).
std::string over_every_limit_of_one() {
  const fs::path file = fs::path(SOCKSPEC_BINARY).parent_path() / "flag-names-over-limits.scn";
  std::ofstream(file) << "ns a\nns main\nlink add v0 -> ok\nlink add v1 -> ok\ns = socket inet dgram\n"
                         "t = socket inet dgram\nsend s \"ab\"\nsleep 1\nsleep 1\n";
  return file.string();
}

std::vector<Provoked> provoked_errors() {
  const std::string scn = over_every_limit_of_one(), good = "corpus/examples/d-wildcard-listener.scn";
  std::vector<Provoked> cases;
  for (const char* limit : {"--max-lines", "--max-sockets", "--max-namespaces", "--max-links", "--max-bytes-sent",
                            "--max-sleep-ms"}) {
    for (const char* sub : {"run", "model", "check", "rules"}) cases.push_back({sub, std::string(limit) + " 1 " + scn});
    cases.push_back({"explain", std::string(limit) + " 1 " + scn + ":9"});
    cases.push_back({"fuzz", std::string(limit) + " 0"});
    cases.push_back({"kernels diff", std::string(limit) + " 0 host host"});
  }
  for (const char* sub : {"run", "model", "check"})
    for (const char* bad : {"--time-limit-ms 0", "-j 0", "--settle-ms -1", "--delivery-ms -1",
                            "--loopback-delivery-ms -1"})
      cases.push_back({sub, std::string(bad) + " " + good});
  cases.push_back({"check", "--baseline /nonexistent-sockspec-baseline " + good, false});
  cases.push_back({"check", "--junit /nonexistent-sockspec-dir/j.xml " + good, false});
  for (const char* bad : {"--seconds 0", "-j 0", "--runs 0", "--sample-seconds 0", "--fuzzer /nonexistent-fuzzer"})
    cases.push_back({"fuzz", bad});
  cases.push_back({"table backlog", "--backlogs -1"});
  cases.push_back({"kernels diff", "host 6.1 -j 0"});
  cases.push_back({"kernels diff", "host 6.1 --random -1"});
  return cases;
}

TEST(FlagNames, EveryProvokedMessageNamesAFlagOfItsSubcommand) {
  std::map<std::string, std::string> help;
  int named = 0;
  for (const Provoked& c : provoked_errors()) {
    if (!help.contains(c.subcommand)) help[c.subcommand] = help_of(c.subcommand);
    const CommandResult r = run_command("timeout -s KILL 60 " + sockspec_binary() + " " + c.subcommand + " " + c.args);
    EXPECT_EQ(r.exit_code, 2) << c.subcommand << " " << c.args << ": " << r.err;
    const std::set<std::string> flags = flags_named(r.err);
    EXPECT_TRUE(!c.names_a_flag || !flags.empty()) << c.subcommand << " " << c.args << ": the message names no flag: " << r.err;
    named += static_cast<int>(flags.size());
    for (const std::string& f : unlisted_flags(r.err, help[c.subcommand]))
      ADD_FAILURE() << "sockspec " << c.subcommand << " " << c.args << " names " << f << ", which `sockspec "
                    << c.subcommand << " --help` does not list:\n  " << r.err;
  }
  std::printf("flag names: %zu provoked errors, %d flags named\n", provoked_errors().size(), named);
}

// ------------------------------------------------------------ read from the sources

struct SourceFlag {
  std::string flag, where;  // `check/limits.cc:40`
};

// The flags named in the string literals of a source file, but for those of
// a flag's registration (add_option, add_flag: --help lists them by
// construction, or hides an internal one on purpose) and of the argv of the
// guest's own sockspec (check/guest_run.cc, which passes the internal ones).
std::vector<SourceFlag> flags_in_literals(const fs::path& file) {
  static const std::regex literal(R"re("((?:[^"\\]|\\.)*)")re");
  std::vector<SourceFlag> found;
  if (file.filename() == "guest_run.cc") return found;
  std::ifstream in(file);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    const std::string code = line.substr(0, line.find("//"));  // the comment's flags are not printed
    if (code.find("add_option(") != std::string::npos || code.find("add_flag(") != std::string::npos) continue;
    for (std::sregex_iterator l(code.begin(), code.end(), literal), end; l != end; ++l)
      for (const std::string& flag : flags_named((*l)[1]))
        found.push_back({flag, fs::relative(file, SOCKSPEC_SOURCE_DIR).string() + ":" + std::to_string(line_no)});
  }
  return found;
}

std::vector<SourceFlag> flags_in_sources() {
  std::vector<SourceFlag> found;
  for (const char* dir : {"tools", "check", "fuzz", "scenario", "model", "oracle", "solver", "guest"})
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(SOCKSPEC_SOURCE_DIR) / dir))
      if (entry.path().extension() == ".cc" || entry.path().extension() == ".h" || entry.path().extension() == ".inc")
        for (SourceFlag& f : flags_in_literals(entry.path())) found.push_back(std::move(f));
  return found;
}

TEST(FlagNames, EveryFlagInTheSourcesStringsIsInSomeHelp) {
  const std::string help = all_help();
  const std::vector<SourceFlag> found = flags_in_sources();
  ASSERT_GT(found.size(), 20u) << "the scan found almost nothing: is SOCKSPEC_SOURCE_DIR right?";
  for (const SourceFlag& f : found)
    EXPECT_TRUE(unlisted_flags(f.flag, help).empty())
        << f.where << " names " << f.flag << ", which no subcommand's --help lists";
  std::printf("flag names: %zu flags named in string literals of the sources\n", found.size());
}

// ------------------------------------------------------------ the checker itself

TEST(FlagNames, TheCheckerCatchesAFlagNoHelpLists) {
  const std::string help = help_of("check");
  EXPECT_EQ(unlisted_flags("x.scn:3:1: over the limit of 128 (raise it with --max-namespace N)", help),
            std::set<std::string>{"--max-namespace"});
  EXPECT_TRUE(unlisted_flags("x.scn:3:1: over the limit of 128 (raise it with --max-namespaces N)", help).empty());
  const fs::path fake = fs::path(SOCKSPEC_BINARY).parent_path() / "flag-names-fake.cc";
  std::ofstream(fake) << "fmt::print(\"use --no-such-option, or cmake --preset x\"); // --not-this\n";
  const std::vector<SourceFlag> found = flags_in_literals(fake);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].flag, "--no-such-option");
  EXPECT_FALSE(unlisted_flags(found[0].flag, all_help()).empty());
  fs::remove(fake);
}

}  // namespace
}  // namespace sockspec::testing
