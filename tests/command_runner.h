// Runs the sockspec binary (or any shell command) for tests and captures
// its exit code, standard output and standard error.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sockspec::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `command` is run by /bin/sh with the source tree as working directory.
inline CommandResult run_command(const std::string& command) {
  auto dir = std::filesystem::temp_directory_path() / ("sockspec-cmd-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto out = dir / "out", err = dir / "err";
  std::string full = "cd '" SOCKSPEC_SOURCE_DIR "' && " + command + " >'" + out.string() + "' 2>'" + err.string() + "'";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out);
  r.err = read_text(err);
  std::filesystem::remove_all(dir);
  return r;
}

inline std::string sockspec_binary() { return SOCKSPEC_BINARY; }

}  // namespace sockspec::testing
