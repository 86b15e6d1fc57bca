// `sockspec table backlog`: how many connections Linux queues for each
// listen() backlog, measured on this kernel (and asked of the model), beside
// the historical systems of Stevens' table (UNIX Network Programming vol. 1,
// 3rd ed., figure 4.10; table 4.6 of the Russian edition in
// ../shared/seeds/001_b670bd832795dd27.txt).
//
// Contract: measure_backlogs runs one lockstep scenario per backlog (the
// caller has entered the oracle's sandbox): a listener on 127.0.0.1:8080
// with `listen l B`, then 2B+4 non-blocking connects, more than any
// historical system queued, then `ss`. On loopback each SYN is answered
// inside connect(2); once the accept queue is full the listener drops further
// SYNs (tcp_conn_request in net/ipv4/tcp_input.c checks sk_acceptq_is_full,
// which is `sk_ack_backlog > sk_max_ack_backlog`), so the listener's ss row
// reads RECVQ = the number of connections queued. The renderers only format.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sockspec {

struct BacklogRow {
  int backlog = 0;
  std::optional<std::uint32_t> kernel, model;  // the listener's RECVQ; nullopt when no row
};

std::vector<BacklogRow> measure_backlogs(const std::vector<int>& backlogs);
bool model_agrees(const std::vector<BacklogRow>& rows);

std::string backlog_table_text(const std::vector<BacklogRow>& rows);
nlohmann::json backlog_table_json(const std::vector<BacklogRow>& rows);

}  // namespace sockspec
