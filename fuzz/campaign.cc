#include "fuzz/campaign.h"

#include <cctype>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "check/finding.h"
#include "fuzz/limit_environment.h"
#include "fuzz/resource_sampler.h"
#include "model/rules.h"
#include "scenario/input_file.h"
#include "scenario/parser.h"

extern char** environ;

namespace sockspec::fuzz {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

std::optional<fs::path> find_fuzzer(const CampaignOptions& o) {
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
    if (!file.filename().string().starts_with("rules.")) continue;
    std::ifstream in(file);
    for (std::string rule; std::getline(in, rule);)
      if (!rule.empty()) rules.insert(rule);
  }
  return rules;
}

// The kernel profile the fuzzing processes' model answered for, as the
// oracle measured it (kernel.<pid>); empty when no input ran.
std::string campaign_kernel(const fs::path& stats) {
  for (const auto& file : scenario_files(stats, nullptr)) {
    if (!file.filename().string().starts_with("kernel.")) continue;
    std::ifstream in(file);
    std::string kernel;
    if (std::getline(in, kernel) && !kernel.empty()) return kernel;
  }
  return "";
}

// Runs the fuzzer with `args`, its output into `log`; calls `on_line` for
// each line and `tick` (with the fuzzer's pid) about once a second. Returns
// the exit status.
int run_fuzzer(const std::vector<std::string>& args, const std::vector<std::string>& env, std::ofstream& log,
               const std::function<void(const std::string&)>& on_line, const std::function<void(pid_t)>& tick) {
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
      tick(pid);
      next_tick = Clock::now() + std::chrono::seconds(1);
    }
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// This process's environment with `extra` (NAME=VALUE) in place of any
// inherited entry of the same name: getenv finds the first of two, so an
// inherited SOCKSPEC_FUZZ_MAX_LINES would otherwise win over --max-lines.
std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::set<std::string> names;
  for (const auto& e : extra) names.insert(e.substr(0, e.find('=') + 1));
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string entry = *e; !names.contains(entry.substr(0, entry.find('=') + 1))) env.push_back(std::move(entry));
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// An exclusive flock on a file, released when the last descriptor of it
// closes. The descriptor is inherited by the fuzzer processes the campaign
// starts (no O_CLOEXEC): a campaign whose `sockspec fuzz` was killed but
// whose fuzzer still writes into its working corpus keeps its directory
// until that fuzzer leaves too (it does within a second,
// differential_fuzzer.cc exit_if_campaign_gone).
class HeldLock {
 public:
  // Blocks until the lock is held (wait), or gives up at once when another
  // process holds it: held() is false then.
  HeldLock(const fs::path& file, bool wait) {
    fd_ = open(file.c_str(), O_RDWR | O_CREAT, 0644);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "opening " + file.string());
    if (flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  HeldLock(HeldLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  HeldLock& operator=(HeldLock&&) = delete;
  ~HeldLock() {
    if (fd_ >= 0) close(fd_);
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// The campaign directories in `work` of campaigns that died before their
// merge (killed, machine lost), other than `current`: those whose lock no
// process holds. A campaign takes its lock before it makes its corpus
// directory, so a directory with a corpus and a free lock belongs to no
// running campaign. The locks taken are added to `locks`: no other
// campaign takes the same leftover.
std::vector<fs::path> take_leftovers(const fs::path& work, const fs::path& current, std::vector<HeldLock>& locks) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(work, ec)) {
    if (!entry.is_directory() || entry.path() == current ||
        !entry.path().filename().string().starts_with("campaign.") || !fs::is_directory(entry.path() / "corpus"))
      continue;
    HeldLock lock(entry.path() / "lock", false);
    if (!lock.held()) continue;  // a live campaign's, on this machine or another
    locks.push_back(std::move(lock));
    dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// The machine's name as a campaign directory's part. libFuzzer runs its
// merge and job processes through system(3), so a path it is given must
// mean itself to sh: a guest with no hostname is "(none)", which sh cannot
// parse. Only [A-Za-z0-9._-] are kept, the rest become '_'.
std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "host";
  std::string safe = name;
  for (char& c : safe)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return safe;
}

// Runs the fuzzer in minimizing mode on `jobs` processes, each on its share
// of the pending divergences (differential_fuzzer.cc), and forwards what
// they say about findings.
void minimize_pending(const fs::path& fuzzer, const fs::path& pending, const fs::path& campaign, int jobs,
                      const std::vector<std::string>& campaign_env, std::ofstream& log,
                      const std::function<void(std::string_view)>& report) {
  const std::size_t waiting = count_files(pending);
  if (waiting == 0) return;
  jobs = static_cast<int>(std::min<std::size_t>(waiting, static_cast<std::size_t>(std::max(1, jobs))));
  report(fmt::format("fuzz: minimizing {} new divergence{} on {} process{}", waiting, waiting == 1 ? "" : "s", jobs,
                     jobs == 1 ? "" : "es"));
  std::vector<std::pair<pid_t, fs::path>> running;
  for (int i = 0; i < jobs; ++i) {
    fs::path output = campaign / fmt::format("minimize.{}.log", i);  // removed with it, even if we are killed
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
      if (line.find("sockspec-fuzz:") != std::string::npos) report(line);
    }
    fs::remove(output);
  }
}

// Where a campaign keeps things; absolute, because the fuzzer's sandbox
// moves its working directory.
struct CampaignPaths {
  fs::path work, corpus, findings, pending, campaign, working, stats, tmp, artifacts, log;
};

// Step 1; takes this campaign's lock into `locks`.
CampaignPaths prepare(const CampaignOptions& o, std::vector<HeldLock>& locks) {
  CampaignPaths p;
  p.work = fs::absolute(o.workdir);
  p.corpus = o.corpus.empty() ? p.work / "corpus" : fs::absolute(o.corpus);
  p.findings = o.findings.empty() ? p.work / "findings" : fs::absolute(o.findings);
  p.pending = p.work / "pending";  // divergences awaiting minimization (kept if we are killed)
  // the host in the name: campaigns on several machines may share `work`
  p.campaign = p.work / fmt::format("campaign.{}.{}", host_name(), getpid());
  p.working = p.campaign / "corpus";
  p.stats = p.campaign / "stats";
  p.tmp = p.campaign / "tmp";
  p.artifacts = p.work / "artifacts";
  p.log = p.work / "last-campaign.log";
  fs::create_directories(p.campaign);
  locks.emplace_back(p.campaign / "lock", true);  // before the corpus: see take_leftovers
  for (const auto& d : {p.corpus, p.findings, p.working, p.stats, p.tmp, p.artifacts}) fs::create_directories(d);
  if (fs::exists(p.log) && !fs::is_regular_file(p.log))  // the log would be lost without a word
    throw CampaignError(fmt::format("{} is not a regular file (the campaign's log goes there)", p.log.string()));
  return p;
}

// Step 2: the seed scenarios, copied into the working corpus.
std::size_t seed(const CampaignOptions& o, const CampaignPaths& p) {
  std::size_t seeded = 0;
  for (const auto& dir : o.seeds)
    for (const auto& f : scenario_files(dir, ".scn"))
      fs::copy_file(f, p.working / fmt::format("seed-{:04}-{}", seeded++, f.filename().string()),
                    fs::copy_options::overwrite_existing);
  return seeded;
}

std::vector<std::string> fuzzing_args(const CampaignOptions& o, const fs::path& fuzzer, const CampaignPaths& p,
                                      const std::vector<fs::path>& leftovers) {
  std::vector<std::string> args = {fuzzer.string(),
                                   fmt::format("-fork={}", o.jobs),
                                   fmt::format("-max_total_time={}", o.seconds),
                                   "-max_len=4096",
                                   "-timeout=20",
                                   "-print_final_stats=1",
                                   // libFuzzer's entropic schedule spent 37% of a job's CPU in
                                   // InputCorpus::UpdateFeatureFrequency (perf, docs/fuzzing.md):
                                   // off, a campaign runs 1.8x the inputs. `-- -entropic=1` turns it on.
                                   "-entropic=0",
                                   "-artifact_prefix=" + p.artifacts.string() + "/"};
  if (o.runs >= 0) args.push_back(fmt::format("-runs={}", o.runs));
  if (!o.abort_on_finding)  // a crash or timeout is logged and the campaign goes on
    for (const char* flag : {"-ignore_crashes=1", "-ignore_timeouts=1", "-ignore_ooms=1"}) args.emplace_back(flag);
  args.insert(args.end(), o.libfuzzer_args.begin(), o.libfuzzer_args.end());
  args.push_back(p.working.string());
  args.push_back(p.corpus.string());
  // A campaign killed before its merge left its working corpus behind:
  // resume from it, and merge it with this campaign's.
  for (const auto& dir : leftovers) args.push_back((dir / "corpus").string());
  return args;
}

// Step 3: libFuzzer runs; a status line about once a second on a terminal,
// every 10 s otherwise; every `sample_seconds` what its processes hold, into
// the log and `samples`.
int fuzz(const std::vector<std::string>& args, const std::vector<std::string>& env, const CampaignPaths& p,
         std::size_t findings_before, int sample_seconds, std::ofstream& log, Progress& progress,
         std::vector<ResourceSample>& samples, const std::function<void(std::string_view)>& report) {
  const auto start = Clock::now();
  auto sample = [&, next = start + std::chrono::seconds(sample_seconds)](pid_t fuzzer) mutable {
    if (Clock::now() < next) return;
    next += std::chrono::seconds(sample_seconds);
    ResourceSample s = sample_processes(fuzzer);
    s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    log << sample_line(s) << std::endl;  // a long campaign's log is read while it runs
    samples.push_back(s);
  };
  auto status_line = [&] {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    return fmt::format("fuzz: {:5.0f}s  {} execs  {} exec/s  corpus {}  rules {}/{}  findings {}", elapsed,
                       progress.execs, progress.exec_per_s, progress.corpus, covered_rules(p.stats).size(),
                       all_rules().size(),
                       scenario_files(p.findings, ".scn").size() - findings_before + count_files(p.pending));
  };
  const bool tty = isatty(2);
  const int status = run_fuzzer(
      args, env, log,
      [&](const std::string& line) {
        parse_status(line, progress);
        if (line.find("sockspec-fuzz:") != std::string::npos) report(tty ? "\r" + line : line);
      },
      [&, last = Clock::now()](pid_t fuzzer) mutable {
        sample(fuzzer);
        if (!tty && Clock::now() - last < std::chrono::seconds(10)) return;
        last = Clock::now();
        if (tty) fmt::print(stderr, "\r{}\033[K", status_line());  // rewritten in place
        else report(status_line());
      });
  if (tty) fmt::print(stderr, "\n");
  return status;
}

// Step 4: keep what found new coverage, one campaign at a time in a corpus
// campaigns share; a killed campaign's directory is removed once merged.
int merge(const fs::path& fuzzer, const CampaignPaths& p, const std::vector<fs::path>& leftovers,
          const std::vector<std::string>& env, std::ofstream& log) {
  std::vector<std::string> args = {fuzzer.string(), "-merge=1", p.corpus.string(), p.working.string()};
  for (const auto& dir : leftovers) args.push_back((dir / "corpus").string());
  int status = 0;
  {
    HeldLock merging(p.corpus.parent_path() / (p.corpus.filename().string() + ".merge-lock"), true);
    status = run_fuzzer(args, env, log, [](const std::string&) {}, [](pid_t) {});
  }
  if (status == 0)
    for (const auto& dir : leftovers) {
      fs::remove_all(dir / "corpus");  // first: without it, no one takes the directory for a leftover
      fs::remove_all(dir);
    }
  return status;
}

}  // namespace

fs::path fuzzer_binary(const CampaignOptions& o) {
  if (auto fuzzer = find_fuzzer(o)) return *fuzzer;
  throw CampaignError(fmt::format(
      "no fuzzer binary ({}) next to sockspec or in build-fuzz/.\n"
      "Build it with clang-16:  cmake --preset fuzz && cmake --build --preset fuzz\n"
      "or name one with --fuzzer PATH.",
      o.fuzzer.empty() ? (o.model_only ? "model_fuzzer" : "differential_fuzzer") : o.fuzzer));
}

std::vector<FindingFamily> families_of(const std::vector<std::string>& files, const KnownFamilies& known) {
  std::vector<FindingRecord> records;
  for (const auto& file : files) {
    try {  // a file that cannot be read or parsed any more is left out
      const std::string text = read_input_file(file);
      records.push_back({file, finding_header_signature(text), parse_scenario(text, file).lines.size()});
    } catch (const std::exception&) {
    }
  }
  return group_findings(records, known);
}

bool CampaignResult::clean() const {
  return fuzzer_exit == 0 && count_families(families).fresh == 0;
}

CampaignResult run_campaign(const CampaignOptions& o, const std::function<void(std::string_view)>& report) {
  const fs::path fuzzer = fuzzer_binary(o);
  std::vector<HeldLock> locks;  // this campaign's, and those of the leftovers it took over
  const CampaignPaths p = prepare(o, locks);
  const std::size_t seeded = seed(o, p);
  const std::size_t corpus_before = count_files(p.corpus);
  const std::set<fs::path> findings_before = scenario_files(p.findings, ".scn");
  const std::vector<fs::path> leftovers = take_leftovers(p.work, p.campaign, locks);
  std::vector<std::string> campaign_env = {"SOCKSPEC_FUZZ_CAMPAIGN_PID=" + std::to_string(::getpid()),
                                           "SOCKSPEC_FUZZ_FINDINGS=" + p.findings.string(),
                                           "SOCKSPEC_FUZZ_STATS=" + p.stats.string(), "TMPDIR=" + p.tmp.string()};
  if (!o.planted_fault.empty()) campaign_env.push_back("SOCKSPEC_FUZZ_PLANT_FAULT=" + o.planted_fault);
  for (std::string& limit : limit_environment(o.limits)) campaign_env.push_back(std::move(limit));  // --max-*
  auto env = environment_with(campaign_env);
  // the fuzzing processes only fuzz; what they set aside is minimized below
  if (!o.abort_on_finding) env.push_back("SOCKSPEC_FUZZ_PENDING=" + p.pending.string());

  std::ofstream log(p.log);
  Progress progress;
  const auto start = Clock::now();
  CampaignResult r;
  r.log = p.log;
  std::vector<ResourceSample> samples;
  r.fuzzer_exit = fuzz(fuzzing_args(o, fuzzer, p, leftovers), env, p, findings_before.size(), o.sample_seconds, log,
                       progress, samples, report);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const int merge_status = merge(fuzzer, p, leftovers, env, log);
  minimize_pending(fuzzer, p.pending, p.campaign, o.jobs, campaign_env, log, report);

  const std::set<std::string> rules = covered_rules(p.stats);
  const std::set<fs::path> findings_after = scenario_files(p.findings, ".scn");
  for (const auto& f : findings_after)
    if (!findings_before.contains(f)) r.new_findings.push_back(f.string());
  r.families = families_of(r.new_findings, o.known_families);
  const FamilyCounts families = count_families(r.families);
  std::vector<std::string> resumed_from;  // the killed campaigns' directories taken over
  for (const auto& dir : leftovers) resumed_from.push_back(dir.string());
  fs::remove_all(p.working);  // first, as for the leftovers (merge)
  const std::string kernel = campaign_kernel(p.stats);
  fs::remove_all(p.campaign);
  r.summary = {
      {"fuzzer", fuzzer.string()},       {"seconds", elapsed},
      {"jobs", o.jobs},                   {"execs", progress.execs},
      {"exec_per_s", progress.exec_per_s}, {"seeds", seeded},
      {"corpus_dir", p.corpus.string()},  {"corpus_before", corpus_before},
      {"corpus_after", count_files(p.corpus)}, {"rules_covered", rules.size()},
      {"rules_total", all_rules().size()}, {"findings_dir", p.findings.string()},
      {"findings_total", findings_after.size()}, {"new_findings", r.new_findings},
      {"new_families", families.families}, {"new_families_unknown", families.fresh},
      {"fuzzer_exit", r.fuzzer_exit},     {"merge_exit", merge_status},
      {"resumed_from", resumed_from},     {"resources", samples_summary(samples, o.sample_seconds)},
      {"kernel", kernel},
  };
  return r;
}

std::string campaign_text(const CampaignResult& r) {
  const nlohmann::json& s = r.summary;
  const std::string kernel = s.value("kernel", "");
  std::string out = fmt::format("fuzz: {:.0f}s on {} jobs{}: {} execs ({} exec/s), corpus {} -> {} in {}\n",
                                s["seconds"].get<double>(), s["jobs"].get<int>(),
                                kernel.empty() ? "" : " on " + kernel, s["execs"].get<long>(),
                                s["exec_per_s"].get<long>(), s["corpus_before"].get<std::size_t>(),
                                s["corpus_after"].get<std::size_t>(), s["corpus_dir"].get<std::string>());
  const FamilyCounts families = count_families(r.families);
  out += fmt::format("fuzz: {} of {} spec rules exercised; {} new findings ({} in all) in {}: {} families, {} not known\n",
                     s["rules_covered"].get<std::size_t>(), s["rules_total"].get<std::size_t>(), r.new_findings.size(),
                     s["findings_total"].get<std::size_t>(), s["findings_dir"].get<std::string>(), families.families,
                     families.fresh);
  for (const FindingFamily& f : r.families)
    out += fmt::format("  {} family `{}`: {} signature{}, smallest {} ({} lines)\n", f.known() ? "known" : "NEW  ",
                       f.family, f.signatures.size(), f.signatures.size() == 1 ? "" : "s", f.smallest,
                       f.smallest_lines);
  const nlohmann::json& resources = s["resources"];
  if (resources["samples"].get<std::size_t>() > 0) {
    auto figure = [&](const char* name) {
      return fmt::format("{} {} -> {} (max {})", name, resources["first"][name].get<long>(),
                         resources["last"][name].get<long>(), resources["max"][name].get<long>());
    };
    out += fmt::format("fuzz: {} samples of the fuzzer's processes: {}, {}, {}\n",
                       resources["samples"].get<std::size_t>(), figure("rss_kib"), figure("fds"), figure("netns"));
  }
  if (r.fuzzer_exit != 0)
    out += fmt::format("fuzz: the fuzzer exited with status {} (log: {})\n", r.fuzzer_exit, r.log.string());
  return out;
}

}  // namespace sockspec::fuzz
