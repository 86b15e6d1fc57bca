// Shrinking a failing scenario to a small one that still fails.
//
// Contract: given a well_formed `program` for which still_fails holds,
// minimize returns a Program p, no longer than `program`, with still_fails(p)
// and well_formed(p) true.
// It first drops lines by delta debugging (Zeller's ddmin: remove chunks of
// halving size while the property persists, ending 1-minimal: no single
// line can be dropped), then simplifies values (expectations, flags, data,
// protocols) one at a time. The property is only ever asked about
// well-formed candidates, and at most `max_tests` times. Otherwise (not
// well formed, or not failing) `program` comes back unchanged.
// still_fails is any function, so the shrinking is testable without a
// kernel; the fuzzer passes "lockstep still shows this divergence".
#pragma once

#include <cstddef>
#include <functional>

#include "scenario/ast.h"

namespace sockspec {

// Prints to text that parses back to an equal Program (so every variable is
// bound before use) and names only sockets that an earlier line created.
bool well_formed(const Program& program);

struct MinimizeStats {
  std::size_t tests = 0;        // calls of still_fails
  std::size_t lines_before = 0;
  std::size_t lines_after = 0;
};

Program minimize(const Program& program, const std::function<bool(const Program&)>& still_fails,
                 std::size_t max_tests = 400, MinimizeStats* stats = nullptr);

}  // namespace sockspec
