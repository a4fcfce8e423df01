#pragma once

// Assertions on a reply (protocol::server_message) of the hub, whether it came from the city
// in process or over a WebSocket connection. Each macro evaluates its argument once, since it
// is often the request itself, and says what came instead when it fails.

#include "protocol/messages.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace hub::testing {

/// "error forbidden (id 3): ...", "ack 3", or the message as JSON: for assertion messages.
std::string describe(const protocol::server_message& m);

} // namespace hub::testing

/// Expects `reply` to be an ack.
#define EXPECT_ACK(reply)                                                                          \
  do {                                                                                             \
    auto r_ = (reply);                                                                             \
    EXPECT_TRUE(std::holds_alternative<::hub::protocol::ack>(r_)) << ::hub::testing::describe(r_); \
  } while (false)

/// Expects `reply` to be an error with code `errc_value`. Anything else is a fatal failure
/// (ASSERT: returns from the test function), since there is no code to compare.
#define EXPECT_REFUSED(reply, errc_value)                                                          \
  do {                                                                                             \
    auto r_ = (reply);                                                                             \
    auto* e_ = std::get_if<::hub::protocol::error>(&r_);                                           \
    ASSERT_NE(e_, nullptr) << "expected a refusal, got " << ::hub::testing::describe(r_);          \
    EXPECT_EQ(e_->code, errc_value) << e_->message;                                                \
  } while (false)
