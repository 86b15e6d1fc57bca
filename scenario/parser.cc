// The scenario parser: see scenario/parser.h and docs/language.md.
//
// A file is parsed line by line. Each line is lexed (scenario/lexer.h), split
// at `->` into the call and its expectation, and each part is parsed by a
// small recursive-descent function per construct. Variables are tracked in
// line order: an expectation binds them, an argument may only use them after.

#include "scenario/parser.h"

#include "scenario/input_file.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>
#include <map>
#include <span>

#include "scenario/lexer.h"
#include "scenario/message_text.h"
#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec {

namespace {
std::string position_prefix(const std::string& file, int line, int column) {
  if (line <= 0) return fmt::format("{}: ", file);
  return fmt::format("{}:{}:{}: ", file, line, column);
}
}  // namespace

// Both parts may echo the input (a token, a path): raw bytes are escaped.
ParseError::ParseError(std::string file, int line, int column, std::string what_expected)
    : std::runtime_error(position_prefix(escape_raw_bytes(file), line, column) + escape_raw_bytes(what_expected)),
      file_(std::move(file)), line_(line), column_(column), message_(escape_raw_bytes(what_expected)) {}

namespace {

// Limits that keep hostile input from costing unbounded time or memory.
constexpr std::size_t kMaxLineBytes = 64 * 1024;
constexpr int kMaxLines = 100000;
constexpr std::int64_t kMaxSleepMs = 2000;
constexpr std::int64_t kMaxRecvLen = 1 << 20;  // the runner allocates LEN bytes
constexpr std::size_t kMaxUnixPath = 107;      // sun_path holds 108 bytes with its NUL
constexpr std::size_t kMaxIfName = 15;         // IFNAMSIZ - 1

constexpr const char* kAddressForms =
    "an address such as 127.0.0.1:80, [::1]:80 or unix:/tmp/x";
// ------------------------------------------------------------ characters

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// `[A-Za-z_][A-Za-z0-9_]*`: socket and variable names.
bool is_identifier(std::string_view s) {
  if (s.empty() || !is_name_start(s[0])) return false;
  for (char c : s)
    if (!is_name_char(c)) return false;
  return true;
}

// Interface and namespace names: letters, digits, `_ . -`.
bool is_ifname_like(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (!is_name_char(c) && c != '.' && c != '-') return false;
  return true;
}

// ------------------------------------------------------------ variables

enum class VarKind : std::uint8_t { Port, Address };

// The variables bound so far, in line order.
class Variables {
 public:
  bool bound(const std::string& name) const { return kinds_.contains(name); }
  std::optional<VarKind> kind(const std::string& name) const {
    auto it = kinds_.find(name);
    if (it == kinds_.end()) return std::nullopt;
    return it->second;
  }
  void bind(const std::string& name, VarKind kind) { kinds_.emplace(name, kind); }

 private:
  std::map<std::string, VarKind, std::less<>> kinds_;
};

// ------------------------------------------------------------ one line

enum class Context : std::uint8_t { Argument, Expectation };

class LineParser {
 public:
  LineParser(std::span<const Token> tokens, std::string_view file, int line_no, int line_end,
             Variables& vars)
      : tokens_(tokens), file_(file), line_no_(line_no), line_end_(line_end), vars_(vars) {}

  Line parse();

 private:
  // --- token access
  bool at_end() const { return pos_ >= tokens_.size(); }
  const Token& peek() const { return tokens_[pos_]; }
  bool peek_is(std::string_view word) const {
    return !at_end() && !peek().quoted && peek().text == word;
  }
  const Token& next(std::string_view what) {
    if (at_end()) fail_at_end(fmt::format("expected {}", what));
    return tokens_[pos_++];
  }
  const Token& next_word(std::string_view what) {
    const Token& t = next(what);
    if (t.quoted) fail(t, fmt::format("expected {}, got a string", what));
    return t;
  }
  [[noreturn]] void fail(const Token& t, std::string what) const {
    throw ParseError(std::string(file_), line_no_, t.column, std::move(what));
  }
  [[noreturn]] void fail_at_end(std::string what) const {
    throw ParseError(std::string(file_), line_no_, line_end_, std::move(what));
  }
  void expect_end(std::string_view after) const {
    if (!at_end())
      fail(peek(), fmt::format("unexpected \"{}\" after {}", peek().text, after));
  }

  // --- pieces
  std::int64_t integer(const Token& t, std::int64_t lo, std::int64_t hi, std::string_view what) const;
  std::string socket_name(std::string_view op);
  Family family();
  SockType sock_type();
  Protocol protocol();
  SockOpt sock_opt();
  OptValue opt_value(SockOpt opt);
  MsgFlags optional_flags();
  std::string data();
  std::string unix_path_argument(const Token& t, std::string_view path) const;
  std::string variable_name(const Token& t, std::string_view text) const;
  std::string use_variable(const Token& t, std::string_view text, VarKind kind) const;
  std::string bind_variable(const Token& t, std::string_view text, VarKind kind);
  PortTerm port_term(const Token& t, std::string_view text, Context ctx);
  AddressTerm address_term(const Token& t, Context ctx);
  AddressTerm address_argument() { return address_term(next(kAddressForms), Context::Argument); }

  // --- operations: one parser per operation word (kOperationSyntax)
  Operation operation(const Token& op, std::string* socket);

