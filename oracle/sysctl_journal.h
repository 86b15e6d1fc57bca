// The sysctls a scenario wrote in one namespace, with the values they had
// before, so that the namespace can go back to the pool as it was.
//
// Contract: remember(path) is called before a write to /proc/sys/`path`,
// in the namespace it concerns; it keeps the first value seen per path and
// says false when the namespace cannot be restored after such a write (the
// sysctl acts on devices or routes, or cannot be read). restore(), in the
// same namespace, writes every remembered value back and reads it again:
// true only when each reads back exactly as it was.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sockspec::oracle {

// One /proc/sys value, read whole or written whole (path: /proc/sys/...,
// resolved in the calling thread's network namespace). False on failure.
bool read_sysctl(const std::string& path, std::string* value);
bool write_sysctl(const std::string& path, const std::string& value);

class SysctlJournal {
 public:
  bool remember(const std::string& path);
  bool restore() const;
  bool empty() const { return originals_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> originals_;  // path, value
};

}  // namespace sockspec::oracle
