// Progress of a long run, for the person watching it.
//
// Contract: a ProgressMeter counts finished items out of a known total and,
// only when its stream is a terminal (isatty), rewrites one status line in
// place: done/total, percent, elapsed time and an estimate of the time left
// (elapsed / done * remaining: scenarios of one run cost about the same).
// It redraws at most ten times a second, so the hot loop pays a clock read
// per item. On a pipe or a file it prints nothing at all, so logs and
// `--json` output stay clean. finish() clears the line.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace sockspec {

// `[ 120/3400]   3.5%  elapsed 4s  about 1m52s left  corpus/inet/bind.scn`
std::string progress_text(std::size_t done, std::size_t total, double elapsed_s, std::string_view item);

// `4s`, `1m52s`, `2h03m`
std::string duration_text(double seconds);

class ProgressMeter {
 public:
  // Shows progress on `out` when `out` is a terminal.
  ProgressMeter(std::size_t total, std::FILE* out = stderr);
  // Shows progress only when `enabled` (tests, and callers that know better).
  ProgressMeter(std::size_t total, std::FILE* out, bool enabled);
  ~ProgressMeter() { finish(); }
  ProgressMeter(const ProgressMeter&) = delete;
  ProgressMeter& operator=(const ProgressMeter&) = delete;

  // One more item is done; `item` names it (a file).
  void advance(std::string_view item);
  void finish();
  bool enabled() const { return enabled_; }

 private:
  using Clock = std::chrono::steady_clock;
  std::size_t total_, done_ = 0;
  std::FILE* out_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now(), last_draw_{};
};

}  // namespace sockspec
