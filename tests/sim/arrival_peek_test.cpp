// hub-load's arrival peek: a directive.event read off the MessagePack frame the protocol's
// encoder writes, with the same fields the decoder reads; anything else left to the decoder.

#include "sim/load/arrival_peek.hpp"

#include "protocol/codec.hpp"

#include <gtest/gtest.h>

namespace hub::testing {
namespace {

using sim::load::peek_directive_arrival;

protocol::directive_event an_arrival() {
  protocol::directive_event e;
  e.seq = 77;
  e.at = 1'780'000'000'000;
  e.id = 9'001;
  e.action = protocol::directive_action::issue;
  e.unit = 411'500;
  e.by = 12;
  e.channel = 3;
  e.title = "hub-load burst 1780000000000 17";
  e.total = 18'100;
  e.recipient = 411'502'001'001'001;
  return e;
}

TEST(arrival_peek_test, reads_what_the_decoder_reads_from_an_encoded_event) {
  const auto e = an_arrival();
  const auto frame = protocol::encode(protocol::server_message{e});
  auto peeked = peek_directive_arrival(frame);
  ASSERT_TRUE(peeked.has_value());
  EXPECT_EQ(peeked->directive, e.id);
  EXPECT_EQ(peeked->action, "issue");
  EXPECT_EQ(peeked->recipient, e.recipient);
  EXPECT_EQ(peeked->title, e.title);

  auto signed_one = e;
  signed_one.action = protocol::directive_action::sign;
  signed_one.title.clear();
  signed_one.recipient = 0;
  const auto signed_frame = protocol::encode(protocol::server_message{signed_one});
  peeked = peek_directive_arrival(signed_frame); // its views point into signed_frame
  ASSERT_TRUE(peeked.has_value());
  EXPECT_EQ(peeked->action, "sign");
  EXPECT_EQ(peeked->recipient, 0u);
  EXPECT_TRUE(peeked->title.empty());
}

TEST(arrival_peek_test, other_messages_and_broken_frames_are_left_to_the_decoder) {
  protocol::case_event c;
  c.seq = 5;
  c.id = 1001;
  c.unit = 411'500;
  EXPECT_FALSE(peek_directive_arrival(protocol::encode(protocol::server_message{c})));
  EXPECT_FALSE(peek_directive_arrival(
      protocol::encode(protocol::server_message{protocol::ack{3, 0, 0, 0}})));

  const auto frame = protocol::encode(protocol::server_message{an_arrival()});
  EXPECT_FALSE(peek_directive_arrival(frame.substr(0, frame.size() - 3))) << "truncated";
  EXPECT_FALSE(peek_directive_arrival(frame + frame)) << "two messages in one frame";
  EXPECT_FALSE(peek_directive_arrival("")) << "empty";
  EXPECT_FALSE(peek_directive_arrival("\x93\x01\x02\x03")) << "an array, not a map";
  EXPECT_FALSE(peek_directive_arrival("\xc1")) << "a byte MessagePack never uses";
}

} // namespace
} // namespace hub::testing
