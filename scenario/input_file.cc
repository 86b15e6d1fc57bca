// Bounded reading of input files: see scenario/input_file.h.
//
// The file is opened non-blocking (so a FIFO without a writer does not hang
// the open) and then judged by fstat on the open descriptor, so what is
// checked is what is read.
#include "scenario/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace sockspec {
namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string open_error(int err) {
  if (err == ELOOP) return "cannot read: a symlink loop (too many levels of symbolic links)";
  return fmt::format("cannot read: {}", std::strerror(err));
}

// Closes the descriptor on every way out.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_input_file(const std::string& path) {
  Descriptor file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (file.fd < 0) throw InputFileError(path, open_error(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) throw InputFileError(path, open_error(errno));
  if (!S_ISREG(st.st_mode))
    throw InputFileError(path, fmt::format("not a regular file ({})", kind_of(st.st_mode)));
  const std::string too_large = fmt::format("file too large: at most {} bytes (16 MiB)", kMaxInputFileBytes);
  if (static_cast<std::size_t>(st.st_size) > kMaxInputFileBytes) throw InputFileError(path, too_large);
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InputFileError(path, fmt::format("cannot read: {}", std::strerror(errno)));
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxInputFileBytes) throw InputFileError(path, too_large);  // it grew while read
  }
}

}  // namespace sockspec
