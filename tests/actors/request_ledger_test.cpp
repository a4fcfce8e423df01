#include "actors/request_ledger.hpp"

#include "tests/actors/city_fixture.hpp"

namespace hub::testing {
namespace {

using actors::request_ledger;

actors::outbound_ptr ack_of(std::uint64_t id) {
  return std::make_shared<const actors::outbound>(protocol::ack{id, 0, 0, 0}, 0);
}

std::size_t acks_for(const recorder& r, std::uint64_t id) {
  std::size_t n = 0;
  for (auto& a : r.all<protocol::ack>())
    n += a.id == id ? 1 : 0;
  return n;
}

TEST(request_ledger_test, a_request_in_flight_gets_its_reply_after_many_newer_ones) {
  auto ledger = std::make_shared<request_ledger>(16); // one answered request per shard
  auto slow = std::make_shared<recorder>();
  auto slow_sink = ledger->admit(7, 1, 42, slow);
  ASSERT_NE(slow_sink, nullptr);
  // Far more than the capacity are admitted and answered while request 1 is in flight.
  auto others = std::make_shared<recorder>();
  for (std::uint64_t id = 2; id < 2 + 50 * 16; ++id) {
    auto s = ledger->admit(8, id, id, others);
    ASSERT_NE(s, nullptr) << id;
    s->send(ack_of(id));
  }
  // A retry of request 1 is not applied again, and waits for the same reply.
  auto retry = std::make_shared<recorder>();
  EXPECT_EQ(ledger->admit(7, 1, 42, retry), nullptr);
  slow_sink->send(ack_of(1));
  EXPECT_EQ(acks_for(*slow, 1), 1u);
  EXPECT_EQ(acks_for(*retry, 1), 1u);
  // A later retry is answered from memory, until 16 newer answers push it out.
  auto late = std::make_shared<recorder>();
  EXPECT_EQ(ledger->admit(7, 1, 42, late), nullptr);
  EXPECT_EQ(acks_for(*late, 1), 1u);
  EXPECT_LE(ledger->size(), 16u); // answered ones stay bounded
}

TEST(request_ledger_test, a_reply_sink_dropped_unanswered_lets_a_retry_apply_the_request) {
  auto ledger = std::make_shared<request_ledger>(16);
  auto client = std::make_shared<recorder>();
  auto first = ledger->admit(7, 1, 42, client);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(ledger->size(), 1u);
  first.reset(); // the actor never answered (say, it was gone)
  EXPECT_EQ(ledger->size(), 0u);
  auto again = ledger->admit(7, 1, 42, client);
  ASSERT_NE(again, nullptr);
  again->send(ack_of(1));
  EXPECT_EQ(acks_for(*client, 1), 1u);
}

// try_again means "nothing was applied, send the same request again": the ledger must take
// the retry afresh, not answer it try_again from memory forever.
TEST(request_ledger_test, a_try_again_answer_is_not_remembered) {
  auto ledger = std::make_shared<request_ledger>();
  auto client = std::make_shared<recorder>();
  auto first = ledger->admit(7, 1, 42, client);
  ASSERT_NE(first, nullptr);
  first->send(std::make_shared<const actors::outbound>(
      protocol::error{1, protocol::errc::try_again, "storage is unavailable"}, 0));
  ASSERT_EQ(client->all<protocol::error>().size(), 1u);
  auto retry = ledger->admit(7, 1, 42, client);
  ASSERT_NE(retry, nullptr) << "the retry was answered from memory instead of being applied";
  retry->send(ack_of(1));
  EXPECT_EQ(acks_for(*client, 1), 1u);
  EXPECT_EQ(ledger->admit(7, 1, 42, client), nullptr); // an ack is remembered
  EXPECT_EQ(acks_for(*client, 1), 2u);
}

// CAF destroys an actor's state, and with it the city's context and ledger, before the
// commands left in its mailbox: a reply sink may be answered or dropped after its ledger.
TEST(request_ledger_test, a_reply_sink_may_outlive_its_ledger) {
  auto client = std::make_shared<recorder>();
  auto ledger = std::make_shared<request_ledger>(16);
  auto answered = ledger->admit(7, 1, 42, client);
  auto dropped = ledger->admit(7, 2, 43, client);
  ASSERT_NE(answered, nullptr);
  ASSERT_NE(dropped, nullptr);
  std::weak_ptr<request_ledger> gone = ledger;
  ledger.reset();
  ASSERT_TRUE(gone.expired());
  answered->send(ack_of(1));
  EXPECT_EQ(acks_for(*client, 1), 1u);
  dropped.reset(); // unanswered: forgotten in its shard, which it kept alive
  EXPECT_TRUE(client->all<protocol::error>().empty());
}

// The ledger keeps an ack as its fields and any other reply as the message itself: a retry
// gets either back exactly, after the original message is gone.
TEST(request_ledger_test, a_retry_gets_the_same_reply_field_for_field) {
  auto ledger = std::make_shared<request_ledger>(16);
  auto client = std::make_shared<recorder>();
  const protocol::ack acked{1, 11, 12, 13};
  const protocol::error refused{2, protocol::errc::forbidden, "not yours"};
  ledger->admit(7, 1, 42, client)->send(std::make_shared<const actors::outbound>(acked, 0));
  ledger->admit(7, 2, 43, client)->send(std::make_shared<const actors::outbound>(refused, 0));
  auto retry = std::make_shared<recorder>();
  EXPECT_EQ(ledger->admit(7, 1, 42, retry), nullptr);
  EXPECT_EQ(ledger->admit(7, 2, 43, retry), nullptr);
  ASSERT_EQ(retry->all<protocol::ack>().size(), 1u);
  EXPECT_EQ(retry->all<protocol::ack>()[0], acked);
  ASSERT_EQ(retry->all<protocol::error>().size(), 1u);
  EXPECT_EQ(retry->all<protocol::error>()[0].code, refused.code);
  EXPECT_EQ(retry->all<protocol::error>()[0].message, refused.message);
}

TEST(request_ledger_test, a_reused_id_with_other_content_is_refused) {
  auto ledger = std::make_shared<request_ledger>(16);
  auto client = std::make_shared<recorder>();
  auto sink = ledger->admit(7, 1, 42, client);
  sink->send(ack_of(1));
  EXPECT_EQ(ledger->admit(7, 1, 43, client), nullptr);
  auto errors = client->all<protocol::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, protocol::errc::invalid_argument);
}

TEST(request_ledger_test, the_digest_tells_requests_apart_by_content) {
  protocol::directive_act sign{5, protocol::directive_action::sign, {}};
  auto complete = sign;
  complete.action = protocol::directive_action::complete;
  auto noted = sign;
  noted.note = "到岗";
  EXPECT_EQ(actors::request_digest(sign), actors::request_digest(sign));
  EXPECT_NE(actors::request_digest(sign), actors::request_digest(complete));
  EXPECT_NE(actors::request_digest(sign), actors::request_digest(noted));
  protocol::case_act act;
  act.id = 5;
  EXPECT_NE(actors::request_digest(sign), actors::request_digest(act)); // other type, same id
}

} // namespace
} // namespace hub::testing
