// The Redis journal and recovery on a real redis-server: what one city did, a second city
// started from the store holds; acknowledgements come only once the change is in Redis; the
// event sequence and answered requests carry over a restart.

#include "tests/persistence/compare.hpp"
#include "tests/persistence/store_fixture.hpp"

#include <map>
#include <set>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::case_state;
using protocol::directive_action;
using protocol::errc;
using namespace codes;

constexpr auto P = person_at;

/// What a city holds, unit by unit, in a form two cities can be compared in.
struct unit_view {
  std::map<protocol::case_id, actors::case_record> cases;
  std::map<protocol::case_id, actors::department_task> tasks;
  std::map<protocol::directive_id, actors::issued_directive> issued;
  std::map<protocol::directive_id, std::map<actors::recipient, directive_action>> received;
  protocol::unit_figures own;
  std::uint64_t score_sum = 0, next_seq = 0;
};

class journal_test : public store_test {
protected:
  std::map<protocol::unit_code, unit_view> view() {
    std::map<protocol::unit_code, unit_view> out;
    for (auto& u : h_->units) {
      auto& s = state_of(u.code);
      auto& v = out[u.code];
      v.cases.insert(s.cases_.begin(), s.cases_.end());
      v.tasks.insert(s.tasks_.begin(), s.tasks_.end());
      v.issued.insert(s.issued_.begin(), s.issued_.end());
      for (auto& d : s.received_)
        for (auto& [who, action] : s.receipts_of(d))
          v.received[d.info->id][who] = action;
      v.own = s.own_;
      v.score_sum = s.score_sum_;
      v.next_seq = s.next_seq_;
    }
    return out;
  }

  /// The latest figures each unit published, after enough flushes for them to climb.
  std::map<protocol::unit_code, protocol::unit_figures> figures() {
    // A unit's aggregates go to its own watchers and its parent's.
    auto watch = std::make_shared<waiting_recorder>();
    for (auto topic : {city, county, town_a, town_b})
      EXPECT_ACK(act(P(city, 1), protocol::subscribe{topic}, watch));
    for (int i = 0; i < 7; ++i)
      advance(std::chrono::milliseconds(1000));
    std::map<protocol::unit_code, protocol::unit_figures> out;
    for (auto& a : watch->all<protocol::aggregate>())
      out[a.unit] = a.figures;
    return out;
  }

  protocol::directive_id issue_to_villages() {
    protocol::directive_issue d;
    d.channel = 2;
    d.title = "防汛检查";
    d.body = "排查辖区隐患";
    d.deadline = start_wall + 24 * 3600 * 1000;
    d.target.kind = protocol::target_kind::level;
    d.target.units = {county};
    d.target.level = protocol::unit_kind::village;
    auto r = act(P(county, 1), d);
    auto* a = std::get_if<protocol::ack>(&r);
    EXPECT_NE(a, nullptr) << describe(r);
    return a != nullptr ? a->directive_ref : 0;
  }
};

