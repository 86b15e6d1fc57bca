// Matching results against expectations: see scenario/match.h.
//
// A match is tried one alternative at a time. Variables the alternative
// introduces are collected in a Tentative list and copied into the Bindings
// only when the whole alternative matched, so a failed alternative binds
// nothing. ss tables are matched as multisets: every pattern row takes a
// distinct result row (a bipartite matching, Kuhn's augmenting paths); rows
// that bind variables are tried by backtracking first, then the rest must
// match with those bindings fixed.

#include "scenario/match.h"

#include <algorithm>
#include <type_traits>
#include <vector>

namespace sockspec {
namespace {

// Variables bound so far in the alternative being tried, on top of the
// committed Bindings. Small: an alternative rarely binds more than two.
class Tentative {
 public:
  explicit Tentative(const Bindings& committed) : committed_(committed) {}

  bool port(const std::string& name, std::uint16_t value) {
    for (const auto& [n, v] : ports_)
      if (n == name) return v == value;
    if (auto it = committed_.ports.find(name); it != committed_.ports.end()) return it->second == value;
    ports_.emplace_back(name, value);
    return true;
  }
  bool address(const std::string& name, const Address& value) {
    for (const auto& [n, v] : addresses_)
      if (n == name) return v == value;
    if (auto it = committed_.addresses.find(name); it != committed_.addresses.end()) return it->second == value;
    addresses_.emplace_back(name, value);
    return true;
  }
  // Undo point for backtracking.
  std::pair<std::size_t, std::size_t> mark() const { return {ports_.size(), addresses_.size()}; }
  void rewind(std::pair<std::size_t, std::size_t> m) {
    ports_.resize(m.first);
    addresses_.resize(m.second);
  }
  void commit(Bindings& bindings) const {
    for (const auto& [n, v] : ports_) bindings.ports.emplace(n, v);
    for (const auto& [n, v] : addresses_) bindings.addresses.emplace(n, v);
  }

 private:
  const Bindings& committed_;
  std::vector<std::pair<std::string, std::uint16_t>> ports_;
  std::vector<std::pair<std::string, Address>> addresses_;
};

bool match_address(const AddressTerm& term, const Address& a, Tentative& vars) {
  if (!term.var.empty()) return vars.address(term.var, a);
  const Address& b = term.base;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case AddressKind::Unspec: return true;
    case AddressKind::Unix: return a.path == b.path;
    case AddressKind::Inet4:
    case AddressKind::Inet6: break;
  }
  if (a.ip != b.ip || a.scope != b.scope) return false;
  switch (term.port.kind) {
    case PortTerm::Kind::Exact: return a.port == b.port;
    case PortTerm::Kind::Any: return true;
    case PortTerm::Kind::Range: return term.port.lo <= a.port && a.port <= term.port.hi;
    case PortTerm::Kind::Var: return vars.port(term.port.var, a.port);
  }
  return false;
}

// An ss address field: `*` (no term, not none) takes anything; `*:*` only
// "no address"; a term only an address it matches.
bool match_row_address(const std::optional<AddressTerm>& term, bool none, const std::optional<Address>& a,
                       Tentative& vars) {
  if (none) return !a.has_value();
  if (!term) return true;
  return a.has_value() && match_address(*term, *a, vars);
}

bool match_row(const SsRowPattern& p, const SsRow& r, Tentative& vars) {
  return (!p.proto || *p.proto == r.proto) && (!p.state || *p.state == r.state) &&
         (!p.recvq || *p.recvq == r.recvq) && (!p.sendq || *p.sendq == r.sendq) &&
         match_row_address(p.local, p.local_none, r.local, vars) &&
         match_row_address(p.peer, p.peer_none, r.peer, vars);
}

bool row_has_variables(const SsRowPattern& p) {
  auto has = [](const std::optional<AddressTerm>& t) {
    return t && (!t->var.empty() || t->port.kind == PortTerm::Kind::Var);
  };
  return has(p.local) || has(p.peer);
}

// Kuhn's algorithm: can every pattern in `free_patterns` take a distinct
// result row not in `used`? Variables are all bound by now, so matching a
// row binds nothing new (a row with a variable was handled by the caller).
class RowMatching {
 public:
  RowMatching(const std::vector<const SsRowPattern*>& patterns, const std::vector<SsRow>& rows,
              const std::vector<bool>& used, Tentative& vars)
      : patterns_(patterns), rows_(rows), used_(used), vars_(vars), owner_(rows.size(), -1) {}

  bool perfect() {
    for (std::size_t p = 0; p < patterns_.size(); ++p) {
      seen_.assign(rows_.size(), false);
      if (!augment(static_cast<int>(p))) return false;
    }
    return true;
  }

 private:
  bool augment(int p) {
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (used_[r] || seen_[r] || !match_row(*patterns_[p], rows_[r], vars_)) continue;
      seen_[r] = true;
      if (owner_[r] < 0 || augment(owner_[r])) {
        owner_[r] = p;
        return true;
      }
    }
    return false;
  }

  const std::vector<const SsRowPattern*>& patterns_;
  const std::vector<SsRow>& rows_;
  const std::vector<bool>& used_;
  Tentative& vars_;
  std::vector<int> owner_;
  std::vector<bool> seen_;
};

