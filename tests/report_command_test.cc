// `check --out/--junit`, `sockspec report`, `sockspec table backlog` and the
// progress meter, as users meet them. Divergences come from a planted fault
// (check --plant-fault): a real model error on purpose, so the kernel's
// side is what Linux says and the model's side is wrong.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "check/progress.h"
#include "check/report_data.h"
#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

// A fresh directory under the build tree (not /tmp: the oracle's sandbox
// gives the process a private /tmp).
fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "test-output" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

constexpr const char* kPlanted = "--plant-fault bind.conflict.wildcard_v4 corpus/examples/d-wildcard-listener.scn";

TEST(CheckOut, WritesEveryVerdictWithItsLinesAndSignatures) {
  fs::path dir = fresh_dir("check-out");
  auto r = run_command(sockspec("check --out " + dir.string() + " " + kPlanted));
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::ifstream in(dir / "check.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto v = nlohmann::json::parse(line);
  EXPECT_EQ(v["file"], "corpus/examples/d-wildcard-listener.scn");
  EXPECT_EQ(v["steps"].size(), v["lines"].get<std::size_t>()) << "one step per statement";
  ASSERT_FALSE(v["divergences"].empty());
  EXPECT_EQ(v["divergences"][0]["signature"], "bind | bind.address.local,bind.conflict.wildcard_v4 | EADDRINUSE | ok");
  EXPECT_FALSE(std::getline(in, line)) << "one scenario, one line";
  auto summary = nlohmann::json::parse(read_text(dir / "check-summary.json"));
  EXPECT_EQ(summary["scenarios"], 1);
  EXPECT_EQ(summary["failed"], 1);
}

TEST(Report, ShowsEveryDivergenceLineByLine) {
  fs::path dir = fresh_dir("report-check");
  ASSERT_EQ(run_command(sockspec("check --out " + dir.string() + " " + kPlanted)).exit_code, 1);
  auto r = run_command(sockspec("report " + dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = read_text(dir / "report.md"), html = read_text(dir / "report.html");
  // the planted fault makes the model say ok on both binds of o (lines 13
  // and 17) and on listen o (line 37), where Linux says EADDRINUSE
  EXPECT_EQ(count(md, "**DIVERGES**"), 3u) << md;
  EXPECT_NE(md.find("| 13 **DIVERGES** | `bind o 127.0.0.2:8080` | `EADDRINUSE` | `EADDRINUSE` | `ok` |"),
            std::string::npos)
      << md;
  EXPECT_EQ(count(html, "<section class=\"problem\""), 1u);
  EXPECT_EQ(count(html, "<tr class=\"diverged\">"), 3u);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "self-contained and static";
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg")) << "no external assets";
}

// A campaign directory as `sockspec fuzz` leaves it: libFuzzer's fork-mode
// log with the fuzzer's finding lines, findings/*.scn, a saved --json summary.
fs::path write_campaign(const std::string& name) {
  fs::path dir = fresh_dir(name);
  std::ofstream(dir / "last-campaign.log") << "INFO: -fork=2: fuzzing in separate processes\n"
                                              "#200: cov: 1500 ft: 3000 corp: 40 exec/s: 100 oom/timeout/crash: 0/0/0 time: 2s job: 1 dft_time: 0\n"
                                              "sockspec-fuzz: NEW FINDING /x/findings/0123456789abcdef.scn (9 -> 5 lines, 30 runs): sig\n"
                                              "#900: cov: 1700 ft: 3500 corp: 55 exec/s: 150 oom/timeout/crash: 0/0/0 time: 6s job: 3 dft_time: 0\n"
                                              "#1500: cov: 1720 ft: 3600 corp: 60 exec/s: 150 oom/timeout/crash: 0/0/0 time: 10s job: 5 dft_time: 0\n";
  fs::create_directories(dir / "findings");
  std::ofstream(dir / "findings" / "0123456789abcdef.scn")
      << "# sockspec finding 0123456789abcdef: the model and the kernel disagree on line 5:\n"
         "# signature: bind | bind.address.local,bind.conflict.wildcard_v4 | EADDRINUSE | ok\n"
         "a = socket inet stream\nbind a 0.0.0.0:8080\nlisten a 5\nb = socket inet stream\nbind b 127.0.0.2:8080\n";
  std::ofstream(dir / "fuzz-summary.json") << R"({"seconds": 10.2, "jobs": 2, "execs": 1500, "exec_per_s": 150,
      "corpus_before": 40, "corpus_after": 60, "rules_covered": 120, "rules_total": 214, "new_findings": []})";
  return dir;
}

TEST(Report, ReadsACampaignDirectory) {
  fs::path dir = write_campaign("report-campaign");
  auto r = run_command(sockspec("report " + dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = read_text(dir / "report.md"), html = read_text(dir / "report.html");
  EXPECT_NE(md.find("### 1. Finding `findings/0123456789abcdef.scn`"), std::string::npos) << md;
  // without the planted fault the model agrees with Linux: the report says so
  EXPECT_NE(md.find("does not diverge any more"), std::string::npos) << md;
  EXPECT_NE(md.find("| executions | 1500 (150 per second) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 10 | 1500 | 1720 | 60 | 1 |"), std::string::npos) << "the last timeline row: " << md;
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("data-signature=\"bind | bind.address.local,bind.conflict.wildcard_v4 | EADDRINUSE | ok\""),
            std::string::npos);
}

// Two findings whose divergent lines end in the same rule with the same
// results are one family; the known list gives its reason.
TEST(Report, GroupsFindingsIntoFamilies) {
  fs::path dir = write_campaign("report-families");
  std::ofstream(dir / "findings" / "fedcba9876543210.scn")
      << "# signature: bind | bind.address.local,socket.option.set,bind.conflict.wildcard_v4 | EADDRINUSE | ok\n"
         "a = socket inet stream\nbind a 0.0.0.0:8080\nb = socket inet stream\nbind b 127.0.0.2:8080\n";
  std::ofstream(dir / "findings" / "1111111111111111.scn")
      << "# signature: listen | listen.backlog.clamped_to_somaxconn | EINVAL | ok\n"
         "a = socket inet stream\nlisten a 5\n";
  const fs::path known = dir / "families.txt";
  std::ofstream(known) << "family: listen | listen.backlog.clamped_to_somaxconn | EINVAL | ok\n"
                          "reason: a planted example\n";
  auto r = run_command(sockspec("report --model-only --known-families " + known.string() + " " + dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string md = read_text(dir / "report.md"), html = read_text(dir / "report.html");
  EXPECT_NE(md.find("3 signatures in 2 families"), std::string::npos) << md;
  EXPECT_NE(md.find("| `bind \\| bind.conflict.wildcard_v4 \\| EADDRINUSE \\| ok` | 2 | `findings/fedcba9876543210.scn` "
                    "(4 lines) | **new** |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("a planted example"), std::string::npos) << md;
  EXPECT_NE(html.find("<h2 id=\"families\">Families (2, 1 new)</h2>"), std::string::npos);
  std::ofstream(known) << "family: listen | x\n";
  r = run_command(sockspec("report --model-only --known-families " + known.string() + " " + dir.string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("families.txt:1:"), std::string::npos) << r.err;
}

TEST(Report, CampaignLogGivesCoverageAndFindingsOverTime) {
  auto points = parse_campaign_log(read_text(write_campaign("report-log") / "last-campaign.log"));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].seconds, 2);
  EXPECT_EQ(points[0].coverage, 1500);
  EXPECT_EQ(points[0].findings, 1) << "a finding counts at the latest status line";
  EXPECT_EQ(points[2].execs, 1500);
  EXPECT_EQ(points[2].findings, 1);
}

TEST(Report, NothingToReportIsBadInput) {
  fs::path dir = fresh_dir("report-empty");
  auto r = run_command(sockspec("report " + dir.string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("holds nothing to report"), std::string::npos) << r.err;
  EXPECT_EQ(run_command(sockspec("report " + (dir / "missing").string())).exit_code, 2);
}

TEST(Junit, ATestCasePerScenarioAndTheFailingLines) {
  fs::path dir = fresh_dir("junit");
  auto r = run_command(sockspec("check --junit " + (dir / "j.xml").string() +
                                " --plant-fault bind.conflict.wildcard_v4 corpus/examples"));
  ASSERT_EQ(r.exit_code, 1) << r.err;
  const std::string xml = read_text(dir / "j.xml");
  EXPECT_EQ(count(xml, "<testcase "), 12u) << "corpus/examples holds 12 scenarios";
  EXPECT_NE(xml.find("<testsuite name=\"sockspec check\" tests=\"12\" failures=\"2\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"d-wildcard-listener.scn\">\n      <failure message=\"3 divergence(s)\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("bind o 127.0.0.2:8080 -&gt; EADDRINUSE"), std::string::npos) << "escaped line text";
}

// Linux's accept queue holds backlog + 1: the queue is full only when
// sk_ack_backlog > sk_max_ack_backlog (sk_acceptq_is_full,
// include/net/sock.h); Stevens measured Linux 2.4.7 at backlog + 3.
TEST(Table, BacklogMeasuredBesideStevens) {
  auto r = run_command(sockspec("table backlog --json --backlogs 0 3 14"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rows = nlohmann::json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    int backlog = row["backlog"];
    EXPECT_EQ(row["linux"], backlog + 1) << backlog;
    EXPECT_EQ(row["model"], row["linux"]) << backlog;
    EXPECT_EQ(row["historical"]["Linux 2.4.7"], backlog + 3) << backlog;
  }
  EXPECT_EQ(rows[1]["historical"]["MacOS 10.2.6, AIX 5.1"], 5) << "4.4BSD's 3*3/2+1";
}

TEST(Progress, TextSaysDoneTotalAndTimeLeft) {
  EXPECT_EQ(progress_text(10, 40, 5.0, "x.scn"), "[10/40]  25.0%  elapsed 5s  about 15s left  x.scn");
  EXPECT_EQ(progress_text(0, 40, 0.0, "x.scn"), "[ 0/40]   0.0%  elapsed 0s  estimating  x.scn");
  EXPECT_EQ(duration_text(125), "2m05s");
  EXPECT_EQ(duration_text(7260), "2h01m");
}

TEST(Progress, QuietWhenNotATerminal) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressMeter meter(3, file);  // a file is not a terminal
    EXPECT_FALSE(meter.enabled());
    for (int i = 0; i < 3; ++i) meter.advance("x.scn");
  }
  EXPECT_EQ(std::ftell(file), 0) << "nothing written";
  std::fclose(file);
}

TEST(Progress, RedrawsOneLineWhenEnabled) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressMeter meter(2, file, /*enabled=*/true);
    meter.advance("a.scn");
    meter.advance("b.scn");  // the last item is always drawn
  }
  std::rewind(file);
  char buf[512] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, file);
  std::string text(buf, n);
  std::fclose(file);
  EXPECT_NE(text.find("\r[1/2]"), std::string::npos) << text;
  EXPECT_NE(text.find("\r[2/2] 100.0%"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K") << "finish clears the line";
}

}  // namespace
}  // namespace sockspec::testing
