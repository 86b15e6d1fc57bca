// What the kernel shows after a line: the value the oracle hands the model.
//
// Where Linux may choose (an ephemeral port, which SO_REUSEPORT listener
// takes a connection, skb memory, autotuned buffers, an autobind name), the
// model checks the kernel's choice against the set the spec allows
// (model/choices.h) instead of guessing it. In lockstep the oracle runs a
// line, then describes what the kernel shows of the sockets the scenario
// still holds; the model reads that description and never calls the kernel.
// Run alone, the model gets no observation and makes its canonical choice.
//
// A socket is known by the name a line gave it and that name's generation:
// the `generation`-th socket (0: the first) that any line named `name`, in
// scenario order. Model and oracle each count it from the scenario itself.
//
// An observation holds only what `observation_scope` says the line may
// need; every other figure is absent (nullopt), which the model treats as
// unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/ast.h"

namespace sockspec {

struct QueueSizes {
  std::uint32_t recvq = 0, sendq = 0;  // sock_diag's figures, those `ss` prints
  friend bool operator==(const QueueSizes&, const QueueSizes&) = default;
};

// One socket the scenario still holds open, as the kernel shows it.
struct ObservedSocket {
  std::string name;
  int generation = 0;
  bool current = true;                       // the name still means this socket
  std::optional<Address> local;              // getsockname(2)
  std::optional<QueueSizes> queues;          // its own sock_diag row (found by inode)
  std::optional<std::uint32_t> accept_queue; // a TCP listener's queue length (tcpi_unacked)
  std::optional<std::int64_t> sndbuf, rcvbuf;  // getsockopt SO_SNDBUF / SO_RCVBUF
  std::optional<std::uint32_t> rmem;         // SO_MEMINFO's SK_MEMINFO_RMEM_ALLOC
};

struct Observation {
  std::vector<ObservedSocket> sockets;
  // Every inet row sock_diag shows in the current namespace, held or not
  // (orphans in FIN-WAIT and TIME-WAIT, connections no accept took).
  std::vector<SsRow> rows;

  // The socket `name` means now, or nullptr.
  const ObservedSocket* current(std::string_view name) const;
  // The `generation`-th socket named `name`, if still held, or nullptr.
  const ObservedSocket* bearer(std::string_view name, int generation) const;
  // The queue figures of the one row with `row`'s protocol, local and peer
  // address; nullopt when no row or several rows have them.
  std::optional<QueueSizes> queues_of_row(const SsRow& row) const;
};

// Which figures the observation after `line` carries.
struct ObservationScope {
  bool local_address = false;  // of the line's socket: a port or name the kernel may have chosen
  bool accept_queues = false;  // of every held socket: which listener a connect reached
  bool queues = false;         // rows and every held socket's queues: `ss` shows skb memory
  bool buffers = false;        // of the line's socket: autotuned SO_SNDBUF / SO_RCVBUF
  // receive memory of every held socket after a send (which of the sockets
  // sharing a UDP port took the datagram), of the line's socket after a recv
  bool receive_memory = false;
};
ObservationScope observation_scope(const Line& line);

}  // namespace sockspec
