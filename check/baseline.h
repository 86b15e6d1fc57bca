// Known divergences: a baseline file, so CI fails only on new ones.
//
// Contract: a baseline is a set of divergence signatures (check/finding.h:
// operation kind | rules | kernel result class | model result class), one a
// line, each under a comment naming where it was seen. Blank lines and `#`
// comments are ignored; any other line without the three ` | ` of a
// signature makes the file unreadable (a damaged or foreign file would
// otherwise accept nothing, silently). `check --write-baseline FILE` writes every signature
// of a run; `check --baseline FILE` then fails only on a divergence whose
// signature is not in FILE (failed expectations and stopped scenarios still
// fail: they are not divergences). A signature that never occurs in a run is
// reported as gone, so the file can be pruned once the model is fixed.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "check/driver.h"

namespace sockspec {

struct BaselineEntry {
  std::string signature;
  std::string seen_at;  // `corpus/x.scn:12  bind o 127.0.0.2:8080`
};

// The divergent lines of a verdict, each with its signature and where.
std::vector<BaselineEntry> divergence_entries(const ScenarioVerdict& verdict);

// Throws std::runtime_error naming the file when it cannot be read.
std::set<std::string> read_baseline(const std::filesystem::path& path);

// The file's text: a header, then each distinct signature (first seen wins).
std::string baseline_text(const std::vector<BaselineEntry>& entries);

}  // namespace sockspec
