// The registry of named spec rules (DESIGN.md, principle 2).
//
// Contract: every rule the model can cite is listed by all_rules() with the
// spec/ file that documents it; tests keep this list and spec/*.md equal.
// A RuleTrace records, without allocating, which rules decided one step.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace sockspec {

struct Rule {
  std::string_view name;     // `bind.conflict.wildcard_v4`
  std::string_view area;     // the spec file, without `.md`: `bind`
};

std::span<const Rule> all_rules();
const Rule* find_rule(std::string_view name);

class RuleTrace {
 public:
  static constexpr std::size_t kCapacity = 16;
  void add(std::string_view rule) {
    if (size_ < kCapacity) items_[size_++] = rule;
  }
  void clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  const std::string_view* begin() const { return items_.data(); }
  const std::string_view* end() const { return items_.data() + size_; }
  bool contains(std::string_view rule) const {
    for (auto r : *this) if (r == rule) return true;
    return false;
  }

 private:
  std::array<std::string_view, kCapacity> items_{};
  std::size_t size_ = 0;
};

}  // namespace sockspec
