#include "actors/bus.hpp"
#include "actors/journal.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include "tests/actors/city_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

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

/// The sequence numbers of the case events `r` received, in order.
std::vector<std::uint64_t> seqs_of(const recorder& r) {
  std::vector<std::uint64_t> out;
  for (auto& e : r.all<protocol::case_event>())
    out.push_back(e.seq);
  return out;
}

/// What `r` received, as short words: "seq N" for an event, "ack I at N", "gap S..N".
std::vector<std::string> story_of(const recorder& r) {
  std::vector<std::string> out;
  for (auto& m : r.all())
    out.push_back(std::visit(
        [](const auto& x) -> std::string {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, protocol::ack>)
            return "ack " + std::to_string(x.id) + " at " + std::to_string(x.seq);
          else if constexpr (std::is_same_v<T, protocol::gap>)
            return "gap " + std::to_string(x.since) + ".." + std::to_string(x.next);
          else
            return "seq " + std::to_string(protocol::seq_of(x));
        },
        m));
  return out;
}

TEST(bus_test, a_resume_past_retention_gets_a_gap_and_one_within_it_everything_kept) {
  actors::bus b{make_small_city(), 4, 2};
  for (int i = 0; i < 6; ++i)
    b.publish(grid_a1_1, event_at(grid_a1_1));
  auto old = std::make_shared<recorder>();
  b.subscribe(county, old, 1); // events 2 and 3 are no longer kept
  ASSERT_EQ(old->all<protocol::gap>().size(), 1u);
  EXPECT_EQ(old->all<protocol::gap>()[0].since, 1u);
  EXPECT_EQ(old->all<protocol::gap>()[0].next, 7u);
  EXPECT_TRUE(old->all<protocol::case_event>().empty());
  // All that is kept is replayed, however many (a scan step of 2 takes several steps).
  auto kept = std::make_shared<recorder>();
  b.subscribe(county, kept, 2, 9);
  EXPECT_EQ(story_of(*kept),
            (std::vector<std::string>{"seq 3", "seq 4", "seq 5", "seq 6", "ack 9 at 6"}));
  EXPECT_EQ(b.replays().gaps, 1u);
  EXPECT_EQ(b.replays().events, 4u);
  EXPECT_EQ(b.replays().active, 0u);
  // And both are live now.
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(seqs_of(*kept).back(), 7u);
  EXPECT_EQ(seqs_of(*old).back(), 7u);
}

TEST(bus_test, since_zero_replays_from_the_first_event_and_no_since_none) {
  actors::bus b{make_small_city(), 16};
  for (auto u : {grid_a1_1, grid_b1_1, grid_a1_2})
    b.publish(u, event_at(u));
  auto from_start = std::make_shared<recorder>(), live = std::make_shared<recorder>();
  b.subscribe(town_a, from_start, 0);
  b.subscribe(town_a, live);
  EXPECT_EQ(seqs_of(*from_start), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_TRUE(live->all().empty());
  // Once the first event has left retention, since=0 is told so.
  actors::bus small{make_small_city(), 2};
  for (int i = 0; i < 3; ++i)
    small.publish(grid_a1_1, event_at(grid_a1_1));
  auto late = std::make_shared<recorder>();
  small.subscribe(town_a, late, 0);
  ASSERT_EQ(late->all<protocol::gap>().size(), 1u);
  EXPECT_EQ(late->all<protocol::gap>()[0].since, 0u);
  EXPECT_EQ(late->all<protocol::gap>()[0].next, 4u);
  // A restored bus holds only the store's latest events: what came before them is gone.
  actors::bus restored{make_small_city(), 16};
  std::vector<actors::stored_event> stored;
  for (std::uint64_t seq : {8, 9}) {
    auto e = event_at(grid_a1_1);
    e.seq = seq;
    stored.push_back({seq, grid_a1_1, actors::reach::subtree_watchers, e});
  }
  restored.restore(9, std::move(stored));
  auto after = std::make_shared<recorder>(), before = std::make_shared<recorder>();
  restored.subscribe(town_a, after, 7);
  restored.subscribe(town_a, before, 6);
  EXPECT_EQ(story_of(*after), (std::vector<std::string>{"seq 8", "seq 9"}));
  EXPECT_EQ(story_of(*before), (std::vector<std::string>{"gap 6..10"}));
}

/// A sink with a bounded appetite, as a WebSocket session is: it takes `chunk` replayed events
/// at a time and is told when a replay paused; the test then asks for more.
class paced_recorder : public recorder {
public:
  explicit paced_recorder(std::size_t chunk)
    : chunk_(chunk) {}
  std::size_t replay_chunk() const override { return chunk_; }
  void replay_paused(protocol::unit_code topic) override {
    std::lock_guard<std::mutex> guard{mutex_};
    paused_.push_back(topic);
    sizes_.push_back(all_.size());
  }
  /// Topics paused and not yet continued (taken).
  std::vector<protocol::unit_code> take_paused() {
    std::lock_guard<std::mutex> guard{mutex_};
    return std::exchange(paused_, {});
  }
  /// How many messages had arrived at each pause.
  std::vector<std::size_t> sizes() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return sizes_;
  }

private:
  std::size_t chunk_;
  std::vector<protocol::unit_code> paused_;
  std::vector<std::size_t> sizes_;
};

