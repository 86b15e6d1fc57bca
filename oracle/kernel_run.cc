// KernelRun: one scenario on the real kernel (oracle.h has the contract).
//
// Every socket is non-blocking (SOCK_NONBLOCK, accept4(SOCK_NONBLOCK),
// MSG_DONTWAIT), so no call can block; the only waits are poll(2)s bounded by
// the settle and delivery times, and they happen only where the kernel's
// state says an answer may still be on its way (docs/oracle.md, "Time").
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "oracle/namespace_pool.h"
#include "oracle/sysctl_journal.h"
#include "oracle/netlink.h"
#include "oracle/oracle.h"
#include "oracle/sandbox.h"
#include "oracle/sockaddr.h"
#include "scenario/printer.h"
#include "scenario/vocabulary.h"

namespace sockspec {
namespace {

using oracle::SockAddr;

// SIGURG for sockets handed to this thread with `setown` (F_OWNER_TID).
thread_local std::atomic<int> t_sigurg_count{0};

void count_sigurg(int) { t_sigurg_count.fetch_add(1, std::memory_order_relaxed); }

void install_sigurg_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa{};
    sa.sa_handler = count_sigurg;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, nullptr);
  });
}

// The largest read a single recv line makes; a larger LEN (or a negative
// one, which recv(2) sees as huge) reads at most this much.
constexpr std::size_t kMaxRecv = 1 << 20;
constexpr std::int64_t kMaxSleepMs = 2000;
// how long `link add` / `addr add` wait until the link / address carries
// packets (oracle::wait_link_ready, oracle::wait_address_ready)
constexpr int kLinkReadyMs = 2000;

int msg_flags(MsgFlags f) {
  int flags = 0;
  if (f & kMsgOob) flags |= MSG_OOB;
  if (f & kMsgPeek) flags |= MSG_PEEK;
  if (f & kMsgTrunc) flags |= MSG_TRUNC;
  if (f & kMsgWaitall) flags |= MSG_WAITALL;
  if (f & kMsgDontwait) flags |= MSG_DONTWAIT;
  return flags;
}

constexpr std::pair<PollEvent, short> kPollBits[] = {
    {kPollIn, POLLIN},   {kPollOut, POLLOUT}, {kPollPri, POLLPRI},
    {kPollErr, POLLERR}, {kPollHup, POLLHUP}, {kPollRdhup, POLLRDHUP},
};

short to_poll(PollEvents e) {
  short out = 0;
  for (auto [ours, theirs] : kPollBits)
    if (e & ours) out = static_cast<short>(out | theirs);
  return out;
}

PollEvents from_poll(short revents) {
  PollEvents out = 0;
  for (auto [ours, theirs] : kPollBits)
    if (revents & theirs) out = static_cast<PollEvents>(out | ours);
  return out;
}

Result errno_result() { return Result::err(errno); }

int socket_domain(int fd) {
  int domain = AF_UNSPEC;
  socklen_t len = sizeof domain;
  return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 ? domain : AF_UNSPEC;
}
// The socket family whose address length `unspec` takes; other addresses
// carry their own length, so the socket need not be asked.
int family_for_length(const Address& a, int fd) { return a.kind == AddressKind::Unspec ? socket_domain(fd) : AF_UNSPEC; }
Result ok_or_errno(int rc) { return rc == 0 ? Result::ok() : errno_result(); }

// Whether a line may run after a `uid` line failed: the world directives
// and `sleep` touch no socket.
bool touches_sockets(const Operation& op) {
  return !(std::holds_alternative<op::Ns>(op) || std::holds_alternative<op::Sysctl>(op) ||
           std::holds_alternative<op::LinkAdd>(op) || std::holds_alternative<op::AddrAdd>(op) ||
           std::holds_alternative<op::Sleep>(op));
}

