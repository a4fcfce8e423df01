#pragma once

// Checks on what a decoder returned, shared by codec_test.cpp (MessagePack) and json_test.cpp
// (JSON): both decoders answer with a decoded<Message>, a message or a decode_error, and both
// forms must refuse alike (the same code at the same field).

#include "protocol/codec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace hub::protocol::checks {

/// Matches a decoded<...> that is a decode_error with `code` at `field`.
MATCHER_P2(Refused, code, field,
           "is refused with " + std::string(to_string(code)) + " at '" + std::string(field) + "'") {
  const decode_error* e = std::get_if<decode_error>(&arg);
  if (e == nullptr) {
    *result_listener << "was accepted";
    return false;
  }
  *result_listener << "got " << to_string(e->code) << " at '" << e->field << "': " << e->message;
  return e->code == code && e->field == field;
}

/// The decoded message; a refusal fails the test (non-fatally) and gives a default message.
template <class Message>
Message accepted(const decoded<Message>& result) {
  if (const decode_error* e = std::get_if<decode_error>(&result)) {
    ADD_FAILURE() << "refused: " << to_string(e->code) << " at '" << e->field
                  << "': " << e->message;
    return {};
  }
  return std::get<Message>(result);
}

} // namespace hub::protocol::checks
