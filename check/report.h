// Verdicts as people and machines read them.
//
// Contract: text forms print each line in the language with its result(s)
// and mark what failed; the JSON form is DESIGN.md's `check --json` schema,
// one object per scenario.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "check/driver.h"

namespace sockspec {

// Every line with `-> result` (the kernel's, or the model's in Mode::Model),
// the rules the model used, and each failed expectation.
std::string verdict_text_full(const ScenarioVerdict& verdict, Mode mode);

// One status line for the scenario, then only the lines that diverged, failed
// their expectation, or are unsupported by the model.
std::string verdict_text_summary(const ScenarioVerdict& verdict, Mode mode);

nlohmann::json verdict_json(const ScenarioVerdict& verdict);

}  // namespace sockspec