 public:  // named in kOperationSyntax
  Operation op_socket(std::string_view);
  Operation op_socketpair(std::string_view);
  Operation op_setsockopt(std::string_view);
  Operation op_getsockopt(std::string_view);
  Operation op_bind(std::string_view);
  Operation op_listen(std::string_view);
  Operation op_connect(std::string_view);
  Operation op_send(std::string_view);
  Operation op_sendto(std::string_view);
  Operation op_recv(std::string_view word);
  Operation op_shutdown(std::string_view);
  Operation op_poll(std::string_view);
  Operation op_unlink(std::string_view);
  Operation op_sleep(std::string_view);
  Operation op_ns(std::string_view);
  Operation op_sysctl(std::string_view);
  Operation op_uid(std::string_view);
  Operation directive_link(std::string_view);
  Operation directive_addr(std::string_view);
  template <class Op>
  Operation op_simple(std::string_view) { return Op{}; }

 private:

  // --- expectations
  Expectation expectation(const Operation& op, std::size_t end);
  std::size_t next_kernel_clause(std::size_t from) const;
  KernelExpectation kernel_expectation(const Operation& op);
  Pattern pattern(const Operation& op, std::span<const Token> alt);
  Pattern single_pattern(const Operation& op, const Token& t);
  Pattern table_pattern(std::span<const Token> alt);
  SsRowPattern row_pattern(std::span<const Token> row);
  std::optional<std::uint32_t> queue_field(const Token& t, std::string_view text) const;

