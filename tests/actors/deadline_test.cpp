#include "tests/actors/city_fixture.hpp"

#include <caf/detail/simple_actor_clock.hpp>

#include <set>
#include <vector>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::deadline_colour;
using namespace codes;
using std::chrono::minutes;

constexpr auto P = person_at;

TEST_F(city_test, an_unsigned_case_turns_yellow_then_red_then_goes_to_supervision) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(village_a1, 1), protocol::subscribe{village_a1}, watcher));
  auto id = report(P(grid_a1_1, 2), grid_a1_1); // sign within 2 h
  const auto colour = [&] { return find_case(grid_a1_1, id)->colour; };

  advance(minutes(95));
  EXPECT_EQ(colour(), deadline_colour::green);
  advance(minutes(1)); // 96 min = 80 % of 2 h
  EXPECT_EQ(colour(), deadline_colour::yellow);
  EXPECT_EQ(state_of(grid_a1_1).own_.yellow, 1u);

  advance(minutes(24)); // 2 h: overdue, an automatic reminder
  EXPECT_EQ(colour(), deadline_colour::red);
  EXPECT_EQ(state_of(grid_a1_1).own_.red, 1u);
  EXPECT_EQ(state_of(grid_a1_1).own_.yellow, 0u);
  auto events = watcher->all<protocol::case_event>();
  ASSERT_EQ(events.back().action, case_action::remind);
  EXPECT_EQ(events.back().by, 0u);
  EXPECT_EQ(events.back().colour, deadline_colour::red);

  advance(std::chrono::hours(24)); // a further day: supervision
  events = watcher->all<protocol::case_event>();
  EXPECT_EQ(events.back().action, case_action::supervise);
  EXPECT_TRUE(find_case(grid_a1_1, id)->supervised);
  auto count = events.size();
  advance(std::chrono::hours(48)); // nothing more fires twice
  EXPECT_EQ(watcher->all<protocol::case_event>().size(), count);
}

/// When each delayed message waiting in the clock for the actor of `unit` is due.
std::vector<caf::actor_clock::time_point> ticks_waiting(caf::scheduler::test_coordinator& sched,
                                                        const actors::unit_actor& unit) {
  using clock = caf::detail::simple_actor_clock;
  std::vector<caf::actor_clock::time_point> due;
  const auto* self = caf::actor_cast<caf::abstract_actor*>(unit);
  for (const auto& [at, e] : sched.clock().schedule())
    if (e->subtype == clock::actor_msg_type &&
        static_cast<const clock::actor_msg&>(*e).receiver->get() == self)
      due.push_back(at);
  return due;
}

TEST_F(city_test, a_unit_keeps_one_tick_in_flight_for_its_next_timer_not_one_per_timer_armed) {
  // A normal case looks at itself again in 96 minutes; urgent cases, reported one after the
  // other, come due sooner and later again. Each time an earlier look supersedes the 96
  // minutes, that tick stays in flight (it cannot be taken back): it must be counted on, not
  // sent once more every time the unit looks again.
  const auto unit = city_->actor_of(grid_a1_1);
  report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_EQ(ticks_waiting(*sched_, unit).size(), 1u);
  for (int i = 0; i < 3; ++i) {
    report(P(grid_a1_1, 2), grid_a1_1, protocol::urgency::urgent); // yellow in 24 min
    advance(minutes(24));
    advance(minutes(6)); // red; the next look is the normal case's, still at 96 minutes
  }
  // In flight now: the tick for the normal case's look at 96 minutes, and one for the urgent
  // cases' supervision later; nothing twice.
  const auto due = ticks_waiting(*sched_, unit);
  const std::set<caf::actor_clock::time_point> distinct(due.begin(), due.end());
  EXPECT_EQ(due.size(), distinct.size()) << "two ticks in flight for the same time";
  EXPECT_LE(due.size(), 2u);
  advance(minutes(6)); // 96 minutes: the normal case turns yellow all the same
  EXPECT_EQ(state_of(grid_a1_1).own_.yellow, 1u);
}

TEST_F(city_test, signing_starts_the_handling_clock_afresh) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  advance(minutes(100));
  EXPECT_EQ(find_case(grid_a1_1, id)->colour, deadline_colour::yellow);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  const auto* c = find_case(grid_a1_1, id);
  EXPECT_EQ(c->colour, deadline_colour::green);
  EXPECT_EQ(c->deadline - c->clock_start, 24 * 3600 * 1000); // the grid's day
  EXPECT_TRUE(c->responded);
  EXPECT_EQ(state_of(grid_a1_1).own_.yellow, 0u);
  advance(std::chrono::hours(20)); // 80 % of a day after signing
  EXPECT_EQ(find_case(grid_a1_1, id)->colour, deadline_colour::yellow);
}

TEST_F(city_test, urgent_cases_run_on_shorter_limits) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1, protocol::urgency::urgent);
  const auto* c = find_case(grid_a1_1, id);
  EXPECT_EQ(c->deadline - c->clock_start, 30 * 60 * 1000);
  advance(minutes(30));
  EXPECT_EQ(find_case(grid_a1_1, id)->colour, deadline_colour::red);
}

TEST_F(city_test, a_department_that_does_not_report_in_is_reminded) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{police}, watcher));
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::escalate));
  EXPECT_ACK(step(P(village_a1, 1), id, case_action::sign));
  EXPECT_ACK(step(P(village_a1, 1), id, case_action::escalate));
  EXPECT_ACK(step(P(town_a, 2), id, case_action::sign));
  protocol::case_act w;
  w.departments = {police};
  EXPECT_ACK(step(P(town_a, 4), id, case_action::propose_whistle, w));
  EXPECT_ACK(step(P(town_a, 1), id, case_action::approve_whistle));
  advance(std::chrono::hours(24));
  auto events = watcher->all<protocol::case_event>();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().action, case_action::remind);
  EXPECT_EQ(events.back().unit, police);
}

} // namespace
} // namespace hub::testing
