#include "oracle/netlink.h"

#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>
#include <cstring>
#include <unordered_map>

#include "oracle/sandbox.h"
#include "scenario/vocabulary.h"

namespace sockspec::oracle {
namespace {

// A netlink request under construction: one message, attributes appended,
// nests closed by end_nest. Overflow is remembered and reported once.
class Request {
 public:
  Request(std::uint16_t type, std::uint16_t flags) {
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = 1;
    len_ = NLMSG_HDRLEN;
  }
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_); }
  template <typename T>
  void put(const T& value) { append(&value, sizeof value); }
  void attr(std::uint16_t type, const void* data, std::size_t size) {
    rtattr a{};
    a.rta_type = type;
    a.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(size));
    append(&a, sizeof a);
    append(data, size);
  }
  void attr_string(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  std::size_t begin_nest(std::uint16_t type) {
    std::size_t at = len_;
    rtattr a{};
    a.rta_type = type;
    append(&a, sizeof a);
    return at;
  }
  void end_nest(std::size_t at) {
    if (overflow_) return;
    reinterpret_cast<rtattr*>(buf_ + at)->rta_len = static_cast<std::uint16_t>(len_ - at);
  }
  bool overflow() const { return overflow_; }
  std::size_t finish() {
    header()->nlmsg_len = static_cast<std::uint32_t>(len_);
    return len_;
  }

 private:
  void append(const void* data, std::size_t size) {
    std::size_t aligned = NLMSG_ALIGN(size);
    if (len_ + aligned > sizeof buf_) {
      overflow_ = true;
      return;
    }
    std::memcpy(buf_ + len_, data, size);
    std::memset(buf_ + len_ + size, 0, aligned - size);
    len_ += aligned;
  }
  alignas(nlmsghdr) char buf_[2048] = {};
  std::size_t len_ = 0;
  bool overflow_ = false;
};

int open_netlink(int protocol) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) return -errno;
  // the kernel answers inside sendmsg (rtnetlink_rcv, netlink_dump), so a
  // reply is always queued; the timeout only bounds a broken exchange
  timeval tv{.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends one request with NLM_F_ACK and returns the acknowledged errno.
int transact(int protocol, Request& request) {
  if (request.overflow()) return EINVAL;
  int fd = open_netlink(protocol);
  if (fd < 0) return -fd;
  std::size_t len = request.finish();
  int result = 0;
  if (send(fd, request.header(), len, 0) < 0) {
    result = errno;
  } else {
    alignas(nlmsghdr) char buf[8192];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      result = errno;
    } else {
      result = EPROTO;
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
        if (h->nlmsg_type == NLMSG_ERROR) {
          result = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
          break;
        }
      }
    }
  }
  close(fd);
  return result;
}

Address inet_address(int family, const __be32* ip, __be16 port) {
  Address a;
  a.kind = family == AF_INET ? AddressKind::Inet4 : AddressKind::Inet6;
  std::memcpy(a.ip.data(), ip, family == AF_INET ? 4 : 16);
  a.port = ntohs(port);
  return a;
}

Address unnamed_unix() {
  Address a;
  a.kind = AddressKind::Unix;
  return a;
}

// The idiag_states bit of TCP sockets that are only bound
// (TCP_BOUND_INACTIVE, include/net/tcp_states.h, Linux >= 6.6).
constexpr std::uint32_t kBoundInactive = 1u << 13;

bool is_zero(const __be32* ip) { return ip[0] == 0 && ip[1] == 0 && ip[2] == 0 && ip[3] == 0; }

// Reads the answers of a dump until NLMSG_DONE, calling on_message for each.
template <typename OnMessage>
int read_dump(int fd, OnMessage on_message) {
  alignas(nlmsghdr) char buf[32768];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return errno;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return 0;
      if (h->nlmsg_type == NLMSG_ERROR) return -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      on_message(h);
    }
  }
}

// Sends one inet_diag request (a dump, or SOCK_DESTROY of one socket);
// 0 or errno. Its answers are read with read_dump.
int send_inet_request(int fd, std::uint16_t type, std::uint16_t flags, const inet_diag_req_v2& req) {
  Request r(type, flags);
  r.put(req);
  std::size_t len = r.finish();
  return send(fd, r.header(), len, 0) < 0 ? errno : 0;
}