  std::span<const Token> tokens_;
  std::size_t pos_ = 0;
  std::string_view file_;
  int line_no_;
  int line_end_;
  Variables& vars_;
};

std::int64_t LineParser::integer(const Token& t, std::int64_t lo, std::int64_t hi,
                                 std::string_view what) const {
  const std::string& s = t.text;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  bool whole = !t.quoted && !s.empty() && end == s.data() + s.size() && s[0] != '+';
  if (!whole || (ec != std::errc() && ec != std::errc::result_out_of_range))
    fail(t, fmt::format("expected {}, got \"{}\"", what, s));
  if (ec == std::errc::result_out_of_range || value < lo || value > hi)
    fail(t, fmt::format("{} out of range: expected {} from {} to {}", s, what, lo, hi));
  return value;
}

std::string LineParser::socket_name(std::string_view op) {
  const Token& t = next_word(fmt::format("a socket name after {}", op));
  if (!is_identifier(t.text))
    fail(t, fmt::format("expected a socket name ([A-Za-z_][A-Za-z0-9_]*), got \"{}\"", t.text));
  return t.text;
}

Family LineParser::family() {
  const Token& t = next_word("a family: inet, inet6 or unix");
  for (const auto& w : vocab::families())
    if (t.text == w.word) return w.family;
  fail(t, fmt::format("unknown family \"{}\": expected inet, inet6 or unix", t.text));
}

SockType LineParser::sock_type() {
  const Token& t = next_word("a type: stream, dgram or seqpacket");
  for (const auto& w : vocab::sock_types())
    if (t.text == w.word) return w.type;
  fail(t, fmt::format("unknown type \"{}\": expected stream, dgram or seqpacket", t.text));
}

Protocol LineParser::protocol() {
  Protocol p;
  if (at_end() || peek_is("->")) return p;
  const Token& t = next_word("a protocol");
  for (const auto& w : vocab::protocols())
    if (t.text == w.word) return {w.name, w.number};
  if (!t.text.empty() && (is_digit(t.text[0]) || t.text[0] == '-')) {
    p.name = Protocol::Name::Number;
    p.number = static_cast<int>(integer(t, INT_MIN, INT_MAX, "a protocol number"));
    return p;
  }
  fail(t, fmt::format("unknown protocol \"{}\": expected tcp, udp, udplite, sctp, mptcp or a number",
                      t.text));
}

SockOpt LineParser::sock_opt() {
  const Token& t = next_word("an option such as SO_REUSEADDR");
  if (auto opt = vocab::option_named(t.text)) return *opt;
  std::string names;
  for (const auto& w : vocab::options()) names += fmt::format(" {}", w.name);
  fail(t, fmt::format("unknown option \"{}\": expected one of{}", t.text, names));
}

// Option values are 32-bit in the kernel; IP_LOCAL_PORT_RANGE's raw form is
// an unsigned 32-bit (high 16 bits: HIGH, low: LOW, ip_sock_set_local_port_range).
constexpr std::int64_t kOptMin = INT32_MIN, kOptMax = UINT32_MAX;

std::optional<std::pair<std::uint16_t, std::uint16_t>> split_range(std::string_view s) {
  auto dash = s.find('-');
  if (dash == 0 || dash == std::string_view::npos) return std::nullopt;
  unsigned lo = 0, hi = 0;
  auto a = s.substr(0, dash), b = s.substr(dash + 1);
  auto [ea, ca] = std::from_chars(a.data(), a.data() + a.size(), lo);
  auto [eb, cb] = std::from_chars(b.data(), b.data() + b.size(), hi);
  if (ca != std::errc() || cb != std::errc() || ea != a.data() + a.size() ||
      eb != b.data() + b.size() || b.empty() || lo > 65535 || hi > 65535)
    return std::nullopt;
  return std::pair{static_cast<std::uint16_t>(lo), static_cast<std::uint16_t>(hi)};
}

OptValue LineParser::opt_value(SockOpt opt) {
  const Token& t = next_word("an option value");
  OptValue v;
  if ((opt == SockOpt::SoLinger || opt == SockOpt::SoBindtodevice) && t.text == "off") {
    v.kind = OptValue::Kind::Off;
    return v;
  }
  if (opt == SockOpt::SoBindtodevice) {
    if (!is_ifname_like(t.text, kMaxIfName))
      fail(t, fmt::format("expected an interface name (at most 15 of A-Za-z0-9_.-) or off, got \"{}\"",
                          t.text));
    v.kind = OptValue::Kind::Name;
    v.name = t.text;
    return v;
  }
  if (opt == SockOpt::IpLocalPortRange && t.text.find('-', 1) != std::string::npos) {
    auto range = split_range(t.text);
    if (!range) fail(t, fmt::format("expected a port range LOW-HIGH (0-65535), got \"{}\"", t.text));
    v.kind = OptValue::Kind::Range;
    std::tie(v.lo, v.hi) = *range;
    return v;
  }
  std::string_view what = opt == SockOpt::SoLinger ? "an integer (linger seconds) or off"
                          : opt == SockOpt::IpLocalPortRange ? "LOW-HIGH or an integer"
                                                             : "an integer";
  v.integer = integer(t, kOptMin, kOptMax, what);
  return v;
}

constexpr std::pair<std::string_view, MsgFlag> kFlags[] = {
    {"MSG_OOB", kMsgOob}, {"MSG_PEEK", kMsgPeek}, {"MSG_TRUNC", kMsgTrunc},
    {"MSG_WAITALL", kMsgWaitall}, {"MSG_DONTWAIT", kMsgDontwait},
};

MsgFlags LineParser::optional_flags() {
  if (at_end() || peek_is("->")) return 0;
  const Token& t = next_word("flags");
  MsgFlags flags = 0;
  std::string_view rest = t.text;
  while (true) {
    auto bar = rest.find('|');
    auto name = rest.substr(0, bar);
    bool known = false;
    for (const auto& [flag_name, bit] : kFlags) {
      if (name == flag_name) { flags |= bit; known = true; }
    }
    if (!known)
      fail(t, fmt::format("unknown flag \"{}\": expected MSG_OOB, MSG_PEEK, MSG_TRUNC, "
                          "MSG_WAITALL or MSG_DONTWAIT joined with |",
                          name));
    if (bar == std::string_view::npos) break;
    rest = rest.substr(bar + 1);
  }
  return flags;
}

std::string LineParser::data() {
  const Token& t = next("the data, a \"string\"");
  if (!t.quoted) fail(t, fmt::format("expected the data as a \"string\", got \"{}\"", t.text));
  return t.text;
}

// A path the runner may create or remove: under /tmp/ (private to the
// scenario) or relative (the runner's working directory is that /tmp), and
// never climbing out of it with `..`.
std::string LineParser::unix_path_argument(const Token& t, std::string_view path) const {
  bool absolute = !path.empty() && path[0] == '/';
  if (absolute && (path.size() <= 5 || path.substr(0, 5) != "/tmp/"))
    fail(t, fmt::format("unix path \"{}\" must be under /tmp/ or relative", path));
  std::string_view rest = path;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    if (rest.substr(0, slash) == "..")
      fail(t, fmt::format("unix path \"{}\" must not contain \"..\"", path));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (path.size() > kMaxUnixPath)
    fail(t, fmt::format("unix path is {} bytes: at most {} fit in sun_path", path.size(), kMaxUnixPath));
  return std::string(path);
}

std::string LineParser::variable_name(const Token& t, std::string_view text) const {
  auto name = text.substr(1);
  if (!is_identifier(name))
    fail(t, fmt::format("expected a variable name after $ ([A-Za-z_][A-Za-z0-9_]*), got \"{}\"", text));
  return std::string(name);
}

std::string LineParser::use_variable(const Token& t, std::string_view text, VarKind kind) const {
  std::string name = variable_name(t, text);
  auto bound = vars_.kind(name);
  if (!bound)
    fail(t, fmt::format("variable ${} is used before an expectation binds it", name));
  if (*bound != kind)
    fail(t, fmt::format("variable ${} is bound to {}, not {}", name,
                        *bound == VarKind::Port ? "a port" : "an address",
                        kind == VarKind::Port ? "a port" : "an address"));
  return name;
}

std::string LineParser::bind_variable(const Token& t, std::string_view text, VarKind kind) {
  std::string name = variable_name(t, text);
  auto bound = vars_.kind(name);
  if (bound && *bound != kind)
    fail(t, fmt::format("variable ${} is bound to {}, not {}", name,
                        *bound == VarKind::Port ? "a port" : "an address",
                        kind == VarKind::Port ? "a port" : "an address"));
  vars_.bind(name, kind);
  return name;
}

PortTerm LineParser::port_term(const Token& t, std::string_view text, Context ctx) {
  PortTerm port;
  if (!text.empty() && text[0] == '$') {
    port.kind = PortTerm::Kind::Var;
    port.var = ctx == Context::Argument ? use_variable(t, text, VarKind::Port)
                                        : bind_variable(t, text, VarKind::Port);
    return port;
  }
  if (ctx == Context::Expectation && text == "*") {
    port.kind = PortTerm::Kind::Any;
    return port;
  }
  if (ctx == Context::Expectation && text.find('-') != std::string_view::npos) {
    auto range = split_range(text);
    if (!range) fail(t, fmt::format("expected a port range LOW-HIGH (0-65535), got \"{}\"", text));
    port.kind = PortTerm::Kind::Range;
    std::tie(port.lo, port.hi) = *range;
    return port;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || end != text.data() + text.size() || (ec != std::errc() && ec != std::errc::result_out_of_range))
    fail(t, fmt::format("expected a port (0-65535{}), got \"{}\"",
                        ctx == Context::Argument ? " or $var" : ", *, LOW-HIGH or $var", text));
  if (ec == std::errc::result_out_of_range || value > 65535)
    fail(t, fmt::format("port {} out of range: expected 0 to 65535", text));
  port.lo = static_cast<std::uint16_t>(value);  // the caller moves it into Address::port
  return port;
}

AddressTerm LineParser::address_term(const Token& t, Context ctx) {
  AddressTerm term;
  std::string_view s = t.text;
  auto bad = [&]() -> void { fail(t, fmt::format("expected {}, got \"{}\"", kAddressForms, s)); };
  if (t.quoted) bad();
  if (s == "unspec") return term;
  if (!s.empty() && s[0] == '$') {
    term.var = ctx == Context::Argument ? use_variable(t, s, VarKind::Address)
                                        : bind_variable(t, s, VarKind::Address);
    return term;
  }
  if (s.starts_with("unix:")) {
    term.base.kind = AddressKind::Unix;
    std::string_view path = s.substr(5);
    if (path.size() > kMaxUnixPath)
      fail(t, fmt::format("unix path is {} bytes: at most {} fit in sun_path", path.size(), kMaxUnixPath));
    if (ctx == Context::Argument && !path.empty() && path[0] != '@')
      term.base.path = unix_path_argument(t, path);
    else
      term.base.path = std::string(path);
    return term;
  }
  std::string_view host, port;
  if (!s.empty() && s[0] == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') bad();
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
    auto percent = host.find('%');
    if (percent != std::string_view::npos) {
      auto scope = host.substr(percent + 1);
      if (!is_ifname_like(scope, kMaxIfName))
        fail(t, fmt::format("expected an interface name after % (at most 15 of A-Za-z0-9_.-), got \"{}\"",
                            scope));
      term.base.scope = std::string(scope);
      host = host.substr(0, percent);
    }
    std::string host_z(host);
    if (inet_pton(AF_INET6, host_z.c_str(), term.base.ip.data()) != 1)
      fail(t, fmt::format("expected an IPv6 address inside [], got \"{}\"", host));
    term.base.kind = AddressKind::Inet6;
  } else {
    auto colon = s.rfind(':');
    if (colon == std::string_view::npos) bad();
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
    std::string host_z(host);
    if (host.find(':') != std::string_view::npos)
      fail(t, fmt::format("an IPv6 address needs brackets and a port, as in [::1]:80, got \"{}\"", s));
    if (inet_pton(AF_INET, host_z.c_str(), term.base.ip.data()) != 1) bad();
    term.base.kind = AddressKind::Inet4;
  }
  term.port = port_term(t, port, ctx);
  if (term.port.kind == PortTerm::Kind::Exact) {
    term.base.port = term.port.lo;
    term.port.lo = 0;  // an exact port lives in base.port only (scenario/ast.h)
  }
  return term;
}

// ------------------------------------------------------------ operations

Operation LineParser::directive_link(std::string_view) {
  const Token& add = next_word("add after link");
  if (add.text != "add") fail(add, fmt::format("expected \"link add\", got \"link {}\"", add.text));
  op::LinkAdd link;
  auto ifname = [&](std::string_view what) {
    const Token& t = next_word(what);
    if (!is_ifname_like(t.text, kMaxIfName))
      fail(t, fmt::format("expected an interface name (at most 15 of A-Za-z0-9_.-), got \"{}\"", t.text));
    return t.text;
  };
  link.name = ifname("an interface name after link add");
  bool seen_peer = false, seen_ns = false;
  while (!at_end() && !peek_is("->")) {
    const Token& key = next_word("peer or ns");
    if (key.text == "peer" && !seen_peer) {
      seen_peer = true;
      link.peer = ifname("an interface name after peer");
    } else if (key.text == "ns" && !seen_ns) {
      seen_ns = true;
      const Token& t = next_word("a namespace name after ns");
      if (!is_ifname_like(t.text, 64))
        fail(t, fmt::format("expected a namespace name (A-Za-z0-9_.-), got \"{}\"", t.text));
      link.peer_ns = t.text;
    } else {
      fail(key, fmt::format("unexpected \"{}\": expected [peer NAME] [ns NAMESPACE], each at most once",
                            key.text));
    }
  }
  return link;
}

Operation LineParser::directive_addr(std::string_view) {
  const Token& add = next_word("add after addr");
  if (add.text != "add") fail(add, fmt::format("expected \"addr add\", got \"addr {}\"", add.text));
  const Token& t = next_word("an address such as 10.0.0.1/24 or fd00::1/64");
  op::AddrAdd a;
  std::string_view s = t.text;
  auto slash = s.find('/');
  std::string host(s.substr(0, slash));
  if (inet_pton(AF_INET, host.c_str(), a.addr.ip.data()) == 1) {
    a.addr.kind = AddressKind::Inet4;
  } else if (inet_pton(AF_INET6, host.c_str(), a.addr.ip.data()) == 1) {
    a.addr.kind = AddressKind::Inet6;
  } else {
    fail(t, fmt::format("expected an address such as 10.0.0.1/24 or fd00::1/64, got \"{}\"", s));
  }
  if (slash != std::string_view::npos) {
    Token prefix{std::string(s.substr(slash + 1)), false, t.column + static_cast<int>(slash) + 1};
    a.prefix = static_cast<int>(
        integer(prefix, 0, a.addr.kind == AddressKind::Inet4 ? 32 : 128, "a prefix length"));
  }
  if (peek_is("dev")) {
    ++pos_;
    const Token& dev = next_word("an interface name after dev");
    if (!is_ifname_like(dev.text, kMaxIfName))
      fail(dev, fmt::format("expected an interface name (at most 15 of A-Za-z0-9_.-), got \"{}\"", dev.text));
    a.dev = dev.text;
  }
  return a;
}

PollEvents parse_events(std::string_view s, bool* ok) {
  static constexpr std::pair<std::string_view, PollEvent> kEvents[] = {
      {"in", kPollIn}, {"out", kPollOut}, {"pri", kPollPri},
      {"err", kPollErr}, {"hup", kPollHup}, {"rdhup", kPollRdhup},
  };
  *ok = false;
  if (s == "none") { *ok = true; return 0; }
  PollEvents events = 0;
  while (true) {
    auto bar = s.find('|');
    auto name = s.substr(0, bar);
    bool known = false;
    for (const auto& [event_name, bit] : kEvents)
      if (name == event_name) { events |= bit; known = true; }
    if (!known) return 0;
    if (bar == std::string_view::npos) break;
    s = s.substr(bar + 1);
  }
  *ok = true;
  return events;
}

// One parser per operation word, in the order the language lists them
// (scenario-language.md). A socket operation reads its socket name first.
struct OperationSyntax {
  std::string_view word;
  bool takes_socket;
  Operation (LineParser::*parse)(std::string_view word);
};

constexpr OperationSyntax kOperationSyntax[] = {
    {"socket", false, &LineParser::op_socket},
    {"socketpair", false, &LineParser::op_socketpair},
    {"setsockopt", true, &LineParser::op_setsockopt},
    {"getsockopt", true, &LineParser::op_getsockopt},
    {"bind", true, &LineParser::op_bind},
    {"listen", true, &LineParser::op_listen},
    {"connect", true, &LineParser::op_connect},
    {"accept", true, &LineParser::op_simple<op::Accept>},
    {"send", true, &LineParser::op_send},
    {"sendto", true, &LineParser::op_sendto},
    {"recv", true, &LineParser::op_recv},
    {"recvfrom", true, &LineParser::op_recv},
    {"sockatmark", true, &LineParser::op_simple<op::SockAtMark>},
    {"shutdown", true, &LineParser::op_shutdown},
    {"close", true, &LineParser::op_simple<op::Close>},
    {"getsockname", true, &LineParser::op_simple<op::GetSockName>},
    {"getpeername", true, &LineParser::op_simple<op::GetPeerName>},
    {"poll", true, &LineParser::op_poll},
    {"setown", true, &LineParser::op_simple<op::SetOwn>},
    {"sigurg", false, &LineParser::op_simple<op::SigUrg>},
    {"unlink", false, &LineParser::op_unlink},
    {"sleep", false, &LineParser::op_sleep},
    {"ss", false, &LineParser::op_simple<op::Ss>},
    {"ns", false, &LineParser::op_ns},
    {"sysctl", false, &LineParser::op_sysctl},
    {"link", false, &LineParser::directive_link},
    {"addr", false, &LineParser::directive_addr},
    {"uid", false, &LineParser::op_uid},
};

// The operation words for messages: "socket, socketpair, ..., link add, addr add, uid".
const std::string& operation_words() {
  static const std::string words = [] {
    std::string out;
    for (const OperationSyntax& syntax : kOperationSyntax) {
      if (!out.empty()) out += ", ";
      out += syntax.word;
      if (syntax.word == "link" || syntax.word == "addr") out += " add";
    }
    return out;
  }();
  return words;
}

Operation LineParser::operation(const Token& op_token, std::string* socket) {
  const std::string& op = op_token.text;
  if (op_token.quoted) fail(op_token, fmt::format("expected an operation ({}), got a string", operation_words()));
  for (const OperationSyntax& syntax : kOperationSyntax) {
    if (syntax.word != op) continue;
    if (syntax.takes_socket) *socket = socket_name(op);
    return (this->*syntax.parse)(op);
  }
  if (op.find('=') != std::string::npos)
    fail(op_token, fmt::format("unknown operation \"{}\": write blanks around =, as in s = socket inet stream", op));
  fail(op_token, fmt::format("unknown operation \"{}\": expected one of {}", op, operation_words()));
}

Operation LineParser::op_socket(std::string_view) {
  op::Socket s{family(), sock_type(), {}};
  s.proto = protocol();
  return s;
}

Operation LineParser::op_socketpair(std::string_view) {
  op::SocketPair s{family(), sock_type()};
  return s;
}

Operation LineParser::op_setsockopt(std::string_view) {
  op::SetSockOpt s{sock_opt(), {}};
  s.value = opt_value(s.opt);
  return s;
}

Operation LineParser::op_getsockopt(std::string_view) { return op::GetSockOpt{sock_opt()}; }

Operation LineParser::op_bind(std::string_view) { return op::Bind{address_argument()}; }

Operation LineParser::op_listen(std::string_view) {
  return op::Listen{integer(next_word("a backlog"), INT_MIN, INT_MAX, "a backlog")};
}

Operation LineParser::op_connect(std::string_view) {
  op::Connect c{address_argument(), false};
  if (peek_is("nowait")) { ++pos_; c.nowait = true; }
  return c;
}

Operation LineParser::op_send(std::string_view) {
  op::Send s{data(), 0};
  s.flags = optional_flags();
  return s;
}

Operation LineParser::op_sendto(std::string_view) {
  op::SendTo s{data(), {}, 0};
  s.addr = address_argument();
  s.flags = optional_flags();
  return s;
}

Operation LineParser::op_recv(std::string_view word) {
  std::int64_t len = integer(next_word("a length"), 0, kMaxRecvLen, "a length");
  MsgFlags flags = optional_flags();
  if (word == "recv") return op::Recv{len, flags};
  return op::RecvFrom{len, flags};
}

Operation LineParser::op_shutdown(std::string_view) {
  const Token& t = next_word("rd, wr or rdwr");
  if (t.text == "rd") return op::Shutdown{ShutHow::Rd};
  if (t.text == "wr") return op::Shutdown{ShutHow::Wr};
  if (t.text == "rdwr") return op::Shutdown{ShutHow::RdWr};
  fail(t, fmt::format("expected rd, wr or rdwr, got \"{}\"", t.text));
}

Operation LineParser::op_poll(std::string_view) {
  op::Poll p;
  if (at_end() || peek_is("->")) return p;
  const Token& t = next_word("an event mask such as in|out");
  bool ok = false;
  p.mask = parse_events(t.text, &ok);
  if (!ok)
    fail(t, fmt::format("expected events in, out, pri, err, hup, rdhup joined with |, or none, got \"{}\"", t.text));
  p.mask_written = true;
  return p;
}

Operation LineParser::op_unlink(std::string_view) {
  const Token& t = next_word("a path under /tmp/ or relative");
  std::string_view path = t.text;
  if (path.starts_with("unix:")) path.remove_prefix(5);
  if (path.empty() || path[0] == '@')
    fail(t, fmt::format("expected a path under /tmp/ or relative, got \"{}\"", t.text));
  return op::Unlink{unix_path_argument(t, path)};
}

Operation LineParser::op_sleep(std::string_view) {
  return op::Sleep{integer(next_word("milliseconds"), 0, kMaxSleepMs, "milliseconds")};
}

Operation LineParser::op_ns(std::string_view) {
  const Token& t = next_word("a namespace name");
  if (!is_ifname_like(t.text, 64))
    fail(t, fmt::format("expected a namespace name (A-Za-z0-9_.-, at most 64), got \"{}\"", t.text));
  return op::Ns{t.text};
}

Operation LineParser::op_sysctl(std::string_view) {
  const Token& key = next_word("a sysctl key such as net.ipv4.ip_local_port_range");
  // The key becomes a path under /proc/sys: dots separate non-empty parts.
  bool ok = key.text.starts_with("net.") && is_ifname_like(key.text, 256) &&
            key.text.find("..") == std::string::npos && key.text.back() != '.';
  if (!ok) fail(key, fmt::format("expected a sysctl key beginning with net. (A-Za-z0-9_.-), got \"{}\"", key.text));
  op::Sysctl s{key.text, {}};
  while (!at_end() && !peek_is("->")) s.values.push_back(next_word("a sysctl value").text);
  if (s.values.empty()) fail_at_end("expected a value after the sysctl key");
  return s;
}

Operation LineParser::op_uid(std::string_view) {
  return op::Uid{integer(next_word("a uid"), 0, UINT32_MAX - 1, "a uid")};
}

// ------------------------------------------------------------ expectations

constexpr const char* kExpectationForms =
    "an expectation such as ok, EADDRINUSE, 7, \"abc\", pending, none, in|out, error, *, skip, "
    "127.0.0.1:*, $a or \"data\" from ADDR";

bool looks_like_address(std::string_view s) {
  return s == "unspec" || s.starts_with("[") || s.starts_with("$") || s.starts_with("unix:") ||
         s.find(':') != std::string_view::npos;
}

bool looks_like_errno(std::string_view s) {
  return s.size() > 1 && s[0] == 'E' && ((s[1] >= 'A' && s[1] <= 'Z') || is_digit(s[1]));
}

Pattern exact(Result r) {
  Pattern p;
  p.exact = std::move(r);
  return p;
}

Pattern LineParser::single_pattern(const Operation& op, const Token& t) {
  const std::string& s = t.text;
  Pattern p;
  if (t.quoted) return exact(Result::bytes(s));
  if (s == "ok") return exact(Result::ok());
  if (s == "pending") return exact(Result::pending());
  if (s == "skip") { p.kind = Pattern::Kind::Skip; return p; }
  if (s == "error") { p.kind = Pattern::Kind::AnyError; return p; }
  if (s == "*") { p.kind = Pattern::Kind::Anything; return p; }
  if (s == "none" && std::holds_alternative<op::Ss>(op)) { p.kind = Pattern::Kind::Table; return p; }
  bool getsockopt = std::holds_alternative<op::GetSockOpt>(op);
  if (looks_like_errno(s)) {
    auto e = errno_from_name(s);
    if (!e) fail(t, fmt::format("unknown errno name \"{}\"", s));
    return exact(Result::err(*e));
  }
  // `unspec` is also a word: for getsockopt (SO_BINDTODEVICE) it is one.
  bool address = looks_like_address(s) && !(getsockopt && s == "unspec");
  if (address) {
    p.kind = Pattern::Kind::Address;
    p.address = address_term(t, Context::Expectation);
    return p;
  }
  if (!s.empty() && (is_digit(s[0]) || (s[0] == '-' && s.size() > 1 && is_digit(s[1])))) {
    if (getsockopt && split_range(s)) return exact(Result::word(s));
    return exact(Result::num(integer(t, INT64_MIN, INT64_MAX, "a number")));
  }
  if (getsockopt && is_ifname_like(s, kMaxIfName)) return exact(Result::word(s));
  bool events_ok = false;
  PollEvents events = parse_events(s, &events_ok);
  if (events_ok) return exact(Result::events(events));
  fail(t, fmt::format("expected {}, got \"{}\"", kExpectationForms, s));
}

std::optional<std::uint32_t> LineParser::queue_field(const Token& t, std::string_view text) const {
  if (text == "*") return std::nullopt;
  Token part{std::string(text), false, t.column};
  return static_cast<std::uint32_t>(integer(part, 0, UINT32_MAX, "a queue length"));
}

SsRowPattern LineParser::row_pattern(std::span<const Token> row) {
  constexpr const char* kRowForm = "an ss row: PROTO STATE LOCAL PEER q=RECVQ/SENDQ (each may be *)";
  if (row.size() != 5) {
    if (row.empty()) fail_at_end(fmt::format("expected {}", kRowForm));
    fail(row[0], fmt::format("expected {}; this row has {} fields", kRowForm, row.size()));
  }
  for (const Token& t : row)
    if (t.quoted) fail(t, fmt::format("expected {}, got a string", kRowForm));
  SsRowPattern r;
  if (row[0].text != "*") r.proto = row[0].text;
  if (row[1].text != "*") r.state = row[1].text;
  auto address_field = [&](const Token& t, std::optional<AddressTerm>& term, bool& none) {
    if (t.text == "*:*") none = true;
    else if (t.text != "*") term = address_term(t, Context::Expectation);
  };
  address_field(row[2], r.local, r.local_none);
  address_field(row[3], r.peer, r.peer_none);
  const Token& q = row[4];
  if (q.text != "*") {
    auto slash = q.text.find('/');
    if (!q.text.starts_with("q=") || slash == std::string::npos)
      fail(q, fmt::format("expected q=RECVQ/SENDQ or *, got \"{}\"", q.text));
    std::string_view text = q.text;
    r.recvq = queue_field(q, text.substr(2, slash - 2));
    r.sendq = queue_field(q, text.substr(slash + 1));
  }
  return r;
}

Pattern LineParser::table_pattern(std::span<const Token> alt) {
  Pattern p;
  p.kind = Pattern::Kind::Table;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= alt.size(); ++i) {
    if (i == alt.size() || (!alt[i].quoted && alt[i].text == ";")) {
      if (i == start) {
        if (i < alt.size()) fail(alt[i], "expected an ss row before \";\"");
        fail_at_end("expected an ss row after \";\"");
      }
      p.rows.push_back(row_pattern(alt.subspan(start, i - start)));
      start = i + 1;
    }
  }
  return p;
}

