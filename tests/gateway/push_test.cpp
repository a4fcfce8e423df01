// Live push over real connections: subscriptions, resume with since, aggregates, and the
// bounded send queue of a client that does not read.

#include "tests/gateway/gateway_fixture.hpp"

#include <charconv>

namespace hub::testing {
namespace {

using protocol::errc;
using namespace codes;

constexpr auto P = person_at;

class push_test : public gateway_test {
protected:
  /// The seq of a case.event, failing the test for anything else.
  static std::uint64_t seq_of(const std::optional<protocol::server_message>& m) {
    if (!m) {
      ADD_FAILURE() << "no event arrived";
      return 0;
    }
    auto* e = std::get_if<protocol::case_event>(&*m);
    EXPECT_NE(e, nullptr) << describe(*m);
    return e != nullptr ? e->seq : 0;
  }
};

TEST_F(push_test, a_subscriber_receives_the_events_of_its_subtree_in_order) {
  auto leader = connect(P(county, 1));
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
  auto worker = connect(P(grid_a1_1, 2));
  auto reply = worker->request(msg(report_at(grid_a1_1)));
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  auto first = leader->next_event();
  ASSERT_TRUE(first.has_value());
  auto* e = std::get_if<protocol::case_event>(&*first);
  ASSERT_NE(e, nullptr) << describe(*first);
  EXPECT_EQ(e->seq, a->seq);
  EXPECT_EQ(e->id, a->case_ref);
  EXPECT_EQ(e->action, protocol::case_action::report);
  EXPECT_EQ(e->unit, grid_a1_1);
  EXPECT_EQ(e->by, P(grid_a1_1, 2));

  EXPECT_ACK(worker->request(msg(act(a->case_ref, protocol::case_action::sign))));
  EXPECT_GT(seq_of(leader->next_event()), a->seq);

  // Another county's events do not reach it; unsubscribing stops the flow.
  EXPECT_REFUSED(leader->request(msg(protocol::subscribe{other_county})), errc::forbidden);
  EXPECT_ACK(leader->request(msg(protocol::unsubscribe{county})));
  EXPECT_ACK(worker->request(msg(act(a->case_ref, protocol::case_action::start))));
  EXPECT_ACK(leader->request(msg(protocol::subscribe{grid_b1_1})));
  EXPECT_TRUE(leader->kept().empty()) << describe(leader->kept().front());
}

TEST_F(push_test, a_json_subscriber_receives_events_as_text) {
  auto leader = connect(P(county, 1), /*json=*/true);
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
  auto worker = connect(P(grid_a1_1, 2));
  EXPECT_ACK(worker->request(msg(report_at(grid_a1_1))));
  EXPECT_NE(seq_of(leader->next_event()), 0u);
  EXPECT_TRUE(leader->last_was_text());
  EXPECT_FALSE(worker->last_was_text());
}

TEST_F(push_test, aggregates_reach_the_subscribers_of_the_unit) {
  auto leader = connect(P(county, 1));
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
  report_in_process(grid_a1_1, 3);
  // Figures flush every 100 ms in the fixture: the county's own arrive, and its townships'.
  EXPECT_TRUE(leader->wait_aggregate([](const protocol::aggregate& a) {
    return a.unit == county && a.figures.reported == 3;
  })) << leader->aggregates().size()
      << " aggregates";
  EXPECT_TRUE(leader->wait_aggregate(
      [](const protocol::aggregate& a) { return a.unit == town_a && a.figures.reported == 3; }));
}

// A subscribe with figures 0 gets the events of its subtree and no aggregates: a grid app is
// not sent figures it does not show.
TEST_F(push_test, a_subscription_without_figures_gets_events_but_no_aggregates) {
  auto board = connect(P(county, 1));
  auto phone = connect(P(county, 1), /*json=*/true);
  EXPECT_ACK(board->request(msg(protocol::subscribe{county})));
  protocol::subscribe events_only{county};
  events_only.figures = false;
  EXPECT_ACK(phone->request(msg(events_only)));
  auto reported = report_in_process(grid_a1_1, 3);
  EXPECT_TRUE(board->wait_aggregate(
      [](const protocol::aggregate& a) { return a.unit == county && a.figures.reported == 3; }));
  for (auto seq : reported) {
    auto e = phone->next_event();
    ASSERT_TRUE(e.has_value());
    auto* c = std::get_if<protocol::case_event>(&*e);
    ASSERT_NE(c, nullptr) << describe(*e);
    EXPECT_EQ(c->seq, seq);
  }
  // The bus handed the county's aggregate to every sink that wanted it before the board read
  // it; a reply sent after that reaches the phone behind anything sent to it before.
  EXPECT_ACK(phone->request(msg(protocol::unsubscribe{other_county})));
  EXPECT_TRUE(phone->aggregates().empty()) << phone->aggregates().size() << " aggregates";
}

TEST_F(push_test, resuming_with_since_after_a_reconnect_replays_exactly_the_missed_events) {
  std::uint64_t last_seen = 0;
  {
    auto leader = connect(P(county, 1));
    EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
    auto before = report_in_process(grid_a1_1, 2);
    EXPECT_EQ(seq_of(leader->next_event()), before[0]);
    last_seen = seq_of(leader->next_event());
    EXPECT_EQ(last_seen, before[1]);
    leader->close();
  }
  auto missed = report_in_process(grid_b2_2, 3);
  auto leader = connect(P(county, 1));
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county, last_seen})));
  for (auto seq : missed)
    EXPECT_EQ(seq_of(leader->next_event()), seq);
  // Nothing else: the next frame after the replay is the answer to a new request.
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county}))); // already subscribed
  EXPECT_TRUE(leader->kept().empty()) << describe(leader->kept().front());
  // And it is live again.
  auto live = report_in_process(grid_a1_2, 1);
  EXPECT_EQ(seq_of(leader->next_event()), live[0]);
}

