// A battery of hostile input for every subcommand: files that are not
// regular files (a FIFO, /dev/zero behind a symlink, a directory, a symlink
// loop), a file over the 16 MiB limit, binary garbage, bad flags, and
// damaged copies of every file the tool writes and reads back: check.jsonl,
// check-summary.json, a fuzz summary, a solver table, findings, a campaign
// log, kernels-diff.md (`report`), baselines (`check --baseline`),
// known-families lists (`report`, `fuzz --known-families`) and the work
// directory a killed campaign leaves (`fuzz`): each value of each JSON file
// in turn of another type, the whole of another shape, cut in half, over
// 16 MiB. Every
// case is generated at test time under the build directory and run under a
// timeout and a memory limit; each must end in exit 2 (or, for `report`'s
// inputs, a warning) with a message naming the file or the flag, never a
// signal, a hang or a crash.
//
// SOCKSPEC_HOSTILE_BINARY=PATH runs the battery against another build (to
// count how many cases an older sockspec failed).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

const fs::path& hostile_dir() {
  static const fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "hostile-input";
  return dir;
}

std::string binary() {
  const char* other = std::getenv("SOCKSPEC_HOSTILE_BINARY");
  return other && *other ? other : sockspec_binary();
}

void write(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// The hostile files, made afresh: every path below names one of them.
struct Files {
  std::string fifo, zero, dir, loop, huge, garbage, plain_file;
  std::string report_jsonl, report_summary, report_fuzz, report_fifo, report_array;
};

Files make_files() {
  const fs::path d = hostile_dir();
  fs::remove_all(d);
  fs::create_directories(d / "a-directory.scn");
  Files f;
  f.fifo = (d / "fifo.scn").string();
  EXPECT_EQ(::mkfifo(f.fifo.c_str(), 0600), 0);
  f.zero = (d / "zero.scn").string();
  fs::create_symlink("/dev/zero", f.zero);
  f.dir = (d / "a-directory.scn").string();
  f.loop = (d / "loop.scn").string();
  fs::create_symlink(f.loop, f.loop);
  f.huge = (d / "huge.scn").string();
  write(f.huge, std::string(17u << 20, '#'));
  f.garbage = (d / "garbage.scn").string();
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes += static_cast<char>((i * 131 + 7) % 256);
  write(f.garbage, bytes);
  f.plain_file = (d / "plain-file").string();
  write(f.plain_file, "not a directory\n");
  // report directories: each holds one input of the wrong shape or kind
  const std::string one_good = R"({"file":"x.scn","steps":[],"divergences":[],"expect_failures":[]})";
  auto report_dir = [&](const std::string& name, const std::string& file, const std::string& text) {
    fs::create_directories(d / name);
    write(d / name / "check.jsonl", one_good + "\n");
    write(d / name / file, text);
    return (d / name / file).string();
  };
  f.report_jsonl = report_dir("report-jsonl", "check.jsonl",
                              one_good + "\n" + R"({"steps":"many","divergences":{"a":1}})" + "\n" +
                                  R"({"divergences":[5,"x"],"steps":[{"line":"one","rules":7}]})" + "\n");
  f.report_summary = report_dir("report-summary", "check-summary.json", R"({"seconds":"long","divergences":[1]})");
  f.report_fuzz = report_dir("report-fuzz", "fuzz-summary.json", R"({"execs":"many","seconds":{},"jobs":null})");
  f.report_array = report_dir("report-array", "check-summary.json", R"([1,2,3])");
  fs::create_directories(d / "report-fifo");
  f.report_fifo = (d / "report-fifo" / "check.jsonl").string();
  EXPECT_EQ(::mkfifo(f.report_fifo.c_str(), 0600), 0);
  return f;
}

struct Case {
  std::string args;      // after `sockspec`
  std::string names;     // the message must contain this (a path or a flag)
  bool warning_is_enough = false;  // report's inputs: exit 0 with a warning will do
};

std::string parent(const std::string& path) { return fs::path(path).parent_path().string(); }

// ------------------------------------------------------------ the tool's own files, damaged

// The files sockspec writes and reads back, as it writes them (the fields
// of check/check_outputs.cc, check/report.cc, fuzz/campaign.cc and
// `solve classes --json`).
const nlohmann::json& check_record() {
  static const nlohmann::json r = nlohmann::json::parse(R"({"file":"x.scn","status":"fail","lines":2,
    "steps":[{"line":1,"op":"bind o 0.0.0.0:8080","expect":"ok","kernel":"ok","model":"EINVAL",
              "rules":["bind.ok"],"diverged":true}],
    "divergences":[{"line":1,"op":"bind o 0.0.0.0:8080","kernel":"ok","model":"EINVAL","rules":["bind.ok"],
                    "signature":"bind | bind.ok | ok | EINVAL","known":false}],
    "expect_failures":[{"line":2,"expected":"ok","kernel":"EINVAL"}],"unsupported":[],"skipped":[]})");
  return r;
}
const nlohmann::json& check_summary() {
  static const nlohmann::json s = nlohmann::json::parse(
      R"({"mode":"lockstep","scenarios":1,"failed":1,"partial":0,"divergences":1,"known_divergences":0,
          "seconds":0.5,"kernel":"host","kernel_described":"Linux 6.1"})");
  return s;
}
const nlohmann::json& fuzz_summary() {
  static const nlohmann::json s = nlohmann::json::parse(
      R"({"fuzzer":"f","seconds":1.5,"jobs":1,"execs":10,"exec_per_s":10,"seeds":1,"corpus_dir":"c",
          "corpus_before":0,"corpus_after":1,"rules_covered":3,"rules_total":279,"findings_dir":"d",
          "findings_total":0,"new_findings":[],"fuzzer_exit":0,"merge_exit":0})");
  return s;
}
const nlohmann::json& solver_table() {
  static const nlohmann::json t = nlohmann::json::parse(
      R"([{"class":"c","rules":"r","predicted":"ok","kernel":"ok","model":"ok","confirmed":true}])");
  return t;
}