// A sysctl key the language allows: `net.` then dotted words; no `..`, no
// `/`, so the path cannot leave /proc/sys/net of the current namespace.
bool valid_sysctl_key(const std::string& key) {
  if (!key.starts_with("net.") || key.find("..") != std::string::npos || key.back() == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::optional<Address> v4_view(const Address& a) {
  // ::ffff:a.b.c.d and a.b.c.d are the same IPv4 destination
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.kind == AddressKind::Inet6 && std::memcmp(a.ip.data(), kMapped, 12) == 0) {
    Address v4;
    v4.kind = AddressKind::Inet4;
    v4.port = a.port;
    std::memcpy(v4.ip.data(), a.ip.data() + 12, 4);
    return v4;
  }
  return a.kind == AddressKind::Inet4 ? std::optional(a) : std::nullopt;
}

bool is_wildcard(const Address& a) {
  std::size_t n = a.kind == AddressKind::Inet4 ? 4 : 16;
  return std::all_of(a.ip.begin(), a.ip.begin() + static_cast<long>(n), [](std::uint8_t b) { return b == 0; });
}

// Whether a TCP listener bound to `listener` takes connections to `dest`
// (a dual-stack [::] listener takes IPv4 too).
bool listener_takes(const Address& listener, const Address& dest) {
  if (listener.port != dest.port) return false;
  if (is_wildcard(listener)) return listener.kind == AddressKind::Inet6 || v4_view(dest).has_value();
  auto l4 = v4_view(listener), d4 = v4_view(dest);
  if (l4 && d4) return l4->ip == d4->ip;
  return listener.kind == dest.kind && listener.ip == dest.ip;
}

}  // namespace