// One connection watching a county and a township in it: an event of the township arrives
// once, not once per subscription. After a reconnect the client resubscribes both with the one
// highest seq it saw on the connection and gets every missed event once; each subscribe's ack
// follows its replay and names where the replay ended.
TEST_F(push_test, overlapping_subscriptions_deliver_and_resume_each_event_once) {
  std::uint64_t highest = 0;
  {
    auto leader = connect(P(county, 1));
    EXPECT_ACK(leader->request(msg(protocol::subscribe{county})));
    EXPECT_ACK(leader->request(msg(protocol::subscribe{town_a})));
    auto seqs = report_in_process(grid_a1_1, 2);
    auto more = report_in_process(grid_b1_1, 1); // the county's only
    seqs.insert(seqs.end(), more.begin(), more.end());
    for (auto seq : seqs)
      EXPECT_EQ(seq_of(leader->next_event()), seq);
    highest = seqs.back();
    EXPECT_ACK(leader->request(msg(protocol::unsubscribe{grid_a1_1})));      // a round trip: ...
    EXPECT_TRUE(leader->kept().empty()) << describe(leader->kept().front()); // ... no copies
    leader->close();
  }
  auto missed = report_in_process(grid_a1_2, 2);
  auto other = report_in_process(grid_b2_2, 1);
  missed.insert(missed.end(), other.begin(), other.end());
  auto leader = connect(P(county, 1));
  auto town = leader->request(msg(protocol::subscribe{town_a, highest}));
  auto* town_ack = std::get_if<protocol::ack>(&town);
  ASSERT_NE(town_ack, nullptr) << describe(town);
  EXPECT_EQ(town_ack->seq, missed.back()); // the replay ended there; live events follow
  ASSERT_EQ(leader->kept().size(), 2u);    // the township's replay came before its ack
  auto county_reply = leader->request(msg(protocol::subscribe{county, highest}));
  EXPECT_ACK(county_reply);
  std::vector<std::uint64_t> got;
  while (!leader->kept().empty())
    got.push_back(seq_of(leader->next_event()));
  EXPECT_EQ(got, missed); // the township's two, then the county's one not already had
}

TEST_F(push_test, resuming_past_retention_sends_a_gap) {
  auto opts = city_defaults();
  opts.retention = 4;
  start(defaults(), opts);
  auto seqs = report_in_process(grid_a1_1, 10);
  auto leader = connect(P(county, 1));
  EXPECT_ACK(leader->request(msg(protocol::subscribe{county, 1})));
  auto m = leader->next_event();
  ASSERT_TRUE(m.has_value());
  auto* g = std::get_if<protocol::gap>(&*m);
  ASSERT_NE(g, nullptr) << describe(*m);
  EXPECT_EQ(g->unit, county);
  EXPECT_EQ(g->since, 1u);
  EXPECT_EQ(g->next, seqs.back() + 1);
}

