// The structure-aware scenario mutator (fuzz/mutator.h).
#include "fuzz/mutator.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "scenario/address_builders.h"
#include "scenario/parser.h"
#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec::fuzz {

namespace {

using Rng = std::mt19937;

// ------------------------------------------------------------ dictionaries

// Hosts where bind conflicts live: the wildcards of both families, two
// loopback addresses, and the v4-mapped form that links the two families
// (inet_bind_conflict / ipv6_rcv_saddr_equal).
const std::vector<Address>& host_dictionary() {
  static const std::vector<Address> hosts = {
      inet4_address(0, 0, 0, 0),
      inet4_address(127, 0, 0, 1),
      inet4_address(127, 0, 0, 2),
      inet6_address({}),                                                         // ::
      inet6_address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),           // ::1
      inet6_address({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}),   // ::ffff:127.0.0.1
      unix_address("@a"),
      unix_address("@b"),
      unix_address("/tmp/a"),
      unix_address("b"),
      unix_address(""),  // unnamed: autobind
  };
  return hosts;
}

constexpr std::uint16_t kPorts[] = {0, 8080, 8080, 8081};

template <typename T, std::size_t N>
const T& pick(Rng& rng, const T (&items)[N]) {
  return items[std::uniform_int_distribution<std::size_t>(0, N - 1)(rng)];
}

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& items) {
  return items[std::uniform_int_distribution<std::size_t>(0, items.size() - 1)(rng)];
}

// Any option of the language (scenario/vocabulary.h).
SockOpt random_option(Rng& rng) {
  const auto options = vocab::options();
  return options[std::uniform_int_distribution<std::size_t>(0, options.size() - 1)(rng)].opt;
}

bool chance(Rng& rng, int percent) { return std::uniform_int_distribution<int>(0, 99)(rng) < percent; }

std::size_t below(Rng& rng, std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

AddressTerm random_address(Rng& rng, bool allow_unspec) {
  AddressTerm term;
  if (allow_unspec && chance(rng, 5)) return term;  // `unspec`
  term.base = pick(rng, host_dictionary());
  if (term.base.kind == AddressKind::Inet4 || term.base.kind == AddressKind::Inet6)
    term.base.port = pick(rng, kPorts);
  return term;
}


// A value of the kind the option takes (and, rarely, of another kind, so
// the kernel's EINVAL paths are exercised too).
OptValue random_opt_value(Rng& rng, SockOpt opt) {
  OptValue v;
  switch (opt) {
    case SockOpt::SoLinger:
      if (chance(rng, 30)) {
        v.kind = OptValue::Kind::Off;
        return v;
      }
      v.integer = static_cast<std::int64_t>(below(rng, 3));
      return v;
    case SockOpt::IpLocalPortRange:
      v.kind = OptValue::Kind::Range;
      v.lo = chance(rng, 20) ? 0 : 40000;
      v.hi = chance(rng, 20) ? 0 : 40001;
      return v;
    case SockOpt::SoBindtodevice:
      if (chance(rng, 30)) {
        v.kind = OptValue::Kind::Off;
        return v;
      }
      v.kind = OptValue::Kind::Name;
      v.name = chance(rng, 80) ? "lo" : "nosuchdev";
      return v;
    case SockOpt::SoRcvbuf:
    case SockOpt::SoSndbuf: {
      constexpr std::int64_t kSizes[] = {0, 1, 256, 4096, 65536};
      v.integer = pick(rng, kSizes);
      return v;
    }
    default:
      v.integer = chance(rng, 85) ? 1 : 0;
      return v;
  }
}

MsgFlags random_flags(Rng& rng) {
  if (chance(rng, 50)) return 0;
  if (chance(rng, 40)) return kMsgOob;
  MsgFlags flags = 0;
  constexpr MsgFlag kAll[] = {kMsgOob, kMsgPeek, kMsgTrunc, kMsgWaitall, kMsgDontwait};
  for (MsgFlag f : kAll)
    if (chance(rng, 30)) flags |= f;
  return flags;
}

std::string random_data(Rng& rng) {
  static const std::vector<std::string> data = {"a", "ab", "abc", "abcd", "x", "y", std::string("\0z", 2), ""};
  return pick(rng, data);
}

std::int64_t random_len(Rng& rng) {
  constexpr std::int64_t kLens[] = {0, 1, 2, 3, 16, 16, 16, -1};
  return pick(rng, kLens);
}

std::int64_t random_backlog(Rng& rng) {
  constexpr std::int64_t kBacklogs[] = {0, 1, 1, 5, 5, -1};
  return pick(rng, kBacklogs);
}

op::Socket random_socket_op(Rng& rng) {
  constexpr Family kFamilies[] = {Family::Inet, Family::Inet, Family::Inet6, Family::Inet6, Family::Unix};
  constexpr SockType kTypes[] = {SockType::Stream, SockType::Stream, SockType::Dgram, SockType::Seqpacket};
  op::Socket s{pick(rng, kFamilies), pick(rng, kTypes), {}};
  if (chance(rng, 10)) {
    constexpr Protocol::Name kProtos[] = {Protocol::Name::Tcp, Protocol::Name::Udp, Protocol::Name::Mptcp,
                                          Protocol::Name::Udplite, Protocol::Name::Sctp};
    s.proto.name = pick(rng, kProtos);
  }
  return s;
}

// ------------------------------------------------------------ socket names

std::set<std::string> names_declared_before(const Program& program, std::size_t end) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < end && i < program.lines.size(); ++i)
    names.insert(program.lines[i].names.begin(), program.lines[i].names.end());
  return names;
}

