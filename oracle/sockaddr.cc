#include "oracle/sockaddr.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstring>

namespace sockspec::oracle {

bool is_scenario_path(std::string_view path) {
  if (path.empty()) return false;
  // no `..` component anywhere: "/tmp/../etc/x" must not escape
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return path.front() != '/' || path.starts_with("/tmp/");
}

namespace {

int unix_sockaddr(const std::string& path, SockAddr* out) {
  auto* sun = reinterpret_cast<sockaddr_un*>(&out->storage);
  sun->sun_family = AF_UNIX;
  constexpr std::size_t kPathOffset = offsetof(sockaddr_un, sun_path);
  if (path.empty()) {  // unnamed: just the family, i.e. autobind on bind(2)
    out->len = sizeof(sa_family_t);
    return 0;
  }
  // sockaddr_storage leaves room beyond sun_path, so an over-long name still
  // reaches the kernel, which rejects it itself (unix_validate_addr: EINVAL).
  char* dst = reinterpret_cast<char*>(&out->storage) + kPathOffset;
  constexpr std::size_t kRoom = sizeof(sockaddr_storage) - kPathOffset;
  if (path.front() == '@') {  // abstract: a leading NUL, no terminator
    if (path.size() > kRoom) return EINVAL;
    dst[0] = '\0';
    std::memcpy(dst + 1, path.data() + 1, path.size() - 1);
    out->len = static_cast<socklen_t>(kPathOffset + path.size());
    return 0;
  }
  if (!is_scenario_path(path)) return EACCES;
  if (path.size() + 1 > kRoom) return EINVAL;
  std::memcpy(dst, path.c_str(), path.size() + 1);
  out->len = static_cast<socklen_t>(kPathOffset + path.size() + 1);
  return 0;
}

}  // namespace

int to_sockaddr(const Address& address, int socket_family, SockAddr* out) {
  out->storage = {};
  switch (address.kind) {
    case AddressKind::Unspec:
      // connect(AF_UNSPEC) dissolves an association and reads only the
      // family (inet_dgram_connect, __inet_stream_connect); bind reads the
      // length first (__inet6_bind: SIN6_LEN_RFC2133, then the family)
      out->storage.ss_family = AF_UNSPEC;
      out->len = socket_family == AF_INET6 ? sizeof(sockaddr_in6)
                 : socket_family == AF_UNIX ? sizeof(sa_family_t)
                                            : sizeof(sockaddr_in);
      return 0;
    case AddressKind::Inet4: {
      auto* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(address.port);
      std::memcpy(&sin->sin_addr, address.ip.data(), 4);
      out->len = sizeof(sockaddr_in);
      return 0;
    }
    case AddressKind::Inet6: {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(address.port);
      std::memcpy(&sin6->sin6_addr, address.ip.data(), 16);
      if (!address.scope.empty()) {
        // if_nametoindex asks the calling thread's network namespace
        unsigned index = if_nametoindex(address.scope.c_str());
        if (index == 0) return ENODEV;
        sin6->sin6_scope_id = index;
      }
      out->len = sizeof(sockaddr_in6);
      return 0;
    }
    case AddressKind::Unix:
      return unix_sockaddr(address.path, out);
  }
  return EAFNOSUPPORT;
}

Address from_sockaddr(const sockaddr_storage& storage, socklen_t len) {
  Address a;
  if (len < sizeof(sa_family_t)) return a;
  switch (storage.ss_family) {
    case AF_INET: {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
      a.kind = AddressKind::Inet4;
      std::memcpy(a.ip.data(), &sin->sin_addr, 4);
      a.port = ntohs(sin->sin_port);
      return a;
    }
    case AF_INET6: {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      a.kind = AddressKind::Inet6;
      std::memcpy(a.ip.data(), &sin6->sin6_addr, 16);
      a.port = ntohs(sin6->sin6_port);
      if (sin6->sin6_scope_id != 0) {
        char name[IF_NAMESIZE] = {};
        if (if_indextoname(sin6->sin6_scope_id, name) != nullptr) a.scope = name;
      }
      return a;
    }
    case AF_UNIX: {
      a.kind = AddressKind::Unix;
      constexpr std::size_t kPathOffset = offsetof(sockaddr_un, sun_path);
      if (len <= kPathOffset) return a;  // unnamed
      const char* p = reinterpret_cast<const char*>(&storage) + kPathOffset;
      std::size_t n = std::min<std::size_t>(len, sizeof storage) - kPathOffset;
      if (p[0] == '\0') {
        a.path = "@" + std::string(p + 1, n - 1);
      } else {
        a.path.assign(p, strnlen(p, n));
      }
      return a;
    }
    default:
      return a;  // Unspec
  }
}

}  // namespace sockspec::oracle
