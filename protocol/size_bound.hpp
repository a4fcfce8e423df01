#pragma once

// How large a server message is in the two wire forms, counted without encoding it.

#include "protocol/messages.hpp"

#include <cstddef>

namespace hub::protocol {

/// The larger of `msg`'s sizes in the two wire forms (encode(), to_json()), counted from the
/// encoder's own field writers (detail::size_writer) without encoding it: exact, but for
/// floats (a case's coordinates), counted at their longest, so never below either form. A
/// small part of an encoding's cost: the read side checks a result's page against
/// limits::result_bytes with it, and encodes only a page that may pass.
std::size_t size_bound(const server_message& msg);
/// The same for a result, without copying it into a server_message.
std::size_t size_bound(const result& r);

} // namespace hub::protocol
