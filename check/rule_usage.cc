#include "check/rule_usage.h"

#include <fmt/format.h>

#include "model/kernel_variations.h"
#include "model/rules.h"
#include "oracle/oracle.h"

namespace sockspec {

int RuleUsage::unexercised() const {
  int n = 0;
  for (const Rule& rule : all_rules()) n += uses.at(rule.name) == 0;
  return n;
}

RuleUsage count_rule_uses(const std::vector<Program>& programs, Mode mode) {
  RuleUsage usage;
  usage.programs = programs.size();
  for (const Rule& rule : all_rules()) usage.uses[rule.name] = 0;
  for (const Program& program : programs)
    for (const auto& line : run_scenario(program, mode, DriverConfig{}).lines)
      for (auto rule : line.rules) usage.uses[rule]++;
  for (const VariationRule& v : variation_rules()) {
    if (v.holds(mode == Mode::Model ? reference_kernel_profile() : host_kernel_profile())) continue;
    DriverConfig other;
    other.profile = profile_where(v.when);
    for (const Program& program : programs)
      for (const auto& line : run_scenario(program, Mode::Model, other).lines)
        if (line.rules.contains(v.rule)) usage.uses[v.rule]++;
  }
  return usage;
}

std::string rule_usage_text(const RuleUsage& usage) {
  std::string out;
  for (const Rule& rule : all_rules())
    out += fmt::format("{:6}  {:<48} spec/{}.md\n", usage.uses.at(rule.name), rule.name, rule.area);
  for (const auto& [name, n] : usage.uses)
    if (!find_rule(name)) out += fmt::format("{:6}  {:<48} (cited by the model but not registered)\n", n, name);
  const int unexercised = usage.unexercised();
  out += fmt::format("{} rules, {} exercised by {} scenarios, {} not exercised\n", all_rules().size(),
                     all_rules().size() - static_cast<std::size_t>(unexercised), usage.programs, unexercised);
  return out;
}

}  // namespace sockspec
