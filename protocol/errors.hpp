#pragma once

// Error codes of the hub's protocol. The numbers are part of the wire format: never reuse one.

#include <array>
#include <cstdint>
#include <string_view>

namespace hub::protocol {

enum class errc : std::uint16_t {
  // -- the frame could not be read (codec) --
  malformed = 1,    // not MessagePack (binary frame) or not JSON (text frame), or trailing bytes
  too_large = 2,    // frame, string or array over its limit
  not_a_map = 3,    // the top level is not a map
  unknown_type = 4, // "t" names no message
  missing_field = 5,
  wrong_type = 6,    // a field has the wrong MessagePack/JSON type
  out_of_range = 7,  // a number or enumeration value outside its range
  unknown_field = 8, // a key the message does not have
  // -- the request was read but refused (hub) --
  unauthenticated = 20,
  forbidden = 21, // the user's role and unit do not allow the action
  unknown_unit = 22,
  unknown_case = 23,
  unknown_directive = 24,
  invalid_transition = 25, // the action is not possible in the case's current state
  invalid_argument = 26,   // a well-formed value the hub cannot accept (e.g. unknown category)
  rate_limited = 30,
  overloaded = 31, // the client's send queue overflowed; events were dropped (resume with since)
  try_again = 32,  // storage is unavailable; nothing was applied
  conflict = 33,   // another hub process owns the store: this hub is stale; not stored
  internal = 99,
};

/// A short, stable name for `code` ("malformed", "forbidden", ...), as used in metrics.
std::string_view to_string(errc code);

} // namespace hub::protocol
