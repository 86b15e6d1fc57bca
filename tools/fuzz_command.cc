// `sockspec fuzz`: a differential fuzzing campaign (docs/fuzzing.md).
//
// Runs the libFuzzer target (fuzz/targets/differential_fuzzer.cc) in fork
// mode on every core, from a working corpus seeded with the scenarios of
// corpus/, prints a progress line while it runs (executions per second,
// corpus size, spec rules covered, findings), then merges the inputs that
// found new coverage into the persistent corpus (-merge=1), has the fuzzer
// minimize and record the divergences its processes set aside
// (WORKDIR/pending; check/finding.h), and prints a summary.
#include <algorithm>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/rules.h"
#include "tools/commands.h"
#include "tools/flag_checks.h"

extern char** environ;

namespace sockspec::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct FuzzOptions {
  int seconds = 60;
  long runs = -1;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::string> seeds{"corpus"};
  std::string workdir = "out/fuzz";
  std::string corpus;    // default: WORKDIR/corpus
  std::string findings;  // default: WORKDIR/findings
  std::string fuzzer;    // default: next to sockspec, or build-fuzz/
  bool model_only = false;
  bool json = false;
  std::vector<std::string> libfuzzer_args;
};

// What libFuzzer's status lines say (`#N ... corp: C ... exec/s: E ...
// time: Ts`). In fork mode N counts every job's executions, but E is the
// rate of the job that just ended (FuzzerFork.cpp prints the job's own
// stat::average_exec_per_sec), so the campaign's rate is N / T.
struct Progress {
  long execs = 0;
  long exec_per_s = 0;
  long corpus = 0;
};

void parse_status(const std::string& line, Progress& p) {
  static const std::regex runs(R"(^#(\d+))"), corp(R"(corp: (\d+))"), rate(R"(exec/s: (\d+))"),
      time(R"(time: (\d+)s)");
  std::smatch m;
  if (!std::regex_search(line, m, runs)) return;
  p.execs = std::stol(m[1]);
  if (std::regex_search(line, m, corp)) p.corpus = std::stol(m[1]);
  if (std::regex_search(line, m, time) && std::stol(m[1]) > 0) p.exec_per_s = p.execs / std::stol(m[1]);
  else if (std::regex_search(line, m, rate)) p.exec_per_s = std::stol(m[1]);
}

std::optional<fs::path> find_fuzzer(const FuzzOptions& o) {
  if (!o.fuzzer.empty()) return fs::exists(o.fuzzer) ? std::optional(fs::absolute(o.fuzzer)) : std::nullopt;
  std::string name = o.model_only ? "model_fuzzer" : "differential_fuzzer";
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  for (const fs::path& candidate : {self.parent_path() / name, fs::path("build-fuzz") / name})
    if (!candidate.empty() && fs::exists(candidate)) return fs::absolute(candidate);
  return std::nullopt;
}

std::set<fs::path> scenario_files(const fs::path& dir, const char* extension) {
  std::set<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && (extension == nullptr || e.path().extension() == extension)) files.insert(e.path());
  return files;
}

std::size_t count_files(const fs::path& dir) { return scenario_files(dir, nullptr).size(); }

// The union of the rules every fuzzing process reported (rules.<pid>).
std::set<std::string> covered_rules(const fs::path& stats) {
  std::set<std::string> rules;
  for (const auto& file : scenario_files(stats, nullptr)) {
    std::ifstream in(file);
    for (std::string rule; std::getline(in, rule);)
      if (!rule.empty()) rules.insert(rule);
  }
  return rules;
}