// Assigns the variable rows one by one (backtracking over result rows),
// then checks the plain rows by bipartite matching.
bool match_variable_rows(const std::vector<const SsRowPattern*>& var_rows, std::size_t k,
                         const std::vector<const SsRowPattern*>& plain_rows, const std::vector<SsRow>& rows,
                         std::vector<bool>& used, Tentative& vars) {
  if (k == var_rows.size()) return RowMatching(plain_rows, rows, used, vars).perfect();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (used[r]) continue;
    auto mark = vars.mark();
    if (match_row(*var_rows[k], rows[r], vars)) {
      used[r] = true;
      if (match_variable_rows(var_rows, k + 1, plain_rows, rows, used, vars)) return true;
      used[r] = false;
    }
    vars.rewind(mark);
  }
  return false;
}

bool match_table(const std::vector<SsRowPattern>& patterns, const std::vector<SsRow>& rows, Tentative& vars) {
  if (patterns.size() != rows.size()) return false;
  std::vector<const SsRowPattern*> var_rows, plain_rows;
  for (const SsRowPattern& p : patterns) (row_has_variables(p) ? var_rows : plain_rows).push_back(&p);
  std::vector<bool> used(rows.size(), false);
  return match_variable_rows(var_rows, 0, plain_rows, rows, used, vars);
}

bool match_exact(const Result& want, const Result& got) {
  if (want.kind != got.kind) return false;
  switch (want.kind) {
    case Result::Kind::Errno:
    case Result::Kind::Integer:
    case Result::Kind::Events: return want.integer == got.integer;  // events: a bit set
    case Result::Kind::Table: {
      if (want.rows.size() != got.rows.size()) return false;
      return std::is_permutation(want.rows.begin(), want.rows.end(), got.rows.begin());
    }
    default: return want == got;
  }
}

bool match_from(const Pattern& p, const Result& got, Tentative& vars) {
  if (got.kind != Result::Kind::From || got.from_truncated != p.exact.from_truncated) return false;
  bool data = got.from_truncated ? got.integer == p.exact.integer : got.text == p.exact.text;
  if (!data) return false;
  if (!p.address) return !got.address.has_value();
  return got.address.has_value() && match_address(*p.address, *got.address, vars);
}

bool match_pattern(const Pattern& p, const Result& got, Tentative& vars) {
  switch (p.kind) {
    case Pattern::Kind::Exact: return match_exact(p.exact, got);
    case Pattern::Kind::AnyError: return got.kind == Result::Kind::Errno;
    case Pattern::Kind::Anything: return true;
    case Pattern::Kind::Skip: return got.kind == Result::Kind::Skip;
    case Pattern::Kind::Address:
      return got.kind == Result::Kind::Address && got.address && p.address &&
             match_address(*p.address, *got.address, vars);
    case Pattern::Kind::From: return match_from(p, got, vars);
    case Pattern::Kind::Table: return got.kind == Result::Kind::Table && match_table(p.rows, got.rows, vars);
  }
  return false;
}

bool term_has_variables(const AddressTerm& t) { return !t.var.empty() || t.port.kind == PortTerm::Kind::Var; }

// Replaces `$a` or `$p` in one argument; false when a variable is unbound.
bool resolve_term(AddressTerm& t, const Bindings& b, std::string* unbound) {
  if (!t.var.empty()) {
    auto it = b.addresses.find(t.var);
    if (it == b.addresses.end()) {
      if (unbound) *unbound = t.var;
      return false;
    }
    t = AddressTerm{it->second, {}, {}};
    return true;
  }
  if (t.port.kind == PortTerm::Kind::Var) {
    auto it = b.ports.find(t.port.var);
    if (it == b.ports.end()) {
      if (unbound) *unbound = t.port.var;
      return false;
    }
    t.base.port = it->second;
    t.port = PortTerm{};
  }
  return true;
}

// The address argument of a line (Operation or const Operation), if any:
// only bind, connect and sendto take one.
template <typename Op>
auto* argument_address(Op& op) {
  using Term = std::conditional_t<std::is_const_v<Op>, const AddressTerm, AddressTerm>;
  Term* term = nullptr;
  if (auto* b = std::get_if<op::Bind>(&op)) term = &b->addr;
  if (auto* c = std::get_if<op::Connect>(&op)) term = &c->addr;
  if (auto* s = std::get_if<op::SendTo>(&op)) term = &s->addr;
  return term;
}

}  // namespace

bool matches(const Expectation& expect, const Result& result, Bindings& bindings) {
  for (const Pattern& p : expect.alternatives) {
    Tentative vars(bindings);
    if (match_pattern(p, result, vars)) {
      vars.commit(bindings);
      return true;
    }
  }
  return false;
}

bool has_variables(const Line& line) {
  auto* term = argument_address(line.op);
  return term && term_has_variables(*term);
}

std::optional<Line> resolve(const Line& line, const Bindings& bindings, std::string* unbound) {
  Line out = line;
  if (AddressTerm* term = argument_address(out.op); term && !resolve_term(*term, bindings, unbound))
    return std::nullopt;
  return out;
}

}  // namespace sockspec
