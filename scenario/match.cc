// Matching results against expectations: see scenario/match.h.
//
// A match is tried one alternative at a time. Variables the alternative
// introduces are collected in a Tentative list and copied into the Bindings
// only when the whole alternative matched, so a failed alternative binds
// nothing. ss tables are matched as multisets: every pattern row takes a
// distinct result row (an assignment problem: the algorithm is described in
// scenario/match.h).

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
  bool bound(bool is_address, const std::string& name) const {
    if (is_address)
      return committed_.addresses.count(name) ||
             std::any_of(addresses_.begin(), addresses_.end(), [&](const auto& v) { return v.first == name; });
    return committed_.ports.count(name) ||
           std::any_of(ports_.begin(), ports_.end(), [&](const auto& v) { return v.first == name; });
  }
  // The variables bound since a mark, to compare two choices.
  using Snapshot = std::pair<std::vector<std::pair<std::string, std::uint16_t>>,
                             std::vector<std::pair<std::string, Address>>>;
  Snapshot since(std::pair<std::size_t, std::size_t> m) const {
    return {{ports_.begin() + m.first, ports_.end()}, {addresses_.begin() + m.second, addresses_.end()}};
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

// The variables a row pattern names, as (is an address, name).
using VarName = std::pair<bool, std::string>;
std::vector<VarName> row_variables(const SsRowPattern& p) {
  std::vector<VarName> out;
  for (const auto* t : {&p.local, &p.peer}) {
    if (!*t) continue;
    if (!(*t)->var.empty()) out.emplace_back(true, (*t)->var);
    if ((*t)->port.kind == PortTerm::Kind::Var) out.emplace_back(false, (*t)->port.var);
  }
  return out;
}

// The assignment of pattern rows to result rows: see scenario/match.h.
class TableMatcher {
 public:
  TableMatcher(const std::vector<SsRowPattern>& patterns, const std::vector<SsRow>& rows, Tentative& vars,
               MatchLimit* limit)
      : patterns_(patterns), rows_(rows), vars_(vars), limit_(limit) {}

  bool run() {
    if (patterns_.size() != rows_.size()) return false;
    find_shared_variables();
    return bind_shared(0);
  }

 private:
  // Variables unbound so far that occur in two rows or more, each with the
  // first row naming it, in order of first occurrence.
  void find_shared_variables() {
    std::map<VarName, std::pair<std::size_t, int>> seen;  // first row, rows naming it
    std::vector<VarName> order;
    for (std::size_t i = 0; i < patterns_.size(); ++i) {
      auto names = row_variables(patterns_[i]);
      if (!names.empty()) variable_rows_.push_back(i);
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      for (const VarName& n : names) {
        if (vars_.bound(n.first, n.second)) continue;
        auto [it, fresh] = seen.try_emplace(n, i, 0);
        if (fresh) order.push_back(n);
        ++it->second.second;
      }
    }
    for (const VarName& n : order)
      if (seen[n].second > 1) shared_.emplace_back(n, seen[n].first);
  }

  // Fixes shared variable k (and those after it), trying the values its
  // first row takes against each result row; every choice must leave a
  // perfect assignment possible (unfixed variables still bind freely).
  bool bind_shared(std::size_t k) {
    if (out_of_time() || !feasible()) return false;
    if (k == shared_.size()) return assign();
    const auto& [name, first_row] = shared_[k];
    if (vars_.bound(name.first, name.second)) return bind_shared(k + 1);
    std::vector<Tentative::Snapshot> tried;
    for (std::size_t j = 0; j < rows_.size(); ++j) {
      auto mark = vars_.mark();
      if (match_row(patterns_[first_row], rows_[j], vars_)) {
        auto values = vars_.since(mark);
        if (std::find(tried.begin(), tried.end(), values) == tried.end()) {
          tried.push_back(std::move(values));
          if (bind_shared(k + 1)) return true;
        }
      }
      vars_.rewind(mark);
    }
    return false;
  }

  // Builds the compatibility matrix under the current bindings and finds a
  // perfect assignment.
  bool feasible() {
    const std::size_t n = rows_.size();
    compatible_.assign(n, std::vector<bool>(n, false));
    for (std::size_t i = 0; i < n; ++i) {
      if (out_of_time()) return false;
      for (std::size_t j = 0; j < n; ++j) {
        auto mark = vars_.mark();
        compatible_[i][j] = match_row(patterns_[i], rows_[j], vars_);
        vars_.rewind(mark);
      }
    }
    owner_.assign(n, -1);
    row_of_.assign(n, -1);
    blocked_.assign(n, false);
    for (std::size_t i = 0; i < n; ++i) {
      seen_.assign(n, false);
      if (!augment(static_cast<int>(i))) return false;
    }
    return true;
  }

  // Kuhn's augmenting path from pattern p, avoiding pinned rows.
  bool augment(int p) {
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (blocked_[r] || seen_[r] || !compatible_[p][r]) continue;
      seen_[r] = true;
      if (owner_[r] < 0 || augment(owner_[r])) {
        owner_[r] = p;
        row_of_[p] = static_cast<int>(r);
        return true;
      }
    }
    return false;
  }

  // Pins each row that binds variables, in pattern order, to the first
  // result row that keeps the assignment perfect, then binds from it.
  bool assign() {
    for (std::size_t i : variable_rows_) {
      if (out_of_time()) return false;
      pin(static_cast<int>(i));
    }
    for (std::size_t i : variable_rows_)
      if (!match_row(patterns_[i], rows_[row_of_[i]], vars_)) return false;  // cannot happen: compatible
    return true;
  }

  void pin(int p) {
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (blocked_[r] || !compatible_[p][r]) continue;
      if (row_of_[p] == static_cast<int>(r) || reroute(p, static_cast<int>(r))) {
        blocked_[r] = true;
        return;
      }
    }
  }

  // Moves pattern p to row r; the pattern that held r must find another.
  bool reroute(int p, int r) {
    auto saved_owner = owner_;
    auto saved_row_of = row_of_;
    const int displaced = owner_[r];
    owner_[row_of_[p]] = -1;
    owner_[r] = p;
    row_of_[p] = r;
    seen_.assign(rows_.size(), false);
    seen_[r] = true;
    if (augment(displaced)) return true;
    owner_ = std::move(saved_owner);
    row_of_ = std::move(saved_row_of);
    return false;
  }

  bool out_of_time() {
    if (limit_ && std::chrono::steady_clock::now() > limit_->deadline) limit_->exceeded = true;
    return limit_ && limit_->exceeded;
  }

  const std::vector<SsRowPattern>& patterns_;
  const std::vector<SsRow>& rows_;
  Tentative& vars_;
  MatchLimit* limit_;
  std::vector<std::size_t> variable_rows_;
  std::vector<std::pair<VarName, std::size_t>> shared_;
  std::vector<std::vector<bool>> compatible_;
  std::vector<int> owner_, row_of_;  // result row -> pattern, pattern -> result row
  std::vector<bool> blocked_, seen_;
};

bool match_table(const std::vector<SsRowPattern>& patterns, const std::vector<SsRow>& rows, Tentative& vars,
                 MatchLimit* limit) {
  return TableMatcher(patterns, rows, vars, limit).run();
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

bool match_pattern(const Pattern& p, const Result& got, Tentative& vars, MatchLimit* limit) {
  switch (p.kind) {
    case Pattern::Kind::Exact: return match_exact(p.exact, got);
    case Pattern::Kind::AnyError: return got.kind == Result::Kind::Errno;
    case Pattern::Kind::Anything: return true;
    case Pattern::Kind::Skip: return got.kind == Result::Kind::Skip;
    case Pattern::Kind::Address:
      return got.kind == Result::Kind::Address && got.address && p.address &&
             match_address(*p.address, *got.address, vars);
    case Pattern::Kind::From: return match_from(p, got, vars);
    case Pattern::Kind::Table: return got.kind == Result::Kind::Table && match_table(p.rows, got.rows, vars, limit);
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

bool matches(const Expectation& expect, const Result& result, Bindings& bindings, MatchLimit* limit) {
  for (const Pattern& p : expect.alternatives) {
    Tentative vars(bindings);
    if (match_pattern(p, result, vars, limit)) {
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
