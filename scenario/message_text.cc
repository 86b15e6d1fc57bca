// Message text: see scenario/message_text.h.
#include "scenario/message_text.h"

#include <fmt/format.h>

namespace sockspec {

namespace {

// The UTF-8 sequence at the start of `s`: its length when well-formed, else
// the offset of its first bad byte (0: the lead byte).
struct Utf8Sequence {
  bool valid;
  std::size_t length;
};

Utf8Sequence utf8_sequence(std::string_view s) {
  auto b = static_cast<unsigned char>(s[0]);
  if (b < 0x80) return {true, 1};
  std::size_t len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (len == 0 || b > 0xF4 || len > s.size()) return {false, 0};
  auto b1 = static_cast<unsigned char>(s[1]);
  if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) || (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
    return {false, 0};
  for (std::size_t k = 1; k < len; ++k)
    if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return {false, k};
  return {true, len};
}

}  // namespace

std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Sequence seq = utf8_sequence(text.substr(i));
    if (!seq.valid) return i + seq.length;
    i += seq.length;
  }
  return std::string_view::npos;
}

std::string escape_raw_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Utf8Sequence seq = utf8_sequence(text.substr(i));
    const auto b = static_cast<unsigned char>(text[i]);
    if (!seq.valid || b < 0x20 || b == 0x7f) {
      out += fmt::format("\\x{:02x}", b);  // a bad sequence: its lead byte; what follows is judged afresh
      ++i;
      continue;
    }
    out.append(text.substr(i, seq.length));
    i += seq.length;
  }
  return out;
}

}  // namespace sockspec
