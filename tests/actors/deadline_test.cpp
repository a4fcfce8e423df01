#include "tests/actors/city_fixture.hpp"

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
