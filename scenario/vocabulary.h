// The scenario language's words for the kernel's names, each defined once.
//
// A family, a socket type, a protocol and a socket option each have the
// word a scenario writes, the C name a reproducer writes, and the number
// the kernel takes; a TCP state has the word `ss` prints. Parser, printer,
// oracle, reproducer, mutator, explain and solver all read these tables, so
// adding a word is one row here (and what the language then means by it).
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "scenario/ast.h"

namespace sockspec::vocab {

struct FamilyWord {
  Family family;
  std::string_view word;    // inet
  std::string_view c_name;  // AF_INET
  int number;               // AF_INET
};

struct SockTypeWord {
  SockType type;
  std::string_view word;    // stream
  std::string_view c_name;  // SOCK_STREAM
  int number;
};

struct ProtocolWord {
  Protocol::Name name;
  std::string_view word;    // tcp
  std::string_view c_name;  // IPPROTO_TCP
  int number;
};

struct OptionWord {
  SockOpt opt;
  std::string_view name;        // SO_REUSEADDR, as the scenario and C write it
  std::string_view level_name;  // SOL_SOCKET
  int level;
  int number;
};

std::span<const FamilyWord> families();
std::span<const SockTypeWord> sock_types();
std::span<const ProtocolWord> protocols();  // every named protocol (not Default, not Number)
std::span<const OptionWord> options();

const FamilyWord& family(Family f);
const SockTypeWord& sock_type(SockType t);
const ProtocolWord* protocol(Protocol::Name n);  // nullptr for Default and Number
const OptionWord& option(SockOpt o);
std::optional<SockOpt> option_named(std::string_view name);

// The kernel's TCP states (include/net/tcp_states.h), by number.
enum class TcpState : unsigned {
  Established = 1, SynSent, SynRecv, FinWait1, FinWait2, TimeWait, Close, CloseWait, LastAck, Listen,
  Closing, NewSynRecv, BoundInactive,
};
// The word `ss` prints for a state: TCP_CLOSE is UNCONN, a request socket
// (TCP_NEW_SYN_RECV) SYN-RECV; UNKNOWN for a number it does not know.
std::string_view tcp_state_word(unsigned kernel_state);
inline std::string_view tcp_state_word(TcpState s) { return tcp_state_word(static_cast<unsigned>(s)); }

}  // namespace sockspec::vocab