// Packets queued on the CPUs' receive backlogs and not yet processed: the
// twelfth column of /proc/net/softnet_stat (softnet_seq_show, since 5.10).
// Loopback's frames wait there (loopback_xmit -> __netif_rx) until NET_RX
// runs, at once on a host, later on an emulated kernel that left it to
// ksoftirqd. -1 when the file cannot be read.
long receive_backlog() {
  int fd = open("/proc/net/softnet_stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char text[8192];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  long total = 0;
  for (char* row = text; *row;) {
    char* end = std::strchr(row, '\n');
    if (end) *end = '\0';
    char* field = row;
    for (int column = 0; column < 11 && field; ++column) field = std::strchr(field + 1, ' ');
    if (field) total += std::strtol(field + 1, nullptr, 16);
    if (!end) break;
    row = end + 1;
  }
  return total;
}

// Waits, at most `ms`, for the receive backlogs to empty: under emulation a
// line starts only once what earlier lines sent over loopback has arrived,
// as it always has on a host.
void drain_receive_backlog(int ms) {
  for (int waited = 0; waited < ms && receive_backlog() > 0; ++waited) poll(nullptr, 0, 1);
}

struct KernelRun::Impl {
  // A namespace of the run: the pool's fd and sock_diag socket, a name.
  struct Namespace : oracle::PooledNamespace {
    std::string name;
    bool changed = false;          // a link or address was added, or a sysctl cannot be put back
    oracle::SysctlJournal sysctls;  // what the sysctls were before the scenario wrote them
  };
  OracleConfig config;
  std::vector<Namespace> namespaces;  // namespaces[0] is `main`
  std::size_t current = 0;
  // Every socket each scenario name was given to, in order (-1 once the
  // scenario closed it). The last one is what the name means now; earlier
  // ones live on unnamed, like leaked fds, until the run ends.
  std::map<std::string, std::vector<int>, std::less<>> name_history;
  // The open UDP sockets among them: the only ones whose receive memory the
  // model reads (data.udp.lookup.adopt_kernel), so a data line on TCP or
  // AF_UNIX costs no SO_MEMINFO call per held socket.
  std::set<int> udp_fds;
  std::int64_t uid = 0;
  bool uid_failed = false;
  bool links_made = false;            // delivery may then take time (veth)
  std::vector<char> buffer;
  std::optional<std::vector<oracle::DiagSocket>> line_dump;  // this line's sock_diag dump, once taken

  explicit Impl(const OracleConfig& c) : config(c) {}

  // ------------------------------------------------------------ sockets by name

  int fd_of(std::string_view name) const {
    auto it = name_history.find(name);
    return it == name_history.end() ? -1 : it->second.back();
  }

  void name_socket(const std::string& name, int fd) { name_history[name].push_back(fd); }

  // Every socket the run still holds open, named or not.
  template <typename OnFd>
  bool any_open_fd(OnFd on_fd) const {
    for (const auto& [name, fds] : name_history)
      for (int fd : fds)
        if (fd >= 0 && on_fd(fd)) return true;
    return false;
  }

  // ------------------------------------------------------------ privilege

  // Directives change the world as the sandbox's root, whatever `uid` says.
  struct AsRoot {
    explicit AsRoot(std::int64_t uid) : restore(uid) {
      if (restore != 0) syscall(SYS_setresuid, -1, 0, -1);
    }
    ~AsRoot() {
      if (restore != 0) syscall(SYS_setresuid, -1, static_cast<uid_t>(restore), -1);
    }
    std::int64_t restore;
  };

  // ------------------------------------------------------------ namespaces

  std::optional<std::size_t> find_namespace(std::string_view name) const {
    for (std::size_t i = 0; i < namespaces.size(); ++i)
      if (namespaces[i].name == name) return i;
    return std::nullopt;
  }

  // Makes a fresh namespace `name` and enters it; throws when the kernel
  // refuses (the sandbox then cannot work at all).
  std::size_t create_namespace(const std::string& name) {
    std::string error;
    auto lent = oracle::NamespacePool::shared().acquire(&error, config.reuse_namespaces);
    if (!lent) throw std::runtime_error("the oracle cannot create a network namespace: " + error);
    Namespace& ns = namespaces.emplace_back();
    static_cast<oracle::PooledNamespace&>(ns) = std::move(*lent);
    ns.name = name;
    return namespaces.size() - 1;
  }

  void enter(std::size_t index) {
    if (setns(namespaces[index].fd, CLONE_NEWNET) == 0) {
      current = index;
      return;
    }
    const int e = errno;
    const std::string what = std::string("setns(2) into a scenario namespace: ") + std::strerror(e);
    if (e == EOPNOTSUPP || e == ENOSYS) throw TargetLimitation(what);
    throw std::runtime_error(what);
  }

  // ------------------------------------------------------------ sock_diag

  // Whether an open TCP socket of the run (in any of its namespaces) is
  // only bound: TCP_CLOSE with a local port. Only such a socket can be an
  // UNCONN row, so without one `ss` skips the walk of the shared bind hash.
  bool any_tcp_only_bound() const {
    auto only_bound = [](int fd) {
      tcp_info info{};
      socklen_t len = sizeof info;
      if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_state != 7 /* TCP_CLOSE */)
        return false;
      sockaddr_in6 sa{};  // sin_port and sin6_port sit at the same offset
      socklen_t sa_len = sizeof sa;
      return getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &sa_len) != 0 || sa.sin6_port != 0;
    };
    return any_open_fd(only_bound);
  }

  // The Recv-Q and Send-Q of the socket open as `fd`, from this line's dump.
  static std::optional<QueueSizes> queue_sizes_of_fd(int fd, const std::vector<oracle::DiagSocket>& dumped);

  // Every socket of the current namespace as sock_diag lists it, dumped
  // once per line: `ss` prints it and observe() reads queue sizes from the
  // same dump, so the two agree.
  int dump_sockets(const std::vector<oracle::DiagSocket>** out) {
    if (!line_dump) {
      std::vector<oracle::DiagSocket> found;
      if (int e = namespaces[current].diag.dump_all(&found, any_tcp_only_bound())) return e;
      line_dump = std::move(found);
    }
    *out = &*line_dump;
    return 0;
  }

  // ------------------------------------------------------------ waiting

  // Waits up to `ms` for any of `events` (err and hup always count).
  bool wait_for(int fd, short events, int ms) {
    pollfd p{.fd = fd, .events = events, .revents = 0};
    return poll(&p, 1, ms) > 0;
  }

  // Data or a connection may still be crossing a veth; loopback is
  // synchronous on a host (DESIGN.md "Speed"), so without links nothing is
  // in flight unless the kernel runs emulated (OracleConfig::loopback_delivery_ms).
  int delivery_wait_ms() const { return links_made ? config.delivery_ms : config.loopback_delivery_ms; }

  // True when something was waited for; false when there was nothing to wait
  // on. AF_UNIX never is: unix_stream_sendmsg and unix_dgram_sendmsg queue on
  // the peer inside the call, and a second recv there is not a harmless
  // retry (before 6.10 the first one may drop a consumed urgent skb).
  bool await_delivery(int fd, short events) {
    if (delivery_wait_ms() <= 0 || socket_domain(fd) == AF_UNIX) return false;
    wait_for(fd, events, delivery_wait_ms());
    return true;
  }

  // Every TCP listener of the current namespace that would take `dest`
  // has a full accept queue, so the SYN was dropped (tcp_conn_request:
  // sk_acceptq_is_full) and the connect cannot finish within any settle time.
  bool listeners_full(const Address& dest) {
    if (dest.kind != AddressKind::Inet4 && dest.kind != AddressKind::Inet6) return false;
    std::vector<oracle::DiagSocket> listeners;
    auto& diag = namespaces[current].diag;
    if (diag.dump_tcp_listeners(AF_INET, &listeners) != 0) return false;
    if (diag.dump_tcp_listeners(AF_INET6, &listeners) != 0) return false;
    bool any = false;
    for (const auto& l : listeners) {
      if (!listener_takes(*l.row.local, dest)) continue;
      if (l.row.recvq <= l.row.sendq) return false;  // room: cannot decide from state
      any = true;
    }
    return any;
  }

  // ------------------------------------------------------------ operations

  Result run(const op::Socket& o, const Line& line, int) {
    int fd = socket(vocab::family(o.family).number, vocab::sock_type(o.type).number | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol_number(o.proto));
    if (fd < 0) return errno_result();
    name_socket(line.names.at(0), fd);
    if (o.type == SockType::Dgram && o.family != Family::Unix) udp_fds.insert(fd);
    return Result::ok();
  }

  Result run(const op::SocketPair& o, const Line& line, int) {
    int sv[2];
    if (socketpair(vocab::family(o.family).number, vocab::sock_type(o.type).number | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
      return errno_result();
    name_socket(line.names.at(0), sv[0]);
    name_socket(line.names.at(1), sv[1]);
    return Result::ok();
  }

  Result run(const op::SetSockOpt& o, const Line&, int fd);
  Result run(const op::GetSockOpt& o, const Line&, int fd);

  Result run(const op::Bind& o, const Line&, int fd) {
    SockAddr sa;
    if (int e = oracle::to_sockaddr(o.addr.base, family_for_length(o.addr.base, fd), &sa)) return Result::err(e);
    return ok_or_errno(bind(fd, sa.get(), sa.len));
  }

  Result run(const op::Listen& o, const Line&, int fd) {
    // listen(2) takes an int; a larger value is what a C caller would pass clamped
    int backlog = static_cast<int>(std::clamp<std::int64_t>(o.backlog, INT_MIN, INT_MAX));
    return ok_or_errno(listen(fd, backlog));
  }

  Result connect_again(int fd, const SockAddr& sa) {
    if (connect(fd, const_cast<SockAddr&>(sa).get(), sa.len) == 0 || errno == EISCONN) return Result::ok();
    return errno_result();
  }

  Result run(const op::Connect& o, const Line&, int fd) {
    SockAddr sa;
    if (int e = oracle::to_sockaddr(o.addr.base, family_for_length(o.addr.base, fd), &sa)) return Result::err(e);
    if (connect(fd, sa.get(), sa.len) == 0) return Result::ok();
    if (o.nowait || (errno != EINPROGRESS && errno != EALREADY)) return errno_result();
    // The language's blocking connect with a bounded wait. Loopback
    // handshakes finish inside connect(2), so look before sleeping.
    if (wait_for(fd, POLLOUT, 0)) return connect_again(fd, sa);
    if (listeners_full(o.addr.base)) return Result::pending();
    if (wait_for(fd, POLLOUT, config.settle_ms)) return connect_again(fd, sa);
    return Result::pending();
  }

  Result run(const op::Accept&, const Line& line, int fd) {
    int child = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (child < 0 && errno == EAGAIN) {
      if (await_delivery(fd, POLLIN)) child = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      else errno = EAGAIN;
    }
    if (child < 0) return errno_result();
    name_socket(line.names.at(0), child);
    return Result::ok();
  }

  Result run(const op::Send& o, const Line&, int fd) {
    ssize_t n = send(fd, o.data.data(), o.data.size(), msg_flags(o.flags) | MSG_NOSIGNAL | MSG_DONTWAIT);
    return n < 0 ? errno_result() : Result::num(n);
  }

  Result run(const op::SendTo& o, const Line&, int fd) {
    SockAddr sa;
    if (int e = oracle::to_sockaddr(o.addr.base, family_for_length(o.addr.base, fd), &sa)) return Result::err(e);
    ssize_t n = sendto(fd, o.data.data(), o.data.size(), msg_flags(o.flags) | MSG_NOSIGNAL | MSG_DONTWAIT,
                       sa.get(), sa.len);
    return n < 0 ? errno_result() : Result::num(n);
  }

  std::size_t recv_size(std::int64_t len) {
    std::size_t size = len < 0 ? kMaxRecv : std::min<std::size_t>(static_cast<std::size_t>(len), kMaxRecv);
    if (buffer.size() < size) buffer.resize(size);
    return size;
  }

  // One recvfrom(2), retried once after the delivery wait when nothing was there.
  ssize_t receive(int fd, std::size_t size, int flags, SockAddr* from) {
    for (int attempt = 0;; ++attempt) {
      if (from) from->len = sizeof from->storage;
      ssize_t n = recvfrom(fd, buffer.data(), size, flags | MSG_DONTWAIT, from ? from->get() : nullptr,
                           from ? &from->len : nullptr);
      if (n >= 0 || errno != EAGAIN || attempt > 0) return n;
      if (!await_delivery(fd, (flags & MSG_OOB) ? POLLPRI : POLLIN)) return errno = EAGAIN, n;
    }
  }

  Result run(const op::Recv& o, const Line&, int fd) {
    std::size_t size = recv_size(o.len);
    ssize_t n = receive(fd, size, msg_flags(o.flags), nullptr);
    if (n < 0) return errno_result();
    if (o.flags & kMsgTrunc) return Result::num(n);
    return Result::bytes(std::string(buffer.data(), std::min<std::size_t>(static_cast<std::size_t>(n), size)));
  }

  Result run(const op::RecvFrom& o, const Line&, int fd) {
    std::size_t size = recv_size(o.len);
    SockAddr from;
    ssize_t n = receive(fd, size, msg_flags(o.flags), &from);
    if (n < 0) return errno_result();
    Result r;
    r.kind = Result::Kind::From;
    if (o.flags & kMsgTrunc) {
      r.from_truncated = true;
      r.integer = n;
    } else {
      r.text.assign(buffer.data(), std::min<std::size_t>(static_cast<std::size_t>(n), size));
    }
    // no source address (TCP, an unnamed AF_UNIX sender): msg_namelen 0
    if (from.len > 0) r.address = oracle::from_sockaddr(from.storage, from.len);
    return r;
  }

  Result run(const op::SockAtMark&, const Line&, int fd) {
    int at_mark = 0;
    if (ioctl(fd, SIOCATMARK, &at_mark) != 0) return errno_result();
    return Result::num(at_mark);
  }

  Result run(const op::Shutdown& o, const Line&, int fd) {
    int how = o.how == ShutHow::Rd ? SHUT_RD : o.how == ShutHow::Wr ? SHUT_WR : SHUT_RDWR;
    return ok_or_errno(shutdown(fd, how));
  }

  Result run(const op::Close&, const Line& line, int fd) {
    name_history[line.socket].back() = -1;
    udp_fds.erase(fd);
    return ok_or_errno(close(fd));
  }

  Result name_result(int fd, int (*call)(int, sockaddr*, socklen_t*)) {
    SockAddr sa;
    sa.len = sizeof sa.storage;
    if (call(fd, sa.get(), &sa.len) != 0) return errno_result();
    return Result::addr(oracle::from_sockaddr(sa.storage, sa.len));
  }
  Result run(const op::GetSockName&, const Line&, int fd) { return name_result(fd, getsockname); }
  Result run(const op::GetPeerName&, const Line&, int fd) { return name_result(fd, getpeername); }

  Result run(const op::Poll& o, const Line&, int fd) {
    pollfd p{.fd = fd, .events = to_poll(o.mask), .revents = 0};
    if (poll(&p, 1, 0) < 0) return errno_result();
    return Result::events(from_poll(p.revents));
  }

  Result run(const op::SetOwn&, const Line&, int fd) {
    // this thread, not the process: another scenario may run on another thread
    f_owner_ex owner{.type = F_OWNER_TID, .pid = static_cast<pid_t>(syscall(SYS_gettid))};
    return ok_or_errno(fcntl(fd, F_SETOWN_EX, &owner));
  }

  Result run(const op::SigUrg&, const Line&, int) {
    return Result::num(t_sigurg_count.exchange(0, std::memory_order_relaxed));
  }

  Result run(const op::Unlink& o, const Line&, int) {
    if (!oracle::is_scenario_path(o.path)) return Result::err(EACCES);  // never outside our /tmp
    return ok_or_errno(unlink(o.path.c_str()));
  }

  Result run(const op::Sleep& o, const Line&, int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<std::int64_t>(o.ms, 0, kMaxSleepMs)));
    return Result::ok();
  }

  Result run(const op::Ss&, const Line&, int) {
    const std::vector<oracle::DiagSocket>* dumped = nullptr;
    if (int e = dump_sockets(&dumped)) return Result::err(e);
    std::vector<oracle::DiagSocket> found = *dumped;
    Result r;
    r.kind = Result::Kind::Table;
    std::vector<std::pair<std::string, SsRow>> printed;
    printed.reserve(found.size());
    for (auto& s : found) printed.emplace_back(print_ss_row(s.row), std::move(s.row));
    std::sort(printed.begin(), printed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& p : printed) r.rows.push_back(std::move(p.second));
    return r;
  }

  Result run(const op::Ns& o, const Line&, int) {
    AsRoot root(uid);
    if (auto index = find_namespace(o.name)) {
      // between lines the thread is in namespaces[current]: `ns main` in
      // main needs no setns (which gVisor does not have)
      if (*index != current) enter(*index);
    } else {
      current = create_namespace(o.name);
    }
    return Result::ok();
  }

  Result run(const op::Sysctl& o, const Line&, int) {
    if (!valid_sysctl_key(o.key)) return Result::err(EINVAL);
    std::string path = "/proc/sys/" + o.key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    std::string value;
    for (const auto& v : o.values) value += (value.empty() ? "" : "\t") + v;
    AsRoot root(uid);
    // /proc/sys/net resolves in the opening thread's namespace (net_ctl_header_lookup)
    if (!namespaces[current].sysctls.remember(path)) namespaces[current].changed = true;
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno_result();
    ssize_t n = write(fd, value.data(), value.size());
    int e = n < 0 ? errno : 0;
    close(fd);
    return e ? Result::err(e) : Result::ok();
  }

  Result run(const op::LinkAdd& o, const Line&, int) {
    AsRoot root(uid);
    std::string peer = o.peer.empty() ? o.name + "p" : o.peer;
    std::size_t here = current, there = current;
    if (!o.peer_ns.empty()) {
      if (auto index = find_namespace(o.peer_ns)) {
        there = *index;
      } else {  // as `ns OTHER` would: a fresh namespace; then back here
        there = create_namespace(o.peer_ns);
        enter(here);
      }
    }
    namespaces[here].changed = namespaces[there].changed = true;
    links_made = true;
    int e = oracle::add_veth(o.name, peer, there == here ? -1 : namespaces[there].fd);
    if (e != 0) return Result::err(e);
    enter(there);
    e = oracle::set_link_up(peer.c_str());
    if (e == 0) e = oracle::wait_link_ready(peer, kLinkReadyMs);
    enter(here);
    if (e == 0) e = oracle::wait_link_ready(o.name, kLinkReadyMs);
    return e ? Result::err(e) : Result::ok();
  }

  Result run(const op::AddrAdd& o, const Line&, int) {
    unsigned index = if_nametoindex(o.dev.empty() ? "lo" : o.dev.c_str());
    if (index == 0) return Result::err(ENODEV);
    AsRoot root(uid);
    namespaces[current].changed = true;
    int e = oracle::add_address(o.addr, o.prefix, index);
    if (e == 0) e = oracle::wait_address_ready(o.addr, kLinkReadyMs);
    return e ? Result::err(e) : Result::ok();
  }

  Result run(const op::Uid& o, const Line&, int) {
    // the raw syscall changes only this thread's credentials; glibc's
    // setresuid() would change every thread's (nptl's setxid broadcast)
    // setuid rules (cap_capable on CAP_SETUID, else only the real or saved
    // uid): from one unprivileged euid to another is refused, so go by way
    // of root, which the real and saved uids (0) still allow
    if (uid != 0) syscall(SYS_setresuid, -1, 0, -1);
    if (o.uid < 0 || o.uid >= UINT32_MAX || syscall(SYS_setresuid, -1, static_cast<uid_t>(o.uid), -1) != 0) {
      uid_failed = true;
      return Result::skip();
    }
    uid = o.uid;
    return Result::ok();
  }
};