// A city drives every kind of step through city::submit — a case reported, escalated twice,
// whistled to two departments who report in and feed back, rated and closed; a second case
// left half way through its whistle; a directive signed and completed by some villages — and
// every acknowledgement arrives only when its change is already in Redis (looked up at the
// moment the ack is delivered). A second city recovered from the store then holds the same
// cases, history, tasks, directive progress and laggards, counters, figures and sequence, and
// carries on from there.
TEST_F(journal_test, a_second_city_recovered_from_redis_holds_what_the_first_did) {
  ASSERT_TRUE(start_city());
  EXPECT_TRUE(recovered_.fresh);
  auto spy = redis_.connect();
  ASSERT_TRUE(spy.ok()) << spy.error();
  std::mutex spy_mutex;
  std::vector<std::string> not_stored; // acks whose change was not in Redis yet
  std::size_t acks_checked = 0;
  replies_->on_reply = [&](const protocol::server_message& m) {
    auto* a = std::get_if<protocol::ack>(&m);
    if (a == nullptr || (a->case_ref == 0 && a->directive_ref == 0))
      return;
    std::lock_guard<std::mutex> guard{spy_mutex};
    acks_checked += 1;
    if (a->case_ref != 0 &&
        !hget(spy, persistence::keys::case_hash(a->case_ref), std::to_string(a->case_ref)))
      not_stored.push_back("case " + std::to_string(a->case_ref));
    if (a->directive_ref != 0 && !hget(spy, persistence::keys::directives(maker(a->directive_ref)),
                                       std::to_string(a->directive_ref)))
      not_stored.push_back("directive " + std::to_string(a->directive_ref));
  };

  auto one = report(P(grid_a1_1, 2), grid_a1_1, "路灯损坏");
  auto two = report(P(grid_b1_1, 2), grid_b1_1, "占道经营");
  ASSERT_NE(one, 0u);
  ASSERT_NE(two, 0u);
  for (auto [id, grid, village, town] : {std::tuple{one, grid_a1_1, village_a1, town_a},
                                         std::tuple{two, grid_b1_1, village_b1, town_b}}) {
    escalate_to_township(id, grid, village, town);
    protocol::case_act whistle;
    whistle.departments = {police, housing};
    EXPECT_ACK(step(P(town, 4), id, case_action::propose_whistle, whistle));
    EXPECT_ACK(step(P(town, 1), id, case_action::approve_whistle));
  }
  for (auto dept : {police, housing}) {
    EXPECT_ACK(step(P(dept, 2), one, case_action::report_in));
    EXPECT_ACK(step(P(dept, 1), one, case_action::feedback));
  }
  EXPECT_ACK(step(P(police, 2), two, case_action::report_in)); // case two stops here
  EXPECT_ACK(step(P(town_a, 2), one, case_action::resolve));
  protocol::case_act rating;
  rating.unit = police;
  rating.score = 5;
  EXPECT_ACK(step(P(town_a, 1), one, case_action::rate, rating));
  rating.unit = housing;
  rating.score = 3;
  EXPECT_ACK(step(P(town_a, 1), one, case_action::rate, rating));
  EXPECT_ACK(step(P(town_a, 1), one, case_action::close));
  ASSERT_EQ(find_case(town_a, one)->state, case_state::closed);

  auto directive = issue_to_villages();
  ASSERT_NE(directive, 0u);
  EXPECT_ACK(act(P(village_a1, 1), protocol::directive_act{directive, directive_action::sign, ""}));
  EXPECT_ACK(
      act(P(village_a1, 1), protocol::directive_act{directive, directive_action::complete, ""}));
  EXPECT_ACK(act(P(village_b2, 1), protocol::directive_act{directive, directive_action::sign, ""}));
  advance(std::chrono::milliseconds(200)); // the issuer's tally

  {
    std::lock_guard<std::mutex> guard{spy_mutex};
    EXPECT_GE(acks_checked, 28u);
    EXPECT_TRUE(not_stored.empty()) << "acknowledged before stored: " << not_stored.front();
  }
  replies_->on_reply = nullptr;
  auto before = view();
  auto figures_before = figures();
  auto laggards_before = state_of(county).laggards(directive);
  auto last_seq = city_->events().last_seq();
  ASSERT_GT(last_seq, 30u);
  ASSERT_EQ(laggards_before.size(), 3u);
  stop_city();

  ASSERT_TRUE(start_city());
  EXPECT_FALSE(recovered_.fresh);
  EXPECT_EQ(recovered_.cases, 2u);
  EXPECT_EQ(recovered_.open_cases, 1u);
  EXPECT_EQ(recovered_.tasks, 2u); // case two's police (reported in) and housing (summoned)
  EXPECT_EQ(recovered_.directives, 1u);
  EXPECT_EQ(recovered_.receipts, 2u);
  auto after = view();
  for (auto& u : h_->units) {
    SCOPED_TRACE("unit " + std::to_string(u.code));
    auto& b = before[u.code];
    auto& a = after[u.code];
    ASSERT_EQ(a.cases.size(), b.cases.size());
    for (auto& [id, c] : b.cases) {
      ASSERT_EQ(a.cases.count(id), 1u);
      expect_same(c, a.cases.at(id));
    }
    ASSERT_EQ(a.tasks.size(), b.tasks.size());
    for (auto& [id, t] : b.tasks) {
      ASSERT_EQ(a.tasks.count(id), 1u);
      expect_same(t, a.tasks.at(id));
    }
    ASSERT_EQ(a.issued.size(), b.issued.size());
    for (auto& [id, d] : b.issued) {
      auto& r = a.issued.at(id);
      expect_same(*d.info, *r.info);
      EXPECT_EQ(r.progress, d.progress);
      EXPECT_EQ(r.signed_count, d.signed_count);
      EXPECT_EQ(r.done, d.done);
      EXPECT_EQ(r.reminded, d.reminded);
    }
    EXPECT_EQ(a.received, b.received);
    EXPECT_TRUE(a.own == b.own) << "open " << a.own.open << " vs " << b.own.open << ", reported "
                                << a.own.reported << " vs " << b.own.reported;
    EXPECT_EQ(a.score_sum, b.score_sum);
    EXPECT_EQ(a.next_seq, b.next_seq);
  }
  EXPECT_EQ(state_of(county).laggards(directive), laggards_before);
  EXPECT_EQ(city_->events().last_seq(), last_seq);
  auto figures_after = figures();
  for (auto code : {city, county, town_a, town_b, village_a1, village_b1, police, housing}) {
    ASSERT_EQ(figures_after.count(code), 1u) << code;
    EXPECT_TRUE(figures_after[code] == figures_before[code]) << "figures of " << code;
  }

  // The second city carries on: case two is finished, a new case gets a new id.
  EXPECT_ACK(step(P(police, 1), two, case_action::feedback));
  EXPECT_ACK(step(P(housing, 2), two, case_action::report_in));
  EXPECT_ACK(step(P(housing, 1), two, case_action::feedback));
  EXPECT_ACK(step(P(town_b, 2), two, case_action::resolve));
  EXPECT_EQ(find_case(town_b, two)->state, case_state::resolved);
  EXPECT_ACK(
      act(P(village_b2, 1), protocol::directive_act{directive, directive_action::complete, ""}));
  auto three = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_NE(three, 0u);
  EXPECT_NE(three, one);
}