inet_diag_req_v2 inet_request(int family, int protocol, std::uint32_t states) {
  inet_diag_req_v2 req{};
  req.sdiag_family = static_cast<std::uint8_t>(family);
  req.sdiag_protocol = static_cast<std::uint8_t>(protocol);
  req.idiag_states = states;
  return req;
}

std::string unix_proto(unsigned type) {
  switch (type) {
    case SOCK_STREAM: return "u_str";
    case SOCK_DGRAM: return "u_dgr";
    case SOCK_SEQPACKET: return "u_seq";
    default: return "u_" + std::to_string(type);
  }
}

}  // namespace

int add_veth(const std::string& name, const std::string& peer, int peer_netns_fd) {
  Request r(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  // ifi_flags/ifi_change IFF_UP: rtnl_configure_link brings this end up
  ifinfomsg ifi{};
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  r.put(ifi);
  r.attr_string(IFLA_IFNAME, name);
  auto linkinfo = r.begin_nest(IFLA_LINKINFO);
  r.attr_string(IFLA_INFO_KIND, "veth");
  auto data = r.begin_nest(IFLA_INFO_DATA);
  auto peer_info = r.begin_nest(VETH_INFO_PEER);
  // The peer's own ifinfomsg comes first. Its IFF_UP must wait: veth_newlink
  // configures the peer before linking the pair, and veth_open refuses an
  // end without a peer (ENOTCONN); the caller brings the peer up.
  r.put(ifinfomsg{});
  r.attr_string(IFLA_IFNAME, peer);
  if (peer_netns_fd >= 0) {
    std::uint32_t fd = static_cast<std::uint32_t>(peer_netns_fd);
    r.attr(IFLA_NET_NS_FD, &fd, sizeof fd);
  }
  r.end_nest(peer_info);
  r.end_nest(data);
  r.end_nest(linkinfo);
  return transact(NETLINK_ROUTE, r);
}

namespace {

// RFC 2863 operational state "up" (linux/if.h's IF_OPER_UP; that header
// clashes with glibc's net/if.h)
constexpr int kOperUp = 6;

// Sends a request without NLM_F_ACK and calls on_reply for each answer;
// returns 0, or the errno of an NLMSG_ERROR or of the socket calls.
template <typename OnReply>
int query(Request& r, OnReply on_reply) {
  if (r.overflow()) return EINVAL;
  int fd = open_netlink(NETLINK_ROUTE);
  if (fd < 0) return -fd;
  std::size_t len = r.finish();
  int result = 0;
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = send(fd, r.header(), len, 0) < 0 ? -1 : recv(fd, buf, sizeof buf, 0);
  if (n < 0) result = errno;
  for (auto* h = reinterpret_cast<nlmsghdr*>(buf); n > 0 && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      result = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      break;
    }
    on_reply(h);
  }
  close(fd);
  return result;
}

// IFLA_OPERSTATE of one interface (RTM_GETLINK by name); -errno on failure.
int operstate(const std::string& name) {
  Request r(RTM_GETLINK, NLM_F_REQUEST);
  r.put(ifinfomsg{});
  r.attr_string(IFLA_IFNAME, name);
  int state = -EPROTO;
  int e = query(r, [&](nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWLINK) return;
    int attrs_len = static_cast<int>(IFLA_PAYLOAD(h));
    for (auto* a = IFLA_RTA(static_cast<ifinfomsg*>(NLMSG_DATA(h))); RTA_OK(a, attrs_len); a = RTA_NEXT(a, attrs_len))
      if (a->rta_type == IFLA_OPERSTATE) state = *static_cast<const std::uint8_t*>(RTA_DATA(a));
  });
  return e ? -e : state;
}

// Whether the route lookup of an IPv6 address gives RTN_LOCAL (RTM_GETROUTE).
bool routes_locally(const Address& address) {
  Request r(RTM_GETROUTE, NLM_F_REQUEST);
  rtmsg rt{};
  rt.rtm_family = AF_INET6;
  rt.rtm_dst_len = 128;
  r.put(rt);
  r.attr(RTA_DST, address.ip.data(), 16);
  bool local = false;
  query(r, [&](nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWROUTE) local = static_cast<const rtmsg*>(NLMSG_DATA(h))->rtm_type == RTN_LOCAL;
  });
  return local;
}