Pattern LineParser::pattern(const Operation& op, std::span<const Token> alt) {
  if (alt.empty()) fail_at_end(fmt::format("expected {}", kExpectationForms));
  // `"data" from ADDR`, `N from ADDR`, `from none`: never an ss row, which has 5 fields
  bool from = alt.size() == 3 && !alt[1].quoted && alt[1].text == "from";
  bool single_word = alt.size() == 1 && alt[0].text != ";";
  if (std::holds_alternative<op::Ss>(op) && !single_word && !from) return table_pattern(alt);
  if (alt.size() == 1) return single_pattern(op, alt[0]);
  if (from) {
    Pattern p;
    p.kind = Pattern::Kind::From;
    p.exact.kind = Result::Kind::From;
    if (alt[0].quoted) {
      p.exact.text = alt[0].text;
    } else {
      p.exact.from_truncated = true;
      p.exact.integer = integer(alt[0], 0, INT64_MAX, "\"data\" or a byte count before from");
    }
    if (alt[2].quoted || alt[2].text != "none") p.address = address_term(alt[2], Context::Expectation);
    return p;
  }
  fail(alt[1], fmt::format("unexpected \"{}\": expected {}", alt[1].text, kExpectationForms));
}

Expectation LineParser::expectation(const Operation& op, std::size_t end) {
  Expectation e;
  std::size_t start = pos_;
  for (std::size_t i = pos_; i <= end; ++i) {
    if (i == end || (!tokens_[i].quoted && tokens_[i].text == "or")) {
      if (i == start) {
        if (i < end) fail(tokens_[i], fmt::format("expected {} before or", kExpectationForms));
        fail_at_end(fmt::format("expected {}", kExpectationForms));
      }
      e.alternatives.push_back(pattern(op, tokens_.subspan(start, i - start)));
      start = i + 1;
    }
  }
  pos_ = end;
  return e;
}

