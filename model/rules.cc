// The registry of every rule the model cites. Each is documented in
// spec/<area>.md under a heading with its name (a test keeps both equal).
#include "model/rules.h"

#include <algorithm>
#include <array>

namespace sockspec {

namespace {

constexpr Rule kRules[] = {
    // ---- socket lifecycle (spec/socket.md)
    {"socket.name.not_open_ebadf", "socket"},
    // ---- bind (spec/bind.md)
    // ---- listen (spec/listen.md)
    // ---- connect (spec/connect.md)
    // ---- accept (spec/accept.md)
    // ---- namespaces (spec/namespaces.md)
    // ---- urgent data (spec/oob.md)
    // ---- AF_UNIX (spec/unix.md)
    // ---- data (spec/data.md)
};

}  // namespace

std::span<const Rule> all_rules() { return kRules; }

const Rule* find_rule(std::string_view name) {
  auto it = std::find_if(std::begin(kRules), std::end(kRules), [&](const Rule& r) { return r.name == name; });
  return it == std::end(kRules) ? nullptr : it;
}

}  // namespace sockspec