std::string fresh_name(const std::set<std::string>& taken, Rng& rng) {
  for (int attempt = 0;; ++attempt) {
    std::string name = "s" + std::to_string(attempt < 8 ? below(rng, 16) : static_cast<std::size_t>(attempt));
    if (!taken.contains(name)) return name;
  }
}

std::string pick_name(Rng& rng, const std::set<std::string>& names) {
  auto it = names.begin();
  std::advance(it, static_cast<std::ptrdiff_t>(below(rng, names.size())));
  return *it;
}

// A new line that fits after the lines that declared `declared`.
Line random_line(Rng& rng, const std::set<std::string>& declared) {
  Line line;
  if (declared.empty() || chance(rng, 15)) {
    if (chance(rng, 8)) {
      line.op = op::SocketPair{Family::Unix, chance(rng, 50) ? SockType::Stream : SockType::Dgram};
      std::string a = fresh_name(declared, rng);
      auto taken = declared;
      taken.insert(a);
      line.names = {a, fresh_name(taken, rng)};
    } else {
      line.op = random_socket_op(rng);
      line.names = {fresh_name(declared, rng)};
    }
    return line;
  }
  line.socket = pick_name(rng, declared);
  switch (below(rng, 20)) {
    case 0: case 1: line.op = op::Bind{random_address(rng, false)}; break;
    case 2: line.op = op::Listen{random_backlog(rng)}; break;
    case 3: case 4: line.op = op::Connect{random_address(rng, true), chance(rng, 20)}; break;
    case 5: {
      line.op = op::Accept{};
      line.names = {fresh_name(declared, rng)};
      break;
    }
    case 6: {
      SockOpt opt = random_option(rng);
      line.op = op::SetSockOpt{opt, random_opt_value(rng, opt)};
      break;
    }
    case 7: line.op = op::GetSockOpt{random_option(rng)}; break;
    case 8: line.op = op::Send{random_data(rng), random_flags(rng)}; break;
    case 9: line.op = op::SendTo{random_data(rng), random_address(rng, true), random_flags(rng)}; break;
    case 10: line.op = op::Recv{random_len(rng), random_flags(rng)}; break;
    case 11: line.op = op::RecvFrom{random_len(rng), random_flags(rng)}; break;
    case 12: line.op = op::SockAtMark{}; break;
    case 13: {
      constexpr ShutHow kHows[] = {ShutHow::Rd, ShutHow::Wr, ShutHow::RdWr};
      line.op = op::Shutdown{pick(rng, kHows)};
      break;
    }
    case 14: line.op = op::Close{}; break;
    case 15: line.op = op::GetSockName{}; break;
    case 16: line.op = op::GetPeerName{}; break;
    case 17: line.op = op::Poll{}; break;
    case 18: {  // socket-less lines
      line.socket.clear();
      if (chance(rng, 50)) {
        line.op = op::Ss{};
      } else {
        constexpr const char* kNamespaces[] = {"main", "n1", "n2"};
        line.op = op::Ns{pick(rng, kNamespaces)};
      }
      break;
    }
    default: {
      line.op = random_socket_op(rng);
      line.socket.clear();
      line.names = {fresh_name(declared, rng)};
      break;
    }
  }
  return line;
}