// ------------------------------------------------------------ the line

std::size_t names_required(const Operation& op) {
  if (std::holds_alternative<op::Socket>(op) || std::holds_alternative<op::Accept>(op)) return 1;
  if (std::holds_alternative<op::SocketPair>(op)) return 2;
  return 0;
}

Line LineParser::parse() {
  Line line;
  line.line_no = line_no_;
  std::size_t arrow = tokens_.size();
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (!tokens_[i].quoted && tokens_[i].text == "->") { arrow = i; break; }

  // `NAME =` or `A, B =`
  auto is_word = [&](std::size_t i, std::string_view w) {
    return i < arrow && !tokens_[i].quoted && tokens_[i].text == w;
  };
  std::size_t name_count = is_word(1, "=") ? 1 : (is_word(1, ",") && is_word(3, "=")) ? 2 : 0;
  for (std::size_t k = 0; k < name_count; ++k) {
    const Token& t = tokens_[2 * k];
    if (t.quoted || !is_identifier(t.text))
      fail(t, fmt::format("expected a socket name ([A-Za-z_][A-Za-z0-9_]*) before =, got \"{}\"", t.text));
    line.names.push_back(t.text);
  }
  if (name_count == 2 && line.names[0] == line.names[1])
    fail(tokens_[2], fmt::format("the two names of a socketpair must differ, got {} twice", line.names[0]));
  pos_ = name_count * 2;
  if (pos_ == arrow) {
    if (pos_ < tokens_.size()) fail(tokens_[pos_], "expected an operation before ->");
    fail_at_end(fmt::format("expected an operation ({})", operation_words()));
  }

  std::span<const Token> all = tokens_;
  tokens_ = all.first(arrow);  // the call may not read into the expectation
  const Token& op_token = next("an operation");
  line.op = operation(op_token, &line.socket);
  expect_end(fmt::format("the arguments of {}", op_token.text));
  tokens_ = all;

  std::size_t need = names_required(line.op);
  if (need != name_count) {
    if (need == 0)
      fail(tokens_[0], fmt::format("{} takes no NAME =; only socket, accept and socketpair do", op_token.text));
    fail(op_token, need == 1 ? fmt::format("{} needs a name: write NAME = {} ...", op_token.text, op_token.text)
                             : std::string("socketpair needs two names: write A, B = socketpair ..."));
  }
  if (arrow < tokens_.size()) {
    pos_ = arrow + 1;
    line.expect = expectation(line.op, next_kernel_clause(pos_));
    while (pos_ < tokens_.size()) line.on_kernels.push_back(kernel_expectation(line.op));
  }
  return line;
}

