#include "tests/actors/city_fixture.hpp"

#include <set>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::case_state;
using protocol::errc;
using namespace codes;

constexpr auto P = person_at;

TEST_F(city_test, a_case_climbs_to_a_whistle_to_two_departments_and_is_rated_and_closed) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, watcher));

  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  ASSERT_NE(id, 0u);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::escalate), errc::forbidden);
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::escalate));
  ASSERT_NE(find_case(village_a1, id), nullptr);
  EXPECT_EQ(find_case(village_a1, id)->state, case_state::dispatched);

  EXPECT_ACK(step(P(village_a1, 2), id, case_action::sign));
  EXPECT_ACK(step(P(village_a1, 1), id, case_action::escalate));
  EXPECT_ACK(step(P(town_a, 2), id, case_action::sign));

  protocol::case_act whistle;
  whistle.departments = {police, housing};
  EXPECT_REFUSED(step(P(town_a, 1), id, case_action::propose_whistle, whistle), errc::forbidden);
  EXPECT_ACK(step(P(town_a, 4), id, case_action::propose_whistle, whistle));
  EXPECT_REFUSED(step(P(town_a, 4), id, case_action::approve_whistle), errc::forbidden);
  EXPECT_ACK(step(P(town_a, 1), id, case_action::approve_whistle));
  EXPECT_EQ(find_case(town_a, id)->state, case_state::whistle_blown);

  // A department that was not summoned may not step in; one that was reports in first.
  EXPECT_REFUSED(step(P(environment, 2), id, case_action::report_in), errc::forbidden);
  EXPECT_REFUSED(step(P(police, 2), id, case_action::feedback), errc::invalid_transition);
  for (auto dept : {police, housing}) {
    for (auto [who, action] : {std::pair{P(dept, 2), case_action::report_in},
                               std::pair{P(dept, 1), case_action::feedback}}) {
      // The department's step is acknowledged with the seq of the event it produced.
      auto reply = step(who, id, action);
      auto* a = std::get_if<protocol::ack>(&reply);
      ASSERT_NE(a, nullptr) << describe(reply);
      EXPECT_EQ(a->case_ref, id);
      auto events = watcher->all<protocol::case_event>();
      ASSERT_FALSE(events.empty());
      EXPECT_EQ(a->seq, events.back().seq) << "the ack's seq is not the step's event";
      EXPECT_EQ(events.back().action, action);
      EXPECT_EQ(events.back().departments, std::vector<protocol::unit_code>{dept});
    }
    if (dept == police) { // housing has not fed back yet
      EXPECT_REFUSED(step(P(town_a, 4), id, case_action::resolve), errc::invalid_transition);
    }
  }
  EXPECT_EQ(state_of(police).tasks_.at(id).task.at, actors::whistle_task::stage::fed_back);
  EXPECT_EQ(state_of(police).own_.resolved, 1u);

  // Every department has fed back: the township confirms the result (resolve), which starts
  // the rating clock; only then does it rate the departments (评哨), and then it closes.
  EXPECT_EQ(find_case(town_a, id)->state, case_state::whistle_blown);
  protocol::case_act rating;
  rating.unit = police;
  rating.score = 5;
  EXPECT_REFUSED(step(P(town_a, 1), id, case_action::rate, rating), errc::invalid_transition);
  EXPECT_REFUSED(step(P(town_a, 1), id, case_action::close), errc::invalid_transition);
  EXPECT_ACK(step(P(town_a, 4), id, case_action::resolve));
  EXPECT_EQ(find_case(town_a, id)->state, case_state::resolved);
  const auto rating_limit = h_->categories[0].limits[0].rating;
  EXPECT_EQ(find_case(town_a, id)->deadline,
            find_case(town_a, id)->history.back().at + protocol::timestamp_ms{rating_limit} * 1000);
  EXPECT_ACK(step(P(town_a, 1), id, case_action::rate, rating));
  EXPECT_REFUSED(step(P(town_a, 1), id, case_action::rate, rating), errc::invalid_transition);
  rating.unit = housing;
  rating.score = 3;
  EXPECT_ACK(step(P(town_a, 1), id, case_action::rate, rating));
  EXPECT_ACK(step(P(town_a, 1), id, case_action::close));

  const auto* c = find_case(town_a, id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, case_state::closed);
  EXPECT_EQ(c->level, actors::case_level::department);
  EXPECT_EQ(c->whistle[0].score, 5);
  EXPECT_EQ(c->whistle[1].score, 3);

  // The county's watcher saw every step, in sequence, with the holder at each step.
  std::vector<case_action> expected = {case_action::report,
                                       case_action::sign,
                                       case_action::escalate,
                                       case_action::sign,
                                       case_action::escalate,
                                       case_action::sign,
                                       case_action::propose_whistle,
                                       case_action::approve_whistle,
                                       case_action::report_in,
                                       case_action::feedback,
                                       case_action::report_in,
                                       case_action::feedback,
                                       case_action::resolve,
                                       case_action::rate,
                                       case_action::rate,
                                       case_action::close};
  auto events = watcher->all<protocol::case_event>();
  ASSERT_EQ(events.size(), expected.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].action, expected[i]) << i;
    if (i > 0) {
      EXPECT_GT(events[i].seq, events[i - 1].seq);
    }
  }
  EXPECT_EQ(events[2].unit, village_a1);
  EXPECT_EQ(events[2].from_unit, grid_a1_1);
  EXPECT_EQ(events[7].departments, (std::vector<protocol::unit_code>{police, housing}));
  EXPECT_EQ(c->history.size(), expected.size());

  // Figures reach the county at a bounded rate: after one flush interval per level.
  for (int i = 0; i < 6; ++i)
    advance(std::chrono::milliseconds(1000));
  auto aggregates = watcher->all<protocol::aggregate>();
  ASSERT_FALSE(aggregates.empty());
  std::optional<protocol::unit_figures> county_figures;
  for (auto& a : aggregates)
    if (a.unit == county)
      county_figures = a.figures;
  ASSERT_TRUE(county_figures.has_value());
  EXPECT_EQ(county_figures->closed_at[3], 1u); // closed at department level
  EXPECT_EQ(county_figures->open, 0u);
  EXPECT_EQ(county_figures->reported, 3u); // the report and two summonses
  EXPECT_EQ(state_of(police).score_sum_, 5u);
}