// A dashboard away for the whole retention window (65,536 events, sixteen times its send
// queue of 4,096) resumes with since=0: it gets every kept event from seq 1, in order, paced
// through its queue without an overflow or a gap, then the live ones.
TEST_F(push_test, a_resume_replays_the_whole_retention_window_through_the_send_queue) {
  auto opts = city_defaults();
  opts.flush_interval = std::chrono::hours(1); // only events in this test
  start(defaults(), opts);
  ASSERT_EQ(defaults().queue_limit, 4096u);
  const std::size_t window = opts.retention;
  ASSERT_EQ(window, 65536u);
  auto seqs = report_in_process(grid_a1_1, window);
  ASSERT_EQ(seqs.front(), 1u);
  ASSERT_EQ(seqs.back(), window);

  auto leader = connect(P(county, 1));
  const auto subscribe_id = next_id();
  leader->send({subscribe_id, protocol::subscribe{county, 0}});
  auto first = leader->next_event();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(seq_of(first), 1u) << describe(*first);
  // Events published while the replay is on its way come after it, in order, and the kept
  // ones they push out of retention had been replayed already.
  auto during = report_in_process(grid_b1_1, 3);
  EXPECT_EQ(during.back(), window + 3);
  for (std::uint64_t want = 2; want <= window + 3; ++want) {
    auto m = leader->next_event();
    ASSERT_TRUE(m.has_value()) << "stuck at " << want;
    ASSERT_EQ(seq_of(m), want) << describe(*m);
  }
  // The subscribe's ack came after the replay, at the last event it replayed.
  auto ack = leader->reply_to(subscribe_id);
  ASSERT_TRUE(ack.has_value());
  EXPECT_GE(protocol::seq_of(*ack), window) << describe(*ack);
  auto live = report_in_process(grid_a1_2, 1);
  EXPECT_EQ(seq_of(leader->next_event()), live[0]);
  EXPECT_TRUE(leader->kept().empty()) << describe(leader->kept().front());

  auto metrics = http_request(port(), "GET", "/metrics").body;
  EXPECT_EQ(metric(metrics, "hub_queue_overflows_total"), 0);
  EXPECT_EQ(metric(metrics, "hub_bus_gaps_total"), 0);
  EXPECT_GE(metric(metrics, "hub_bus_replayed_events_total"), window);
  EXPECT_EQ(metric(metrics, "hub_bus_replays"), 0);
}

/// The index after "since=" in an overloaded error's message.
std::uint64_t resume_point(const std::string& message) {
  auto at = message.rfind("since=");
  std::uint64_t n = 0;
  if (at != std::string::npos)
    std::from_chars(message.data() + at + 6, message.data() + message.size(), n);
  return n;
}

TEST_F(push_test, a_slow_client_loses_events_and_is_told_while_a_fast_one_gets_everything) {
  auto cfg = defaults();
  cfg.queue_limit = 256;
  auto opts = city_defaults();
  opts.retention = 1 << 20;
  opts.flush_interval = std::chrono::hours(1); // only events in this test
  start(cfg, opts);

  auto fast = connect(P(county, 1));
  EXPECT_ACK(fast->request(msg(protocol::subscribe{county})));
  test_client::connect_options slow_opts;
  slow_opts.target = "/?token=" + token_for(P(county, 1));
  slow_opts.receive_buffer = 4096; // a small window, so the hub's queue fills soon
  test_client slow{port(), slow_opts};
  ASSERT_TRUE(slow.ok());
  EXPECT_ACK(slow.request(msg(protocol::subscribe{county})));

  // Publish in batches the fast client reads in full, until the slow one overflows.
  std::vector<std::uint64_t> all;
  constexpr std::size_t batch = 100;
  for (int round = 0; round < 2000 && server_->stats().queue_drops() == 0; ++round) {
    auto seqs = report_in_process(grid_a1_1, batch);
    for (auto seq : seqs) {
      ASSERT_EQ(seq_of(fast->next_event()), seq) << "the fast client missed an event";
      all.push_back(seq);
    }
  }
  ASSERT_GT(server_->stats().queue_drops(), 0u) << "no overflow after " << all.size() << " events";
  // One more batch after the overflow: the slow client must get it on resume.
  for (auto seq : report_in_process(grid_a1_1, batch)) {
    ASSERT_EQ(seq_of(fast->next_event()), seq);
    all.push_back(seq);
  }

  // The slow client reads what its queue kept, then the overloaded error saying where to
  // resume; resubscribing from there replays the rest, paced through the queue.
  std::vector<std::uint64_t> got;
  int told = 0;
  while (got.size() < all.size()) {
    auto m = slow.next_event();
    ASSERT_TRUE(m.has_value()) << "stuck after " << got.size() << " of " << all.size();
    auto* e = std::get_if<protocol::error>(&*m);
    if (e == nullptr) {
      got.push_back(seq_of(m));
      continue;
    }
    ASSERT_EQ(e->code, errc::overloaded) << e->message;
    ++told;
    auto since = resume_point(e->message);
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.back(), since) << e->message;
    EXPECT_NE(e->message.find("events after seq " + std::to_string(since) + " were dropped"),
              std::string::npos)
        << e->message;
    EXPECT_ACK(slow.request(msg(protocol::subscribe{county, since})));
  }
  EXPECT_EQ(got, all);
  EXPECT_GE(told, 1);

  auto metrics = http_request(port(), "GET", "/metrics").body;
  EXPECT_GT(metric(metrics, "hub_queue_drops_total"), 0);
  EXPECT_EQ(metric(metrics, "hub_errors_total{code=\"overloaded\"}"), told);
  EXPECT_EQ(metric(metrics, "hub_queue_overflows_total"), told);
}

} // namespace
} // namespace hub::testing
