// Expectations against results, and the variables they bind.
//
// Contract: `matches` says whether a result satisfies an expectation; on a
// match it binds the variables the matching alternative introduces (and only
// then). `resolve` substitutes bound variables into a line's arguments.
//
// ss tables are matched as multisets, an assignment problem: pattern row i
// may take result row j when they are compatible under the bindings so far.
// Variables that occur in one pattern row only bind freely inside that row,
// so they do not change compatibility. Variables shared by several rows are
// bound first, in order of first occurrence, each trying the values its first
// row can take (in result-row order), with a bipartite feasibility check
// pruning every choice. With the shared variables fixed, a compatibility
// matrix is built (n^2 row comparisons) and Kuhn's augmenting-path matching
// finds a perfect assignment (O(n^3)); the rows that bind variables are then
// pinned in pattern order to the first result row that keeps the assignment
// perfect, one augmenting search each (O(n^2) per try), so bindings are those
// of the lexicographically first assignment. Polynomial for a fixed number of
// shared variables (n^k value choices for k of them, a rare case); a
// MatchLimit stops the search at a deadline.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

struct Bindings {
  std::map<std::string, std::uint16_t, std::less<>> ports;       // `$p`
  std::map<std::string, Address, std::less<>> addresses;         // `$a`
};

// A deadline for one match; `exceeded` is set when the search gave up at it
// (the match then fails, and binds nothing).
struct MatchLimit {
  std::chrono::steady_clock::time_point deadline;
  bool exceeded = false;
};

bool matches(const Expectation& expect, const Result& result, Bindings& bindings, MatchLimit* limit = nullptr);

// Whether any argument of the line is a variable.
bool has_variables(const Line& line);

// The line with every variable argument replaced by its value; nullopt when
// a variable is unbound (its name is stored in *unbound).
std::optional<Line> resolve(const Line& line, const Bindings& bindings, std::string* unbound);

}  // namespace sockspec