// Aggregates: a change anywhere reaches every level within one push interval (the flush
// interval, 1 s here), each unit's aggregate at most once per interval and only when it
// changed; a watcher gets its unit's and its direct children's.
TEST_F(city_test, a_change_reaches_the_city_within_one_push_interval) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(city, 1), protocol::subscribe{city}, watcher));
  report(P(grid_a1_1, 2), grid_a1_1);
  report(P(grid_b2_2, 2), grid_b2_2);
  advance(std::chrono::milliseconds(999));
  EXPECT_TRUE(watcher->all<protocol::aggregate>().empty());
  advance(std::chrono::milliseconds(1));
  auto aggregates = watcher->all<protocol::aggregate>();
  std::map<protocol::unit_code, int> pushed;
  for (auto& a : aggregates) {
    pushed[a.unit] += 1;
    EXPECT_EQ(a.figures.reported, 2u) << a.unit;
    EXPECT_EQ(a.figures.open, 2u) << a.unit;
    EXPECT_EQ(a.at, start_wall + 1000);
  }
  // the city's own and its direct children's (the county; nothing changed in the other)
  EXPECT_EQ(pushed, (std::map<protocol::unit_code, int>{{city, 1}, {county, 1}}));
  advance(std::chrono::milliseconds(5000)); // nothing changed: nothing pushed
  EXPECT_EQ(watcher->all<protocol::aggregate>().size(), aggregates.size());
}

TEST_F(city_test, a_refused_action_changes_nothing_and_publishes_nothing) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  auto before = *find_case(grid_a1_1, id);
  auto seq = city_->events().last_seq();
  EXPECT_REFUSED(step(P(grid_a1_2, 1), id, case_action::sign), errc::forbidden);
  EXPECT_REFUSED(step(P(grid_a1_1, 2), id, case_action::close), errc::forbidden);
  EXPECT_REFUSED(step(P(grid_a1_1, 1), id, case_action::close), errc::invalid_transition);
  EXPECT_REFUSED(step(P(grid_a1_1, 1), id + 1000, case_action::sign), errc::unknown_case);
  // An id whose maker index names no unit (forged, or from another hierarchy).
  EXPECT_REFUSED(step(P(grid_a1_1, 1), ~0ull, case_action::sign), errc::unknown_case);
  const auto& after = *find_case(grid_a1_1, id);
  EXPECT_EQ(after.state, before.state);
  EXPECT_EQ(after.history, before.history);
  EXPECT_EQ(city_->events().last_seq(), seq);
}

