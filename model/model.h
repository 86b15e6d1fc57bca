// The executable specification: Linux socket semantics as pure C++.
//
// Contract: a Model holds the state of every namespace and socket of one
// scenario. step() applies one line (variables already resolved) and returns
// the result the spec allows, the rules that decided it, and whether the
// line is outside what the model covers. Given what the oracle observed
// after the line (scenario/observation.h) the model adopts the kernel's
// choice wherever the spec allows one (model/choices.h); if the kernel chose
// something the spec forbids, the step's result says what the spec allows,
// so the checker reports a divergence. The model answers for one kernel
// profile (scenario/kernel_profile.h; the reference one unless told): rules
// that hold only on some kernels are model/kernel_variations.h's. No system
// calls, no global state.
#pragma once

#include <memory>
#include <string>

#include "model/rules.h"
#include "scenario/ast.h"
#include "scenario/kernel_profile.h"
#include "scenario/observation.h"

namespace sockspec {

struct Step {
  Result result;
  RuleTrace rules;
  bool unsupported = false;
  std::string note;  // why unsupported, or a choice the kernel made that the spec forbids
};

struct World;  // model/world.h

class Model {
 public:
  explicit Model(KernelProfile profile = reference_kernel_profile());
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  Step step(const Line& line, const Observation* observed = nullptr);

  const World& world() const { return *world_; }
  const KernelProfile& profile() const { return profile_; }

 private:
  std::unique_ptr<World> world_;
  KernelProfile profile_;
};

}  // namespace sockspec
