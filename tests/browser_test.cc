// The HTML report in a real browser: headless Debian `chromium` opens
// report.html (--dump-dom prints the DOM it built) and every problem of the
// report is in it; a screenshot is taken too. The browser runs in a network
// namespace of its own: the page is self-contained and needs no network.
// Without chromium the test is skipped, unless SOCKSPEC_REQUIRE_BROWSER=1
// (scripts/test.sh sets it and installs chromium).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/command_runner.h"

namespace sockspec::testing {
namespace {

namespace fs = std::filesystem;

std::string sockspec(const std::string& args) { return sockspec_binary() + " " + args; }

// A quiet, throwaway, offline headless browser with a fresh profile.
std::string chromium(const fs::path& profile, const std::string& args) {
  const std::string netns = ::geteuid() == 0 ? "unshare -n" : "unshare -Urn";
  return netns +
         " timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
         " --disable-background-networking --disable-component-update --disable-sync --user-data-dir='" +
         profile.string() + "' " + args;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Browser, OpensTheReportAndShowsEveryProblem) {
  if (run_command("command -v chromium").exit_code != 0) {
    const char* required = std::getenv("SOCKSPEC_REQUIRE_BROWSER");
    if (required && std::string(required) == "1") FAIL() << "chromium is not installed (scripts/setup.sh installs it)";
    GTEST_SKIP() << "chromium is not installed";
  }
  fs::path dir = fs::path(SOCKSPEC_BINARY).parent_path() / "test-output" / "browser";
  fs::remove_all(dir);
  fs::create_directories(dir);
  // real divergences: a rule made wrong on purpose, caught by the examples
  ASSERT_EQ(run_command(sockspec("check --out " + dir.string() +
                                 " --plant-fault bind.conflict.wildcard_v4 corpus/examples"))
                .exit_code,
            1);
  ASSERT_EQ(run_command(sockspec("report " + dir.string())).exit_code, 0);
  const std::string html = read_text(dir / "report.html");
  const std::size_t problems = count(html, "<section class=\"problem\"");
  ASSERT_EQ(problems, 2u) << "d-wildcard-listener and l-ephemeral-port-exhaustion diverge";

  const std::string url = "file://" + (dir / "report.html").string();
  auto dom = run_command(chromium(dir / "profile-dom", "--dump-dom '" + url + "'"));
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  EXPECT_NE(dom.out.find("</html>"), std::string::npos) << "the whole page was built";
  for (std::size_t i = 1; i <= problems; ++i)
    EXPECT_NE(dom.out.find("id=\"problem-" + std::to_string(i) + "\""), std::string::npos) << i;
  for (const char* file : {"corpus/examples/d-wildcard-listener.scn", "corpus/examples/l-ephemeral-port-exhaustion.scn"})
    EXPECT_NE(dom.out.find(std::string("data-file=\"") + file + "\""), std::string::npos) << file;
  EXPECT_EQ(count(dom.out, "<tr class=\"diverged\">"), count(html, "<tr class=\"diverged\">"));

  const fs::path png = dir / "report.png";
  auto shot = run_command(chromium(dir / "profile-shot", "--window-size=1280,1400 --screenshot='" + png.string() +
                                                             "' '" + url + "'"));
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  const std::string image = read_text(png);
  ASSERT_GT(image.size(), 10000u) << "a page with tables, not a blank one";
  EXPECT_EQ(image.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace sockspec::testing
