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
