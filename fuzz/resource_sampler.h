// What a campaign's fuzzer processes hold, sampled from /proc while they run
// (docs/fuzzing.md, "Resources over a long campaign"): a long campaign must
// keep its memory, descriptors and namespaces flat.
//
// Contract: sample_processes(root) reads /proc for `root` and every process
// descended from it (libFuzzer's fork-mode parent, the shells it runs jobs
// through, the jobs): the sum of their resident memory (VmRSS), the sum of
// their open descriptors, and how many distinct network namespaces they
// hold, counted as the kernel keeps them alive: every thread's own
// (/proc/PID/task/TID/ns/net) and every namespace descriptor open
// (/proc/PID/fd/N -> "net:[inode]", how the oracle's pool holds its idle
// namespaces, oracle/namespace_pool.h). A process that exits while it is
// read counts with what was read of it. Reads only: nothing is entered.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace sockspec::fuzz {

struct ResourceSample {
  double seconds = 0;  // since the fuzzing started
  long processes = 0;
  long rss_kib = 0;  // summed VmRSS
  long fds = 0;      // summed open descriptors
  long netns = 0;    // distinct network namespaces held
};

ResourceSample sample_processes(pid_t root);

// The campaign log's line for one sample:
// `sockspec-campaign: sample 12s processes 3 rss_kib 81234 fds 57 netns 9`.
std::string sample_line(const ResourceSample& s);

// For the summary: {"sample_seconds", "samples", "first", "last", "max"},
// each of the last three an object of the sample's fields (max: each field's
// largest) or null when there was no sample.
nlohmann::json samples_summary(const std::vector<ResourceSample>& samples, int sample_seconds);

}  // namespace sockspec::fuzz
