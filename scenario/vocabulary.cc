#include "scenario/vocabulary.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <iterator>

// include/uapi/linux/in.h (Linux 6.3); glibc's headers may predate it
#ifndef IP_LOCAL_PORT_RANGE
#define IP_LOCAL_PORT_RANGE 51
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

namespace sockspec::vocab {
namespace {

constexpr FamilyWord kFamilies[] = {
    {Family::Inet, "inet", "AF_INET", AF_INET},
    {Family::Inet6, "inet6", "AF_INET6", AF_INET6},
    {Family::Unix, "unix", "AF_UNIX", AF_UNIX},
};

constexpr SockTypeWord kSockTypes[] = {
    {SockType::Stream, "stream", "SOCK_STREAM", SOCK_STREAM},
    {SockType::Dgram, "dgram", "SOCK_DGRAM", SOCK_DGRAM},
    {SockType::Seqpacket, "seqpacket", "SOCK_SEQPACKET", SOCK_SEQPACKET},
};

constexpr ProtocolWord kProtocols[] = {
    {Protocol::Name::Tcp, "tcp", "IPPROTO_TCP", IPPROTO_TCP},
    {Protocol::Name::Udp, "udp", "IPPROTO_UDP", IPPROTO_UDP},
    {Protocol::Name::Udplite, "udplite", "IPPROTO_UDPLITE", IPPROTO_UDPLITE},
    {Protocol::Name::Sctp, "sctp", "IPPROTO_SCTP", IPPROTO_SCTP},
    {Protocol::Name::Mptcp, "mptcp", "262 /* IPPROTO_MPTCP */", IPPROTO_MPTCP},
};

// The language sets IP_* at SOL_IP, on IPv6 sockets too.
constexpr OptionWord kOptions[] = {
    {SockOpt::SoReuseaddr, "SO_REUSEADDR", "SOL_SOCKET", SOL_SOCKET, SO_REUSEADDR},
    {SockOpt::SoReuseport, "SO_REUSEPORT", "SOL_SOCKET", SOL_SOCKET, SO_REUSEPORT},
    {SockOpt::SoOobinline, "SO_OOBINLINE", "SOL_SOCKET", SOL_SOCKET, SO_OOBINLINE},
    {SockOpt::SoLinger, "SO_LINGER", "SOL_SOCKET", SOL_SOCKET, SO_LINGER},
    {SockOpt::SoError, "SO_ERROR", "SOL_SOCKET", SOL_SOCKET, SO_ERROR},
    {SockOpt::SoAcceptconn, "SO_ACCEPTCONN", "SOL_SOCKET", SOL_SOCKET, SO_ACCEPTCONN},
    {SockOpt::SoType, "SO_TYPE", "SOL_SOCKET", SOL_SOCKET, SO_TYPE},
    {SockOpt::SoRcvbuf, "SO_RCVBUF", "SOL_SOCKET", SOL_SOCKET, SO_RCVBUF},
    {SockOpt::SoSndbuf, "SO_SNDBUF", "SOL_SOCKET", SOL_SOCKET, SO_SNDBUF},
    {SockOpt::Ipv6V6only, "IPV6_V6ONLY", "SOL_IPV6", SOL_IPV6, IPV6_V6ONLY},
    {SockOpt::IpFreebind, "IP_FREEBIND", "SOL_IP", SOL_IP, IP_FREEBIND},
    {SockOpt::IpBindAddressNoPort, "IP_BIND_ADDRESS_NO_PORT", "SOL_IP", SOL_IP, IP_BIND_ADDRESS_NO_PORT},
    {SockOpt::IpLocalPortRange, "IP_LOCAL_PORT_RANGE", "SOL_IP", SOL_IP, IP_LOCAL_PORT_RANGE},
    {SockOpt::SoBindtodevice, "SO_BINDTODEVICE", "SOL_SOCKET", SOL_SOCKET, SO_BINDTODEVICE},
};

// Indexed by the kernel's state number.
constexpr std::string_view kTcpStates[] = {
    "UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
    "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "SYN-RECV", "BOUND-INACTIVE"};

template <typename Row, typename Key, typename Field>
const Row* find(std::span<const Row> rows, Key key, Field field) {
  for (const Row& r : rows)
    if (r.*field == key) return &r;
  return nullptr;
}

}  // namespace

std::span<const FamilyWord> families() { return kFamilies; }
std::span<const SockTypeWord> sock_types() { return kSockTypes; }
std::span<const ProtocolWord> protocols() { return kProtocols; }
std::span<const OptionWord> options() { return kOptions; }

// Every enumerator has a row (tests/vocabulary_test.cc), so these find one.
const FamilyWord& family(Family f) { return *find(families(), f, &FamilyWord::family); }
const SockTypeWord& sock_type(SockType t) { return *find(sock_types(), t, &SockTypeWord::type); }
const ProtocolWord* protocol(Protocol::Name n) { return find(protocols(), n, &ProtocolWord::name); }
const OptionWord& option(SockOpt o) { return *find(options(), o, &OptionWord::opt); }

std::optional<SockOpt> option_named(std::string_view name) {
  const OptionWord* w = find(options(), name, &OptionWord::name);
  return w ? std::optional(w->opt) : std::nullopt;
}

std::string_view tcp_state_word(unsigned kernel_state) {
  return kernel_state < std::size(kTcpStates) ? kTcpStates[kernel_state] : "UNKNOWN";
}

}  // namespace sockspec::vocab