// Runs the fuzzer with `args`, its output into `log`; calls `on_line` for
// each line and `tick` about once a second. Returns the exit status.
int run_fuzzer(const std::vector<std::string>& args, const std::vector<std::string>& env, std::ofstream& log,
               const std::function<void(const std::string&)>& on_line, const std::function<void()>& tick) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  int e = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (e != 0) {
    close(out[0]);
    throw std::system_error(e, std::generic_category(), "starting " + args[0]);
  }
  std::string pending;
  char buf[4096];
  auto next_tick = Clock::now();
  for (;;) {
    pollfd p{.fd = out[0], .events = POLLIN, .revents = 0};
    int ready = poll(&p, 1, 250);
    if (ready > 0) {
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
        std::string line = pending.substr(0, nl);
        log << line << '\n';
        on_line(line);
      }
    }
    if (Clock::now() >= next_tick) {
      tick();
      next_tick = Clock::now() + std::chrono::seconds(1);
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// The working corpora of earlier campaigns in `work` that never reached
// their merge (killed), other than `current`'s.
std::vector<fs::path> leftover_corpora(const fs::path& work, const fs::path& current) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work, ec))
    if (entry.is_directory() && entry.path() != current && entry.path().filename().string().starts_with("campaign.") &&
        fs::is_directory(entry.path() / "corpus"))
      dirs.push_back(entry.path() / "corpus");
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Runs the fuzzer in minimizing mode on `jobs` processes, each on its share
// of the pending divergences (differential_fuzzer.cc), and forwards what
// they say about findings.
void minimize_pending(const fs::path& fuzzer, const fs::path& pending, int jobs,
                      const std::vector<std::string>& campaign_env, std::ofstream& log) {
  const std::size_t waiting = count_files(pending);
  if (waiting == 0) return;
  jobs = static_cast<int>(std::min<std::size_t>(waiting, static_cast<std::size_t>(std::max(1, jobs))));
  fmt::print(stderr, "fuzz: minimizing {} new divergence{} on {} process{}\n", waiting, waiting == 1 ? "" : "s",
             jobs, jobs == 1 ? "" : "es");
  std::vector<std::pair<pid_t, fs::path>> running;
  for (int i = 0; i < jobs; ++i) {
    fs::path output = pending.parent_path() / fmt::format("minimize.{}.{}.log", ::getpid(), i);
    auto env = environment_with(campaign_env);
    env.push_back("SOCKSPEC_FUZZ_MINIMIZE=" + pending.string());
    env.push_back(fmt::format("SOCKSPEC_FUZZ_SHARD={}/{}", i, jobs));
    std::vector<char*> argv{const_cast<char*>(fuzzer.c_str()), nullptr}, envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) == 0) running.emplace_back(pid, output);
    posix_spawn_file_actions_destroy(&actions);
  }
  for (auto& [pid, output] : running) {
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(output);
    for (std::string line; std::getline(in, line);) {
      log << line << '\n';
      if (line.find("sockspec-fuzz:") != std::string::npos) fmt::print(stderr, "{}\n", line);
    }
    fs::remove(output);
  }
}