// A value of another JSON type than `v`.
nlohmann::json other_type(const nlohmann::json& v) {
  if (v.is_string()) return 7;
  if (v.is_number_integer()) return v.is_number_unsigned() && v.get<std::uint64_t>() < 100 ? nlohmann::json(1e300) : nlohmann::json("seven");
  if (v.is_number()) return "half";
  if (v.is_boolean()) return "yes";
  if (v.is_array()) return nlohmann::json::object({{"a", 1}});
  if (v.is_object()) return nlohmann::json::array({1});
  return nlohmann::json::object();
}

// `j` with each of its values in turn (any depth) of another type: one copy a value.
std::vector<nlohmann::json> mistyped_copies(const nlohmann::json& j) {
  std::vector<nlohmann::json> copies;
  const nlohmann::json flat = j.flatten();
  for (const auto& [pointer, value] : flat.items()) {
    nlohmann::json copy = j;
    copy[nlohmann::json::json_pointer(pointer)] = other_type(value);
    copies.push_back(std::move(copy));
  }
  // the containers themselves, one level down
  if (j.is_object())
    for (const auto& [key, value] : j.items())
      if (value.is_structured() && !value.empty()) {
        nlohmann::json copy = j;
        copy[key] = other_type(value);
        copies.push_back(std::move(copy));
      }
  return copies;
}

// The damaged versions of one JSON file: (label, text).
std::vector<std::pair<std::string, std::string>> damaged_json(const nlohmann::json& good, bool lines) {
  const std::string prefix = lines ? check_record().dump() + "\n" : "";
  std::vector<std::pair<std::string, std::string>> out;
  int i = 0;
  for (const auto& copy : mistyped_copies(good)) out.emplace_back(fmt::format("type{}", i++), prefix + copy.dump());
  out.emplace_back("shape", prefix + (good.is_array() ? good[0].dump() : nlohmann::json::array({good}).dump()));
  const std::string text = good.dump();
  out.emplace_back("cut", prefix + text.substr(0, text.size() / 2));
  out.emplace_back("huge", prefix + text + std::string(17u << 20, ' '));
  return out;
}