// A resume of the whole retention window to a sink that takes 100 at a time: it comes in
// chunks of at most 100, in order, none missing or twice; what is published meanwhile follows
// the replay; and other subscribers get their live events while the replay is paused.
TEST(bus_test, a_paced_resume_of_the_whole_window_comes_in_chunks_without_holding_up_others) {
  constexpr std::size_t window = 20000, chunk = 100;
  actors::bus b{make_small_city(), window, 1000};
  const protocol::unit_code units[] = {grid_a1_1, grid_b1_1, village_a1, town_b, grid_a1_2};
  std::vector<std::uint64_t> expected; // town_a's subtree
  auto publish = [&](std::size_t i) {
    auto u = units[i % std::size(units)];
    auto seq = b.publish(u, event_at(u));
    if (u == grid_a1_1 || u == village_a1 || u == grid_a1_2)
      expected.push_back(seq);
  };
  for (std::size_t i = 0; i < window; ++i)
    publish(i);
  auto other = std::make_shared<recorder>();
  b.subscribe(county, other);
  auto slow = std::make_shared<paced_recorder>(chunk);
  b.subscribe(town_a, slow, 0, 77);
  EXPECT_EQ(b.replays().active, 1u);
  std::size_t rounds = 0, live = 0;
  for (auto paused = slow->take_paused(); !paused.empty(); paused = slow->take_paused()) {
    ASSERT_EQ(paused, std::vector<protocol::unit_code>{town_a});
    ASSERT_LT(++rounds, window) << "the replay does not end";
    EXPECT_TRUE(slow->all<protocol::ack>().empty()) << "acked before the replay ended";
    // Live events go on while the replay waits: the county's watcher has each at once.
    publish(window + live);
    ++live;
    ASSERT_EQ(other->all<protocol::case_event>().size(), live);
    b.replay_more(town_a, slow.get());
  }
  EXPECT_EQ(b.replays().active, 0u);
  EXPECT_TRUE(slow->all<protocol::gap>().empty());
  EXPECT_EQ(seqs_of(*slow), expected);
  std::size_t before = 0;
  for (auto n : slow->sizes()) {
    EXPECT_LE(n - before, chunk);
    before = n;
  }
  EXPECT_GE(rounds, expected.size() / chunk - 1);
  // The ack comes last, at the newest event; live from there on.
  ASSERT_EQ(slow->all<protocol::ack>().size(), 1u);
  EXPECT_EQ(story_of(*slow).back(), "ack 77 at " + std::to_string(b.last_seq()));
  publish(0);
  EXPECT_EQ(seqs_of(*slow).back(), expected.back());
  EXPECT_EQ(seqs_of(*slow).size(), expected.size());
}

