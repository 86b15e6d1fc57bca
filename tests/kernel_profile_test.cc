// Kernel profiles, conditions, conditional expectations and the table of
// versioned rules (scenario/kernel_profile.h, model/kernel_variations.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unistd.h>

#include "check/driver.h"
#include "check/files.h"
#include "check/html_report.h"
#include "check/kernels_diff.h"
#include "check/markdown_report.h"
#include "check/report_data.h"
#include "check/verdict_codec.h"
#include "model/kernel_variations.h"
#include "model/model.h"
#include "model/rules.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec {
namespace {

namespace fs = std::filesystem;

KernelProfile profile(std::string_view name) {
  auto p = parse_kernel_profile(name);
  EXPECT_TRUE(p) << name;
  return p.value_or(KernelProfile{});
}

TEST(KernelProfile, NamesParseAndPrintBack) {
  EXPECT_EQ(profile("6.1").version, (KernelVersion{6, 1, 0}));
  EXPECT_EQ(profile("6.12.113").version, (KernelVersion{6, 12, 113}));
  const KernelProfile locked = profile("6.18.44+tcp-role-lock");
  EXPECT_TRUE(locked.has(KernelVariant::TcpRoleLock));
  EXPECT_EQ(locked.name(), "6.18.44+tcp-role-lock");
  EXPECT_FALSE(reference_kernel_profile().has(KernelVariant::TcpRoleLock));
  for (const char* bad : {"", "6", "six", "6.1+nothing", "6.1.x", "-6.1", "6.1.2.3"})
    EXPECT_FALSE(parse_kernel_profile(bad)) << bad;
}

TEST(KernelProfile, ConditionsHoldOnTheKernelsTheyName) {
  auto holds = [](std::string_view cond, std::string_view kernel) {
    auto c = parse_kernel_condition(cond);
    EXPECT_TRUE(c) << cond;
    EXPECT_EQ(print_kernel_condition(*c), cond);
    return c->holds(profile(kernel));
  };
  EXPECT_TRUE(holds("<6.8", "6.1.192"));
  EXPECT_FALSE(holds("<6.8", "6.8"));
  EXPECT_TRUE(holds(">=6.8", "6.12.113"));
  EXPECT_TRUE(holds("6.1", "6.1.192"));
  EXPECT_FALSE(holds("6.1", "6.12.1"));
  EXPECT_TRUE(holds(">=6.1.170<6.2", "6.1.192"));
  EXPECT_FALSE(holds(">=6.1.170<6.2", "6.1.169"));
  EXPECT_FALSE(holds(">=6.1.170<6.2", "6.12.113"));
  EXPECT_TRUE(holds("tcp-role-lock", "6.18.44+tcp-role-lock"));
  EXPECT_FALSE(holds("tcp-role-lock", "6.18.44"));
  EXPECT_TRUE(holds("!tcp-role-lock", "6.18.44"));
  for (const char* bad : {"", "<", ">=6.2<6.1", "6.1.5", "role", "!6.1"}) EXPECT_FALSE(parse_kernel_condition(bad)) << bad;
}

TEST(ConditionalExpectation, TheFirstClauseThatHoldsWins) {
  const Program p = parse_scenario("s = socket inet stream\nlisten s 5 -> ok @tcp-role-lock -> EINVAL @<6.8 -> EPERM\n");
  const Line& line = p.lines[1];
  ASSERT_EQ(line.on_kernels.size(), 2u);
  EXPECT_EQ(print_expectation(*expectation_for(line, profile("6.18.44"))), "ok");
  EXPECT_EQ(print_expectation(*expectation_for(line, profile("6.18.44+tcp-role-lock"))), "EINVAL");
  EXPECT_EQ(print_expectation(*expectation_for(line, profile("6.1"))), "EPERM");
  EXPECT_EQ(print_line(line), "listen s 5 -> ok @tcp-role-lock -> EINVAL @<6.8 -> EPERM");
  EXPECT_EQ(parse_scenario(print_program(p)), p);
}

TEST(ConditionalExpectation, BadClausesAreParseErrors) {
  for (const char* text : {"listen s 5 -> ok @ -> EINVAL", "listen s 5 -> ok @7 -> EINVAL",
                           "listen s 5 -> ok @6.1 EINVAL", "listen s 5 -> ok @6.1 ->", "listen s 5 -> @6.1 -> ok"}) {
    const std::string scenario = std::string("s = socket inet stream\n") + text + "\n";
    EXPECT_THROW(parse_scenario(scenario), ParseError) << text;
  }
}

TEST(VariationTable, EveryVariationIsARegisteredRule) {
  std::set<std::string_view> seen;
  for (const VariationRule& v : variation_rules()) {
    EXPECT_TRUE(find_rule(v.rule)) << v.rule;
    EXPECT_TRUE(seen.insert(v.rule).second) << v.rule << " twice";
    EXPECT_EQ(&variation_rule(v.variation), &v) << v.rule;
    EXPECT_FALSE(v.changed_by.empty()) << v.rule;
  }
}

// The spec text of a rule: from its heading to the next.
std::string spec_section(std::string_view rule) {
  for (const auto& entry : fs::directory_iterator(fs::path(SOCKSPEC_SOURCE_DIR) / "spec")) {
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string heading = "### " + std::string(rule) + "\n";
    auto at = text.find(heading);
    if (at == std::string::npos) continue;
    auto end = text.find("\n### ", at + heading.size());
    return text.substr(at, end == std::string::npos ? std::string::npos : end - at);
  }
  return "";
}

TEST(VariationTable, EveryVersionedRuleNamesItsKernelsInTheSpec) {
  for (const VariationRule& v : variation_rules()) {
    const std::string section = spec_section(v.rule);
    ASSERT_FALSE(section.empty()) << v.rule << " has no section in spec/";
    EXPECT_NE(section.find("\nKernels: "), std::string::npos) << v.rule << ": no `Kernels:` line";
  }
}

// Each versioned rule is shown on both sides: some corpus line that the
// model answers with that rule (on a kernel where it holds) carries a
// conditional expectation whose condition is the rule's own, so the same
// line states what the kernels on the other side answer.
TEST(VariationTable, EveryVersionedRuleHasAnExampleForEachSide) {
  std::map<std::string_view, bool> shown;
  for (const VariationRule& v : variation_rules()) shown[v.rule] = false;
  const auto programs = load_programs(expand_scenario_paths({std::string(SOCKSPEC_SOURCE_DIR) + "/corpus"}));
  for (const VariationRule& v : variation_rules()) {
    const KernelProfile where = profile_where(v.when);  // a kernel inside its condition
    ASSERT_TRUE(v.holds(where)) << v.rule;
    DriverConfig config;
    config.profile = where;
    for (const Program& p : programs) {
      if (shown[v.rule]) break;
      const ScenarioVerdict verdict = run_scenario(p, Mode::Model, config);
      for (const LineVerdict& l : verdict.lines)
        if (l.rules.contains(v.rule))
          for (const KernelExpectation& k : l.line->on_kernels)
            if (v.is_one_of_its_conditions(k.when)) shown[v.rule] = true;
    }
  }
  for (const auto& [rule, ok] : shown)
    EXPECT_TRUE(ok) << rule << ": no corpus line cites it with an `@" << "COND ->` clause of its own condition";
}

// `sockspec model --kernel 6.18+tcp-role-lock` reproduces what a role-locked
// host recorded (../shared/kernel-profiles/fc-rolelock), and the reference
// profile does not: the profile is what makes the difference.
TEST(KernelProfileModel, RoleLockedProfileReproducesTheRecordedResults) {
  const fs::path dir = fs::path(SOCKSPEC_SOURCE_DIR) / "tests" / "data" / "kernel-profiles" / "fc-rolelock";
  const auto programs = load_programs(expand_scenario_paths({dir.string()}));
  ASSERT_FALSE(programs.empty());
  DriverConfig locked, upstream;
  locked.profile = profile("6.18.44+tcp-role-lock");
  upstream.profile = reference_kernel_profile();
  int upstream_failures = 0;
  for (const Program& p : programs) {
    const ScenarioVerdict v = run_scenario(p, Mode::Model, locked);
    EXPECT_TRUE(v.passed()) << p.file;
    EXPECT_EQ(v.unsupported(), 0) << p.file;
    upstream_failures += run_scenario(p, Mode::Model, upstream).expectation_failures();
  }
  EXPECT_GT(upstream_failures, 5);
}

TEST(VerdictCodec, AVerdictSurvivesTheTrip) {
  const Program p = parse_scenario(
      "u = socket unix dgram -> ok\n"
      "s = socket inet stream -> ok\n"
      "connect s 127.0.0.1:8080 -> ECONNREFUSED\n"
      "listen s 5 -> EINVAL\n"
      "ss -> tcp UNCONN 0.0.0.0:* 127.0.0.1:0 q=0/3\n"
      "send u \"\\xff\\x00bytes\"\n",
      "codec.scn");
  DriverConfig config;
  config.profile = profile("6.18.44+tcp-role-lock");
  ScenarioVerdict v = run_scenario(p, Mode::Model, config);
  v.limitation = "not runnable on gVisor runsc 20221219: line 4 (ns b): setns(2) ...";
  const ScenarioVerdict back = decode_verdict(nlohmann::json::parse(encode_verdict(v).dump()), p);
  EXPECT_EQ(back.profile, v.profile);
  EXPECT_EQ(back.limitation, v.limitation);
  ASSERT_EQ(back.lines.size(), v.lines.size());
  for (std::size_t i = 0; i < v.lines.size(); ++i) {
    EXPECT_EQ(back.lines[i].model, v.lines[i].model) << i;
    EXPECT_EQ(back.lines[i].kernel, v.lines[i].kernel) << i;
    EXPECT_EQ(std::vector<std::string_view>(back.lines[i].rules.begin(), back.lines[i].rules.end()),
              std::vector<std::string_view>(v.lines[i].rules.begin(), v.lines[i].rules.end()));
    EXPECT_EQ(back.lines[i].expectation_failed, v.lines[i].expectation_failed);
    EXPECT_EQ(back.lines[i].note, v.lines[i].note);
  }
  Result bytes = Result::bytes(std::string("\x00\xff\x80", 3));
  EXPECT_EQ(decode_result(encode_result(bytes)), bytes);
  EXPECT_THROW(decode_verdict(nlohmann::json::parse(R"({"file":"x","error":"","limitation":"","kernel":"6.1","release":"","lines":[]})"), p),
               std::runtime_error);
}

// A scenario the kernel under test cannot run is UNRUNNABLE, unless a line
// before the limitation already failed.
TEST(ScenarioStatus, AScenarioTheKernelCannotRunIsUnrunnableNotFailed) {
  const Program p = parse_scenario("s = socket inet stream -> ok\nns b\n", "limited.scn");
  ScenarioVerdict v = run_scenario(p, Mode::Model, DriverConfig{});
  ASSERT_EQ(v.status(), ScenarioStatus::Pass);
  v.limitation = "not runnable on gVisor runsc 20221219: line 2 (ns b): setns(2) ...";
  EXPECT_EQ(v.status(), ScenarioStatus::Unrunnable);
  EXPECT_STREQ(status_word(v.status()), "UNRUNNABLE");
  v.lines[0].diverged = true;
  EXPECT_EQ(v.status(), ScenarioStatus::Fail);
}

// kernels diff linux gvisor: each scenario's first line where gVisor
// diverged and Linux agreed is a Linux rule gVisor breaks, with both results;
// later divergent lines are counted as follow-on; what gVisor cannot run is
// listed with its reason.
TEST(KernelsDiff, ListsTheLinuxRulesGvisorBreaks) {
  const Program p = parse_scenario(
      "s = socket inet stream -> ok\n"
      "bind s 127.0.0.1:8080 -> ok\n"
      "listen s 5 -> ok\n"
      "sockatmark s -> 0\n",
      "gvisor.scn");
  ScenarioVerdict linux_side = run_scenario(p, Mode::Model, DriverConfig{});
  for (LineVerdict& l : linux_side.lines) l.kernel = l.model;
  ScenarioVerdict gvisor = linux_side;
  gvisor.profile.release = "gVisor runsc 20221219";
  gvisor.lines[3].kernel = Result::err(ENOTTY);
  gvisor.lines[3].diverged = true;
  ScenarioVerdict limited = linux_side;
  limited.profile = gvisor.profile;
  limited.limitation = "not runnable on gVisor runsc 20221219: line 2 (ns b): setns(2) ...";
  const KernelsDiff d = diff_kernels({linux_side, linux_side}, {gvisor, limited});
  ASSERT_TRUE(d.b_is_gvisor);
  ASSERT_EQ(d.broken.size(), 1u);
  EXPECT_EQ(d.broken[0].rules, "oob.tcp.sockatmark");
  ASSERT_EQ(d.broken[0].lines.size(), 1u);
  EXPECT_EQ(d.broken[0].lines[0].result_a, "0");
  EXPECT_EQ(d.broken[0].lines[0].result_b, "ENOTTY");
  ASSERT_EQ(d.unrunnable_b.size(), 1u);
  EXPECT_EQ(d.unrunnable_b[0].second, limited.limitation);
  const std::string md = kernels_diff_markdown(d);
  EXPECT_NE(md.find("## Linux rules gVisor runsc 20221219 breaks"), std::string::npos) << md;
  EXPECT_NE(md.find("| `0` | `ENOTTY` | gvisor.scn:4 `sockatmark s` | 1 |"), std::string::npos) << md;
  EXPECT_NE(md.find("cannot run (1)"), std::string::npos) << md;
}

// kernels diff on verdicts whose kernel results are what the model answers
// for each profile: exactly the versioned rules that tell the two apart and
// decide some line are listed, each with its lines.
TEST(KernelsDiff, ListsTheVersionedRulesThatTellTwoKernelsApart) {
  const auto programs = load_programs({std::string(SOCKSPEC_SOURCE_DIR) + "/corpus/kernels/role-lock.scn",
                                       std::string(SOCKSPEC_SOURCE_DIR) + "/corpus/inet/listen.scn"});
  auto as_kernel = [&](const KernelProfile& p) {
    DriverConfig config;
    config.profile = p;
    std::vector<ScenarioVerdict> out;
    for (const Program& program : programs) {
      ScenarioVerdict v = run_scenario(program, Mode::Model, config);
      for (LineVerdict& l : v.lines) l.kernel = l.model;
      out.push_back(std::move(v));
    }
    return out;
  };
  const KernelsDiff d = diff_kernels(as_kernel(profile("6.1")), as_kernel(profile("6.18.44+tcp-role-lock")));
  std::map<std::string, std::size_t> confirmed;
  for (const KernelDifference& r : d.rules) confirmed[r.rule] = r.lines.size();
  EXPECT_GT(confirmed["listen.role.locked_after_connect_einval"], 0u);
  EXPECT_GT(confirmed["connect.role.locked_after_listen_einval"], 0u);
  EXPECT_GT(confirmed["socket.ss.bound_only_unlisted"], 0u);  // listen.scn's bound-only row
  EXPECT_EQ(confirmed.count("oob.unix.sockatmark_head_only"), 1u);  // listed, though these files do not show it
  EXPECT_EQ(confirmed["oob.unix.sockatmark_head_only"], 0u);
  EXPECT_TRUE(d.unexplained.empty());
  const std::string md = kernels_diff_markdown(d);
  EXPECT_NE(md.find("corpus/kernels/role-lock.scn:12"), std::string::npos) << md;
  EXPECT_NE(md.find("not confirmed"), std::string::npos) << md;
  // the same kernel twice: nothing differs
  EXPECT_TRUE(diff_kernels(as_kernel(profile("6.1")), as_kernel(profile("6.1"))).rules.empty());

  // `sockspec report DIR` shows a diff written there as a section of its own
  const fs::path dir = fs::temp_directory_path() / ("kernels-diff-test-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "kernels-diff.md") << md;
  std::ofstream(dir / "kernels-diff.html") << kernels_diff_html(d);
  const ReportData data = read_report_inputs(dir);
  EXPECT_NE(markdown_report(data).find("## Socket semantics: Linux 6.1"), std::string::npos);
  const std::string html = html_report(data);
  EXPECT_NE(html.find("<h2 id=\"kernels\">"), std::string::npos);
  EXPECT_NE(html.find("listen.role.locked_after_connect_einval"), std::string::npos);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sockspec

namespace sockspec {
namespace {

// CONFIG_HZ: a profile tag, and the SO_LINGER figure the model gives for it.
TEST(KernelProfileHz, NamedParsedAndShownInTheLingerReadBack) {
  auto p = parse_kernel_profile("6.12+hz1000");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->hz, 1000);
  EXPECT_EQ(p->name(), "6.12+hz1000");
  EXPECT_EQ(parse_kernel_profile("6.12")->hz, kDefaultHz);
  EXPECT_FALSE(parse_kernel_profile("6.12+hz999"));
  EXPECT_FALSE(*p == *parse_kernel_profile("6.12"));
  EXPECT_EQ(linger_read_back_unbounded(250), -1752346657);
  EXPECT_EQ(linger_read_back_unbounded(1000), -1511828489);
  const Program program = parse_scenario("s = socket inet stream\nsetsockopt s SO_LINGER -1\ngetsockopt s SO_LINGER\n");
  for (int hz : config_hz_choices()) {
    KernelProfile profile = reference_kernel_profile();
    profile.hz = hz;
    Model model(profile);
    Step last;
    for (const Line& line : program.lines) last = model.step(line);
    EXPECT_EQ(last.result, Result::num(linger_read_back_unbounded(hz))) << hz;
    EXPECT_TRUE(last.rules.contains("socket.option.linger_unbounded"));
  }
}

}  // namespace
}  // namespace sockspec
