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
  // ---- AF_UNIX urgent data before the 6.10 series (helper: oob)
  UnixPeekPassesConsumed,   // oob.unix.peek_passes_consumed_skb
  UnixConsumedHeadEagain,   // oob.unix.consumed_head_ends_read
  UnixStopsAtAnyConsumed,   // oob.unix.recv_stops_at_any_consumed
  UnixAtMarkHeadOnly,       // oob.unix.sockatmark_head_only
};

struct VariationRule {
  Variation variation;
  std::string_view rule;         // the spec rule it is
  KernelCondition when;          // the kernels it holds on
  std::string_view changed_by;   // the commit, patch or version that made it so
};

std::span<const VariationRule> variation_rules();
const VariationRule& variation_rule(Variation v);
inline bool variation_holds(Variation v, const KernelProfile& p) { return variation_rule(v).when.holds(p); }
// The table row of a rule name, or nullptr when the rule holds everywhere.
const VariationRule* variation_of_rule(std::string_view rule);

}  // namespace sockspec
