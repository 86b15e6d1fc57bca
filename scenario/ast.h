// The syntax tree of the scenario language (docs/language.md, which extends
// ../shared/scenario-language.md).
//
// Contract: a Program is what the parser produces and the printer consumes;
// print(parse(text)) parses back to an equal Program. Equality ignores source
// positions (Line::line_no), so a reformatted scenario compares equal.
// Everything here is plain data: no system calls, no hidden state.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scenario/kernel_profile.h"

namespace sockspec {

// ---------------------------------------------------------------- addresses

enum class AddressKind : std::uint8_t { Unspec, Inet4, Inet6, Unix };

// A concrete socket address, in the family it is written in.
struct Address {
  AddressKind kind = AddressKind::Unspec;
  std::array<std::uint8_t, 16> ip{};  // Inet4: bytes 0..3; Inet6: all 16
  std::uint16_t port = 0;
  std::string scope;  // Inet6 `%ifname`; empty when none
  std::string path;   // Unix: "" unnamed, "@name" abstract, else a path
  friend bool operator==(const Address&, const Address&) = default;
};

// A port as written in an argument or an expectation.
struct PortTerm {
  enum class Kind : std::uint8_t { Exact, Any, Range, Var };
  Kind kind = Kind::Exact;
  std::uint16_t lo = 0, hi = 0;  // Exact: lo; Range: lo..hi
  std::string var;               // Var: the name without `$`
  friend bool operator==(const PortTerm&, const PortTerm&) = default;
};

// An address as written: concrete, with a port pattern, or a whole-address
// variable `$a`. As an argument, port is Exact or Var only (the parser
// enforces it); in an expectation every form is allowed. An Exact port lives
// in base.port (port stays default-constructed), so AddressTerm{address}
// is the term of a concrete address.
struct AddressTerm {
  Address base;        // host part (and port when port.kind == Exact)
  PortTerm port;       // ignored for Unix and Unspec
  std::string var;     // non-empty: the whole address is `$var`
  friend bool operator==(const AddressTerm&, const AddressTerm&) = default;
};

// ---------------------------------------------------------------- vocabulary

enum class Family : std::uint8_t { Inet, Inet6, Unix };
enum class SockType : std::uint8_t { Stream, Dgram, Seqpacket };

// `PROTO`: a name, a raw number, or absent (0, the family's default).
struct Protocol {
  enum class Name : std::uint8_t { Default, Tcp, Udp, Udplite, Sctp, Mptcp, Number };
  Name name = Name::Default;
  int number = 0;  // Number: the value written; otherwise derived
  friend bool operator==(const Protocol&, const Protocol&) = default;
};

// The protocol number PROTO stands for, as socket(2) takes it (IPPROTO_*:
// tcp 6, udp 17, udplite 136, sctp 132, mptcp 262), 0 for the default.
inline int protocol_number(const Protocol& p) {
  switch (p.name) {
    case Protocol::Name::Default: return 0;
    case Protocol::Name::Tcp: return 6;
    case Protocol::Name::Udp: return 17;
    case Protocol::Name::Udplite: return 136;
    case Protocol::Name::Sctp: return 132;
    case Protocol::Name::Mptcp: return 262;
    case Protocol::Name::Number: return p.number;
  }
  return p.number;
}

enum class SockOpt : std::uint8_t {
  SoReuseaddr, SoReuseport, SoOobinline, SoLinger, SoError, SoAcceptconn,
  SoType, SoRcvbuf, SoSndbuf, Ipv6V6only, IpFreebind, IpBindAddressNoPort,
  IpLocalPortRange, SoBindtodevice,
};

// A setsockopt VALUE: an integer, `off`, `LOW-HIGH`, or an interface name.
struct OptValue {
  enum class Kind : std::uint8_t { Integer, Off, Range, Name };
  Kind kind = Kind::Integer;
  std::int64_t integer = 0;       // Integer
  std::uint16_t lo = 0, hi = 0;   // Range
  std::string name;               // Name
  friend bool operator==(const OptValue&, const OptValue&) = default;
};

// MSG_* flags as a bit set, printed in this order joined by `|`.
enum MsgFlag : std::uint8_t {
  kMsgOob = 1, kMsgPeek = 2, kMsgTrunc = 4, kMsgWaitall = 8, kMsgDontwait = 16,
};
using MsgFlags = std::uint8_t;

// poll(2) events as a bit set, printed in this order joined by `|`.
enum PollEvent : std::uint8_t {
  kPollIn = 1, kPollOut = 2, kPollPri = 4, kPollErr = 8, kPollHup = 16, kPollRdhup = 32,
};
using PollEvents = std::uint8_t;
inline constexpr PollEvents kPollDefaultMask = kPollIn | kPollOut | kPollPri | kPollRdhup;

enum class ShutHow : std::uint8_t { Rd, Wr, RdWr };

// ---------------------------------------------------------------- operations
// One struct per operation. The socket a line acts on is Line::socket; the
// names a line creates are Line::names.

namespace op {
struct Socket { Family family; SockType type; Protocol proto; friend bool operator==(const Socket&, const Socket&) = default; };
struct SocketPair { Family family; SockType type; friend bool operator==(const SocketPair&, const SocketPair&) = default; };
struct SetSockOpt { SockOpt opt; OptValue value; friend bool operator==(const SetSockOpt&, const SetSockOpt&) = default; };
struct GetSockOpt { SockOpt opt; friend bool operator==(const GetSockOpt&, const GetSockOpt&) = default; };
struct Bind { AddressTerm addr; friend bool operator==(const Bind&, const Bind&) = default; };
struct Listen { std::int64_t backlog; friend bool operator==(const Listen&, const Listen&) = default; };
struct Connect { AddressTerm addr; bool nowait = false; friend bool operator==(const Connect&, const Connect&) = default; };
struct Accept { friend bool operator==(const Accept&, const Accept&) = default; };
struct Send { std::string data; MsgFlags flags = 0; friend bool operator==(const Send&, const Send&) = default; };
struct SendTo { std::string data; AddressTerm addr; MsgFlags flags = 0; friend bool operator==(const SendTo&, const SendTo&) = default; };
struct Recv { std::int64_t len; MsgFlags flags = 0; friend bool operator==(const Recv&, const Recv&) = default; };
struct RecvFrom { std::int64_t len; MsgFlags flags = 0; friend bool operator==(const RecvFrom&, const RecvFrom&) = default; };
struct SockAtMark { friend bool operator==(const SockAtMark&, const SockAtMark&) = default; };
struct Shutdown { ShutHow how; friend bool operator==(const Shutdown&, const Shutdown&) = default; };
struct Close { friend bool operator==(const Close&, const Close&) = default; };
struct GetSockName { friend bool operator==(const GetSockName&, const GetSockName&) = default; };
struct GetPeerName { friend bool operator==(const GetPeerName&, const GetPeerName&) = default; };
// mask_written: whether MASK was written (the printer keeps the default implicit)
struct Poll { PollEvents mask = kPollDefaultMask; bool mask_written = false; friend bool operator==(const Poll&, const Poll&) = default; };
struct SetOwn { friend bool operator==(const SetOwn&, const SetOwn&) = default; };
struct SigUrg { friend bool operator==(const SigUrg&, const SigUrg&) = default; };
struct Unlink { std::string path; friend bool operator==(const Unlink&, const Unlink&) = default; };
struct Sleep { std::int64_t ms; friend bool operator==(const Sleep&, const Sleep&) = default; };
struct Ss { friend bool operator==(const Ss&, const Ss&) = default; };
// directives: the world a scenario runs in
struct Ns { std::string name; friend bool operator==(const Ns&, const Ns&) = default; };
struct Sysctl { std::string key; std::vector<std::string> values; friend bool operator==(const Sysctl&, const Sysctl&) = default; };
struct LinkAdd { std::string name, peer, peer_ns; friend bool operator==(const LinkAdd&, const LinkAdd&) = default; };  // peer/peer_ns "" = default
struct AddrAdd { Address addr; int prefix = -1; std::string dev; friend bool operator==(const AddrAdd&, const AddrAdd&) = default; };  // prefix -1: host; dev "" = lo
struct Uid { std::int64_t uid; friend bool operator==(const Uid&, const Uid&) = default; };
}  // namespace op

using Operation = std::variant<
    op::Socket, op::SocketPair, op::SetSockOpt, op::GetSockOpt, op::Bind,
    op::Listen, op::Connect, op::Accept, op::Send, op::SendTo, op::Recv,
    op::RecvFrom, op::SockAtMark, op::Shutdown, op::Close, op::GetSockName,
    op::GetPeerName, op::Poll, op::SetOwn, op::SigUrg, op::Unlink, op::Sleep,
    op::Ss, op::Ns, op::Sysctl, op::LinkAdd, op::AddrAdd, op::Uid>;

// ---------------------------------------------------------------- results

// One row of `ss`: `PROTO STATE LOCAL PEER q=RECVQ/SENDQ`.
struct SsRow {
  std::string proto;               // tcp udp u_str u_dgr u_seq ...
  std::string state;               // LISTEN ESTAB UNCONN SYN-SENT TIME-WAIT ...
  std::optional<Address> local;    // nullopt prints `*:*`
  std::optional<Address> peer;     // nullopt prints `*:*`
  std::uint32_t recvq = 0, sendq = 0;
  friend bool operator==(const SsRow&, const SsRow&) = default;
};

// What one line returned, from the kernel or from the model. Printing it
// (scenario/printer.h) gives the language's own form.
struct Result {
  enum class Kind : std::uint8_t {
    Ok,        // ok
    Errno,     // an errno (number in `integer`); also SO_ERROR's nonzero value
    Integer,   // a count, an option value, sockatmark, sigurg
    Bytes,     // recv data, printed as a string (`text`)
    Pending,   // connect still in progress after the settle time
    Address,   // getsockname / getpeername (`address`)
    From,      // recvfrom: `text` (or `integer` when from_truncated) and `address` or none
    Events,    // poll: the mask in `integer`; 0 prints `none`
    Word,      // a bare token: `off`, `40000-40009`, an interface name
    Table,     // ss rows, kept sorted as text; empty prints `none`
    Skip,      // the line could not be run here
  };
  Kind kind = Kind::Ok;
  std::int64_t integer = 0;
  std::string text;
  std::optional<Address> address;  // Address; From (nullopt: `from none`)
  bool from_truncated = false;     // From: MSG_TRUNC, the payload is `integer`
  std::vector<SsRow> rows;         // Table
  friend bool operator==(const Result&, const Result&) = default;