// ------------------------------------------------------------ value mutation

// Replaces one value of the line by another from the dictionaries. Returns
// false when the line has no value to change.
bool mutate_value(Rng& rng, Line& line) {
  return std::visit(
      [&](auto& o) -> bool {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, op::Socket>) {
          o = random_socket_op(rng);
        } else if constexpr (std::is_same_v<T, op::Bind>) {
          o.addr = random_address(rng, false);
        } else if constexpr (std::is_same_v<T, op::Connect>) {
          if (chance(rng, 20)) o.nowait = !o.nowait;
          else o.addr = random_address(rng, true);
        } else if constexpr (std::is_same_v<T, op::SendTo>) {
          if (chance(rng, 50)) o.addr = random_address(rng, true);
          else o.flags = random_flags(rng);
        } else if constexpr (std::is_same_v<T, op::SetSockOpt>) {
          if (chance(rng, 50)) o.opt = random_option(rng);
          o.value = random_opt_value(rng, o.opt);
        } else if constexpr (std::is_same_v<T, op::GetSockOpt>) {
          o.opt = random_option(rng);
        } else if constexpr (std::is_same_v<T, op::Listen>) {
          o.backlog = random_backlog(rng);
        } else if constexpr (std::is_same_v<T, op::Send>) {
          if (chance(rng, 50)) o.data = random_data(rng);
          else o.flags = random_flags(rng);
        } else if constexpr (std::is_same_v<T, op::Recv> || std::is_same_v<T, op::RecvFrom>) {
          if (chance(rng, 50)) o.len = random_len(rng);
          else o.flags = random_flags(rng);
        } else if constexpr (std::is_same_v<T, op::Shutdown>) {
          o.how = static_cast<ShutHow>(below(rng, 3));
        } else if constexpr (std::is_same_v<T, op::Poll>) {
          o.mask = static_cast<PollEvents>(below(rng, 64));
          o.mask_written = true;
        } else {
          return false;
        }
        return true;
      },
      line.op);
}

// ------------------------------------------------------------ variables

enum class VarKind { Port, Address };

void collect_term(const AddressTerm& term, std::map<std::string, VarKind>& vars) {
  if (!term.var.empty()) vars.emplace(term.var, VarKind::Address);
  if (term.port.kind == PortTerm::Kind::Var) vars.emplace(term.port.var, VarKind::Port);
}

// The variables an expectation binds (the first time it names them).
void collect_bound(const Expectation& expect, std::map<std::string, VarKind>& vars) {
  for (const Pattern& p : expect.alternatives) {
    if (p.address) collect_term(*p.address, vars);
    for (const SsRowPattern& row : p.rows) {
      if (row.local) collect_term(*row.local, vars);
      if (row.peer) collect_term(*row.peer, vars);
    }
  }
}

bool term_is_bound(const AddressTerm& term, const std::map<std::string, VarKind>& vars) {
  auto bound = [&](const std::string& name, VarKind kind) {
    auto it = vars.find(name);
    return it != vars.end() && it->second == kind;
  };
  if (!term.var.empty() && !bound(term.var, VarKind::Address)) return false;
  if (term.port.kind == PortTerm::Kind::Var && !bound(term.port.var, VarKind::Port)) return false;
  return true;
}

// Whether every variable the line uses as an argument is bound.
bool arguments_bound(const Line& line, const std::map<std::string, VarKind>& vars) {
  if (auto* b = std::get_if<op::Bind>(&line.op)) return term_is_bound(b->addr, vars);
  if (auto* c = std::get_if<op::Connect>(&line.op)) return term_is_bound(c->addr, vars);
  if (auto* s = std::get_if<op::SendTo>(&line.op)) return term_is_bound(s->addr, vars);
  return true;
}

