#include "gateway/send_queue.hpp"

#include <gtest/gtest.h>

namespace hub::gateway {
namespace {

actors::outbound_ptr out(protocol::server_message m, protocol::unit_code unit = 0) {
  return std::make_shared<const actors::outbound>(std::move(m), unit);
}

actors::outbound_ptr event(std::uint64_t seq, protocol::unit_code unit = 411502) {
  protocol::case_event e;
  e.seq = seq;
  e.id = 1;
  e.unit = unit;
  return out(e, unit);
}

actors::outbound_ptr aggregate(protocol::unit_code unit, std::uint32_t open) {
  protocol::aggregate a;
  a.unit = unit;
  a.figures.open = open;
  return out(a, unit);
}

actors::outbound_ptr ack(std::uint64_t id) { return out(protocol::ack{id, 0, 0, 0}); }

/// What the queue holds, as short names: "e5" event seq 5, "a411502=3", "r7" reply to 7.
std::vector<std::string> contents(send_queue& q) {
  std::vector<std::string> names;
  auto name = [&](const actors::outbound_ptr& m) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, protocol::case_event>)
            names.push_back("e" + std::to_string(x.seq));
          else if constexpr (std::is_same_v<T, protocol::aggregate>)
            names.push_back("a" + std::to_string(x.unit) + "=" + std::to_string(x.figures.open));
          else if constexpr (std::is_same_v<T, protocol::ack>)
            names.push_back("r" + std::to_string(x.id));
          else
            names.push_back("?");
        },
        m->message());
  };
  while (!q.empty()) {
    if (!q.writing())
      q.start_write();
    for (std::size_t k = 0; k < q.in_flight(); ++k)
      name(q[k]);
    q.finish_write();
  }
  return names;
}

using names = std::vector<std::string>;

TEST(send_queue, replies_and_events_are_classified) {
  EXPECT_FALSE(send_queue::is_event(protocol::ack{}));
  EXPECT_FALSE(send_queue::is_event(protocol::error{}));
  EXPECT_TRUE(send_queue::is_event(protocol::case_event{}));
  EXPECT_TRUE(send_queue::is_event(protocol::directive_event{}));
  EXPECT_TRUE(send_queue::is_event(protocol::aggregate{}));
  EXPECT_TRUE(send_queue::is_event(protocol::gap{}));
  EXPECT_EQ(send_queue::seq_of(event(9)->message()), 9u);
  EXPECT_EQ(send_queue::seq_of(aggregate(1, 1)->message()), 0u);
}

TEST(send_queue, a_queued_aggregate_of_the_same_unit_is_replaced_in_place) {
  send_queue q;
  EXPECT_TRUE(q.push(aggregate(411502, 1)));
  EXPECT_TRUE(q.push(event(1)));
  EXPECT_TRUE(q.push(aggregate(411502001, 5)));
  EXPECT_FALSE(q.push(aggregate(411502, 2)));
  EXPECT_FALSE(q.push(aggregate(411502, 3)));
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(contents(q), (names{"a411502=3", "e1", "a411502001=5"}));
}

TEST(send_queue, an_aggregate_being_written_is_not_replaced) {
  send_queue q;
  q.push(aggregate(411502, 1));
  q.push(event(1));
  q.start_write();
  EXPECT_TRUE(q.push(aggregate(411502, 2))); // queues behind the one in flight
  EXPECT_FALSE(q.push(aggregate(411502, 3)));
  EXPECT_EQ(contents(q), (names{"a411502=1", "e1", "a411502=3"}));
}

TEST(send_queue, coalescing_keeps_working_as_messages_are_written) {
  send_queue q;
  q.push(event(1));
  q.push(aggregate(411502, 1));
  for (std::uint32_t i = 2; i <= 5; ++i) {
    q.push(event(i));
    q.start_write();
    q.finish_write(); // the front leaves: positions shift under the index
    q.push(aggregate(411502, i));
  }
  // [e1 a1] → [a2 e2] → [e2 e3 a3] → [e3 a4 e4] → [a5 e4 e5]
  EXPECT_EQ(contents(q), (names{"a411502=5", "e4", "e5"}));
}

TEST(send_queue, dropping_events_keeps_replies_and_the_message_in_flight) {
  send_queue q;
  q.push(event(10));
  q.push(ack(1));
  q.push(event(12));
  q.push(aggregate(411502, 1));
  q.push(ack(2));
  q.push(event(11));
  q.start_write(); // e10 is being written
  auto r = q.drop_events();
  EXPECT_EQ(r.dropped, 3u);
  EXPECT_EQ(r.first_seq, 11u);
  EXPECT_EQ(q.size(), 3u);
  q.push(aggregate(411502, 2)); // the index was rebuilt: no stale position
  EXPECT_EQ(contents(q), (names{"e10", "r1", "r2", "a411502=2"}));
}

TEST(send_queue, dropping_pending_keeps_only_the_message_in_flight) {
  send_queue q;
  q.push(ack(1));
  q.push(event(1));
  q.push(aggregate(7, 1));
  q.start_write();
  EXPECT_EQ(q.drop_pending(), 2u);
  EXPECT_EQ(contents(q), (names{"r1"}));
}

// A session writes what is queued in one go: every message of the batch is in flight, so none
// of them is replaced or dropped, and what comes after queues behind them.
TEST(send_queue, a_batch_in_flight_is_neither_replaced_nor_dropped) {
  send_queue q;
  q.push(event(1));
  q.push(aggregate(411502, 1));
  q.push(ack(1));
  q.push(event(2));
  q.push(aggregate(411502001, 1));
  q.start_write(3);
  EXPECT_EQ(q.in_flight(), 3u);
  EXPECT_TRUE(q.push(aggregate(411502, 2)));     // its older one is on its way: queues
  EXPECT_FALSE(q.push(aggregate(411502001, 2))); // still waiting: replaced in place
  auto r = q.drop_events();
  EXPECT_EQ(r.dropped, 3u); // e2 and both queued aggregates; the batch stays
  EXPECT_EQ(r.first_seq, 2u);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.finish_write(), 3u);
  EXPECT_FALSE(q.writing());
  q.push(aggregate(411502, 3));
  q.push(aggregate(411502, 4)); // the index follows the positions after the batch left
  EXPECT_EQ(contents(q), (names{"a411502=4"}));
}

TEST(send_queue, dropping_pending_keeps_a_whole_batch_in_flight) {
  send_queue q;
  q.push(ack(1));
  q.push(event(1));
  q.push(aggregate(7, 1));
  q.push(ack(2));
  q.start_write(2);
  EXPECT_EQ(q.drop_pending(), 2u);
  EXPECT_EQ(contents(q), (names{"r1", "e1"}));
}

} // namespace
} // namespace hub::gateway
