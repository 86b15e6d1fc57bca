// Expectations against results, and the variables they bind.
//
// Contract: `matches` says whether a result satisfies an expectation; on a
// match it binds the variables the matching alternative introduces (and only
// then). `resolve` substitutes bound variables into a line's arguments.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "scenario/ast.h"

namespace sockspec {

struct Bindings {
  std::map<std::string, std::uint16_t, std::less<>> ports;       // `$p`
  std::map<std::string, Address, std::less<>> addresses;         // `$a`
};

bool matches(const Expectation& expect, const Result& result, Bindings& bindings);

// Whether any argument of the line is a variable.
bool has_variables(const Line& line);

// The line with every variable argument replaced by its value; nullopt when
// a variable is unbound (its name is stored in *unbound).
std::optional<Line> resolve(const Line& line, const Bindings& bindings, std::string* unbound);

}  // namespace sockspec
