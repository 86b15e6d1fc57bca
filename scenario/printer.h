// Printing syntax trees and results in the language's own form.
//
// Contract: print_program's output parses back to an equal Program; results
// print exactly as the language's tables say (`ok`, `EADDRINUSE`, `"a\n"`,
// `127.0.0.1:8080`, `[::1]:80`, `unix:@x`, `in|out`, `none`, ss rows).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario/ast.h"

namespace sockspec {

std::string print_program(const Program& program);
std::string print_line(const Line& line);        // the whole line, expectation included
std::string print_operation(const Line& line);   // `[NAME =] OP ARG...`, no expectation
std::string print_expectation(const Expectation& expect);
std::string print_result(const Result& result);
std::string print_address(const Address& address);
std::string print_address_term(const AddressTerm& term);  // `127.0.0.1:*`, `[::1]:$p`, `$a`
std::string print_ss_row(const SsRow& row);
std::string print_string(std::string_view bytes);  // quoted, with the language's escapes
std::string print_events(PollEvents events);       // `in|out`, or `none`
std::string print_flags(MsgFlags flags);

// Errno names: "EADDRINUSE" for EADDRINUSE; numbers without a name print as
// `E<number>`. errno_from_name also knows aliases (EWOULDBLOCK is EAGAIN).
std::string errno_name(int error);
std::optional<int> errno_from_name(std::string_view name);

}  // namespace sockspec