// Polls `ready` every 50 us until it holds or timeout_ms pass.
template <typename Ready>
bool wait_until(int timeout_ms, Ready ready) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!ready()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

}  // namespace

// A veth end whose carrier comes on after it was opened gets its qdisc
// activated later, by the linkwatch worker (linkwatch_do_dev: rfc2863_policy
// sets the operstate, then dev_activate replaces noop_qdisc, which drops
// every packet). Until then a SYN is silently lost and a connect hangs for
// the 1 s retransmission. IFF_RUNNING cannot tell (netif_oper_up counts the
// initial IF_OPER_UNKNOWN as up), so wait for IF_OPER_UP, then issue a
// no-op SIOCSIFFLAGS: it takes RTNL, which the linkwatch worker holds until
// dev_activate is done.
int wait_link_ready(const std::string& name, int timeout_ms) {
  int state = 0;
  if (!wait_until(timeout_ms, [&] { return (state = operstate(name)) < 0 || state == kOperUp; }))
    return ETIMEDOUT;
  return state < 0 ? -state : set_link_up(name.c_str());
}

// An IPv6 address, even IFA_F_NODAD, gets its local route only when the
// addrconf_dad_work worker runs (addrconf_dad_completed -> ipv6_ifa_notify
// -> ip6_ins_rt); until then a packet to it is dropped. IPv4 inserts its
// local route synchronously (fib_add_ifaddr), so only IPv6 waits.
int wait_address_ready(const Address& address, int timeout_ms) {
  if (address.kind != AddressKind::Inet6) return 0;
  return wait_until(timeout_ms, [&] { return routes_locally(address); }) ? 0 : ETIMEDOUT;
}

