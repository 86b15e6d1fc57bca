// Errno names (scenario/printer.h): the kernel's own spelling, from glibc's
// strerrorname_np, plus the aliases the C library defines to the same number.

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

#include "scenario/printer.h"

namespace sockspec {
namespace {

// Linux errnos stop below 150 (include/uapi/asm-generic/errno.h ends at
// EHWPOISON, 133); 200 leaves room without guessing.
constexpr int kLargestErrno = 200;

// Names that are a second spelling of another errno's number. strerrorname_np
// returns only the primary name, so these are listed by hand.
struct Alias { std::string_view name; int number; };
constexpr Alias kAliases[] = {
    {"EWOULDBLOCK", EWOULDBLOCK},
    {"EDEADLOCK", EDEADLOCK},
    {"ENOTSUP", ENOTSUP},
};

const std::unordered_map<std::string_view, int>& errno_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, int> t;
    for (int e = 1; e <= kLargestErrno; ++e) {
      if (const char* name = strerrorname_np(e)) t.emplace(name, e);
    }
    for (const Alias& a : kAliases) t.emplace(a.name, a.number);
    return t;
  }();
  return table;
}

}  // namespace

std::string errno_name(int error) {
  if (const char* name = strerrorname_np(error)) return name;
  return "E" + std::to_string(error);
}

std::optional<int> errno_from_name(std::string_view name) {
  const auto& table = errno_table();
  if (auto it = table.find(name); it != table.end()) return it->second;
  // `E<number>` is how errno_name prints a number without a name.
  if (name.size() > 1 && name[0] == 'E') {
    int number = 0;
    auto digits = name.substr(1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec == std::errc() && end == digits.data() + digits.size() && number > 0 &&
        digits[0] != '0')
      return number;
  }
  return std::nullopt;
}

}  // namespace sockspec
