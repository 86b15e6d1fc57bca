// A differential fuzzing campaign on another kernel (`sockspec fuzz --kernel
// 6.1|6.12|PATH`, docs/fuzzing.md "On another kernel").
//
// Contract: run_campaign_in_guest boots `kernel` once (guest/guest.h) and runs
// the whole campaign of fuzz/campaign.h inside it: this binary's `sockspec
// fuzz --json` with the same options, the fuzzer binary carried with its
// shared libraries, the seed directories carried in, and the work directory
// (with the corpus and findings directories when they are outside it)
// carried in and sent back at the end in place of the host's. So fuzzing,
// the corpus merge, confirmation and minimization all run on the guest's
// kernel, and the model answers for the profile the oracle measures there
// (the summary's `kernel`, and each finding's header). The guest's progress
// lines reach `report` as they come. The host then groups the new findings
// into families with `o.known_families`, as run_campaign does; the summary
// also has `guest` (release, boot and total seconds). The guest is given the
// campaign's length plus kGuestCampaignMarginS.
//
// Throws CampaignError (no fuzzer binary), GuestUnavailable (no qemu, no
// kernel package: exit 3), std::invalid_argument (a kernel name that names
// none: exit 2), std::runtime_error (the guest timed out or ended without a
// summary, with the end of its console).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fuzz/campaign.h"

namespace sockspec::fuzz {

// Boot, the corpus merge and minimization after the fuzzing time, under
// emulation: minimizing one divergence is up to 400 reruns.
inline constexpr int kGuestCampaignMarginS = 900;

CampaignResult run_campaign_in_guest(const std::string& kernel, const CampaignOptions& o,
                                     const std::function<void(std::string_view)>& report);

}  // namespace sockspec::fuzz
