#include "model/kernel_variations.h"

namespace sockspec {

namespace {

using K = KernelCondition::Kind;

constexpr VariationRule kVariations[] = {
    // A build of 6.18.44 seen on some hosts (../shared/kernels.md): the listen
    // of a socket that once took the connecting role fails after get_port,
    // at the hash step; not upstream code.
    {Variation::TcpRoleLockListen, "listen.role.locked_after_connect_einval",
     {.kind = K::Variant, .variant = KernelVariant::TcpRoleLock}, "a patch of the fc-v1045 build (not upstream)"},
    {Variation::TcpRoleLockConnect, "connect.role.locked_after_listen_einval",
     {.kind = K::Variant, .variant = KernelVariant::TcpRoleLock}, "a patch of the fc-v1045 build (not upstream)"},
    // ---- bind, ss (lead)
    {Variation::SsBoundOnlyUnlisted, "socket.ss.bound_only_unlisted", {.kind = K::Below, .version = {6, 8, 0}},
     "91051f003948 \"tcp: Dump bound-only sockets in inet_diag.\" (6.8) added the listing"},
    {Variation::MappedAnyMissesMapped, "bind.conflict.mapped_any_misses_mapped",
     {.kind = K::Range, .version = {6, 1, 170}, .until = {6, 2, 0}},
     "6.1.170 took \"tcp: Use bhash2 for v4-mapped-v6 non-wildcard address.\" without its companion rewrite of "
     "the wildcard match"},
    {Variation::UnixDgramPeerFirst, "unix.dgram.peer_checked_first", {.kind = K::Below, .version = {6, 14, 0}},
     "62c6db251e66 \"af_unix: Clean up error paths in unix_dgram_sendmsg().\" (6.14) moved the peer look-up after "
     "the allocation"},
    {Variation::UnixAtMarkAnyType, "oob.unix.sockatmark_any_type",
     {.kind = K::Range, .version = {6, 1, 0}, .until = {6, 1, 177}},
     "d119775f2bad \"af_unix: Reject SIOCATMARK on non-stream sockets\" (CVE-2026-52928), in Debian's 6.1.177 and "
     "6.12.88 (and in 6.18.44)",
     {.kind = K::Range, .version = {6, 2, 0}, .until = {6, 12, 88}}, true},
    // ---- AF_UNIX urgent data before the 6.10 series (helper: oob)
    {Variation::UnixPeekPassesConsumed, "oob.unix.peek_passes_consumed_skb", {.kind = K::Below, .version = {6, 10, 0}},
     "b94038d841a9 \"af_unix: Stop recv(MSG_PEEK) at consumed OOB skb.\" (6.10) made a peek stop there"},
    {Variation::UnixConsumedHeadEagain, "oob.unix.consumed_head_ends_read", {.kind = K::Below, .version = {6, 10, 0}},
     "93c99f21db36 \"af_unix: Don't stop recv(MSG_DONTWAIT) if consumed OOB skb is at the head.\" (6.10) made "
     "the read go on"},
    {Variation::UnixStopsAtAnyConsumed, "oob.unix.recv_stops_at_any_consumed", {.kind = K::Below, .version = {6, 10, 0}},
     "36893ef0b661 \"af_unix: Don't stop recv() at consumed ex-OOB skb.\" (6.10) made a read stop only at the "
     "current mark"},
    {Variation::UnixAtMarkHeadOnly, "oob.unix.sockatmark_head_only", {.kind = K::Below, .version = {6, 10, 0}},
     "e400cfa38bb0 \"af_unix: Fix wrong ioctl(SIOCATMARK) when consumed OOB skb is at the head.\" (6.10) "
     "counted an empty head skb"},
    {Variation::UnixInqKeepsDroppedByte, "oob.unix.dropped_byte_stays_in_inq", {.kind = K::AtLeast, .version = {6, 17, 0}},
     "\"af_unix: Use cached value for SOCK_STREAM in unix_inq_len().\" (6.17, with SO_INQ) made Recv-Q a counter "
     "that a dropped urgent byte never leaves (seen on 6.18.44, not on 6.12.118)"},
    // ---- MPTCP (helper: issue 15a)
    {Variation::MptcpPortOptionsUnsupported, "mptcp.option.port_options_before_6_8",
     {.kind = K::Below, .version = {6, 8, 0}},
     "\"mptcp: sockopt: support IP_LOCAL_PORT_RANGE and IP_BIND_ADDRESS_NO_PORT\" (6.8) added both to "
     "mptcp_supported_sockopt and mptcp_setsockopt_sol_ip_set"},
};

}  // namespace

std::span<const VariationRule> variation_rules() { return kVariations; }

const VariationRule& variation_rule(Variation v) {
  for (const auto& r : kVariations)
    if (r.variation == v) return r;
  return kVariations[0];  // unreachable: every Variation has a row (tests/kernel_profile_test)
}

const VariationRule* variation_of_rule(std::string_view rule) {
  for (const auto& r : kVariations)
    if (r.rule == rule) return &r;
  return nullptr;
}

}  // namespace sockspec
