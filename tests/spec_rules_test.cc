// The rule registry (model/rules.cc) and the spec documents (spec/*.md) name
// the same rules; each documented rule points at a corpus file that exists.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "model/rules.h"

namespace fs = std::filesystem;

namespace {

struct SpecRule {
  std::string file;     // spec/<area>.md
  std::string example;  // the `Example:` path, "" when missing
};

// Every `### name` heading of spec/*.md and the Example line under it.
std::map<std::string, SpecRule> spec_rules() {
  std::map<std::string, SpecRule> rules;
  for (const auto& entry : fs::directory_iterator(fs::path(SOCKSPEC_SOURCE_DIR) / "spec")) {
    if (entry.path().extension() != ".md") continue;
    std::ifstream in(entry.path());
    std::string line, current;
    while (std::getline(in, line)) {
      if (line.rfind("### ", 0) == 0) {
        current = line.substr(4);
        EXPECT_FALSE(rules.contains(current)) << current << " is documented twice";
        rules[current] = {entry.path().filename().string(), ""};
      } else if (!current.empty() && line.rfind("Example: ", 0) == 0 && rules[current].example.empty()) {
        rules[current].example = line.substr(9);
      }
    }
  }
  return rules;
}

TEST(SpecRules, EveryRegisteredRuleIsDocumentedInItsArea) {
  const auto documented = spec_rules();
  for (const auto& rule : sockspec::all_rules()) {
    const std::string name(rule.name);
    auto it = documented.find(name);
    ASSERT_NE(it, documented.end()) << name << " has no heading in spec/";
    EXPECT_EQ(it->second.file, std::string(rule.area) + ".md") << name;
  }
}

TEST(SpecRules, EveryDocumentedRuleIsRegistered) {
  std::set<std::string> registered;
  for (const auto& rule : sockspec::all_rules()) registered.emplace(rule.name);
  for (const auto& [name, where] : spec_rules())
    EXPECT_TRUE(registered.contains(name)) << name << " (" << where.file << ") is not in model/rules.cc";
}

TEST(SpecRules, EveryRuleHasAnExampleThatExists) {
  for (const auto& [name, where] : spec_rules()) {
    ASSERT_FALSE(where.example.empty()) << name << " has no Example line";
    EXPECT_TRUE(fs::exists(fs::path(SOCKSPEC_SOURCE_DIR) / where.example)) << name << ": " << where.example;
  }
}

TEST(SpecRules, NamesAreUnique) {
  std::set<std::string_view> seen;
  for (const auto& rule : sockspec::all_rules()) EXPECT_TRUE(seen.insert(rule.name).second) << rule.name;
}

}  // namespace
