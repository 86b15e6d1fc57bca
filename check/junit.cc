#include "check/junit.h"

#include <fmt/format.h>

#include <filesystem>

#include "check/report.h"

namespace sockspec {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped
        out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? '?' : c;
    }
  }
  return out;
}

namespace {

// JUnit has no partial pass: a PARTIAL scenario passes, and says so in its <system-out>.
std::string partial_text(const ScenarioVerdict& verdict) {
  std::vector<int> lines;
  for (const LineVerdict& v : verdict.lines)
    if (v.unsupported) lines.push_back(v.line->line_no);
  return fmt::format("PARTIAL: {} line(s) unsupported by the model, their results not compared: line(s) {}\n",
                     lines.size(), fmt::join(lines, ", "));
}

}  // namespace

void JunitReport::add(const ScenarioVerdict& verdict, bool failed, std::string_view known) {
  std::filesystem::path file(verdict.file);
  Case c;
  c.classname = file.parent_path().string();
  c.name = file.filename().string();
  c.failed = failed;
  c.errored = !verdict.error.empty();
  if (failed) {
    std::vector<std::string> parts;
    if (int n = verdict.expectation_failures()) parts.push_back(fmt::format("{} failed expectation(s)", n));
    if (int n = verdict.divergences()) parts.push_back(fmt::format("{} divergence(s)", n));
    if (!verdict.error.empty()) parts.push_back(verdict.error);
    if (!verdict.limitation.empty()) parts.push_back(verdict.limitation);
    c.failure_message = fmt::format("{}", fmt::join(parts, ", "));
    c.failure_body = verdict_text_summary(verdict, Mode::Lockstep);
  }
  c.system_out = std::string(known);
  if (verdict.status() == ScenarioStatus::Partial) c.system_out += partial_text(verdict);
  if (!verdict.limitation.empty()) c.system_out += "UNRUNNABLE: " + verdict.limitation + "\n";
  cases_.push_back(std::move(c));
}

std::string JunitReport::xml(double seconds) const {
  int failures = 0;
  for (const Case& c : cases_) failures += c.failed;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n", cases_.size(), failures, seconds);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" time=\"{:.3f}\">\n",
                     xml_escape(suite_), cases_.size(), failures, seconds);
  std::string properties;
  for (auto [name, value] : {std::pair{"kernel", &kernel_}, {"interrupted", &interrupted_}})
    if (!value->empty()) properties += fmt::format("<property name=\"{}\" value=\"{}\"/>", name, xml_escape(*value));
  if (!properties.empty()) out += fmt::format("    <properties>{}</properties>\n", properties);
  for (const Case& c : cases_) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(c.classname), xml_escape(c.name));
    if (!c.failed && c.system_out.empty()) {
      out += "/>\n";
      continue;
    }
    out += ">\n";
    if (c.failed)
      out += fmt::format("      <failure message=\"{}\" type=\"{}\">{}</failure>\n", xml_escape(c.failure_message),
                         c.errored ? "stopped" : "mismatch", xml_escape(c.failure_body));
    if (!c.system_out.empty()) out += fmt::format("      <system-out>{}</system-out>\n", xml_escape(c.system_out));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace sockspec
