#include "check/gvisor_findings.h"

#include <set>
#include <string>

#include "check/finding.h"

namespace sockspec {

std::vector<std::filesystem::path> record_gvisor_findings(const std::filesystem::path& dir, const Program& program,
                                                          const ScenarioVerdict& verdict, const OracleConfig& config) {
  std::vector<std::filesystem::path> written;
  if (!is_gvisor_release(verdict.profile.release)) return written;
  std::set<std::string> seen;  // each signature once, at its first line
  for (std::size_t i = 0; i < verdict.lines.size() && i < program.lines.size(); ++i) {
    const LineVerdict& v = verdict.lines[i];
    if (!v.diverged || !v.kernel || !v.model) continue;
    std::string signature = divergence_signature(program.lines[i], v);
    if (!seen.insert(signature).second) continue;
    if (auto divergence = find_divergence(program, verdict, signature))
      if (auto path = record_finding(dir, program, *divergence, config)) written.push_back(*path);
  }
  return written;
}

}  // namespace sockspec