TEST(bus_test, a_paced_resume_that_falls_out_of_retention_gets_a_gap_from_where_it_was) {
  actors::bus b{make_small_city(), 10};
  for (int i = 0; i < 10; ++i)
    b.publish(grid_a1_1, event_at(grid_a1_1));
  auto slow = std::make_shared<paced_recorder>(3);
  b.subscribe(county, slow, 0, 5);
  EXPECT_EQ(seqs_of(*slow), (std::vector<std::uint64_t>{1, 2, 3}));
  for (int i = 0; i < 10; ++i) // 4..10 leave retention before the client asks again
    b.publish(grid_a1_1, event_at(grid_a1_1));
  ASSERT_EQ(slow->take_paused().size(), 1u);
  b.replay_more(county, slow.get());
  EXPECT_EQ(story_of(*slow),
            (std::vector<std::string>{"seq 1", "seq 2", "seq 3", "gap 3..21", "ack 5 at 20"}));
  EXPECT_EQ(b.replays().active, 0u);
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(seqs_of(*slow).back(), 21u);
}

TEST(bus_test, unsubscribing_ends_a_paced_resume_and_answers_its_subscribes) {
  actors::bus b{make_small_city(), 10};
  for (int i = 0; i < 10; ++i)
    b.publish(grid_a1_1, event_at(grid_a1_1));
  auto slow = std::make_shared<paced_recorder>(3), other = std::make_shared<paced_recorder>(3);
  b.subscribe(county, slow, 0, 1);
  b.subscribe(town_a, other, 0, 2);
  b.subscribe(county, slow, 0, 3); // already replaying: acked where that replay ends
  EXPECT_EQ(slow->all().size(), 3u);
  EXPECT_EQ(b.replays().active, 2u);
  // Dropped half way, the replays still answer their subscribes, where they had got to.
  EXPECT_TRUE(b.unsubscribe(county, slow.get()));
  EXPECT_EQ(b.unsubscribe_all(other.get()), 1u);
  EXPECT_EQ(b.replays().active, 0u);
  EXPECT_EQ(story_of(*slow),
            (std::vector<std::string>{"seq 1", "seq 2", "seq 3", "ack 1 at 3", "ack 3 at 3"}));
  EXPECT_EQ(story_of(*other), (std::vector<std::string>{"seq 1", "seq 2", "seq 3", "ack 2 at 3"}));
  b.replay_more(county, slow.get());
  b.replay_more(town_a, other.get());
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(slow->all().size(), 5u);
  EXPECT_EQ(other->all().size(), 4u);
  EXPECT_EQ(b.topic_count(), 0u);
}