// ------------------------------------------------------------ options

Result KernelRun::Impl::run(const op::SetSockOpt& o, const Line&, int fd) {
  const int level = vocab::option(o.opt).level, name = vocab::option(o.opt).number;
  const OptValue& v = o.value;
  auto set = [&](const void* value, socklen_t len) { return ok_or_errno(setsockopt(fd, level, name, value, len)); };
  switch (o.opt) {
    case SockOpt::SoLinger: {
      if (v.kind != OptValue::Kind::Off && v.kind != OptValue::Kind::Integer) return Result::err(EINVAL);
      linger l{};
      if (v.kind == OptValue::Kind::Integer) {
        l.l_onoff = 1;
        l.l_linger = static_cast<int>(std::clamp<std::int64_t>(v.integer, INT_MIN, INT_MAX));
      }
      return set(&l, sizeof l);
    }
    case SockOpt::IpLocalPortRange: {
      // ip_sock_set: the kernel reads a u32 packed as hi << 16 | lo
      std::uint32_t packed;
      if (v.kind == OptValue::Kind::Range) {
        packed = static_cast<std::uint32_t>(v.hi) << 16 | v.lo;
      } else if (v.kind == OptValue::Kind::Integer) {
        packed = static_cast<std::uint32_t>(v.integer);
      } else {
        return Result::err(EINVAL);
      }
      return set(&packed, sizeof packed);
    }
    case SockOpt::SoBindtodevice: {
      if (v.kind == OptValue::Kind::Off) return set("", 0);  // unbinds (sock_setbindtodevice)
      if (v.kind != OptValue::Kind::Name) return Result::err(EINVAL);
      return set(v.name.data(), static_cast<socklen_t>(v.name.size()));
    }
    default: {
      if (v.kind == OptValue::Kind::Off) {
        int zero = 0;
        return set(&zero, sizeof zero);
      }
      if (v.kind != OptValue::Kind::Integer || v.integer < INT_MIN || v.integer > INT_MAX)
        return Result::err(EINVAL);
      int value = static_cast<int>(v.integer);
      return set(&value, sizeof value);
    }
  }
}

