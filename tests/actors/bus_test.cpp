#include "actors/bus.hpp"
#include "actors/journal.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include "tests/actors/city_fixture.hpp"

#include <atomic>
#include <thread>

namespace hub::testing {
namespace {

using namespace codes;

protocol::case_event event_at(protocol::unit_code unit) {
  protocol::case_event e;
  e.unit = unit;
  return e;
}

TEST(bus_test, a_resume_replays_the_kept_events_of_the_subtree_in_order) {
  actors::bus b{make_small_city(), 16, 8};
  for (auto u : {grid_a1_1, grid_b1_1, village_a1, grid_a1_2})
    b.publish(u, event_at(u));
  auto r = std::make_shared<recorder>();
  b.subscribe(town_a, r, 1);
  auto got = r->all<protocol::case_event>();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].seq, 3u);
  EXPECT_EQ(got[1].seq, 4u);
}

TEST(bus_test, events_for_a_units_own_watchers_do_not_reach_the_units_above) {
  actors::bus b{make_small_city(), 16, 8};
  auto grid = std::make_shared<recorder>(), town = std::make_shared<recorder>();
  b.subscribe(grid_a1_1, grid);
  b.subscribe(town_a, town);
  b.publish(grid_a1_1, event_at(grid_a1_1), actors::reach::unit_watchers);
  EXPECT_EQ(grid->all<protocol::case_event>().size(), 1u);
  EXPECT_TRUE(town->all<protocol::case_event>().empty());
  auto late = std::make_shared<recorder>();
  b.subscribe(town_a, late, 0);
  b.unsubscribe(town_a, late.get());
  b.subscribe(town_a, late, 0);
  EXPECT_TRUE(late->all<protocol::case_event>().empty());
}

TEST(bus_test, a_resume_past_retention_or_too_long_gets_a_gap) {
  actors::bus b{make_small_city(), 4, 2};
  for (int i = 0; i < 6; ++i)
    b.publish(grid_a1_1, event_at(grid_a1_1));
  auto old = std::make_shared<recorder>();
  b.subscribe(county, old, 1); // events 2 and 3 are no longer kept
  ASSERT_EQ(old->all<protocol::gap>().size(), 1u);
  EXPECT_EQ(old->all<protocol::gap>()[0].next, 7u);
  EXPECT_TRUE(old->all<protocol::case_event>().empty());
  auto long_ago = std::make_shared<recorder>();
  b.subscribe(county, long_ago, 3); // 4, 5, 6 are kept but more than 2
  EXPECT_EQ(long_ago->all<protocol::gap>().size(), 1u);
  auto recent = std::make_shared<recorder>();
  b.subscribe(county, recent, 4);
  EXPECT_EQ(recent->all<protocol::case_event>().size(), 2u);
  EXPECT_TRUE(recent->all<protocol::gap>().empty());
}

// A durable journal numbers each event at commit and the bus publishes it under that number
// (actors/journal.hpp): the bus numbers nothing again. After a restore the numbers go on from
// the store's; subscribers, resumes, acks and last_seq all carry the journal's number, even
// past one the journal gave to a commit that was never published (a refused batch); and a
// journal that publishes as it commits (seq 0) gets the next number after the last.
TEST(bus_test, events_keep_the_sequence_numbers_their_journal_gave_them) {
  actors::bus b{make_small_city(), 16};
  b.restore(40, {});
  auto live = std::make_shared<recorder>();
  b.subscribe(county, live);
  auto commit = [&](protocol::unit_code unit, std::uint64_t seq, std::uint64_t request) {
    actors::change c;
    c.unit = unit;
    auto e = event_at(unit);
    e.seq = seq;
    c.event = e;
    c.reply = protocol::ack{request, 0, 0, seq};
    c.reply_to = live;
    return actors::deliver(b, c);
  };
  EXPECT_EQ(commit(grid_a1_1, 41, 1), 41u);
  EXPECT_EQ(commit(grid_b1_1, 43, 2), 43u);
  EXPECT_EQ(b.last_seq(), 43u);
  auto seen = live->all<protocol::case_event>();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].seq, 41u);
  EXPECT_EQ(seen[1].seq, 43u);
  auto acks = live->all<protocol::ack>();
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].seq, 43u);

  auto resumed = std::make_shared<recorder>();
  b.subscribe(county, resumed, 41);
  auto missed = resumed->all<protocol::case_event>();
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].seq, 43u);

  EXPECT_EQ(b.publish(village_a1, event_at(village_a1)), 44u);
  EXPECT_EQ(live->all<protocol::case_event>().back().seq, 44u);
}