void run_campaign(const FuzzOptions& o) {
  auto fuzzer = find_fuzzer(o);
  if (!fuzzer) {
    fmt::print(stderr,
               "sockspec fuzz: no fuzzer binary ({}) next to sockspec or in build-fuzz/.\n"
               "Build it with clang-16:  cmake --preset fuzz && cmake --build --preset fuzz\n"
               "or name one with --fuzzer PATH.\n",
               o.fuzzer.empty() ? (o.model_only ? "model_fuzzer" : "differential_fuzzer") : o.fuzzer);
    exit_code() = kBadInput;
    return;
  }
  // absolute paths: the fuzzer's sandbox moves its working directory
  fs::path work = fs::absolute(o.workdir);
  fs::path corpus = o.corpus.empty() ? work / "corpus" : fs::absolute(o.corpus);
  fs::path findings = o.findings.empty() ? work / "findings" : fs::absolute(o.findings);
  fs::path pending = work / "pending";  // divergences awaiting minimization (kept if we are killed)
  fs::path campaign = work / fmt::format("campaign.{}", getpid());
  fs::path working = campaign / "corpus", stats = campaign / "stats", tmp = campaign / "tmp";
  for (const auto& d : {corpus, findings, working, stats, tmp, work / "artifacts"}) fs::create_directories(d);

  // the seed scenarios are copied into the working corpus
  std::size_t seeded = 0;
  for (const auto& dir : o.seeds)
    for (const auto& f : scenario_files(dir, ".scn"))
      fs::copy_file(f, working / fmt::format("seed-{:04}-{}", seeded++, f.filename().string()),
                    fs::copy_options::overwrite_existing);
  std::size_t corpus_before = count_files(corpus);
  std::set<fs::path> findings_before = scenario_files(findings, ".scn");

  bool abort_on_finding = std::getenv("SOCKSPEC_FUZZ_ABORT") && std::string(std::getenv("SOCKSPEC_FUZZ_ABORT")) == "1";
  std::vector<std::string> args = {fuzzer->string(),
                                   fmt::format("-fork={}", o.jobs),
                                   fmt::format("-max_total_time={}", o.seconds),
                                   "-max_len=4096",
                                   "-timeout=20",
                                   "-print_final_stats=1",
                                   // libFuzzer's entropic schedule spent 37% of a job's CPU in
                                   // InputCorpus::UpdateFeatureFrequency (perf, docs/fuzzing.md):
                                   // off, a campaign runs 1.8x the inputs. `-- -entropic=1` turns it on.
                                   "-entropic=0",
                                   "-artifact_prefix=" + (work / "artifacts").string() + "/"};
  if (o.runs >= 0) args.push_back(fmt::format("-runs={}", o.runs));
  if (!abort_on_finding) {  // a crash or timeout is logged and the campaign goes on
    for (const char* flag : {"-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"}) args.emplace_back(flag);
  }
  args.insert(args.end(), o.libfuzzer_args.begin(), o.libfuzzer_args.end());
  args.push_back(working.string());
  args.push_back(corpus.string());
  // A campaign killed before its merge left its working corpus behind:
  // resume from it, and merge it below with this campaign's.
  std::vector<fs::path> leftovers = leftover_corpora(work, campaign);
  for (const auto& dir : leftovers) args.push_back(dir.string());
  std::vector<std::string> campaign_env = {"SOCKSPEC_FUZZ_CAMPAIGN_PID=" + std::to_string(::getpid()),
                                           "SOCKSPEC_FUZZ_FINDINGS=" + findings.string(),
                                           "SOCKSPEC_FUZZ_STATS=" + stats.string(), "TMPDIR=" + tmp.string()};
  auto env = environment_with(campaign_env);
  // the fuzzing processes only fuzz; what they set aside is minimized below
  if (!abort_on_finding) env.push_back("SOCKSPEC_FUZZ_PENDING=" + pending.string());

  std::ofstream log(work / "last-campaign.log");
  Progress progress;
  const auto start = Clock::now();
  std::size_t rules_total = all_rules().size();
  auto status_line = [&] {
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    return fmt::format("fuzz: {:5.0f}s  {} execs  {} exec/s  corpus {}  rules {}/{}  findings {}", elapsed,
                       progress.execs, progress.exec_per_s, progress.corpus, covered_rules(stats).size(),
                       rules_total,
                       scenario_files(findings, ".scn").size() - findings_before.size() + count_files(pending));
  };
  bool tty = isatty(2);
  int status = run_fuzzer(
      args, env, log, [&](const std::string& line) {
        parse_status(line, progress);
        if (line.find("sockspec-fuzz:") != std::string::npos) fmt::print(stderr, "\r{}\n", line);
      },
      [&, last = Clock::now()]() mutable {
        if (!tty && Clock::now() - last < std::chrono::seconds(10)) return;
        last = Clock::now();
        if (tty) fmt::print(stderr, "\r{}\033[K", status_line());  // rewritten in place
        else fmt::print(stderr, "{}\n", status_line());
      });
  if (tty) fmt::print(stderr, "\n");
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  // keep what found new coverage: merge the working corpus into the corpus
  std::vector<std::string> merge = {fuzzer->string(), "-merge=1", corpus.string(), working.string()};
  for (const auto& dir : leftovers) merge.push_back(dir.string());
  int merge_status = run_fuzzer(merge, env, log, [](const std::string&) {}, [] {});
  if (merge_status == 0)
    for (const auto& dir : leftovers) fs::remove_all(dir.parent_path());
  minimize_pending(*fuzzer, pending, o.jobs, campaign_env, log);
  std::set<std::string> rules = covered_rules(stats);
  std::set<fs::path> findings_after = scenario_files(findings, ".scn");
  std::vector<std::string> new_findings;
  for (const auto& f : findings_after)
    if (!findings_before.contains(f)) new_findings.push_back(f.string());
  std::size_t corpus_after = count_files(corpus);
  fs::remove_all(campaign);

  if (status == 3) {
    fmt::print(stderr, "sockspec fuzz: the fuzzer could not enter its sandbox (see {})\n",
               (work / "last-campaign.log").string());
    exit_code() = kNoOracle;
    return;
  }
  nlohmann::json summary = {
      {"fuzzer", fuzzer->string()},       {"seconds", elapsed},
      {"jobs", o.jobs},                   {"execs", progress.execs},
      {"exec_per_s", progress.exec_per_s}, {"seeds", seeded},
      {"corpus_dir", corpus.string()},    {"corpus_before", corpus_before},
      {"corpus_after", corpus_after},     {"rules_covered", rules.size()},
      {"rules_total", rules_total},       {"findings_dir", findings.string()},
      {"findings_total", findings_after.size()}, {"new_findings", new_findings},
      {"fuzzer_exit", status},            {"merge_exit", merge_status},
  };
  if (o.json) {
    fmt::print("{}\n", summary.dump());
  } else {
    fmt::print("fuzz: {:.0f}s on {} jobs: {} execs ({} exec/s), corpus {} -> {} in {}\n", elapsed, o.jobs,
               progress.execs, progress.exec_per_s, corpus_before, corpus_after, corpus.string());
    fmt::print("fuzz: {} of {} spec rules exercised; {} new findings ({} in all) in {}\n", rules.size(), rules_total,
               new_findings.size(), findings_after.size(), findings.string());
    for (const auto& f : new_findings) fmt::print("  {}\n", f);
    if (status != 0) fmt::print("fuzz: the fuzzer exited with status {} (log: {})\n", status,
                                (work / "last-campaign.log").string());
  }
  exit_code() = new_findings.empty() && status == 0 ? kOk : kFailed;
}

}  // namespace

