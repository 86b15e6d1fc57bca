// Text from inputs (scenario lines, paths, arguments) as it may appear in a
// message: one line, readable on any terminal.
//
// Contract: escape_raw_bytes keeps well-formed UTF-8 text other than
// control characters as it is and writes every other byte (a control
// character, DEL, or a byte that is not part of well-formed UTF-8) as \xHH.
// A backslash is kept, so the escaping cannot be undone exactly: it is for
// people reading a message, not for parsing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sockspec {

std::string escape_raw_bytes(std::string_view text);

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF): the offset of the first bad byte, or npos.
std::size_t first_invalid_utf8(std::string_view text);

}  // namespace sockspec