// One report directory: a good check.jsonl (unless that is the damaged
// file) and `file` holding `text`.
std::string report_dir_with(const std::string& dir, const std::string& file, const std::string& text) {
  const fs::path d = hostile_dir() / dir;
  fs::create_directories((d / file).parent_path());
  if (file != "check.jsonl") write(d / "check.jsonl", check_record().dump() + "\n");
  write(d / file, text);
  return (d / file).string();
}

// report over every damaged version of every file it reads
void add_report_cases(std::vector<Case>& cases) {
  const std::pair<const char*, std::pair<const nlohmann::json*, bool>> json_files[] = {
      {"check.jsonl", {&check_record(), true}},
      {"check-summary.json", {&check_summary(), false}},
      {"fuzz-summary.json", {&fuzz_summary(), false}},
      {"classes.json", {&solver_table(), false}}};
  int n = 0;
  for (const auto& [name, good] : json_files)
    for (const auto& [label, text] : damaged_json(*good.first, good.second)) {
      const std::string file = report_dir_with(fmt::format("own-{}-{}", n++, label), name, text);
      cases.push_back({"report --model-only " + parent(file), file, true});
    }
  const std::string finding = "# signature: send | data.send | 11 | EPIPE\ns = socket inet dgram\nsend s \"hello world\" -> 11\n";
  const std::pair<const char*, std::string> findings[] = {
      {"cut", finding.substr(0, finding.find("hello") + 3)},  // inside the string
      {"garbage", "\x01\xff\xfe = socket\n"},
      {"huge", finding + std::string(17u << 20, '#')}};
  for (const auto& [label, text] : findings) {
    const std::string file = report_dir_with(std::string("own-finding-") + label, "findings/f.scn", text);
    cases.push_back({"report --model-only " + fs::path(file).parent_path().parent_path().string(), "f.scn", true});
  }
  for (const char* name : {"last-campaign.log", "kernels-diff.md"}) {
    const std::string huge = report_dir_with(std::string("own-huge-") + name, name, std::string(17u << 20, '#'));
    cases.push_back({"report --model-only " + parent(huge), huge});
    const fs::path dir = hostile_dir() / (std::string("own-dir-") + name);
    fs::create_directories(dir / name);
    write(dir / "check.jsonl", check_record().dump() + "\n");
    cases.push_back({"report --model-only " + dir.string(), (dir / name).string()});
  }
}

// check --baseline and --known-families (report, fuzz) over damaged copies
void add_list_cases(std::vector<Case>& cases, const std::string& scn) {
  const std::string baseline = "# sockspec baseline\nbind | bind.ok | ok | EINVAL\npoll | data.poll.tcp | none | out|err|hup\n";
  const std::string families = "family: bind | bind.ok | ok | EINVAL\nreason: the model is behind\n";
  const std::string huge(17u << 20, '#');
  for (const auto& [label, text] : std::vector<std::pair<std::string, std::string>>{
           {"json", check_summary().dump() + "\n"},
           {"cut", baseline.substr(0, baseline.find(" | ok"))},
           {"garbage", "\x01\xff\xfe\n"},
           {"huge", "bind | a | b | c\n" + huge}}) {
    const std::string file = (hostile_dir() / ("baseline-" + label)).string();
    write(file, text);
    cases.push_back({"check --baseline " + file + " " + scn, file});
  }
  for (const auto& [label, text] : std::vector<std::pair<std::string, std::string>>{
           {"json", check_summary().dump() + "\n"},
           {"cut", families.substr(0, families.find("reason"))},
           {"garbage", "\x01\xff\xfe\n"},
           {"huge", families + huge}}) {
    const std::string file = (hostile_dir() / ("families-" + label)).string();
    write(file, text);
    cases.push_back({"report --model-only --known-families " + file + " " + parent(report_dir_with("families-report", "check-summary.json", check_summary().dump())), file});
    cases.push_back({"fuzz --known-families " + file, file});
  }
}

