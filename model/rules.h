// The registry of named spec rules (DESIGN.md, principle 2).
//
// Contract: every rule the model can cite is listed by all_rules() with the
// spec/ file that documents it; tests keep this list and spec/*.md equal.
// A RuleTrace records which rules decided one step: the first 16 without
// allocating, any more on the heap (none is ever dropped).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace sockspec {

struct Rule {
  std::string_view name;     // `bind.conflict.wildcard_v4`
  std::string_view area;     // the spec file, without `.md`: `bind`
};

std::span<const Rule> all_rules();
const Rule* find_rule(std::string_view name);

class RuleTrace {
 public:
  static constexpr std::size_t kInline = 16;
  void add(std::string_view rule) {
    if (!spill_.empty()) { spill_.push_back(rule); return; }
    if (size_ < kInline) { items_[size_++] = rule; return; }
    spill_.assign(items_.begin(), items_.end());  // a 17th rule: move to the heap
    spill_.push_back(rule);
  }
  void clear() { size_ = 0; spill_.clear(); }
  std::size_t size() const { return spill_.empty() ? size_ : spill_.size(); }
  const std::string_view* begin() const { return spill_.empty() ? items_.data() : spill_.data(); }
  const std::string_view* end() const { return begin() + size(); }
  bool contains(std::string_view rule) const {
    for (auto r : *this) if (r == rule) return true;
    return false;
  }
  friend bool operator==(const RuleTrace& a, const RuleTrace& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  std::array<std::string_view, kInline> items_{};
  std::size_t size_ = 0;
  std::vector<std::string_view> spill_;
};

}  // namespace sockspec
