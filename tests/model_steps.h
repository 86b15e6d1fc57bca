// Running scenario text on the model alone, for the model's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/model.h"
#include "scenario/match.h"
#include "scenario/parser.h"
#include "scenario/printer.h"

namespace sockspec::testing {

// Runs every line on one fresh model; every expectation written in `text`
// must hold and no line may be outside the model. Returns the steps so a
// test can look at the rules each line cited.
inline std::vector<Step> run(const std::string& text) {
  Program program = parse_scenario(text);
  Model model;
  Bindings bindings;
  std::vector<Step> steps;
  for (const Line& line : program.lines) {
    Step s = model.step(line);
    EXPECT_FALSE(s.unsupported) << print_line(line) << ": " << s.note;
    if (line.expect)
      EXPECT_TRUE(matches(*line.expect, s.result, bindings)) << print_line(line) << " gave " << print_result(s.result);
    steps.push_back(std::move(s));
  }
  return steps;
}

// Runs every line on `model`, checking nothing; returns the last line's step.
inline Step run_last(Model& model, const std::string& text) {
  Step last;
  for (const Line& line : parse_scenario(text).lines) last = model.step(line);
  return last;
}

inline Step run_last(const std::string& text) {
  Model model;
  return run_last(model, text);
}

inline std::string printed(const Step& s) { return print_result(s.result); }

}  // namespace sockspec::testing
