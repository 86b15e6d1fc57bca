// What the rest of the oracle needs from the sandbox (oracle.h declares
// enter_sandbox itself).
//
// Contract: after enter_sandbox() succeeded, base_netns_fd() is an open fd
// of the sandbox's base network namespace (kept clean: no scenario runs in
// it), and prepare_thread() gives the calling thread, once, its own mount
// namespace with a private empty /tmp, and on every call its working
// directory there, so scenarios running on different threads never share a
// path socket and a relative path never reaches the host's directories.
#pragma once

#include <optional>
#include <string>

namespace sockspec::oracle {

int base_netns_fd();

// Returns nullopt on success, else why the thread cannot run scenarios.
std::optional<std::string> prepare_thread();

// Removes everything under the calling thread's /tmp.
void empty_tmp();

// Brings interface `name` of the calling thread's network namespace up
// (SIOCSIFFLAGS); 0 or an errno.
int set_link_up(const char* name);
inline int bring_loopback_up() { return set_link_up("lo"); }

}  // namespace sockspec::oracle