Result KernelRun::Impl::run(const op::GetSockOpt& o, const Line&, int fd) {
  const int level = vocab::option(o.opt).level, name = vocab::option(o.opt).number;
  switch (o.opt) {
    case SockOpt::SoLinger: {
      linger l{};
      socklen_t len = sizeof l;
      if (getsockopt(fd, level, name, &l, &len) != 0) return errno_result();
      return l.l_onoff ? Result::num(l.l_linger) : Result::word("off");
    }
    case SockOpt::IpLocalPortRange: {
      std::uint32_t packed = 0;
      socklen_t len = sizeof packed;
      if (getsockopt(fd, level, name, &packed, &len) != 0) return errno_result();
      return Result::word(std::to_string(packed & 0xffff) + "-" + std::to_string(packed >> 16));
    }
    case SockOpt::SoBindtodevice: {
      char dev[IFNAMSIZ] = {};
      socklen_t len = sizeof dev;
      if (getsockopt(fd, level, name, dev, &len) != 0) return errno_result();
      if (len == 0 || dev[0] == '\0') return Result::word("off");
      return Result::word(std::string(dev, strnlen(dev, len)));
    }
    default: {
      int value = 0;
      socklen_t len = sizeof value;
      if (getsockopt(fd, level, name, &value, &len) != 0) return errno_result();
      // SO_ERROR gives `0` or an errno name
      if (o.opt == SockOpt::SoError && value != 0) return Result::err(value);
      return Result::num(value);
    }
  }
}

