// What the model may ask the kernel while checking a trace.
//
// Where Linux may choose (an ephemeral port, which SO_REUSEPORT listener
// takes a connection), the model checks the kernel's choice instead of
// guessing it (DESIGN.md, principle 1). In lockstep the oracle answers these
// questions about the state right after the line both just ran; run alone,
// the model gets no KernelView and makes its canonical choice.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "scenario/ast.h"

namespace sockspec {

struct QueueSizes {
  std::uint32_t recvq = 0, sendq = 0;
};

class KernelView {
 public:
  virtual ~KernelView() = default;
  // getsockname(2) of an open socket of the current scenario; nullopt when
  // the socket is not open or the call fails.
  virtual std::optional<Address> local_address(std::string_view socket) = 0;
  // The accept-queue length of a listening socket (sock_diag's rqueue).
  virtual std::optional<std::uint32_t> accept_queue(std::string_view socket) = 0;
  // The Recv-Q and Send-Q that sock_diag reports for an open socket (the
  // figures `ss` prints), for accounting the spec only constrains, such as
  // a UDP socket's skb memory (truesize); nullopt when unknown.
  virtual std::optional<QueueSizes> queue_sizes(std::string_view socket) = 0;
  // The same for a socket no scenario name reaches any more (its name was
  // given to a later socket): the one inet socket of the current namespace
  // whose row has `row`'s protocol, local and peer address; nullopt when
  // there is none or more than one.
  virtual std::optional<QueueSizes> queue_sizes_of_row(const SsRow& row) = 0;
  // The same for the `generation`-th socket that bore scenario name `name`
  // (0: the first), whether or not the name still reaches it.
  virtual std::optional<QueueSizes> queue_sizes_of_earlier(std::string_view name, int generation) = 0;
  // SO_SNDBUF (send) or SO_RCVBUF of an open socket, as getsockopt reports
  // it; nullopt when unknown.
  virtual std::optional<std::int64_t> buffer_size(std::string_view socket, bool send) = 0;
};

}  // namespace sockspec