// Where the next `@COND ->` clause starts (docs/language.md), or the end.
std::size_t LineParser::next_kernel_clause(std::size_t from) const {
  for (std::size_t i = from; i < tokens_.size(); ++i)
    if (!tokens_[i].quoted && tokens_[i].text.starts_with('@')) return i;
  return tokens_.size();
}

KernelExpectation LineParser::kernel_expectation(const Operation& op) {
  const Token& t = next("@COND");
  KernelExpectation k;
  auto when = parse_kernel_condition(std::string_view(t.text).substr(1));
  if (!when)
    fail(t, fmt::format("\"{}\" names no kernel: expected @<X.Y, @>=X.Y, @X.Y (a series) or @VARIANT "
                        "(tcp-role-lock), optionally @!VARIANT",
                        t.text));
  k.when = *when;
  const Token& arrow = next(fmt::format("-> after {}", t.text));
  if (arrow.quoted || arrow.text != "->") fail(arrow, fmt::format("expected -> after {}", t.text));
  k.expect = expectation(op, next_kernel_clause(pos_));
  return k;
}

}  // namespace

Program parse_scenario(std::string_view text, std::string_view file) {
  Program program;
  program.file = std::string(file);
  Variables vars;
  int line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    ++line_no;
    if (line_no > kMaxLines)
      throw ParseError(program.file, line_no, 1, fmt::format("too many lines: at most {}", kMaxLines));
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.size() > kMaxLineBytes)
      throw ParseError(program.file, line_no, static_cast<int>(kMaxLineBytes) + 1,
                       fmt::format("line too long: at most {} bytes", kMaxLineBytes));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto nul = line.find('\0'); nul != std::string_view::npos)
      throw ParseError(program.file, line_no, static_cast<int>(nul) + 1,
                       "a NUL byte is not allowed in a scenario (write \\0 inside a string)");
    if (auto bad = first_invalid_utf8(line); bad != std::string_view::npos)
      throw ParseError(program.file, line_no, static_cast<int>(bad) + 1,
                       "invalid UTF-8 (write other bytes as \\xHH inside a string)");
    std::vector<Token> tokens = lex_line(line, file, line_no);
    if (tokens.empty()) continue;
    LineParser parser(tokens, file, line_no, static_cast<int>(line.size()) + 1, vars);
    program.lines.push_back(parser.parse());
  }
  return program;
}

Program parse_scenario_file(const std::string& path) {
  std::string text;
  try {
    text = read_input_file(path);
  } catch (const InputFileError& e) {
    throw ParseError(path, 0, 0, e.problem());
  }
  return parse_scenario(text, path);
}

}  // namespace sockspec
