// The rules that hold only on some kernels, in one table (Netsem's
// `@variation`).
//
// Contract: each Variation is one spec rule (spec/<area>.md documents it with
// a `Kernels:` line) that holds exactly when its KernelCondition holds for
// the profile the model answers for. Handlers never compare versions: they
// ask `ctx.applies(Variation::X)`, which evaluates the table and, when the
// rule holds, cites it. `sockspec kernels diff` reads the same table.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "scenario/kernel_profile.h"

namespace sockspec {

enum class Variation : std::uint8_t {
  TcpRoleLockListen,        // listen.role.locked_after_connect_einval
  TcpRoleLockConnect,       // connect.role.locked_after_listen_einval
  // ---- bind, ss (lead)
  SsBoundOnlyUnlisted,      // socket.ss.bound_only_unlisted
  MappedAnyMissesMapped,    // bind.conflict.mapped_any_misses_mapped
  UnixDgramPeerFirst,       // unix.dgram.peer_checked_first
  UnixAtMarkAnyType,        // oob.unix.sockatmark_any_type
  // ---- AF_UNIX urgent data before the 6.10 series (helper: oob)
  UnixPeekPassesConsumed,   // oob.unix.peek_passes_consumed_skb
  UnixConsumedHeadEagain,   // oob.unix.consumed_head_ends_read
  UnixStopsAtAnyConsumed,   // oob.unix.recv_stops_at_any_consumed
  UnixAtMarkHeadOnly,       // oob.unix.sockatmark_head_only
  UnixInqKeepsDroppedByte,  // oob.unix.dropped_byte_stays_in_inq
  // ---- MPTCP (helper: issue 15a)
  MptcpPortOptionsUnsupported,  // mptcp.option.port_options_before_6_8
};

struct VariationRule {
  Variation variation;
  std::string_view rule;         // the spec rule it is
  KernelCondition when;          // the kernels it holds on
  std::string_view changed_by;   // the commit, patch or version that made it so
  // A second series it also holds on (a fix backported to several stable
  // series at different points); only when `also_holds`.
  KernelCondition also{};
  bool also_holds = false;

  bool holds(const KernelProfile& p) const { return when.holds(p) || (also_holds && also.holds(p)); }
  bool is_one_of_its_conditions(const KernelCondition& c) const { return c == when || (also_holds && c == also); }
  // `<6.8`, or `>=6.1<6.1.177 or >=6.2<6.12.88`
  std::string conditions() const {
    return print_kernel_condition(when) + (also_holds ? " or " + print_kernel_condition(also) : "");
  }
};

std::span<const VariationRule> variation_rules();
const VariationRule& variation_rule(Variation v);
inline bool variation_holds(Variation v, const KernelProfile& p) { return variation_rule(v).holds(p); }
// The table row of a rule name, or nullptr when the rule holds everywhere.
const VariationRule* variation_of_rule(std::string_view rule);

}  // namespace sockspec