bool binds_variables(const Line& line) {
  if (!line.expect) return false;
  std::map<std::string, VarKind> vars;
  collect_bound(*line.expect, vars);
  return !vars.empty();
}

// A changed line's expectation no longer says anything true; keep it only
// when later lines need the variables it binds.
void forget_expectation(Line& line) {
  if (!binds_variables(line)) {
    line.expect.reset();
    line.on_kernels.clear();
  }
}

// Lines that act on a socket no earlier line created are pointed at one
// that exists (fit_to_limits drops those that find none).
void retarget_sockets(Rng& rng, Program& program) {
  std::set<std::string> declared;
  for (Line& line : program.lines) {
    if (!line.socket.empty() && !declared.contains(line.socket) && !declared.empty()) {
      line.socket = pick_name(rng, declared);
      forget_expectation(line);
    }
    declared.insert(line.names.begin(), line.names.end());
  }
}

bool parses_back(const Program& program) {
  try {
    return parse_scenario(print_program(program)) == program;
  } catch (const ParseError&) {
    return false;
  }
}

}  // namespace

// ------------------------------------------------------------ limits

void fit_to_limits(Program& program, const FuzzLimits& limits) {
  std::set<std::string> declared, namespaces;
  std::map<std::string, VarKind> vars;
  std::size_t links = 0;
  std::vector<Line> kept;
  kept.reserve(std::min(program.lines.size(), limits.max_lines));
  for (Line& line : program.lines) {
    if (kept.size() == limits.max_lines) break;
    if (std::holds_alternative<op::Sleep>(line.op)) continue;
    if (!line.socket.empty() && !declared.contains(line.socket)) continue;
    if (!arguments_bound(line, vars)) continue;
    std::size_t new_names = 0;
    for (const auto& name : line.names) new_names += declared.contains(name) ? 0 : 1;
    if (declared.size() + new_names > limits.max_sockets) continue;
    if (auto* ns = std::get_if<op::Ns>(&line.op); ns && ns->name != "main" && !namespaces.contains(ns->name)) {
      if (namespaces.size() == limits.max_namespaces) continue;
      namespaces.insert(ns->name);
    }
    if (std::holds_alternative<op::LinkAdd>(line.op) && links++ == limits.max_links) continue;
    if (auto* r = std::get_if<op::Recv>(&line.op)) r->len = std::min(r->len, limits.max_recv_len);
    if (auto* r = std::get_if<op::RecvFrom>(&line.op)) r->len = std::min(r->len, limits.max_recv_len);
    if (auto* s = std::get_if<op::Send>(&line.op); s && s->data.size() > limits.max_data) s->data.resize(limits.max_data);
    if (auto* s = std::get_if<op::SendTo>(&line.op); s && s->data.size() > limits.max_data)
      s->data.resize(limits.max_data);
    declared.insert(line.names.begin(), line.names.end());
    if (line.expect) collect_bound(*line.expect, vars);
    kept.push_back(std::move(line));
  }
  program.lines = std::move(kept);
}

// ------------------------------------------------------------ the mutator

ScenarioMutator::ScenarioMutator(std::uint32_t seed, FuzzLimits limits) : rng_(seed), limits_(limits) {}

void ScenarioMutator::mutate_once(Program& program) {
  auto& lines = program.lines;
  if (lines.empty()) {
    lines.push_back(random_line(rng_, {}));
    return;
  }
  std::size_t i = below(rng_, lines.size());
  switch (below(rng_, 10)) {
    case 0: case 1: case 2: {  // insert a new line
      std::size_t at = below(rng_, lines.size() + 1);
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), random_line(rng_, names_declared_before(program, at)));
      break;
    }
    case 3:  // delete a line
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    case 4: {  // duplicate a line elsewhere; a duplicated creation makes a new socket
      Line copy = lines[i];
      std::size_t at = i + 1 + below(rng_, lines.size() - i);
      auto taken = names_declared_before(program, lines.size());
      for (auto& name : copy.names) {
        name = fresh_name(taken, rng_);
        taken.insert(name);
      }
      forget_expectation(copy);
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), std::move(copy));
      break;
    }
    case 5: {  // swap two lines
      std::size_t j = below(rng_, lines.size());
      std::swap(lines[i], lines[j]);
      break;
    }
    case 6: {  // act on another socket
      auto declared = names_declared_before(program, i);
      if (lines[i].socket.empty() || declared.empty()) return;
      lines[i].socket = pick_name(rng_, declared);
      forget_expectation(lines[i]);
      break;
    }
    default:  // change a value
      if (mutate_value(rng_, lines[i])) forget_expectation(lines[i]);
      break;
  }
}