void add_fuzz_command(CLI::App& app) {
  static FuzzOptions o;
  auto* cmd = app.add_subcommand("fuzz",
                                 "a differential fuzzing campaign: libFuzzer mutates scenarios, model and kernel "
                                 "run them in lockstep, divergences become minimized findings");
  cmd->add_option("--seconds", o.seconds, "how long the campaign runs")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  cmd->add_option("--runs", o.runs, "stop after this many executions (libFuzzer -runs)")
      ->check(CLI::Range(1L, std::numeric_limits<long>::max()));
  cmd->add_option("-j,--jobs", o.jobs, "fuzzing processes (libFuzzer -fork=N)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  // one directory per --seeds, so that `--seeds DIR -- -flag` hands -flag to libFuzzer
  // (CLI11 2.1 takes a `--` right after a many-valued option as that option's end)
  cmd->add_option("--seeds", o.seeds,
                  "a directory of seed scenarios (.scn, searched recursively), copied into the working corpus; "
                  "repeat for more")
      ->allow_extra_args(false)
      ->capture_default_str()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--workdir", o.workdir, "where the campaign keeps its corpus, findings and log")
      ->capture_default_str()
      ->check(directory_or_absent());
  cmd->add_option("--corpus", o.corpus, "the persistent corpus new inputs are merged into (default WORKDIR/corpus)")
      ->check(directory_or_absent());
  cmd->add_option("--findings", o.findings, "where findings are written (default WORKDIR/findings)")
      ->check(directory_or_absent());
  cmd->add_option("--fuzzer", o.fuzzer, "the fuzzer binary (default: next to sockspec, or build-fuzz/)");
  cmd->add_flag("--model-only", o.model_only, "fuzz the model alone (model_fuzzer, ASan+UBSan), no kernel");
  cmd->add_flag("--json", o.json, "print the summary as one JSON object");
  cmd->add_option("libfuzzer", o.libfuzzer_args, "extra libFuzzer flags, after --");
  cmd->callback([] { run_campaign(o); });
}

}  // namespace sockspec::cli
