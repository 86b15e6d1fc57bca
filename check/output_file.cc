// Output files written whole: see check/output_file.h.
#include "check/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

namespace sockspec {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path, what, std::strerror(err)));
}

}  // namespace

OutputFile::OutputFile(const std::string& path) : path_(path) {
  const std::filesystem::path p(path);
  name_ = p.filename().string();
  if (name_.empty()) throw std::runtime_error(fmt::format("cannot write {}: not a file name", path));
  const std::string dir = p.parent_path().empty() ? "." : p.parent_path().string();
  dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) fail(path, "opening its directory", errno);
  temp_name_ = fmt::format(".{}.tmp.{}", name_, ::getpid());
  fd_ = ::openat(dir_fd_, temp_name_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    ::close(dir_fd_);
    fail(path, "creating a temporary file beside it", err);
  }
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
  }
  ::close(dir_fd_);
}

void OutputFile::commit(std::string_view text) {
  if (fd_ < 0) throw std::logic_error("OutputFile::commit twice: " + path_);
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "writing", errno);
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd_) != 0) fail(path_, "syncing", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0 || ::renameat(dir_fd_, temp_name_.c_str(), dir_fd_, name_.c_str()) != 0) {
    const int err = errno;
    ::unlinkat(dir_fd_, temp_name_.c_str(), 0);
    fail(path_, "renaming the temporary file into place", err);
  }
}

}  // namespace sockspec
