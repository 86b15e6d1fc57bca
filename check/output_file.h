// An output file that is complete or absent, never empty or half-written.
//
// Contract: an OutputFile is named before the oracle's sandbox changes the
// working directory and gives the process a private /tmp: the constructor
// opens the file's directory (so a relative path, or one under /tmp, keeps
// naming the directory the user meant) and creates a hidden temporary file
// in it (`.NAME.tmp.PID`), or throws std::runtime_error naming the path.
// commit(text) writes the text to the temporary file, syncs it and renames
// it to NAME in one step, or throws naming the path. An OutputFile destroyed
// without a commit removes its temporary file: NAME is left as it was.
#pragma once

#include <string>
#include <string_view>

namespace sockspec {

class OutputFile {
 public:
  explicit OutputFile(const std::string& path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void commit(std::string_view text);
  const std::string& path() const { return path_; }

 private:
  std::string path_, name_, temp_name_;
  int dir_fd_ = -1, fd_ = -1;
};

}  // namespace sockspec
