// `solve coexist`: can these sockets all bind (and listen), and with which
// options? The user leaves option values open with `?`; Z3 fills them in
// or proves that no values work.
//
// The input format (docs/solver.md), one socket or knob a line:
//   # a comment
//   sysctl net.ipv6.bindv6only 0|1|?
//   PROTO ACTION ADDRESS [OPTION=VALUE]...
// PROTO is tcp, udp or mptcp; ACTION bind, or listen (tcp, mptcp: bind, then listen);
// ADDRESS is a scenario-language address with a nonzero port; OPTION is
// v6only, reuseaddr or reuseport (VALUE 0, 1 or ?) or uid (0, 1000 or ?).
// An option not written is off (v6only: the sysctl decides; uid: 0).
// Sockets act in file order: socket k binds (and listens) while sockets
// 1..k-1 hold their ports in their final state.
//
// Contract: parse_coexist throws CoexistError naming the line on bad input;
// solve_coexist either returns values for every open field, with the
// witness scenario (every line expected `ok`), or, when unsat, the pairs
// of sockets (1-based) whose conflicts together leave no solution.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "solver/search.h"

namespace sockspec::solver {

class CoexistError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An option as written: fixed, or open (`?`).
struct OpenBool {
  std::optional<bool> value;  // nullopt: `?`
};

struct CoexistSocket {
  int line_no = 0;
  Proto proto = Proto::Tcp;
  bool listen = false;
  Address address;
  std::optional<OpenBool> v6only;  // not written: the sysctl decides
  OpenBool reuseaddr{false}, reuseport{false};
  std::optional<std::int64_t> uid = 0;  // nullopt: `?`
};

struct CoexistProblem {
  std::string file;
  OpenBool bindv6only{false};
  std::vector<CoexistSocket> sockets;
};

CoexistProblem parse_coexist(std::string_view text, std::string_view file = "<string>");

struct CoexistAnswer {
  bool sat = false;
  std::vector<SocketChoice> sockets;  // sat: the chosen values
  KnobChoice knobs;
  Witness witness;                    // sat: the scenario
  std::vector<std::pair<int, int>> conflicting;  // unsat: (holder, newcomer), 1-based socket numbers
};

CoexistAnswer solve_coexist(const CoexistProblem& problem);

}  // namespace sockspec::solver
