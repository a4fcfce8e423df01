#include "protocol/errors.hpp"

namespace hub::protocol {

std::string_view to_string(errc code) {
  // A switch rather than a table: the numbers have gaps, and the compiler warns (-Wswitch)
  // when a new code is added to the enum but not named here.
  switch (code) {
    case errc::malformed: return "malformed";
    case errc::too_large: return "too_large";
    case errc::not_a_map: return "not_a_map";
    case errc::unknown_type: return "unknown_type";
    case errc::missing_field: return "missing_field";
    case errc::wrong_type: return "wrong_type";
    case errc::out_of_range: return "out_of_range";
    case errc::unknown_field: return "unknown_field";
    case errc::unauthenticated: return "unauthenticated";
    case errc::forbidden: return "forbidden";
    case errc::unknown_unit: return "unknown_unit";
    case errc::unknown_case: return "unknown_case";
    case errc::unknown_directive: return "unknown_directive";
    case errc::invalid_transition: return "invalid_transition";
    case errc::invalid_argument: return "invalid_argument";
    case errc::rate_limited: return "rate_limited";
    case errc::overloaded: return "overloaded";
    case errc::try_again: return "try_again";
    case errc::conflict: return "conflict";
    case errc::internal: return "internal";
  }
  // A number that names no code (read from the wire by a newer peer, or a cast): the codec
  // relies on "?" to refuse such numbers, like types.hpp's to_string for enumerations.
  return "?";
}

} // namespace hub::protocol