  static Result ok() { return {}; }
  static Result err(int e) { Result r; r.kind = Kind::Errno; r.integer = e; return r; }
  static Result num(std::int64_t n) { Result r; r.kind = Kind::Integer; r.integer = n; return r; }
  static Result bytes(std::string s) { Result r; r.kind = Kind::Bytes; r.text = std::move(s); return r; }
  static Result pending() { Result r; r.kind = Kind::Pending; return r; }
  static Result addr(Address a) { Result r; r.kind = Kind::Address; r.address = std::move(a); return r; }
  static Result events(PollEvents e) { Result r; r.kind = Kind::Events; r.integer = e; return r; }
  static Result word(std::string w) { Result r; r.kind = Kind::Word; r.text = std::move(w); return r; }
  static Result skip() { Result r; r.kind = Kind::Skip; return r; }
};

// ---------------------------------------------------------------- expectations

// One `ss` row pattern: each field exact or `*` (nullopt).
struct SsRowPattern {
  std::optional<std::string> proto, state;
  std::optional<AddressTerm> local, peer;  // nullopt: `*` (any address, or none)
  bool local_none = false, peer_none = false;  // `*:*` written: no address (term nullopt)
  std::optional<std::uint32_t> recvq, sendq;
  friend bool operator==(const SsRowPattern&, const SsRowPattern&) = default;
};

// One alternative of an expectation.
struct Pattern {
  enum class Kind : std::uint8_t {
    Exact,     // `exact` must equal the result (events compare as sets)
    AnyError,  // `error`
    Anything,  // `*`
    Address,   // `address` (host exact; port any / range / var; or `$a`)
    From,      // `"data" from ADDR` / `N from ADDR`: `exact` holds data, `address` the source
    Table,     // ss rows in any order
    Skip,      // `skip`
  };
  Kind kind = Kind::Exact;
  Result exact;
  std::optional<AddressTerm> address;  // From: nullopt = `from none`
  std::vector<SsRowPattern> rows;      // Table
  friend bool operator==(const Pattern&, const Pattern&) = default;
};

// `-> A or B or ...`
struct Expectation {
  std::vector<Pattern> alternatives;
  friend bool operator==(const Expectation&, const Expectation&) = default;
};

// `@COND -> EXPECT` after a line's expectation (docs/language.md): what the
// line returns instead on the kernels COND names.
struct KernelExpectation {
  KernelCondition when;
  Expectation expect;
  friend bool operator==(const KernelExpectation&, const KernelExpectation&) = default;
};

// ---------------------------------------------------------------- lines

struct Line {
  int line_no = 0;                 // 1-based, in Program::file; not compared
  std::vector<std::string> names;  // `NAME =` or `A, B =`
  std::string socket;              // the socket the operation acts on, or ""
  Operation op;
  std::optional<Expectation> expect;
  std::vector<KernelExpectation> on_kernels;  // only with `expect`; the first that holds wins

  friend bool operator==(const Line& a, const Line& b) {
    return a.names == b.names && a.socket == b.socket && a.op == b.op && a.expect == b.expect &&
           a.on_kernels == b.on_kernels;
  }
};

// The expectation a line states for the kernel `profile` names: the first
// `@COND` clause that holds, else the line's own; nullptr when it has none.
inline const Expectation* expectation_for(const Line& line, const KernelProfile& profile) {
  if (!line.expect) return nullptr;
  for (const auto& k : line.on_kernels)
    if (k.when.holds(profile)) return &k.expect;
  return &*line.expect;
}

struct Program {
  std::string file;  // as given on the command line; "<string>" for text
  std::vector<Line> lines;
  friend bool operator==(const Program& a, const Program& b) { return a.lines == b.lines; }
};

}  // namespace sockspec