int add_address(const Address& address, int prefix, unsigned ifindex) {
  bool v4 = address.kind == AddressKind::Inet4;
  if (!v4 && address.kind != AddressKind::Inet6) return EAFNOSUPPORT;
  Request r(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  ifaddrmsg ifa{};
  ifa.ifa_family = v4 ? AF_INET : AF_INET6;
  ifa.ifa_prefixlen = static_cast<unsigned char>(prefix < 0 ? (v4 ? 32 : 128) : prefix);
  ifa.ifa_flags = v4 ? 0 : IFA_F_NODAD;  // usable at once, no duplicate detection
  ifa.ifa_index = ifindex;
  r.put(ifa);
  std::size_t size = v4 ? 4 : 16;
  r.attr(IFA_LOCAL, address.ip.data(), size);
  r.attr(IFA_ADDRESS, address.ip.data(), size);
  return transact(NETLINK_ROUTE, r);
}

SockDiag::~SockDiag() {
  if (fd_ >= 0) close(fd_);
}

int SockDiag::open() {
  if (fd_ >= 0) return 0;
  int fd = open_netlink(NETLINK_SOCK_DIAG);
  if (fd < 0) return -fd;
  fd_ = fd;
  return 0;
}

int SockDiag::dump_inet(int family, int protocol, std::uint32_t states, const char* proto_name,
                        std::vector<DiagSocket>* out) {
  if (int e = open(); e != 0) return e;
  const auto req = inet_request(family, protocol, states);
  if (int e = send_inet_request(fd_, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, req); e != 0) return e;
  return read_dump(fd_, [&](const nlmsghdr* h) {
    const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
    DiagSocket s;
    s.row.proto = proto_name;
    s.row.state = std::string(vocab::tcp_state_word(m->idiag_state));
    s.row.local = inet_address(m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
    if (m->id.idiag_dport != 0 || !is_zero(m->id.idiag_dst))
      s.row.peer = inet_address(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
    s.row.recvq = m->idiag_rqueue;  // a listener: its accept queue ...
    s.row.sendq = m->idiag_wqueue;  // ... and its backlog (inet_diag_msg_common_fill)
    s.inode = m->idiag_inode;
    out->push_back(std::move(s));
  });
}

int SockDiag::dump_tcp_listeners(int family, std::vector<DiagSocket>* out) {
  return dump_inet(family, IPPROTO_TCP, 1u << 10 /* TCP_LISTEN */, "tcp", out);
}

int SockDiag::dump_unix(std::vector<DiagSocket>* out) {
  if (int e = open(); e != 0) return e;
  Request r(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP);
  unix_diag_req req{};
  req.sdiag_family = AF_UNIX;
  req.udiag_states = ~0u;
  req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN;
  r.put(req);
  std::size_t len = r.finish();
  if (send(fd_, r.header(), len, 0) < 0) return errno;
  std::size_t first = out->size();
  int e = read_dump(fd_, [&](const nlmsghdr* h) {
    const auto* m = static_cast<const unix_diag_msg*>(NLMSG_DATA(h));
    DiagSocket s;
    s.row.proto = unix_proto(m->udiag_type);
    s.row.state = std::string(vocab::tcp_state_word(m->udiag_state));
    s.row.local = unnamed_unix();
    s.inode = m->udiag_ino;
    int attrs_len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(m) + NLMSG_ALIGN(sizeof *m));
    for (; RTA_OK(a, attrs_len); a = RTA_NEXT(a, attrs_len)) {
      const char* data = static_cast<const char*>(RTA_DATA(a));
      std::size_t size = RTA_PAYLOAD(a);
      if (a->rta_type == UNIX_DIAG_NAME && size > 0) {
        // abstract names begin with NUL (unix_diag_dump_name copies sun_path)
        s.row.local->path = data[0] == '\0' ? "@" + std::string(data + 1, size - 1)
                                            : std::string(data, strnlen(data, size));
      } else if (a->rta_type == UNIX_DIAG_PEER && size >= 4) {
        std::uint32_t peer;
        std::memcpy(&peer, data, 4);
        s.peer_inode = peer;
      } else if (a->rta_type == UNIX_DIAG_RQLEN && size >= sizeof(unix_diag_rqlen)) {
        unix_diag_rqlen q;
        std::memcpy(&q, data, sizeof q);
        s.row.recvq = q.udiag_rqueue;  // a listener: accept queue / backlog
        s.row.sendq = q.udiag_wqueue;
      }
    }
    out->push_back(std::move(s));
  });
  if (e != 0) return e;
  // The peer column names the peer by its own name (unix_diag reports only
  // the peer's inode): look it up among this namespace's unix sockets.
  std::unordered_map<std::uint64_t, const Address*> by_inode;
  for (std::size_t i = first; i < out->size(); ++i) by_inode[(*out)[i].inode] = &*(*out)[i].row.local;
  for (std::size_t i = first; i < out->size(); ++i) {
    DiagSocket& s = (*out)[i];
    if (s.peer_inode == 0) continue;
    auto it = by_inode.find(s.peer_inode);
    s.row.peer = it != by_inode.end() ? *it->second : unnamed_unix();
  }
  return 0;
}

int SockDiag::destroy_tcp_sockets(int* destroyed) {
  *destroyed = 0;
  if (int e = open(); e != 0) return e;
  struct Victim {
    std::uint8_t family;
    inet_diag_sockid id;
  };
  std::vector<Victim> victims;
  for (int family : {AF_INET, AF_INET6}) {
    // an only-bound socket has a descriptor: none is left
    const auto req = inet_request(family, IPPROTO_TCP, ~kBoundInactive);
    if (int e = send_inet_request(fd_, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, req); e != 0) return e;
    int e = read_dump(fd_, [&](const nlmsghdr* h) {
      const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
      victims.push_back({m->idiag_family, m->id});
    });
    if (e != 0) return e;
  }
  // The dump's id (addresses, ports, interface, cookie) names the socket
  // exactly (inet_diag_find_one_icsk, sock_diag_check_cookie).
  for (const Victim& v : victims) {
    auto req = inet_request(v.family, IPPROTO_TCP, ~0u);
    req.id = v.id;
    if (int e = send_inet_request(fd_, SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, req); e != 0) return e;
    int e = read_dump(fd_, [](const nlmsghdr*) {});
    // ENOENT: gone already (a peer's reset took it with the one before)
    if (e != 0 && e != ENOENT) return e;
    if (e == 0) ++*destroyed;
  }
  return 0;
}

int SockDiag::dump_all(std::vector<DiagSocket>* out, bool bound_only) {
  const std::uint32_t tcp_states = bound_only ? ~0u : ~kBoundInactive;
  for (int family : {AF_INET, AF_INET6}) {
    if (int e = dump_inet(family, IPPROTO_TCP, tcp_states, "tcp", out); e != 0) return e;
    if (int e = dump_inet(family, IPPROTO_UDP, ~0u, "udp", out); e != 0) return e;
  }
  return dump_unix(out);
}

}  // namespace sockspec::oracle