// fuzz over work directories a killed or damaged campaign could leave
// (the fuzzer is /bin/true: only what sockspec itself reads matters here)
void add_resume_cases(std::vector<Case>& cases) {
  const fs::path seeds = hostile_dir() / "no-seeds";
  fs::create_directories(seeds);
  auto workdir = [&](const std::string& name) {
    const fs::path w = hostile_dir() / ("resume-" + name);
    fs::create_directories(w);
    return w;
  };
  std::vector<std::pair<fs::path, std::string>> damaged;  // (workdir, the path the message must name)
  fs::path w = workdir("findings-file");
  write(w / "findings", "x");
  damaged.emplace_back(w, (w / "findings").string());
  w = workdir("artifacts-file");
  write(w / "artifacts", "x");
  damaged.emplace_back(w, (w / "artifacts").string());
  w = workdir("corpus-loop");
  fs::create_symlink("corpus", w / "corpus");
  damaged.emplace_back(w, (w / "corpus").string());
  w = workdir("leftover-lock-dir");
  fs::create_directories(w / "campaign.elsewhere.1" / "lock");
  fs::create_directories(w / "campaign.elsewhere.1" / "corpus");
  damaged.emplace_back(w, (w / "campaign.elsewhere.1" / "lock").string());
  w = workdir("log-dir");
  fs::create_directories(w / "last-campaign.log");
  damaged.emplace_back(w, (w / "last-campaign.log").string());
  for (const auto& [dir, names] : damaged)
    cases.push_back({"fuzz --fuzzer /bin/true --seconds 1 -j 1 --seeds " + seeds.string() + " --workdir " + dir.string(), names});
}

std::vector<Case> battery(const Files& f) {
  const std::string scn = "corpus/examples/d-wildcard-listener.scn";
  std::vector<Case> cases;
  // every file a subcommand reads, given every kind of hostile file
  for (const std::string& bad : {f.fifo, f.zero, f.dir, f.loop, f.huge}) {
    for (const char* cmd : {"run", "model", "check", "rules --model-only"}) cases.push_back({std::string(cmd) + " " + bad, bad});
    cases.push_back({"solve coexist " + bad, bad});
    cases.push_back({"check --baseline " + bad + " " + scn, bad});
    cases.push_back({"report --known-families " + bad + " " + parent(f.report_summary), bad});
    cases.push_back({"explain " + bad + ":1", bad});
  }
  for (const char* cmd : {"run", "model", "check", "rules --model-only"}) cases.push_back({std::string(cmd) + " " + f.garbage, f.garbage});
  cases.push_back({"solve coexist " + f.garbage, f.garbage});
  cases.push_back({"report --known-families " + f.garbage + " " + parent(f.report_summary), f.garbage});
  cases.push_back({"explain " + f.garbage + ":1", f.garbage});
  // report on its own outputs, of the wrong shape or kind
  for (const std::string& bad : {f.report_jsonl, f.report_summary, f.report_fuzz, f.report_array})
    cases.push_back({"report --model-only " + parent(bad), bad, true});
  cases.push_back({"report " + parent(f.report_fifo), f.report_fifo});
  cases.push_back({"report " + f.plain_file, f.plain_file});
  cases.push_back({"report /nonexistent-sockspec-dir", "/nonexistent-sockspec-dir"});
  // bad flags, subcommand by subcommand
  for (const char* cmd : {"run", "model", "check"}) {
    const std::string c = cmd;
    cases.push_back({c + " --time-limit-ms 0 " + scn, "--time-limit-ms"});
    cases.push_back({c + " --time-limit-ms -5 " + scn, "--time-limit-ms"});
    cases.push_back({c + " -j 0 " + scn, "--jobs"});
    cases.push_back({c + " -j -3 " + scn, "--jobs"});
    cases.push_back({c + " --settle-ms -1 " + scn, "--settle-ms"});
    cases.push_back({c + " --delivery-ms -1 " + scn, "--delivery-ms"});
    cases.push_back({c + " --loopback-delivery-ms -1 " + scn, "--loopback-delivery-ms"});
    cases.push_back({c + " --no-such-flag " + scn, "--no-such-flag"});
    cases.push_back({c + " /nonexistent-sockspec.scn", "/nonexistent-sockspec.scn"});
  }
  cases.push_back({"check --plant-fault no.such.rule " + scn, "no.such.rule"});
  cases.push_back({"check --junit /nonexistent-sockspec-dir/j.xml " + scn, "/nonexistent-sockspec-dir/j.xml"});
  cases.push_back({"check --junit " + f.dir + " " + scn, f.dir});
  cases.push_back({"check --baseline /nonexistent-sockspec-baseline " + scn, "/nonexistent-sockspec-baseline"});
  cases.push_back({"check --write-baseline /nonexistent-sockspec-dir/b.txt " + scn, "/nonexistent-sockspec-dir/b.txt"});
  cases.push_back({"rules --no-such-flag", "--no-such-flag"});
  cases.push_back({"rules --model-only /nonexistent-sockspec.scn", "/nonexistent-sockspec.scn"});
  cases.push_back({"solve no-such-question", "no-such-question"});
  cases.push_back({"solve diff --knob no-such-knob", "no-such-knob"});
  cases.push_back({"solve coexist /nonexistent-sockspec.txt", "/nonexistent-sockspec.txt"});
  cases.push_back({"fuzz --seconds -5", "--seconds"});
  cases.push_back({"fuzz --seconds 0", "--seconds"});
  cases.push_back({"fuzz -j 0", "--jobs"});
  cases.push_back({"fuzz --runs 0", "--runs"});
  cases.push_back({"fuzz --workdir " + f.plain_file, f.plain_file});
  cases.push_back({"fuzz --corpus " + f.plain_file, f.plain_file});
  cases.push_back({"fuzz --findings " + f.plain_file, f.plain_file});
  cases.push_back({"fuzz --seeds /nonexistent-sockspec-seeds", "/nonexistent-sockspec-seeds"});
  cases.push_back({"report", "dir"});
  cases.push_back({"report --no-such-flag x", "--no-such-flag"});
  cases.push_back({"explain /nonexistent-sockspec.scn:3", "/nonexistent-sockspec.scn"});
  cases.push_back({"explain " + scn + ":not-a-number", "not-a-number"});
  cases.push_back({"explain --plant-fault no.such.rule " + scn + ":13", "no.such.rule"});
  cases.push_back({"table no-such-table", "no-such-table"});
  cases.push_back({"table backlog --backlogs -1", "--backlogs"});
  cases.push_back({"table backlog --backlogs 100000", "--backlogs"});
  cases.push_back({"kernels no-such-command", "no-such-command"});
  cases.push_back({"kernels diff host", "B"});
  cases.push_back({"kernels diff host 6.1 -j 0", "--jobs"});
  cases.push_back({"kernels diff host 6.1 --random -1", "--random"});
  cases.push_back({"no-such-subcommand", "no-such-subcommand"});
  add_report_cases(cases);
  add_list_cases(cases, scn);
  add_resume_cases(cases);
  return cases;
}

