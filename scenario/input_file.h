// Reading an input file, the one way every reader of sockspec does it.
//
// Contract: read_input_file returns the whole content of a regular file of at
// most kMaxInputFileBytes, or throws InputFileError naming the path and the
// problem (missing, a symlink loop, a directory, a FIFO, a device, too large,
// an I/O error; the path's raw bytes escaped in what()). It never blocks on a FIFO and never reads past the limit.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "scenario/message_text.h"

namespace sockspec {

inline constexpr std::size_t kMaxInputFileBytes = 16 * 1024 * 1024;

class InputFileError : public std::runtime_error {
 public:
  InputFileError(const std::string& path, const std::string& problem)
      : std::runtime_error(escape_raw_bytes(path) + ": " + problem), path_(path), problem_(problem) {}
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }  // without the path

 private:
  std::string path_, problem_;
};

std::string read_input_file(const std::string& path);

}  // namespace sockspec