TEST_F(city_test, a_wrongly_escalated_case_is_returned_with_a_reason) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::escalate));
  EXPECT_ACK(step(P(village_a1, 1), id, case_action::return_case));
  const auto* c = find_case(grid_a1_1, id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, case_state::return_requested);
  EXPECT_EQ(c->history.back().note, "note");
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::resolve));
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::close));
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::reopen));
  EXPECT_EQ(find_case(grid_a1_1, id)->state, case_state::reopened);
  EXPECT_TRUE(find_case(grid_a1_1, id)->reopened);
}

TEST_F(city_test, a_close_is_not_a_rating) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::resolve));
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::close));
  const auto& f = state_of(grid_a1_1).own_;
  EXPECT_EQ(f.resolved, 1u);
  EXPECT_EQ(f.closed_at[0], 1u);
  EXPECT_EQ(f.rated, 0u); // rated and satisfied count the township's ratings (评哨) only
  EXPECT_EQ(f.satisfied, 0u);
}

TEST_F(city_test, a_hotline_case_is_triaged_dispatched_and_closed_by_the_hotline) {
  auto hotline = P(city_centre, 1), centre_op = P(city_centre, 2);
  auto id = report(hotline, city_centre);
  EXPECT_ACK(step(centre_op, id, case_action::triage));
  protocol::case_act to;
  to.unit = town_b;
  EXPECT_REFUSED(step(hotline, id, case_action::dispatch, to), errc::forbidden);
  EXPECT_ACK(step(centre_op, id, case_action::dispatch, to));
  EXPECT_ACK(step(P(town_b, 2), id, case_action::sign));
  EXPECT_ACK(step(P(town_b, 2), id, case_action::resolve));
  EXPECT_REFUSED(step(P(town_b, 1), id, case_action::close), errc::forbidden);
  EXPECT_ACK(step(hotline, id, case_action::close));
  const auto* c = find_case(town_b, id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, case_state::closed);
  EXPECT_TRUE(c->hotline);
  EXPECT_EQ(c->level, actors::case_level::township);
}

TEST_F(city_test, a_duplicate_names_an_earlier_case_that_exists_and_its_event_says_which) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, watcher));
  auto earlier = report(P(grid_b1_1, 2), grid_b1_1);
  EXPECT_ACK(step(P(grid_b1_1, 1), earlier, case_action::escalate)); // held elsewhere now
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  auto marking = [&](protocol::case_id of) {
    protocol::case_act m;
    m.duplicate_of = of;
    return step(P(grid_a1_1, 1), id, case_action::mark_duplicate, m);
  };
  const auto seq = city_->events().last_seq();
  EXPECT_REFUSED(marking(id + 1000), errc::unknown_case); // its maker made no such case
  EXPECT_REFUSED(marking(~0ull), errc::unknown_case);     // no unit made it
  EXPECT_REFUSED(marking(id), errc::invalid_argument);    // itself
  EXPECT_EQ(find_case(grid_a1_1, id)->state, case_state::reported);
  EXPECT_EQ(city_->events().last_seq(), seq);

  auto reply = marking(earlier);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  EXPECT_EQ(find_case(grid_a1_1, id)->state, case_state::duplicate);
  auto events = watcher->all<protocol::case_event>();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().seq, a->seq);
  EXPECT_EQ(events.back().action, case_action::mark_duplicate);
  EXPECT_EQ(events.back().duplicate_of, earlier);
}

TEST_F(city_test, watchers_see_only_what_their_unit_may_see) {
  EXPECT_REFUSED(act(P(grid_a1_1, 1), protocol::subscribe{county}), errc::forbidden);
  EXPECT_REFUSED(act(P(town_a, 1), protocol::subscribe{town_b}), errc::forbidden);
  auto town_watch = std::make_shared<recorder>();
  EXPECT_ACK(act(P(town_a, 1), protocol::subscribe{town_a}, town_watch));
  report(P(grid_b1_1, 2), grid_b1_1);
  report(P(grid_a2_2, 2), grid_a2_2);
  auto events = town_watch->all<protocol::case_event>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].unit, grid_a2_2);
}

