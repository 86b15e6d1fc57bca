// Flag validators: see tools/flag_checks.h.
#include "tools/flag_checks.h"

#include <unistd.h>

#include <filesystem>

#include "model/rules.h"

namespace sockspec::cli {

namespace fs = std::filesystem;

const CLI::Validator& registered_rule() {
  static const CLI::Validator v(
      [](std::string& name) -> std::string {
        if (find_rule(name)) return "";
        return "`" + name + "` is not a rule of the model (`sockspec rules --model-only` lists them)";
      },
      "RULE");
  return v;
}

const CLI::Validator& directory_or_absent() {
  static const CLI::Validator v(
      [](std::string& path) -> std::string {
        std::error_code ec;
        const fs::file_status st = fs::status(path, ec);
        if (ec && ec != std::errc::no_such_file_or_directory) return path + ": " + ec.message();
        if (fs::exists(st) && !fs::is_directory(st)) return path + ": exists and is not a directory";
        return "";
      },
      "DIR");
  return v;
}

const CLI::Validator& writable_file() {
  static const CLI::Validator v(
      [](std::string& path) -> std::string {
        std::error_code ec;
        if (fs::is_directory(path, ec)) return path + ": is a directory, a file is expected";
        fs::path parent = fs::path(path).parent_path();
        if (parent.empty()) parent = ".";
        if (!fs::is_directory(parent, ec)) return path + ": cannot be written: " + parent.string() + " is not a directory";
        if (::access(parent.c_str(), W_OK) != 0) return path + ": cannot be written: " + parent.string() + " is not writable";
        return "";
      },
      "FILE");
  return v;
}

}  // namespace sockspec::cli
