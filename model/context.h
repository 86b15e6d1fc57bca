// What every model handler works with: the world, the line, the step being
// built, and (in lockstep) what the oracle observed. See model/handlers.h.
#pragma once

#include <string>
#include <string_view>

#include "model/kernel_variations.h"
#include "model/model.h"
#include "model/world.h"

namespace sockspec {

struct Ctx {
  World& world;
  const Line& line;
  const Observation* observed;  // nullptr when the model runs alone (model/choices.h reads it)
  Step& step;
  const KernelProfile& profile;  // the kernel the model answers for

  // Cites a rule (model/rules.cc lists them all; spec/ documents them).
  void rule(std::string_view name) { step.rules.add(name); }

  // Whether a rule that holds only on some kernels holds on this one
  // (model/kernel_variations.h); when it does, it is cited.
  bool applies(Variation v) {
    const VariationRule& r = variation_rule(v);
    if (!r.holds(profile)) return false;
    rule(r.rule);
    return true;
  }

  // The line's socket: its id, or kNoSocket when the name is not open.
  SocketId target() const {
    auto it = world.names.find(line.socket);
    return it == world.names.end() ? kNoSocket : it->second;
  }

  // A line the model does not cover: the result is `skip` and the step is
  // marked unsupported with the reason.
  Result unsupported(std::string why) {
    step.unsupported = true;
    step.note = std::move(why);
    return Result::skip();
  }
};

}  // namespace sockspec
