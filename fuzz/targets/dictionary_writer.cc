// Writes the mutator's collision-prone values (fuzz/mutator.h,
// dictionary_words) as a libFuzzer/AFL dictionary on stdout, one quoted
// word a line: .clusterfuzzlite/build.sh makes `<target>.dict` with it.
#include <cstdio>

#include "fuzz/mutator.h"

int main() {
  for (const std::string& word : sockspec::fuzz::dictionary_words()) {
    std::string quoted;
    for (unsigned char c : word) {
      if (c == '"' || c == '\\') quoted += '\\';
      if (c < 0x20 || c >= 0x7f) {
        char hex[5];
        std::snprintf(hex, sizeof hex, "\\x%02x", c);
        quoted += hex;
      } else {
        quoted += static_cast<char>(c);
      }
    }
    std::printf("\"%s\"\n", quoted.c_str());
  }
  return 0;
}
