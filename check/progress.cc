#include "check/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>

namespace sockspec {

std::string duration_text(double seconds) {
  long s = std::lround(std::max(0.0, seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
}

std::string progress_text(std::size_t done, std::size_t total, double elapsed_s, std::string_view item) {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  std::string left = "estimating";
  if (done > 0) left = "about " + duration_text(elapsed_s / static_cast<double>(done) * static_cast<double>(total - done)) + " left";
  const int width = static_cast<int>(fmt::formatted_size("{}", total));
  return fmt::format("[{:>{}}/{}] {:5.1f}%  elapsed {}  {}  {}", done, width, total, 100.0 * fraction,
                     duration_text(elapsed_s), left, item);
}

ProgressMeter::ProgressMeter(std::size_t total, std::FILE* out)
    : ProgressMeter(total, out, ::isatty(::fileno(out)) == 1) {}

ProgressMeter::ProgressMeter(std::size_t total, std::FILE* out, bool enabled)
    : total_(total), out_(out), enabled_(enabled) {}

void ProgressMeter::advance(std::string_view item) {
  ++done_;
  if (!enabled_) return;
  const auto now = Clock::now();
  if (done_ < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // \r and "erase to end of line": the status line is rewritten in place
  fmt::print(out_, "\r{}\033[K", progress_text(done_, total_, elapsed, item));
  std::fflush(out_);
  drawn_ = true;
}

void ProgressMeter::finish() {
  if (!drawn_) return;
  fmt::print(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace sockspec