// ------------------------------------------------------------ KernelRun

KernelRun::KernelRun(const OracleConfig& config) : impl_(std::make_unique<Impl>(config)) {
  if (!in_sandbox())
    throw std::runtime_error(
        "the oracle refuses to run outside its sandbox: enter_sandbox() has not succeeded, and no socket may "
        "be made in the machine's own network namespace");
  if (auto error = oracle::prepare_thread()) throw std::runtime_error(*error);
  install_sigurg_handler();
  oracle::empty_tmp();
  t_sigurg_count.store(0);
  impl_->create_namespace("main");
}

KernelRun::~KernelRun() {
  Impl& run = *impl_;
  if (run.uid != 0) syscall(SYS_setresuid, -1, 0, -1);
  // Abortive close at teardown only: SO_LINGER 0 sends RST, so no socket
  // lingers in FIN-WAIT or TIME-WAIT (tcp_close -> tcp_disconnect).
  linger abortive{.l_onoff = 1, .l_linger = 0};
  auto close_abortively = [&](int fd) {
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    close(fd);
  };
  run.any_open_fd([&](int fd) {
    close_abortively(fd);
    return false;
  });
  auto& pool = oracle::NamespacePool::shared();
  for (auto& ns : run.namespaces) {
    bool reusable = run.config.reuse_namespaces && !ns.changed && run.uid == 0 && !run.uid_failed;
    if (reusable && !ns.sysctls.empty())  // /proc/sys/net of the namespace the thread is in
      reusable = setns(ns.fd, CLONE_NEWNET) == 0 && ns.sysctls.restore();
    setns(oracle::base_netns_fd(), CLONE_NEWNET);
    pool.release(std::move(ns), reusable);
  }
  oracle::empty_tmp();
  t_sigurg_count.store(0);
}