// One connection (sink) subscribed to a unit and to a unit above it gets each event of the
// overlap once, live and on resume, so one highest seq per connection is enough to resume.
TEST(bus_test, a_sink_with_overlapping_subscriptions_gets_each_event_once) {
  actors::bus b{make_small_city(), 64, 64};
  auto r = std::make_shared<recorder>();
  b.subscribe(county, r, 0, 1);
  b.subscribe(village_a1, r, 0, 2);
  b.subscribe(grid_a1_1, r, 0, 3);
  for (auto u : {grid_a1_1, village_a1, town_b, grid_a1_1})
    b.publish(u, event_at(u));
  b.publish_aggregate(protocol::aggregate{grid_a1_1, 1, {}}); // to the grid's and the village's
  std::vector<std::uint64_t> seqs;
  for (auto& e : r->all<protocol::case_event>())
    seqs.push_back(e.seq);
  EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(r->all<protocol::aggregate>().size(), 1u);

  // Resuming on a new connection: the same since for every subscription, each missed event
  // once. The ack of each subscribe follows its replay and says where it ended.
  b.publish(grid_a1_1, event_at(grid_a1_1));   // 5
  b.publish(village_a1, event_at(village_a1)); // 6
  auto again = std::make_shared<recorder>();
  b.subscribe(village_a1, again, 4, 7);
  b.publish(grid_a1_1, event_at(grid_a1_1)); // 7, live
  b.subscribe(county, again, 4, 8);
  b.publish(town_b, event_at(town_b)); // 8, live
  std::vector<std::string> got;
  for (auto& m : again->all())
    got.push_back(std::visit(
        [](const auto& x) -> std::string {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, protocol::ack>)
            return "ack " + std::to_string(x.id) + " at " + std::to_string(x.seq);
          else
            return "seq " + std::to_string(protocol::seq_of(x));
        },
        m));
  EXPECT_EQ(got, (std::vector<std::string>{"seq 5", "seq 6", "ack 7 at 6", "seq 7", "ack 8 at 7",
                                           "seq 8"}));
}

// Publishers on several threads, and subscribers joining while they publish: every subscriber
// gets its subtree's events in sequence order, none twice, none missing after its resume
// point. (Delivery is combined: whichever thread finds no delivery running hands out the
// queue; subscribe takes the deliverer's role.)
TEST(bus_test, concurrent_publishers_and_subscribers_see_every_event_once_in_order) {
  constexpr int per_thread = 3000;
  const protocol::unit_code units[] = {grid_a1_1, grid_b1_1, village_a1, town_a, grid_a1_2};
  actors::bus b{make_small_city(), 1 << 16, 1 << 16};
  auto whole = std::make_shared<recorder>();
  b.subscribe(county, whole);
  std::atomic<int> started{0};
  std::vector<std::thread> publishers;
  for (int t = 0; t < 3; ++t)
    publishers.emplace_back([&, t] {
      started.fetch_add(1);
      for (int i = 0; i < per_thread; ++i) {
        auto u = units[(i + t) % std::size(units)];
        b.publish(u, event_at(u));
      }
    });
  // Joins mid-stream, resuming from whatever was published so far.
  while (started.load() < 3 || b.last_seq() < per_thread / 2)
    std::this_thread::yield();
  auto late = std::make_shared<recorder>();
  const auto since = b.last_seq();
  b.subscribe(town_a, late, since);
  for (auto& p : publishers)
    p.join();

  auto all = whole->all<protocol::case_event>();
  ASSERT_EQ(all.size(), 3u * per_thread);
  for (std::size_t i = 0; i < all.size(); ++i)
    ASSERT_EQ(all[i].seq, i + 1) << "the county's watcher got events out of order or twice";
  // The late subscriber: exactly town_a's subtree events after `since`, in order.
  std::vector<std::uint64_t> expected;
  for (auto& e : all)
    if (e.seq > since &&
        (e.unit == grid_a1_1 || e.unit == village_a1 || e.unit == town_a || e.unit == grid_a1_2))
      expected.push_back(e.seq);
  std::vector<std::uint64_t> got;
  for (auto& e : late->all<protocol::case_event>())
    got.push_back(e.seq);
  EXPECT_TRUE(late->all<protocol::gap>().empty());
  EXPECT_EQ(got, expected);
}

// Sessions on different gateway threads ask for the same event's bytes at once: each form is
// encoded correctly, and every caller gets the one cached copy.
TEST(bus_test, an_outbound_is_encoded_once_per_form_for_concurrent_readers) {
  auto event = event_at(grid_a1_1);
  event.seq = 42;
  event.note = "积水，已联系社区";
  const actors::outbound out{event, grid_a1_1};
  constexpr int readers = 4;
  std::atomic<int> ready{0};
  std::vector<const std::string*> packed(readers), text(readers);
  std::vector<std::thread> threads;
  for (int t = 0; t < readers; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < readers)
        std::this_thread::yield();
      packed[t] = &out.msgpack();
      text[t] = &out.json();
    });
  for (auto& t : threads)
    t.join();
  for (int t = 1; t < readers; ++t) {
    EXPECT_EQ(packed[t], packed[0]);
    EXPECT_EQ(text[t], text[0]);
  }
  EXPECT_EQ(*packed[0], protocol::encode(protocol::server_message{event}));
  EXPECT_EQ(*text[0], protocol::to_json(protocol::server_message{event}));
}

} // namespace
} // namespace hub::testing
