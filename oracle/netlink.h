// Netlink conversations of the oracle, always in the calling thread's
// current network namespace: rtnetlink for `link add` / `addr add`, and
// NETLINK_SOCK_DIAG dumps for `ss` and the accept queue.
//
// Contract: every function returns 0 or the kernel's errno (from the
// NLMSG_ERROR acknowledgement or from the socket calls); nothing blocks
// longer than the kernel's own netlink processing.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scenario/ast.h"

namespace sockspec::oracle {

// A veth pair `name` <-> `peer`, the peer moved into the namespace open as
// peer_netns_fd (-1: stay here); `name` is up, the peer still down (see
// set_link_up).
int add_veth(const std::string& name, const std::string& peer, int peer_netns_fd);

// Waits (at most timeout_ms) until interface `name` of the current
// namespace can carry packets; 0 or an errno (ETIMEDOUT). See netlink.cc.
int wait_link_ready(const std::string& name, int timeout_ms);

// Waits (at most timeout_ms) until packets to a just-added address of this
// namespace are delivered locally; 0 or ETIMEDOUT. See netlink.cc.
int wait_address_ready(const Address& address, int timeout_ms);

// RTM_NEWADDR of `address/prefix` on interface `ifindex`; IPv6 addresses get
// IFA_F_NODAD so they are usable at once. A duplicate gives EEXIST.
int add_address(const Address& address, int prefix, unsigned ifindex);

// One socket as sock_diag reports it.
struct DiagSocket {
  SsRow row;
  std::uint64_t inode = 0;
  std::uint64_t peer_inode = 0;  // AF_UNIX: UNIX_DIAG_PEER (0: none)
};

// A NETLINK_SOCK_DIAG socket of the namespace it was opened in.
class SockDiag {
 public:
  SockDiag() = default;
  ~SockDiag();
  SockDiag(const SockDiag&) = delete;
  SockDiag& operator=(const SockDiag&) = delete;
  SockDiag(SockDiag&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SockDiag& operator=(SockDiag&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }

  // Opens the socket in the calling thread's namespace (once); 0 or errno.
  int open();

  // Every TCP and UDP socket (IPv4 and IPv6, every state incl. TIME-WAIT
  // and SYN-RECV) and every AF_UNIX socket, appended to *out. Unix rows name
  // their peer by looking its inode up in the same dump (unnamed when the
  // peer is not in this namespace). bound_only false leaves out TCP sockets
  // that are only bound (UNCONN): finding them walks the bind hash, which
  // all namespaces share (inet_diag_dump_icsk, TCPF_BOUND_INACTIVE), so a
  // caller that knows there is none saves ~100 us.
  int dump_all(std::vector<DiagSocket>* out, bool bound_only = true);

  // TCP listeners of one family only (AF_INET or AF_INET6).
  int dump_tcp_listeners(int family, std::vector<DiagSocket>* out);

  // AF_UNIX sockets only.
  int dump_unix(std::vector<DiagSocket>* out);

  // Destroys every TCP socket of this namespace, IPv4 and IPv6, whatever
  // its state (SOCK_DESTROY, sock_diag_destroy -> tcp_abort: TIME-WAIT and
  // request sockets too, and, since 6.11, orphans); *destroyed counts them.
  // Needs CONFIG_INET_DIAG_DESTROY (toolchain.md) and CAP_NET_ADMIN here.
  int destroy_tcp_sockets(int* destroyed);

  bool is_open() const { return fd_ >= 0; }

 private:
  int dump_inet(int family, int protocol, std::uint32_t states, const char* proto_name,
                std::vector<DiagSocket>* out);
  int fd_ = -1;
};

}  // namespace sockspec::oracle