// The event sequence continues after a restart: the next event is the last stored one + 1
// (in the ack, on the bus and in the store), and a watcher resuming with `since` gets the
// events it missed from the recovered window, as they were published before the restart.
TEST_F(journal_test, recovery_continues_the_sequence_and_serves_resume) {
  ASSERT_TRUE(start_city());
  auto first = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, first));
  std::vector<protocol::case_id> ids;
  for (auto grid : {grid_a1_1, grid_a1_2, grid_b1_1, grid_b2_2})
    ids.push_back(report(P(grid, 2), grid));
  auto seen = first->all<protocol::case_event>();
  ASSERT_EQ(seen.size(), 4u);
  auto last = seen.back().seq;
  EXPECT_EQ(city_->events().last_seq(), last);
  stop_city();

  auto spy = redis_.connect();
  EXPECT_EQ(hget(spy, persistence::keys::meta, "seq"), std::to_string(last));

  ASSERT_TRUE(start_city());
  EXPECT_EQ(recovered_.snapshot->last_seq, last);
  EXPECT_EQ(recovered_.events, 4u);
  EXPECT_EQ(city_->events().last_seq(), last);
  auto again = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, seen[1].seq}, again));
  auto missed = again->all<protocol::case_event>();
  ASSERT_EQ(missed.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(missed[i].seq, seen[i + 2].seq);
    EXPECT_EQ(missed[i].id, seen[i + 2].id);
    EXPECT_EQ(missed[i].unit, seen[i + 2].unit);
    EXPECT_EQ(missed[i].action, case_action::report);
  }

  protocol::case_report r;
  r.unit = grid_a2_1;
  r.category = "safety.dispute";
  r.title = "after the restart";
  auto reply = act(P(grid_a2_1, 2), r);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  EXPECT_EQ(a->seq, last + 1);
  auto live = again->all<protocol::case_event>();
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live.back().seq, last + 1);
  EXPECT_EQ(live.back().id, a->case_ref);
  EXPECT_EQ(city_->events().last_seq(), last + 1);

  // The number the event was published under is the one stored, and the next restart goes
  // on after it: its resume replays that event under the same number.
  stop_city();
  EXPECT_EQ(hget(spy, persistence::keys::meta, "seq"), std::to_string(last + 1));
  ASSERT_TRUE(start_city());
  EXPECT_EQ(recovered_.snapshot->last_seq, last + 1);
  EXPECT_EQ(recovered_.events, 5u);
  auto third = std::make_shared<waiting_recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, last}, third));
  auto replayed = third->all<protocol::case_event>();
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0].seq, last + 1);
  EXPECT_EQ(replayed[0].id, a->case_ref);
  auto next = act(P(grid_a2_1, 2), r);
  auto* b = std::get_if<protocol::ack>(&next);
  ASSERT_NE(b, nullptr) << describe(next);
  EXPECT_EQ(b->seq, last + 2);
  EXPECT_EQ(third->all<protocol::case_event>().back().seq, last + 2);
}

// A client that retries a request after the restart (same person, same message id, same
// content) gets the original reply — same case id, same sequence number — and the case is
// not made twice; the same id with other content is refused. (hub:requests remembers.)
TEST_F(journal_test, a_request_retried_after_a_restart_is_answered_and_not_applied_again) {
  ASSERT_TRUE(start_city());
  protocol::case_report r;
  r.unit = grid_a1_1;
  r.category = "safety.dispute";
  r.title = "路灯损坏";
  r.external_id = "retry-1";
  auto original = act(P(grid_a1_1, 2), r, nullptr, 500);
  auto* first = std::get_if<protocol::ack>(&original);
  ASSERT_NE(first, nullptr) << describe(original);
  stop_city();

  ASSERT_TRUE(start_city());
  EXPECT_GE(recovered_.requests, 1u);
  auto retry = std::make_shared<waiting_recorder>();
  auto again = act(P(grid_a1_1, 2), r, retry, 500);
  auto* second = std::get_if<protocol::ack>(&again);
  ASSERT_NE(second, nullptr) << describe(again);
  EXPECT_EQ(second->case_ref, first->case_ref);
  EXPECT_EQ(second->seq, first->seq);
  EXPECT_EQ(state_of(grid_a1_1).cases_.size(), 1u);
  EXPECT_EQ(state_of(grid_a1_1).own_.reported, 1u);
  auto spy = redis_.connect();
  EXPECT_EQ(cases_made_at(spy, grid_a1_1), 1);

  auto changed = r;
  changed.title = "另一件事";
  EXPECT_REFUSED(act(P(grid_a1_1, 2), changed, std::make_shared<waiting_recorder>(), 500),
                 errc::invalid_argument);
  // Another person's message 500 is another request.
  EXPECT_NE(report(P(grid_a1_1, 3), grid_a1_1), 0u);
  EXPECT_EQ(cases_made_at(spy, grid_a1_1), 2);
}

} // namespace
} // namespace hub::testing
