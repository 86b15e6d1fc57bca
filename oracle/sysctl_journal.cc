#include "oracle/sysctl_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace sockspec::oracle {
namespace {

// A sysctl whose value is all it is: writing the old value back undoes the
// write. Not so for the per-device and routing trees (conf/*, neigh/*,
// route/*: devinet_conf_proc and addrconf_sysctl_* act on interfaces,
// route/flush flushes) nor for ip_forward (devinet_sysctl_forward rewrites
// every device's conf/*/forwarding).
bool restorable(const std::string& path) {
  for (const char* tree : {"/conf/", "/neigh/", "/route/"})
    if (path.find(tree) != std::string::npos) return false;
  return !path.ends_with("/ip_forward");
}

}  // namespace

bool read_sysctl(const std::string& path, std::string* value) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  if (n < 0 || n == static_cast<ssize_t>(sizeof buf)) return false;
  value->assign(buf, static_cast<std::size_t>(n));
  return true;
}

bool write_sysctl(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool written = write(fd, value.data(), value.size()) == static_cast<ssize_t>(value.size());
  close(fd);
  return written;
}

bool SysctlJournal::remember(const std::string& path) {
  auto seen = [&](const auto& entry) { return entry.first == path; };
  if (std::any_of(originals_.begin(), originals_.end(), seen)) return true;
  std::string value;
  if (!restorable(path) || !read_sysctl(path, &value)) return false;
  originals_.emplace_back(path, std::move(value));
  return true;
}

bool SysctlJournal::restore() const {
  // newest first: a path written twice is remembered once, with its first value
  for (auto it = originals_.rbegin(); it != originals_.rend(); ++it) {
    std::string now;
    if (!write_sysctl(it->first, it->second) || !read_sysctl(it->first, &now) || now != it->second) return false;
  }
  return true;
}

}  // namespace sockspec::oracle
