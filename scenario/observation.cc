#include "scenario/observation.h"

#include <type_traits>
#include <variant>

namespace sockspec {

const ObservedSocket* Observation::current(std::string_view name) const {
  for (const ObservedSocket& s : sockets)
    if (s.current && s.name == name) return &s;
  return nullptr;
}

const ObservedSocket* Observation::bearer(std::string_view name, int generation) const {
  for (const ObservedSocket& s : sockets)
    if (s.generation == generation && s.name == name) return &s;
  return nullptr;
}

std::optional<QueueSizes> Observation::queues_of_row(const SsRow& row) const {
  std::optional<QueueSizes> sizes;
  for (const SsRow& r : rows) {
    if (r.proto != row.proto || r.local != row.local || r.peer != row.peer) continue;
    if (sizes) return std::nullopt;  // two sockets with one row: which is meant is unknown
    sizes = QueueSizes{r.recvq, r.sendq};
  }
  return sizes;
}

ObservationScope observation_scope(const Line& line) {
  ObservationScope scope;
  scope.local_address = !line.socket.empty();
  std::visit(
      [&](const auto& op) {
        using Op = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<Op, op::Connect>) scope.accept_queues = true;
        // a sleep: which dropped SYNs the retransmit timer sent again (rows)
        if constexpr (std::is_same_v<Op, op::Ss> || std::is_same_v<Op, op::Sleep>) scope.queues = true;
        if constexpr (std::is_same_v<Op, op::Send> || std::is_same_v<Op, op::SendTo> ||
                      std::is_same_v<Op, op::Recv> || std::is_same_v<Op, op::RecvFrom>)
          scope.receive_memory = true;
        if constexpr (std::is_same_v<Op, op::GetSockOpt>)
          scope.buffers = op.opt == SockOpt::SoSndbuf || op.opt == SockOpt::SoRcvbuf;
      },
      line.op);
  return scope;
}

}  // namespace sockspec