Program ScenarioMutator::finish(Program program) {
  retarget_sockets(rng_, program);
  fit_to_limits(program, limits_);
  return program;
}

Program ScenarioMutator::mutate(const Program& program) {
  for (int attempt = 0; attempt < 8; ++attempt) {
    Program mutant = program;
    for (std::size_t n = 1 + below(rng_, 3); n > 0; --n) mutate_once(mutant);
    mutant = finish(std::move(mutant));
    if (!(mutant == program) && parses_back(mutant)) return mutant;
  }
  return generate();
}

Program ScenarioMutator::crossover(const Program& a, const Program& b) {
  Program child;
  child.file = a.file;
  std::size_t cut_a = a.lines.empty() ? 0 : below(rng_, a.lines.size() + 1);
  std::size_t from_b = b.lines.empty() ? 0 : below(rng_, b.lines.size());
  child.lines.assign(a.lines.begin(), a.lines.begin() + static_cast<std::ptrdiff_t>(cut_a));
  if (chance(rng_, 50)) {  // prefix of a, suffix of b
    child.lines.insert(child.lines.end(), b.lines.begin() + static_cast<std::ptrdiff_t>(from_b), b.lines.end());
  } else {  // a block of b spliced into a
    std::size_t block = std::min<std::size_t>(b.lines.size() - from_b, 1 + below(rng_, 6));
    child.lines.insert(child.lines.end(), b.lines.begin() + static_cast<std::ptrdiff_t>(from_b),
                       b.lines.begin() + static_cast<std::ptrdiff_t>(from_b + block));
    child.lines.insert(child.lines.end(), a.lines.begin() + static_cast<std::ptrdiff_t>(cut_a), a.lines.end());
  }
  child = finish(std::move(child));
  return parses_back(child) ? child : mutate(a);
}

Program ScenarioMutator::generate() {
  Program program;
  for (int attempt = 0; attempt < 64; ++attempt) {
    program = Program{};
    program.file = "<generated>";
    std::size_t n = 2 + below(rng_, 8);
    for (std::size_t i = 0; i < n; ++i)
      program.lines.push_back(random_line(rng_, names_declared_before(program, program.lines.size())));
    program = finish(std::move(program));
    if (parses_back(program)) return program;
  }
  // Not reached in practice (random lines are built well-formed); the
  // simplest scenario keeps the contract if it ever is.
  program.lines.assign(1, random_line(rng_, {}));
  program.lines[0].op = op::Socket{Family::Inet, SockType::Stream, {}};
  return program;
}

std::vector<Program> seeded_scenarios(const std::vector<Program>& seeds, std::uint32_t seed, std::size_t count) {
  ScenarioMutator mutator(seed);
  std::mt19937 pick(seed);
  std::vector<Program> out;
  for (std::size_t i = 0; i < count; ++i) {
    Program p = seeds.empty() ? mutator.generate() : mutator.mutate(seeds[pick() % seeds.size()]);
    for (Line& line : p.lines) forget_expectation(line);  // but those that bind variables
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> dictionary_words() {
  std::set<std::string> words;
  for (Address host : host_dictionary()) {
    if (host.kind == AddressKind::Unix) {
      words.insert(print_address(host));
      continue;
    }
    for (std::uint16_t port : kPorts) {
      host.port = port;
      words.insert(print_address(host));
    }
  }
  for (const auto& f : vocab::families()) words.emplace(f.word);
  for (const auto& t : vocab::sock_types()) words.emplace(t.word);
  for (const auto& o : vocab::options()) words.emplace(o.name);
  return {words.begin(), words.end()};
}

}  // namespace sockspec::fuzz