// One connection resuming two overlapping subscriptions at once, each paced, their chunks
// interleaved, while events go on being published: every event of the two subtrees after
// `since` arrives exactly once, each subscribe is acked after its own replay, and both acks
// come before the live events.
TEST(bus_test, two_paced_resumes_of_one_sink_interleaved_give_each_event_once) {
  actors::bus b{make_small_city(), 1000, 7};
  const protocol::unit_code units[] = {grid_a1_1, grid_b1_1, village_a1, town_b, grid_a2_1};
  std::vector<std::uint64_t> expected; // in town_a's or town_b's subtree: all of them
  std::size_t n = 0;
  auto publish = [&] {
    auto u = units[n++ % std::size(units)];
    expected.push_back(b.publish(u, event_at(u)));
  };
  for (int i = 0; i < 300; ++i)
    publish();
  auto sink = std::make_shared<paced_recorder>(5);
  b.subscribe(town_a, sink, 20, 1);
  b.subscribe(village_a1, sink, 10, 2); // inside town_a: overlaps it
  b.subscribe(town_b, sink, 40, 3);
  std::erase_if(expected, [](std::uint64_t seq) { return seq <= 10; });
  for (int rounds = 0;; ++rounds) {
    ASSERT_LT(rounds, 10000) << "the replays do not end";
    auto paused = sink->take_paused();
    if (paused.empty())
      break;
    publish();
    for (auto it = paused.rbegin(); it != paused.rend(); ++it) // the other order than paused
      b.replay_more(*it, sink.get());
  }
  publish();
  publish();
  auto got = seqs_of(*sink);
  std::sort(got.begin(), got.end());
  if (auto twice = std::adjacent_find(got.begin(), got.end()); twice != got.end())
    ADD_FAILURE() << "event " << *twice << " came twice";
  // town_b's replay starts after 40 and village_a1's after 10: town_b's events in (10, 40] are
  // not asked for by anyone, nor town_a's outside village_a1 in (10, 20].
  std::vector<std::uint64_t> asked;
  for (auto seq : expected) {
    auto u = units[(seq - 1) % std::size(units)];
    const bool in_b = u == grid_b1_1 || u == town_b;
    const bool in_village = u == grid_a1_1 || u == village_a1;
    if ((in_b && seq > 40) || (!in_b && (seq > 20 || in_village)))
      asked.push_back(seq);
  }
  EXPECT_EQ(got, asked);
  auto story = story_of(*sink);
  auto at = [&](const std::string& word) {
    return std::find(story.begin(), story.end(), word) - story.begin();
  };
  const auto live = at("seq " + std::to_string(b.last_seq()));
  for (auto id : {"ack 1", "ack 2", "ack 3"}) {
    auto ack = std::find_if(story.begin(), story.end(),
                            [&](const std::string& s) { return s.rfind(id, 0) == 0; });
    ASSERT_NE(ack, story.end()) << id;
    EXPECT_LT(ack - story.begin(), live) << id;
  }
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

// A subscription made with figures 0 gets the unit's events but no aggregates; one with
// figures gets the unit's and its children's, once even when it holds both. Aggregates that
// nobody who wants figures watches are not even handed out.
TEST(bus_test, aggregates_reach_only_the_subscriptions_that_want_figures) {
  actors::bus b{make_small_city(), 64, 64};
  auto phone = std::make_shared<recorder>(), board = std::make_shared<recorder>(),
       both = std::make_shared<recorder>(), resumed = std::make_shared<recorder>();
  b.subscribe(grid_a1_1, phone, std::nullopt, 1, false);
  b.subscribe(grid_a1_1, both, std::nullopt, 2, false); // the grid: events only
  b.subscribe(village_a1, both, std::nullopt, 3, true); // its village: figures too
  b.subscribe(village_a1, board, std::nullopt, 4);      // figures by default
  b.publish(grid_a1_1, event_at(grid_a1_1));
  b.subscribe(grid_a1_1, resumed, 0, 5, false);                // a resume without figures
  b.publish_aggregate(protocol::aggregate{grid_a1_1, 1, {}});  // the grid's and the village's
  b.publish_aggregate(protocol::aggregate{village_a1, 2, {}}); // the village's and town_a's
  b.publish_aggregate(protocol::aggregate{town_b, 3, {}});     // nobody's
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(seqs_of(*phone), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(phone->all<protocol::aggregate>().empty());
  EXPECT_EQ(seqs_of(*resumed), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(resumed->all<protocol::aggregate>().empty());
  for (auto* r : {board.get(), both.get()}) {
    auto got = r->all<protocol::aggregate>();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].unit, grid_a1_1);
    EXPECT_EQ(got[1].unit, village_a1);
  }
  EXPECT_EQ(seqs_of(*both), (std::vector<std::uint64_t>{1, 2}));
  // Figures stop with the subscription that wanted them; the other one goes on.
  b.unsubscribe(village_a1, both.get());
  b.publish_aggregate(protocol::aggregate{grid_a1_1, 4, {}});
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(both->all<protocol::aggregate>().size(), 2u);
  EXPECT_EQ(seqs_of(*both), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(board->all<protocol::aggregate>().size(), 3u);
}

// One connection (sink) subscribed to a unit and to a unit above it gets each event of the
// overlap once, live and on resume, so one highest seq per connection is enough to resume.
TEST(bus_test, a_sink_with_overlapping_subscriptions_gets_each_event_once) {
  actors::bus b{make_small_city(), 64, 64};
  auto r = std::make_shared<recorder>();
  b.subscribe(county, r, std::nullopt, 1);
  b.subscribe(village_a1, r, std::nullopt, 2);
  b.subscribe(grid_a1_1, r, std::nullopt, 3);
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
  EXPECT_EQ(story_of(*again), (std::vector<std::string>{"seq 5", "seq 6", "ack 7 at 6", "seq 7",
                                                        "ack 8 at 7", "seq 8"}));
}

// Publishers on several threads, and subscribers joining while they publish: every subscriber
// gets its subtree's events in sequence order, none twice, none missing after its resume
// point. (Delivery is combined: whichever thread finds no delivery running hands out the
// queue; subscribe takes the deliverer's role.)
TEST(bus_test, concurrent_publishers_and_subscribers_see_every_event_once_in_order) {
  constexpr int per_thread = 3000;
  const protocol::unit_code units[] = {grid_a1_1, grid_b1_1, village_a1, town_a, grid_a1_2};
  actors::bus b{make_small_city(), 1 << 16, 64}; // a resume takes many steps
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
  // Joins mid-stream, resuming from a while ago: its replay goes on step by step while they
  // publish.
  while (started.load() < 3 || b.last_seq() < per_thread / 2)
    std::this_thread::yield();
  auto late = std::make_shared<recorder>();
  const auto since = b.last_seq() / 4;
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
  std::vector<std::string_view> packed(readers), text(readers);
  std::vector<std::thread> threads;
  for (int t = 0; t < readers; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < readers)
        std::this_thread::yield();
      packed[t] = out.msgpack();
      text[t] = out.json();
    });
  for (auto& t : threads)
    t.join();
  for (int t = 1; t < readers; ++t) {
    EXPECT_EQ(packed[t].data(), packed[0].data()); // the one cached copy
    EXPECT_EQ(text[t].data(), text[0].data());
  }
  EXPECT_EQ(packed[0], protocol::encode(protocol::server_message{event}));
  EXPECT_EQ(text[0], protocol::to_json(protocol::server_message{event}));
}

