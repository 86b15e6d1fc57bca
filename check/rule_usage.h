// `sockspec rules`: how many lines of a corpus cite each rule of the spec.
//
// Contract: count_rule_uses runs every program (on the model alone, or in
// lockstep inside the oracle's sandbox, which the caller has entered) and
// counts, for each registered rule (model/rules.h), the lines that cite it.
// A rule that holds only on other kernels (model/kernel_variations.h) is
// counted where the model answers for a kernel it holds on. Rules the model
// cited without registering them are listed apart.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "check/driver.h"
#include "scenario/ast.h"

namespace sockspec {

struct RuleUsage {
  std::map<std::string_view, int> uses;  // every registered rule, and any unregistered one cited
  std::size_t programs = 0;
  int unexercised() const;
};

RuleUsage count_rule_uses(const std::vector<Program>& programs, Mode mode);

// One line per rule (`count  name  spec/AREA.md`), then the totals.
std::string rule_usage_text(const RuleUsage& usage);

}  // namespace sockspec
