// `sockspec kernels diff A B`: the corpus on two kernels, and where Linux
// changed between them, rule by rule (check/kernels_diff.h).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "check/files.h"
#include "check/guest_run.h"
#include "check/kernels_diff.h"
#include "check/parallel.h"
#include "fuzz/mutator.h"
#include "scenario/printer.h"
#include "oracle/oracle.h"
#include "scenario/parser.h"
#include "tools/commands.h"
#include "tools/limit_options.h"

namespace sockspec::cli {

namespace {

struct DiffOptions {
  std::string a, b;
  std::vector<std::string> paths{"corpus"};
  std::string out_dir;
  int jobs = default_jobs();
  std::uint32_t seed = 1;  // --seed: the random scenarios' seed
  int random = 200;        // --random: how many, mutated from the scenarios given
  ScenarioLimits limits;
};

// The random scenarios, written as files (a guest reads files; a difference
// they show must be replayable): into DIR/random/ with --out, else into a
// directory under /var/tmp that is named on stderr.
std::vector<Program> random_programs(const DiffOptions& o, const std::vector<Program>& seeds) {
  if (o.random == 0) return {};
  namespace fs = std::filesystem;
  fs::path dir = o.out_dir.empty() ? fs::path("/var/tmp") / fmt::format("sockspec-kernels-diff-{}", o.seed)
                                   : fs::path(o.out_dir) / "random";
  fs::create_directories(dir);
  std::vector<std::string> files;
  int i = 0;
  for (const Program& p : fuzz::seeded_scenarios(seeds, o.seed, static_cast<std::size_t>(o.random))) {
    const fs::path file = dir / fmt::format("seed{}-{:04}.scn", o.seed, i++);
    std::ofstream out(file, std::ios::trunc);
    out << "# sockspec kernels diff --seed " << o.seed << ": a random scenario, mutated from the corpus\n"
        << print_program(p);
    if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
    files.push_back(file.string());
  }
  fmt::print(stderr, "sockspec: {} random scenarios (seed {}) in {}\n", files.size(), o.seed, dir.string());
  return load_programs(files, o.limits);
}

// Opened before any kernel runs: the host's run enters the oracle's sandbox,
// whose private /tmp would hide a file under /tmp opened later.
std::ofstream open_output(const std::filesystem::path& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return out;
}

void write(std::ofstream& out, const std::filesystem::path& path, const std::string& text) {
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

void run_diff(const DiffOptions& o) {
  std::vector<Program> programs;
  const std::filesystem::path md_path = std::filesystem::path(o.out_dir) / "kernels-diff.md",
                              html_path = std::filesystem::path(o.out_dir) / "kernels-diff.html";
  std::ofstream md_out, html_out;
  try {
    programs = load_programs(expand_scenario_paths(o.paths), o.limits);
    if (!o.out_dir.empty()) {
      std::filesystem::create_directories(o.out_dir);
      md_out = open_output(md_path);
      html_out = open_output(html_path);
    }
    for (Program& p : random_programs(o, programs)) programs.push_back(std::move(p));
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
    exit_code() = kBadInput;
    return;
  }
  try {
    auto progress = [](std::string_view m) { fmt::print(stderr, "sockspec: {}\n", m); };
    const KernelsDiff diff = diff_on_kernels(o.a, o.b, programs, o.jobs, progress);
    const std::string md = kernels_diff_markdown(diff);
    fmt::print("{}", md);
    if (!o.out_dir.empty()) {
      write(md_out, md_path, md);
      write(html_out, html_path, kernels_diff_html(diff));
    }
    exit_code() = kOk;
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
    exit_code() = kBadInput;
  } catch (const std::exception& e) {
    fmt::print(stderr, "sockspec: {}\n", e.what());
    exit_code() = kNoOracle;
  }
}

}  // namespace

void add_kernels_command(CLI::App& app) {
  static DiffOptions o;
  auto* kernels = app.add_subcommand("kernels", "compare kernels (docs/kernels.md)");
  kernels->require_subcommand(1);
  auto* diff = kernels->add_subcommand(
      "diff", "run scenarios on kernels A and B and list, rule by rule, where Linux changed between them");
  diff->add_option("A", o.a, "a kernel: host (or linux), 6.1, 6.12, 6.18 (the host's series), a vmlinuz path, or gvisor")
      ->required();
  diff->add_option("B", o.b, "the other kernel")->required();
  diff->add_option("paths", o.paths, "scenarios to run on both")->capture_default_str();
  diff->add_option("--out", o.out_dir, "also write DIR/kernels-diff.md and DIR/kernels-diff.html");
  diff->add_option("--seed", o.seed, "the seed of the random scenarios (a property seed)")->capture_default_str();
  diff->add_option("--random", o.random, "random scenarios, mutated from the given ones, run on both too")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  diff->add_option("-j,--jobs", o.jobs, "scenarios at once on each kernel")->capture_default_str()->check(CLI::Range(1, 1024));
  add_limit_options(diff, o.limits);
  diff->callback([] { run_diff(o); });
}

}  // namespace sockspec::cli
