// A finding as a standalone C program, for people without sockspec.
//
// Contract: c_reproducer returns the text of one C file (C11 + GNU/Linux
// headers, no other dependency) that replays `program` the way the oracle
// runs it (oracle/kernel_run.cc: non-blocking sockets, MSG_NOSIGNAL, the
// bounded connect and delivery waits) inside network namespaces of its own:
// it unshares CLONE_NEWNET (CLONE_NEWUSER first when not root, so it runs
// unprivileged under `unshare -Urn` or alone) and a private /tmp, and never
// touches the namespace it started in. It prints every line in the
// language's form with the kernel's result (`bind a 127.0.0.1:80 ->
// EADDRINUSE`) and marks line `divergent_line` (an index into
// program.lines) with what the model says instead. Variables (`$p`, `$a`)
// are bound from getsockname/getpeername/recvfrom results as the scenario's
// expectations say. `ss` lines print the table of `ss -atuxn` instead of the
// language's rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "oracle/oracle.h"
#include "scenario/ast.h"

namespace sockspec {

// `profile`: the kernel the divergence was seen on, named in the file's
// opening comment.
std::string c_reproducer(const Program& program, std::size_t divergent_line, std::string_view model_result,
                         const OracleConfig& config = {}, const KernelProfile& profile = reference_kernel_profile());

}  // namespace sockspec
