// Root-cause families of findings: many divergence signatures, few problems.
//
// A long campaign finds one signature per (operation, rules used, kernel
// result class, model result class); one wrong rule shows up under many
// signatures, because the rules that ran before it differ from scenario to
// scenario. A finding's *family* keeps only what names the root cause: the
// operation, the rule that decided the model's result (the last rule the
// divergent line cited) and what the kernel did instead, e.g.
// `bind | bind.conflict.same_address | ok | EADDRINUSE`. An `ss` line cites
// one rule per row it shows, none of which decided the rows that differ, so
// its family is `ss | * | KERNEL ROWS | MODEL ROWS`.
//
// Contract:
// - finding_family maps a signature (check/finding.h) to its family; a
//   string that is not a signature maps to itself.
// - A known-families file (divergences/families.txt) lists the families the
//   project knows and has not fixed yet, each with its reason:
//       family: bind | bind.conflict.same_address | ok | EADDRINUSE
//       reason: the bind bucket of a SO_REUSEPORT group ... (inet_csk_bind_conflict)
//   `#` lines and blank lines are ignored. read_known_families throws
//   FamiliesError (FILE:LINE: what) on anything else; a missing file is an
//   error too (the caller decides whether the file is optional).
// - group_findings groups findings by family, largest first; each family
//   keeps its smallest scenario (fewest lines) and, when known, its reason.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec {

std::string finding_family(std::string_view signature);

struct FamiliesError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using KnownFamilies = std::map<std::string, std::string, std::less<>>;  // family -> reason
KnownFamilies read_known_families(const std::filesystem::path& file);
KnownFamilies parse_known_families(std::string_view text, std::string_view file);

struct FindingRecord {
  std::string file;       // as the findings directory names it
  std::string signature;  // from its header
  std::size_t lines = 0;  // scenario lines
};

struct FindingFamily {
  std::string family;
  std::vector<std::string> signatures;  // each once, in the order first seen
  std::string smallest;                 // the file of the family's smallest scenario
  std::size_t smallest_lines = 0;
  std::string reason;  // from the known-families file; "" when the family is new
  bool known() const { return !reason.empty(); }
};

std::vector<FindingFamily> group_findings(const std::vector<FindingRecord>& findings, const KnownFamilies& known);

struct FamilyCounts {
  std::size_t signatures = 0, families = 0, fresh = 0;  // fresh: not in the known list
};
FamilyCounts count_families(const std::vector<FindingFamily>& families);

}  // namespace sockspec