// What is wrong with one case's outcome, or "" when it is as required.
std::string judge(const Case& c, const CommandResult& r) {
  if (r.exit_code == 124 || r.exit_code == 137) return "timed out (a hang)";
  if (r.exit_code > 128) return "killed by signal " + std::to_string(r.exit_code - 128);
  const bool exit_ok = r.exit_code == 2 || (c.warning_is_enough && r.exit_code == 0 && r.err.find("warning") != std::string::npos);
  if (!exit_ok) return "exit " + std::to_string(r.exit_code) + ", not 2";
  if (r.err.find(c.names) == std::string::npos) return "the message does not name `" + c.names + "`";
  return "";
}

TEST(HostileInput, EveryCaseIsAClearErrorNeverACrashOrAHang) {
  const Files files = make_files();
  const std::vector<Case> cases = battery(files);
  int failed = 0;
  for (const Case& c : cases) {
    // 4 GiB of address space: /dev/zero read without a limit ends in bad_alloc, not in the machine's swap
    const CommandResult r = run_command("ulimit -v 4194304; timeout -s KILL 20 " + binary() + " " + c.args);
    const std::string why = judge(c, r);
    if (why.empty()) continue;
    ++failed;
    ADD_FAILURE() << "sockspec " << c.args << ": " << why << "\n  stderr: " << r.err.substr(0, 300);
  }
  std::printf("hostile input: %d of %zu cases failed\n", failed, cases.size());
  fs::remove_all(hostile_dir());
}

}  // namespace
}  // namespace sockspec::testing