Result KernelRun::execute(const Line& line) {
  Impl& run = *impl_;
  run.line_dump.reset();
  if (run.config.loopback_delivery_ms > 0) drain_receive_backlog(run.config.loopback_delivery_ms);
  if (run.uid_failed && touches_sockets(line.op)) return Result::skip();
  int fd = -1;
  if (!line.socket.empty()) {
    fd = run.fd_of(line.socket);
    if (fd < 0) return Result::err(EBADF);  // not open: no call is made
  }
  return std::visit([&](const auto& op) { return run.run(op, line, fd); }, line.op);
}

namespace {

std::optional<Address> local_address_of(int fd) {
  oracle::SockAddr sa;
  sa.len = sizeof sa.storage;
  if (getsockname(fd, sa.get(), &sa.len) != 0) return std::nullopt;
  return oracle::from_sockaddr(sa.storage, sa.len);
}

// tcp_get_info reports a listener's sk_ack_backlog as tcpi_unacked.
std::optional<std::uint32_t> tcp_accept_queue_of(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 || info.tcpi_state != 10 /* TCP_LISTEN */)
    return std::nullopt;
  return info.tcpi_unacked;
}

// sk_rmem_alloc: what a socket's queued skbs charge (sk_get_meminfo).
std::optional<std::uint32_t> receive_memory_of(int fd) {
  std::uint32_t info[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof info;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &len) != 0 || len <= SK_MEMINFO_RMEM_ALLOC * sizeof info[0])
    return std::nullopt;
  return info[SK_MEMINFO_RMEM_ALLOC];
}

