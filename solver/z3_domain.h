// The Z3 value domain for the bind-conflict relation (model/bind_conflict.h).
//
// Contract: Z3Domain provides what the relation's domain concept asks for
// (Bool, Int, lit, and_, or_, not_, eq, ite) over z3::expr, so that
// bind_conflict_guard<Z3Domain> builds, from the very same source the model
// evaluates, a formula Z3 can search (DESIGN.md, principle 3).
//
// Literals need a context and the domain's functions are static, so a
// Z3Domain::Use object names the context for the current thread while it
// lives; building a literal without one is a logic error (it throws).
#pragma once

#include <z3++.h>

#include <cstdint>
#include <stdexcept>

namespace sockspec::solver {

struct Z3Domain {
  using Bool = z3::expr;
  using Int = z3::expr;

  // Makes `ctx` the context literals are built in, on this thread, while alive.
  class Use {
   public:
    explicit Use(z3::context& ctx) : previous_(current()) { current() = &ctx; }
    ~Use() { current() = previous_; }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;

   private:
    z3::context* previous_;
  };

  static z3::context& ctx() {
    if (!current()) throw std::logic_error("Z3Domain: no context in use (create a Z3Domain::Use)");
    return *current();
  }

  static Bool lit(bool b) { return ctx().bool_val(b); }
  static Int lit(std::int64_t i) { return ctx().int_val(static_cast<int64_t>(i)); }
  static Bool and_(const Bool& a, const Bool& b) { return a && b; }
  static Bool or_(const Bool& a, const Bool& b) { return a || b; }
  static Bool not_(const Bool& a) { return !a; }
  static Bool eq(const Int& a, const Int& b) { return a == b; }
  static Bool ite(const Bool& c, const Bool& a, const Bool& b) { return z3::ite(c, a, b); }

 private:
  static z3::context*& current() {
    thread_local z3::context* ctx = nullptr;
    return ctx;
  }
};

}  // namespace sockspec::solver
