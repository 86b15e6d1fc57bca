// The space of sockets the solver searches: one socket's choices as Z3
// constants, the constraints that make a choice realisable on a real kernel,
// and the BindView the relation (model/bind_conflict.h) reads from it.
//
// Contract: a SymSocket is a set of free Z3 constants; well_formed() ties
// them together so that every model of it is a socket a scenario can set up
// (a local address of the right family, an option the kernel accepts);
// view() is the BindView the model's bind_view() would build for the same
// socket; read() turns a Z3 model back into a SocketChoice, the concrete
// socket a witness scenario creates. Addresses come from a small fixed
// menu (kV4Menu, kV6Menu), ports from {kPortA, kPortB}, uids from {0, 1000};
// protocols are TCP, UDP and MPTCP (Proto), MPTCP in TCP's port space.
// A connected holder's address fields are the address it holds after
// connect: one that bound the wildcard (`wild_connect`) holds the route's
// source there.
#pragma once

#include <z3++.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/bind_conflict.h"
#include "scenario/ast.h"
#include "solver/z3_domain.h"

namespace sockspec::solver {

// What the holder does with its binding when the newcomer binds.
enum class Role : std::int64_t {
  Bound = 0,      // bind() only (for the newcomer: what it is about to do)
  Listening = 1,  // bind() + listen()
  Connected = 2,  // bind() + connect() to a listener (TCP) or a peer (UDP)
  TimeWait = 3,   // connected, then actively closed: the binding lives on in TIME_WAIT
};
std::string_view role_name(Role r);  // "bound", "listening", "connected", "time-wait"

// The protocols the solver searches, each with its own `socket` line. MPTCP
// binds through its first subflow, a TCP socket in TCP's tables
// (mptcp.bind.first_subflow), so the relation sees it in PortSpace::Tcp.
enum class Proto : std::int64_t { Tcp = 0, Udp = 1, Mptcp = 2 };
inline constexpr Proto kProtos[] = {Proto::Tcp, Proto::Udp, Proto::Mptcp};
std::string_view proto_word(Proto p);  // "tcp", "udp", "mptcp"
constexpr bool is_stream(Proto p) { return p != Proto::Udp; }
constexpr PortSpace port_space(Proto p) { return is_stream(p) ? PortSpace::Tcp : PortSpace::Udp; }

// The ports witnesses use: both sockets take one of these two; the helper
// listener of a connected holder takes kPortListener. At or above 1024, so
// any uid may bind them and ip_local_port_range may start at them.
inline constexpr std::int64_t kPortA = 40000, kPortB = 40001, kPortListener = 40002;
inline constexpr std::int64_t kUids[] = {0, 1000};

// The IPv4 addresses a specific bind may name (all of 127/8 is local).
inline constexpr std::array<std::uint32_t, 2> kV4Menu{0x7f000001u, 0x7f000002u};  // 127.0.0.1, 127.0.0.2
// The plain IPv6 addresses: index 1 = ::1, index 2 = fd00::2 (a witness adds it with `addr add`).
inline constexpr int kV6Loopback = 1, kV6Extra = 2;

// Knobs that are the same for every socket of a scenario.
struct SymKnobs {
  z3::expr bindv6only;  // net.ipv6.bindv6only
  static SymKnobs make(z3::context& c, std::string_view prefix = "");
};
struct KnobChoice {
  bool bindv6only = false;
};

struct SymSocket {
  z3::expr proto;         // Int: Proto
  z3::expr inet6;         // Bool: AF_INET6 or AF_INET
  z3::expr addr;          // Int: AddrClass
  z3::expr v4;            // Int: the IPv4 address (Ip4, Mapped; 0 = any)
  z3::expr v6;            // Int: 0, kV6Loopback or kV6Extra (Ip6)
  z3::expr port;          // Int: kPortA or kPortB
  z3::expr v6only_set;    // Bool: the scenario sets IPV6_V6ONLY explicitly ...
  z3::expr v6only_value;  // Bool: ... to this value; otherwise the sysctl decides
  z3::expr reuseaddr, reuseport;  // Bool
  z3::expr uid;           // Int: one of kUids
  z3::expr role;          // Int: Role
  z3::expr wild_connect;  // Bool: bound the family's wildcard; connect gave it `addr`

  static SymSocket make(z3::context& c, std::string_view name);
};

// The constraints that make `s` a socket a scenario can set up.
z3::expr well_formed(const SymSocket& s, const SymKnobs& k);

// IPV6_V6ONLY as the kernel sees it: inet6, and set explicitly or by the sysctl.
z3::expr effective_v6only(const SymSocket& s, const SymKnobs& k);

// The relation's view of `s` (what inet::bind_view builds for the model).
BindView<Z3Domain> view(const SymSocket& s, const SymKnobs& k);

// Defaults a witness should keep where it can (uid 0, no options set, ...),
// most wanted first; the search adds each one that keeps the query satisfiable.
std::vector<z3::expr> simplicity_preferences(const SymSocket& s);

// One concrete socket of a witness.
struct SocketChoice {
  Proto proto = Proto::Tcp;
  Family family = Family::Inet;
  AddrClass addr = AddrClass::Any4;
  std::uint32_t v4 = 0;
  int v6 = 0;
  std::uint16_t port = 0;
  bool v6only_set = false, v6only_value = false;
  bool reuseaddr = false, reuseport = false;
  std::int64_t uid = 0;
  Role role = Role::Bound;
  bool wild_connect = false;       // binds the wildcard; connect gives it address()
  std::optional<Address> literal;  // an address given by the user (coexist), used as is

  Address address() const;  // the address it holds (port included): bind() names it unless wild_connect
  Address bound_address() const;  // the address bind() names
};

SocketChoice read(const z3::model& m, const SymSocket& s);
KnobChoice read(const z3::model& m, const SymKnobs& k);

// Constrains `s` to exactly the concrete choice `c` (for checks and tests).
z3::expr fixed_to(const SymSocket& s, const SocketChoice& c);

}  // namespace sockspec::solver
