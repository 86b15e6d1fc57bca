// JUnit XML from a check run, for CI systems that show test results.
//
// Contract: one <testsuite> per run, one <testcase> per scenario
// (classname: the scenario's directory, name: its file name). A scenario
// that failed gets a <failure> whose message counts what failed and whose
// body lists the failing lines as `check` prints them (line, operation,
// kernel and model results, rules). Divergences a baseline accepts do not
// fail the test case; they are listed in its <system-out>, and so are the
// unsupported lines of a PARTIAL scenario (check/driver.h ScenarioStatus).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "check/driver.h"

namespace sockspec {

class JunitReport {
 public:
  explicit JunitReport(std::string suite_name) : suite_(std::move(suite_name)) {}

  // `failed`: the scenario fails the run (after the baseline was applied).
  // `known`: text about divergences the baseline accepted ("" when none).
  void add(const ScenarioVerdict& verdict, bool failed, std::string_view known = {});
  std::string xml(double seconds) const;
  // The kernel the run was for, written as the suite's `kernel` property.
  void set_kernel(std::string described) { kernel_ = std::move(described); }
  // The run was interrupted: how and where, written as the suite's `interrupted` property.
  void set_interrupted(std::string how) { interrupted_ = std::move(how); }

 private:
  struct Case {
    std::string classname, name, failure_message, failure_body, system_out;
    bool failed = false, errored = false;
  };
  std::string kernel_, interrupted_;
  std::string suite_;
  std::vector<Case> cases_;
};

// `&<>"'` escaped, other control characters than tab and newline as `?`.
std::string xml_escape(std::string_view text);

}  // namespace sockspec
