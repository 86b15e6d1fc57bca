// Confirming the solver's witnesses on the kernel and the model
// (`sockspec solve`, docs/solver.md).
//
// Contract: confirm_witness parses a witness's scenario and runs it in
// lockstep (check/driver.h, which must already be inside the oracle's
// sandbox); a witness is confirmed when every decisive line gave the
// predicted result on the kernel and the model agreed with the kernel on
// every line. Whether the model also cited the path's rule is reported beside
// it. The renderers turn confirmations into the table or JSON `solve` prints;
// they never run anything.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "solver/coexist.h"
#include "solver/search.h"

namespace sockspec {

// What the kernel and the model said about one witness.
struct Confirmation {
  std::string kernel, model;  // the results of the decisive lines, joined
  bool as_predicted = true;   // every decisive line's expectation held on the kernel
  bool model_agrees = true;   // the model gave the kernel's result on every line
  bool rule_cited = true;     // the model cited the path's rule on every decisive line
  std::string problem;        // the first line that went wrong, when any did
  bool confirmed() const { return as_predicted && model_agrees && problem.empty(); }
};

Confirmation confirm_witness(const solver::Witness& w);

// A witness, what the solver predicted for it ("EADDRINUSE, ok"), and what
// the kernel and the model said.
struct ConfirmedWitness {
  solver::Witness witness;
  std::string predicted;
  Confirmation confirmation;
};

std::vector<ConfirmedWitness> confirm_witnesses(std::vector<solver::Witness> witnesses,
                                                std::vector<std::string> predicted);

// The table: one row per witness under the heading `what`, then a count line.
std::string witness_table(const std::vector<ConfirmedWitness>& confirmed, std::string_view what);
nlohmann::json witness_json(const std::vector<ConfirmedWitness>& confirmed);
bool all_confirmed(const std::vector<ConfirmedWitness>& confirmed);

// `solve coexist`: the answer (sat with its confirmed witness, or unsat with
// the conflicting pairs) as text or JSON; `c` is read only when sat.
std::string coexist_text(const solver::CoexistProblem& problem, const solver::CoexistAnswer& answer,
                         const Confirmation& c);
nlohmann::json coexist_json(const std::string& file, const solver::CoexistAnswer& answer, const Confirmation& c);

}  // namespace sockspec