// The table "Who may watch what" of protocol/README.md, row by row: each post, at its kind of
// unit, may subscribe to exactly these units; every other unit is refused (forbidden), and a
// unit that does not exist is unknown_unit for everyone.
TEST_F(city_test, who_may_watch_what_follows_the_table_of_the_specification) {
  struct row {
    std::string what;
    std::vector<protocol::person_id> people; // every post of the row, at one unit
    std::set<protocol::unit_code> may;       // empty: the whole city
  };
  const std::set<protocol::unit_code> whole_county = {
      county,     centre,     police,     housing,    environment, town_a,    town_b,
      village_a1, village_a2, village_b1, village_b2, grid_a1_1,   grid_a1_2, grid_a2_1,
      grid_a2_2,  grid_b1_1,  grid_b1_2,  grid_b2_1,  grid_b2_2};
  const std::vector<row> table = {
      {"grid staff: their grid",
       {P(grid_a1_1, 1), P(grid_a1_1, 2), P(grid_a1_1, 3), P(grid_a1_1, 4)},
       {grid_a1_1}},
      {"village cadres: their village and its grids",
       {P(village_a1, 1), P(village_a1, 2), P(village_a1, 3), P(village_a1, 4), P(village_a1, 5)},
       {village_a1, grid_a1_1, grid_a1_2}},
      {"township staff: their township, its villages and grids",
       {P(town_a, 1), P(town_a, 2), P(town_a, 4)},
       {town_a, village_a1, village_a2, grid_a1_1, grid_a1_2, grid_a2_1, grid_a2_2}},
      {"department staff: their department", {P(police, 1), P(police, 2)}, {police}},
      {"county leader: their county, all in it", {P(county, 1)}, whole_county},
      {"county centre operator: the centre's county", {P(centre, 1)}, whole_county},
      {"city centre operator: the city", {P(city_centre, 2)}, {}},
      {"hotline operator: the city", {P(city_centre, 1)}, {}},
      {"city leader: the city", {P(city, 1)}, {}},
  };
  for (const auto& r : table)
    for (auto who : r.people) {
      SCOPED_TRACE(r.what + ", person " + std::to_string(who));
      for (const auto& u : h_->units) {
        auto reply = act(who, protocol::subscribe{u.code});
        if (r.may.empty() || r.may.count(u.code) == 1) {
          EXPECT_ACK(reply);
          act(who, protocol::unsubscribe{u.code});
        } else {
          EXPECT_REFUSED(reply, errc::forbidden);
        }
      }
      EXPECT_REFUSED(act(who, protocol::subscribe{411599}), errc::unknown_unit);
    }
}

TEST_F(city_test, a_watcher_resumes_from_its_last_sequence_number) {
  auto first = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, first));
  report(P(grid_a1_1, 2), grid_a1_1);
  auto seen = first->all<protocol::case_event>().back().seq;
  report(P(grid_a1_2, 2), grid_a1_2);
  report(P(grid_b1_1, 2), grid_b1_1);
  auto again = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, seen}, again));
  auto missed = again->all<protocol::case_event>();
  ASSERT_EQ(missed.size(), 2u);
  EXPECT_EQ(missed[0].seq, seen + 1);
  EXPECT_EQ(missed[0].unit, grid_a1_2);
}

} // namespace
} // namespace hub::testing

namespace hub::testing {
namespace {

TEST_F(city_test, a_retried_request_is_answered_again_and_applied_once) {
  using namespace codes;
  auto* p = h_->find_person(person_at(grid_a1_1, 2));
  protocol::case_report r;
  r.unit = grid_a1_1;
  r.category = "safety.dispute";
  r.title = "路灯损坏";
  auto first = std::make_shared<recorder>(), second = std::make_shared<recorder>();
  city_->submit(actors::principal::of(*p), {500, r}, first);
  city_->submit(actors::principal::of(*p), {500, r}, second); // still in flight
  drain();
  auto third = std::make_shared<recorder>();
  city_->submit(actors::principal::of(*p), {500, r}, third); // answered from the ledger
  drain();
  for (auto& rec : {first, second, third}) {
    auto acks = rec->all<protocol::ack>();
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks[0].id, 500u);
    EXPECT_EQ(acks[0].case_ref, first->all<protocol::ack>()[0].case_ref);
  }
  EXPECT_EQ(state_of(grid_a1_1).cases_.size(), 1u);
  EXPECT_EQ(state_of(grid_a1_1).own_.reported, 1u);
  // The same id for another request is refused, and nothing is applied.
  auto fourth = std::make_shared<recorder>();
  auto changed = r;
  changed.title = "另一件事";
  city_->submit(actors::principal::of(*p), {500, changed}, fourth);
  drain();
  ASSERT_EQ(fourth->all<protocol::error>().size(), 1u);
  EXPECT_EQ(fourth->all<protocol::error>()[0].code, protocol::errc::invalid_argument);
  EXPECT_EQ(state_of(grid_a1_1).cases_.size(), 1u);
  // The same id from another person is another request.
  auto* other = h_->find_person(person_at(grid_a1_1, 3));
  city_->submit(actors::principal::of(*other), {500, r}, first);
  drain();
  EXPECT_EQ(state_of(grid_a1_1).cases_.size(), 2u);
}

} // namespace
} // namespace hub::testing
