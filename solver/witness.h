// Witnesses as scenarios: the concrete sockets a Z3 model names, written in
// the scenario language so the kernel and the model can check them.
//
// Contract: ScenarioWriter builds the scenario's lines (scenario/ast.h) and
// prints them with the printer; it appends lines that set sockets up exactly as a
// SocketChoice says (uid, options, bind, then its role: listen, connect to a
// helper listener, or connect and close actively for TIME_WAIT), each with
// the expectation `ok`, and remembers which lines carry a prediction
// (`decisive`) so a confirmation can look at them. The text parses with
// parse_scenario and needs nothing outside its own namespaces.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/ast.h"
#include "solver/bind_space.h"

namespace sockspec::solver {

// A prediction for the kernels a variation of the relation holds on
// (model/kernel_variations.h), written as the line's `@COND -> EXPECT`.
struct KernelPrediction {
  KernelCondition when;
  std::string_view expect;  // "ok" or an errno name
};

// A line that carries a prediction of the relation, and the rule that made it.
struct Decisive {
  int line_no = 0;
  std::string_view rule;
};

class ScenarioWriter {
 public:
  void comment(std::string_view text);  // `# text` (several lines allowed)
  void blank();
  // `ns NAME`, then the sysctls and addresses the sockets of this section need.
  void section(std::string_view ns, const KnobChoice& knobs, bool needs_extra_v6);
  // `sysctl net.ipv4.ip_local_port_range P P`: bind(port 0) can only pick P.
  void single_port_range(std::uint16_t port);
  // Creates `name` as `s` says, sets its options and binds it (`-> ok`);
  // with `explicit_port` false it binds port 0.
  void create_and_bind(std::string_view name, const SocketChoice& s);
  // Takes `name` (created and bound) into its role; `tag` names helpers uniquely.
  void enter_role(std::string_view name, const SocketChoice& s, std::string_view tag);
  // Creates `name`, sets its options and binds it with the predicted result.
  // `elsewhere`: what the bind gives instead on the kernels it names.
  void bind_predicted(std::string_view name, const SocketChoice& s, bool explicit_port, std::string_view expect,
                      std::string_view rule, std::optional<KernelPrediction> elsewhere = std::nullopt);
  // `listen NAME 5` with the predicted result.
  void listen_predicted(std::string_view name, std::string_view expect, std::string_view rule);

  // The scenario as text (comments included) and as the lines it holds.
  const std::string& text() const { return text_; }
  const Program& program() const { return program_; }
  const std::vector<Decisive>& decisive() const { return decisive_; }

 private:
  void add(const Line& line);  // printed by the printer, `-> EXPECT` included
  void create(std::string_view name, const SocketChoice& s);
  void switch_uid(std::int64_t uid);

  std::string text_;
  Program program_;
  int line_no_ = 0;
  std::int64_t uid_ = 0;
  std::vector<Decisive> decisive_;
};

// "tcp inet6 [::]:40000 SO_REUSEADDR" — a socket in one phrase, for tables and comments.
std::string describe(const SocketChoice& s);
std::string describe(const KnobChoice& k);

// Whether any socket needs fd00::2 added.
bool needs_extra_v6(const SocketChoice& s);

}  // namespace sockspec::solver
