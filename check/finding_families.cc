#include "check/finding_families.h"

#include <fmt/format.h>

#include <algorithm>

#include "scenario/input_file.h"

namespace sockspec {

namespace {

constexpr std::string_view kSeparator = " | ";

std::vector<std::string_view> split_signature(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t at; (at = s.find(kSeparator)) != std::string_view::npos; s.remove_prefix(at + kSeparator.size()))
    parts.push_back(s.substr(0, at));
  parts.push_back(s);
  return parts;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string finding_family(std::string_view signature) {
  const auto parts = split_signature(signature);
  if (parts.size() != 4) return std::string(signature);
  // An `ss` line cites a rule for every row it shows, so its last rule is
  // the last row's, not the one that decided the rows that differ: its
  // family is the rows only (`*` for the rule).
  std::string_view rules = parts[1];
  const auto comma = rules.rfind(',');
  const std::string_view decider = parts[0] == "ss"                ? std::string_view("*")
                                   : comma == std::string_view::npos ? rules
                                                                     : rules.substr(comma + 1);
  return fmt::format("{} | {} | {} | {}", parts[0], decider, parts[2], parts[3]);
}

KnownFamilies parse_known_families(std::string_view text, std::string_view file) {
  KnownFamilies known;
  std::string family;  // waiting for its reason
  int line_no = 0, family_line = 0;
  auto fail = [&](std::string_view what) { throw FamiliesError(fmt::format("{}:{}: {}", file, line_no, what)); };
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("family:")) {
      if (!family.empty()) fail(fmt::format("the family of line {} has no `reason:` line", family_line));
      family = finding_family(trim(line.substr(7)));
      if (split_signature(family).size() != 4) fail("a family is `OPERATION | RULE | KERNEL | MODEL`");
      if (known.contains(family)) fail(fmt::format("`{}` is listed twice", family));
      family_line = line_no;
    } else if (line.starts_with("reason:")) {
      if (family.empty()) fail("`reason:` without a `family:` line before it");
      const std::string_view reason = trim(line.substr(7));
      if (reason.empty()) fail("an empty reason: say why the model does not explain this yet");
      known.emplace(std::move(family), std::string(reason));
      family.clear();
    } else {
      fail(fmt::format("expected `family: ...`, `reason: ...`, a comment or a blank line, got `{}`",
                       line.substr(0, 60)));
    }
  }
  if (!family.empty()) {
    line_no = family_line;
    fail("this family has no `reason:` line");
  }
  return known;
}

KnownFamilies read_known_families(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_input_file(file.string());
  } catch (const InputFileError& e) {
    throw FamiliesError(e.what());
  }
  return parse_known_families(text, file.string());
}

std::vector<FindingFamily> group_findings(const std::vector<FindingRecord>& findings, const KnownFamilies& known) {
  std::vector<FindingFamily> families;
  for (const FindingRecord& f : findings) {
    const std::string key = finding_family(f.signature);
    auto it = std::find_if(families.begin(), families.end(), [&](const FindingFamily& x) { return x.family == key; });
    if (it == families.end()) {
      FindingFamily fresh{key, {}, f.file, f.lines, {}};
      if (auto k = known.find(key); k != known.end()) fresh.reason = k->second;
      it = families.insert(families.end(), std::move(fresh));
    }
    if (std::find(it->signatures.begin(), it->signatures.end(), f.signature) == it->signatures.end())
      it->signatures.push_back(f.signature);
    if (f.lines < it->smallest_lines) {
      it->smallest = f.file;
      it->smallest_lines = f.lines;
    }
  }
  std::stable_sort(families.begin(), families.end(), [](const FindingFamily& a, const FindingFamily& b) {
    return a.signatures.size() > b.signatures.size();
  });
  return families;
}

FamilyCounts count_families(const std::vector<FindingFamily>& families) {
  FamilyCounts c;
  c.families = families.size();
  for (const FindingFamily& f : families) {
    c.signatures += f.signatures.size();
    c.fresh += !f.known();
  }
  return c;
}

}  // namespace sockspec