std::optional<std::int64_t> buffer_size_of(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, option, &value, &len) != 0) return std::nullopt;
  return value;
}

}  // namespace

Observation KernelRun::observe(const Line& line) {
  Impl& run = *impl_;
  const ObservationScope scope = observation_scope(line);
  Observation seen;
  const std::vector<oracle::DiagSocket>* dumped = nullptr;
  if (scope.queues && run.dump_sockets(&dumped) == 0)
    for (const auto& d : *dumped) seen.rows.push_back(d.row);
  for (const auto& [name, fds] : run.name_history)
    for (std::size_t generation = 0; generation < fds.size(); ++generation) {
      const int fd = fds[generation];
      if (fd < 0) continue;
      ObservedSocket s{.name = name, .generation = static_cast<int>(generation), .current = generation + 1 == fds.size()};
      const bool lines_socket = s.current && name == line.socket;
      if (scope.local_address && lines_socket) s.local = local_address_of(fd);
      if (scope.buffers && lines_socket) s.sndbuf = buffer_size_of(fd, SO_SNDBUF), s.rcvbuf = buffer_size_of(fd, SO_RCVBUF);
      if (scope.accept_queues) s.accept_queue = tcp_accept_queue_of(fd);
      const bool all_after_send = !std::holds_alternative<op::Recv>(line.op) && !std::holds_alternative<op::RecvFrom>(line.op);
      if (scope.receive_memory && run.udp_fds.contains(fd) && (lines_socket || all_after_send))
        s.rmem = receive_memory_of(fd);
      if (dumped) s.queues = run.queue_sizes_of_fd(fd, *dumped);
      seen.sockets.push_back(std::move(s));
    }
  return seen;
}

std::optional<QueueSizes> KernelRun::Impl::queue_sizes_of_fd(int fd, const std::vector<oracle::DiagSocket>& dumped) {
  // the socket's row in the same sock_diag dump `ss` prints, found by inode
  struct stat st{};
  if (fstat(fd, &st) != 0) return std::nullopt;
  for (const auto& s : dumped)
    if (s.inode == st.st_ino) return QueueSizes{s.row.recvq, s.row.sendq};
  return std::nullopt;
}

}  // namespace sockspec