// Each form is cached as the frame a server sends (RFC 6455 5.2): FIN and the opcode (binary
// for MessagePack, text for JSON), no mask, the payload length in 7 bits, 16 bits after 126,
// or 64 bits after 127, then the encoding itself.
TEST(bus_test, an_outbound_holds_each_form_as_a_whole_websocket_frame) {
  auto length_of = [](std::string_view frame, std::size_t& header) -> std::uint64_t {
    auto b = [&](std::size_t i) {
      return static_cast<std::uint64_t>(static_cast<unsigned char>(frame[i]));
    };
    if (b(1) < 126) {
      header = 2;
      return b(1);
    }
    if (b(1) == 126) {
      header = 4;
      return b(2) << 8 | b(3);
    }
    header = 10;
    std::uint64_t n = 0;
    for (std::size_t i = 2; i < 10; ++i)
      n = n << 8 | b(i);
    return n;
  };
  // Payloads around each boundary of the length's encoding.
  for (std::size_t note : {0u, 60u, 125u, 200u, 65'000u, 65'535u, 70'000u}) {
    auto event = event_at(grid_a1_1);
    event.seq = 7;
    event.note = std::string(note, 'x');
    const actors::outbound out{event, grid_a1_1};
    for (bool text : {false, true}) {
      auto frame = out.frame(text);
      auto body = text ? protocol::to_json(protocol::server_message{event})
                       : protocol::encode(protocol::server_message{event});
      EXPECT_EQ(static_cast<unsigned char>(frame[0]), text ? 0x81 : 0x82) << note;
      EXPECT_EQ(static_cast<unsigned char>(frame[1]) & 0x80, 0) << "a server frame is unmasked";
      std::size_t header = 0;
      EXPECT_EQ(length_of(frame, header), body.size()) << note;
      EXPECT_EQ(header, body.size() < 126 ? 2u : body.size() <= 65'535 ? 4u : 10u) << note;
      EXPECT_EQ(frame.substr(header), body) << note;
      EXPECT_EQ(text ? out.json() : out.msgpack(), body);
    }
  }
}

// A kept event takes its whole message (a server_message variant: about 850 bytes, whatever
// the event) until it has been delivered, then only its MessagePack frame; a resume decodes
// the frames again and gets the same messages, in order. A city-wide burst fills the 65,536
// kept events with grids' arrivals: whole, they held 74 MiB.
TEST(bus_test, a_delivered_event_is_kept_as_its_frame_and_replayed_as_it_was) {
  constexpr std::size_t n = 500;
  actors::bus b{make_small_city(), 1024, 128};
  auto live = std::make_shared<recorder>();
  b.subscribe(town_a, live);
  for (std::size_t i = 0; i < n; ++i) {
    auto u = i % 2 == 0 ? grid_a1_1 : grid_a1_2;
    protocol::directive_event e;
    e.at = 1795564800000 + static_cast<protocol::timestamp_ms>(i);
    e.id = 77;
    e.unit = u;
    e.by = 4115000101;
    e.channel = 3;
    e.title = "防汛紧急通知：各网格立即排查河道隐患";
    e.total = 18100;
    e.recipient = u;
    b.publish(u, e);
  }
  const auto delivered = live->all<protocol::directive_event>();
  ASSERT_EQ(delivered.size(), n);
  const auto per_event = b.kept_bytes() / n;
  EXPECT_LE(per_event, 256u) << "a delivered event is kept as its frame (about 170 bytes here)";
  EXPECT_GE(per_event, 60u) << "the frame is counted";

  auto late = std::make_shared<recorder>();
  b.subscribe(town_a, late, 0);
  EXPECT_EQ(late->all<protocol::directive_event>(), delivered);
  auto one_grid = std::make_shared<recorder>();
  b.subscribe(grid_a1_2, one_grid, 0);
  auto mine = one_grid->all<protocol::directive_event>();
  ASSERT_EQ(mine.size(), n / 2);
  for (const auto& e : mine)
    EXPECT_EQ(e.recipient, grid_a1_2);
}

// An event nobody watches is kept whole (nothing encoded it), and replayed as such.
TEST(bus_test, an_event_nobody_watched_is_kept_whole_and_replayed) {
  actors::bus b{make_small_city(), 64, 16};
  b.publish(grid_b1_1, event_at(grid_b1_1));
  EXPECT_GE(b.kept_bytes(), sizeof(protocol::server_message));
  auto late = std::make_shared<recorder>();
  b.subscribe(town_b, late, 0);
  EXPECT_EQ(seqs_of(*late), std::vector<std::uint64_t>{1});
}

// The delivery queue grows with a burst published faster than it is handed out, and gives
// its memory back once it is empty.
TEST(bus_test, the_delivery_queue_gives_back_a_bursts_memory) {
  actors::bus b{make_small_city(), 16, 8};
  // A sink that publishes from send (allowed: it queues): each delivery queues thousands more
  // while the deliverer is busy, as a burst does.
  struct echo : actors::client_sink {
    actors::bus* to = nullptr;
    std::atomic<int> got{0};
    void send(actors::outbound_ptr msg) override {
      (void)msg;
      auto k = got.fetch_add(1);
      if (k == 0)
        for (int i = 0; i < 20000; ++i)
          to->publish(grid_a1_1, event_at(grid_a1_1));
      if (k == 1) // one more turn, after the burst's: the queue had its room meanwhile
        to->publish(grid_a1_1, event_at(grid_a1_1));
    }
  };
  auto s = std::make_shared<echo>();
  s->to = &b;
  b.subscribe(grid_a1_1, s);
  b.publish(grid_a1_1, event_at(grid_a1_1));
  EXPECT_EQ(s->got.load(), 20002);
  EXPECT_LE(b.queue_capacity(), 4096u);
}

} // namespace
} // namespace hub::testing
