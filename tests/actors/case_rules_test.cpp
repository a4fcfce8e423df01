#include "actors/case_rules.hpp"

#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <set>

namespace hub::testing {
namespace {

using actors::case_record;
using actors::principal;
using protocol::case_action;
using protocol::case_state;
using protocol::errc;
using namespace codes;

/// One row of the permission matrix: an action taken by someone entitled to it, on a case at
/// `holder`, and the states in which it is permitted.
struct row {
  case_action action;
  protocol::unit_code holder;
  protocol::person_id who;
  std::set<case_state> allowed;
  protocol::person_id wrong_person; // in an allowed state, still refused as forbidden
  bool hotline = false;
  /// A township's case carries a whistle to police at this stage.
  actors::whistle_task::stage police_at = actors::whistle_task::stage::fed_back;
};

class case_rules_test : public ::testing::Test {
protected:
  std::shared_ptr<const protocol::hierarchy> h_ = make_small_city();

  case_record make_case(const row& r, case_state s) const {
    case_record c;
    c.id = 77;
    c.origin = r.hotline ? city_centre : grid_a1_1;
    c.holder = r.holder;
    c.sender = r.holder == grid_a1_1 ? 0 : grid_a1_1;
    c.hotline = r.hotline;
    c.state = s;
    if (r.holder == town_a)
      c.whistle = {{police, r.police_at, 0}};
    return c;
  }

  protocol::case_act make_act(case_action a) const {
    protocol::case_act act;
    act.id = 77;
    act.action = a;
    act.note = "reason";
    act.departments = {police};
    act.unit = a == case_action::rate ? police : town_a;
    act.score = 4;
    act.duplicate_of = 12;
    return act;
  }

  principal who(protocol::person_id id) const { return principal::of(*h_->find_person(id)); }
};

const std::set<case_state> all_states = [] {
  std::set<case_state> s;
  for (std::size_t i = 0; i < protocol::enum_count<case_state>; ++i)
    s.insert(static_cast<case_state>(i));
  return s;
}();

const std::set<case_state> non_terminal = [] {
  auto s = all_states;
  s.erase(case_state::closed);
  s.erase(case_state::rejected);
  s.erase(case_state::duplicate);
  return s;
}();

std::vector<row> matrix() {
  using S = case_state;
  auto grid_staff = person_at(grid_a1_1, 2), grid_head = person_at(grid_a1_1, 1);
  auto town_head = person_at(town_a, 1), module_head = person_at(town_a, 4);
  auto secretary = person_at(village_a1, 1), centre_op = person_at(city_centre, 2);
  auto stranger = person_at(grid_b2_2, 1);
  using stage = actors::whistle_task::stage;
  return {
      {case_action::triage, city_centre, centre_op, {S::reported}, person_at(city_centre, 1), true},
      {case_action::dispatch,
       city_centre,
       centre_op,
       {S::reported, S::triaged, S::return_requested, S::signed_for},
       person_at(city_centre, 1),
       true},
      {case_action::sign,
       grid_a1_1,
       grid_staff,
       {S::reported, S::dispatched, S::return_requested},
       stranger},
      {case_action::start, grid_a1_1, grid_staff, {S::signed_for, S::reopened}, stranger},
      {case_action::resolve,
       grid_a1_1,
       grid_staff,
       {S::signed_for, S::in_progress, S::reopened},
       stranger},
      // after a whistle, once every department has fed back
      {case_action::resolve,
       town_a,
       module_head,
       {S::signed_for, S::in_progress, S::reopened, S::whistle_blown},
       person_at(town_b, 2)},
      {case_action::report_in,
       town_a,
       person_at(police, 2),
       {S::whistle_blown},
       person_at(housing, 2),
       false,
       stage::summoned},
      {case_action::feedback,
       town_a,
       person_at(police, 1),
       {S::whistle_blown},
       person_at(environment, 1),
       false,
       stage::reported_in},
      {case_action::escalate,
       grid_a1_1,
       grid_head,
       {S::reported, S::signed_for, S::in_progress, S::reopened},
       grid_staff},
      {case_action::propose_whistle,
       town_a,
       module_head,
       {S::signed_for, S::in_progress, S::reopened},
       town_head},
      {case_action::approve_whistle, town_a, town_head, {S::escalation_requested}, module_head},
      {case_action::decline_whistle, town_a, town_head, {S::escalation_requested}, module_head},
      {case_action::rate, town_a, town_head, {S::resolved, S::closed}, person_at(town_b, 1)},
      {case_action::close, grid_a1_1, grid_head, {S::resolved}, grid_staff},
      {case_action::reopen, grid_a1_1, grid_head, {S::resolved, S::closed}, grid_staff},
      {case_action::return_case,
       village_a1,
       secretary,
       {S::dispatched, S::signed_for},
       person_at(village_a1, 2)},
      {case_action::reject,
       city_centre,
       centre_op,
       {S::reported, S::triaged, S::dispatched, S::return_requested},
       person_at(city_centre, 1),
       true},
      {case_action::mark_duplicate,
       city_centre,
       centre_op,
       {S::reported, S::triaged, S::dispatched, S::return_requested},
       person_at(city_centre, 1),
       true},
      {case_action::remind, grid_a1_1, person_at(county, 1), non_terminal, grid_head},
      {case_action::supervise, grid_a1_1, person_at(centre, 1), non_terminal, grid_staff},
  };
}

TEST_F(case_rules_test, every_action_is_permitted_exactly_in_its_states) {
  for (const auto& r : matrix()) {
    for (auto s : all_states) {
      auto c = make_case(r, s);
      auto d = actors::decide(*h_, c, who(r.who), make_act(r.action));
      bool permitted = std::holds_alternative<actors::case_step>(d);
      EXPECT_EQ(permitted, r.allowed.count(s) == 1)
          << protocol::to_string(r.action) << " in state " << protocol::to_string(s) << ": "
          << (permitted ? "permitted" : std::get<actors::refusal>(d).reason);
      if (!permitted && r.allowed.count(s) == 0) {
        EXPECT_EQ(std::get<actors::refusal>(d).code, errc::invalid_transition)
            << protocol::to_string(r.action) << " in " << protocol::to_string(s);
      }
    }
  }
}

TEST_F(case_rules_test, every_action_is_forbidden_to_the_wrong_person) {
  for (const auto& r : matrix()) {
    auto c = make_case(r, *r.allowed.begin());
    auto d = actors::decide(*h_, c, who(r.wrong_person), make_act(r.action));
    ASSERT_TRUE(std::holds_alternative<actors::refusal>(d))
        << protocol::to_string(r.action) << " by " << r.wrong_person << " was permitted";
    EXPECT_EQ(std::get<actors::refusal>(d).code, errc::forbidden) << protocol::to_string(r.action);
  }
}

TEST_F(case_rules_test, steps_move_the_case_where_the_flow_says) {
  auto step_of = [&](const row& r, case_state s) {
    return std::get<actors::case_step>(
        actors::decide(*h_, make_case(r, s), who(r.who), make_act(r.action)));
  };
  auto rows = matrix();
  auto find = [&](case_action a) {
    return *std::find_if(rows.begin(), rows.end(), [&](const row& r) { return r.action == a; });
  };
  auto esc = step_of(find(case_action::escalate), case_state::signed_for);
  EXPECT_EQ(esc.holder, village_a1);
  EXPECT_EQ(esc.next, case_state::dispatched);
  EXPECT_EQ(esc.clock, actors::case_clock::sign);
  auto ret = step_of(find(case_action::return_case), case_state::dispatched);
  EXPECT_EQ(ret.holder, grid_a1_1);
  EXPECT_EQ(ret.next, case_state::return_requested);
  auto blow = step_of(find(case_action::approve_whistle), case_state::escalation_requested);
  EXPECT_TRUE(blow.blow_whistle);
  EXPECT_EQ(blow.next, case_state::whistle_blown);
  auto dispatch = step_of(find(case_action::dispatch), case_state::triaged);
  EXPECT_EQ(dispatch.holder, town_a);
}

TEST_F(case_rules_test, whistles_summon_only_departments_of_the_townships_county) {
  row r{case_action::propose_whistle, town_a, person_at(town_a, 4), {}, 0};
  auto c = make_case(r, case_state::in_progress);
  auto act = make_act(case_action::propose_whistle);
  act.departments = {other_dept};
  auto d = actors::decide(*h_, c, who(r.who), act);
  ASSERT_TRUE(std::holds_alternative<actors::refusal>(d));
  EXPECT_EQ(std::get<actors::refusal>(d).code, errc::forbidden);
  act.departments = {police, police};
  EXPECT_EQ(std::get<actors::refusal>(actors::decide(*h_, c, who(r.who), act)).code,
            errc::invalid_argument);
  act.departments = {};
  EXPECT_EQ(std::get<actors::refusal>(actors::decide(*h_, c, who(r.who), act)).code,
            errc::invalid_argument);
}

TEST_F(case_rules_test, a_township_cannot_escalate_and_a_case_reported_here_cannot_be_returned) {
  row r{case_action::escalate, town_a, person_at(town_a, 1), {}, 0};
  auto c = make_case(r, case_state::in_progress);
  EXPECT_EQ(
      std::get<actors::refusal>(actors::decide(*h_, c, who(r.who), make_act(case_action::escalate)))
          .code,
      errc::forbidden);
  row g{case_action::return_case, grid_a1_1, person_at(grid_a1_1, 1), {}, 0};
  auto own = make_case(g, case_state::signed_for);
  EXPECT_EQ(std::get<actors::refusal>(
                actors::decide(*h_, own, who(g.who), make_act(case_action::return_case)))
                .code,
            errc::invalid_transition);
}

TEST_F(case_rules_test, a_whistled_case_is_resolved_once_every_department_has_fed_back) {
  row r{case_action::resolve, town_a, person_at(town_a, 2), {}, 0};
  auto c = make_case(r, case_state::whistle_blown);
  c.whistle.push_back({housing, actors::whistle_task::stage::reported_in, 0});
  auto d = actors::decide(*h_, c, who(r.who), make_act(case_action::resolve));
  ASSERT_TRUE(std::holds_alternative<actors::refusal>(d));
  EXPECT_EQ(std::get<actors::refusal>(d).code, errc::invalid_transition);
  c.whistle.back().at = actors::whistle_task::stage::fed_back;
  auto step = std::get<actors::case_step>(
      actors::decide(*h_, c, who(r.who), make_act(case_action::resolve)));
  EXPECT_EQ(step.next, case_state::resolved);
  EXPECT_EQ(step.clock, actors::case_clock::rating); // 评哨 starts
  c.state = case_state::in_progress;                 // resolved without a whistle pending
  EXPECT_EQ(std::get<actors::case_step>(
                actors::decide(*h_, c, who(r.who), make_act(case_action::resolve)))
                .clock,
            actors::case_clock::stop);
}

TEST_F(case_rules_test, a_case_cannot_be_marked_a_duplicate_of_itself) {
  row r{case_action::mark_duplicate, grid_a1_1, person_at(grid_a1_1, 1), {}, 0};
  auto c = make_case(r, case_state::reported);
  auto act = make_act(case_action::mark_duplicate);
  act.duplicate_of = c.id;
  auto d = actors::decide(*h_, c, who(r.who), act);
  ASSERT_TRUE(std::holds_alternative<actors::refusal>(d));
  EXPECT_EQ(std::get<actors::refusal>(d).code, errc::invalid_argument);
}

TEST_F(case_rules_test, departments_report_in_before_feeding_back) {
  actors::whistle_task t{police, actors::whistle_task::stage::summoned, 0};
  auto staff = who(person_at(police, 2));
  auto act = make_act(case_action::feedback);
  EXPECT_EQ(std::get<actors::refusal>(actors::decide_task(*h_, t, staff, act)).code,
            errc::invalid_transition);
  act.action = case_action::report_in;
  EXPECT_EQ(std::get<actors::whistle_task::stage>(actors::decide_task(*h_, t, staff, act)),
            actors::whistle_task::stage::reported_in);
  EXPECT_EQ(
      std::get<actors::refusal>(actors::decide_task(*h_, t, who(person_at(housing, 2)), act)).code,
      errc::forbidden);
}

TEST_F(case_rules_test, reports_come_from_the_units_own_staff) {
  protocol::case_report r;
  r.unit = grid_a1_1;
  r.category = "safety.dispute";
  EXPECT_FALSE(actors::decide_report(*h_, who(person_at(grid_a1_1, 3)), r).has_value());
  EXPECT_EQ(actors::decide_report(*h_, who(person_at(grid_a1_2, 3)), r)->code, errc::forbidden);
  r.category = "no.such";
  EXPECT_EQ(actors::decide_report(*h_, who(person_at(grid_a1_1, 3)), r)->code,
            errc::invalid_argument);
  r.unit = 42;
  EXPECT_EQ(actors::decide_report(*h_, who(person_at(grid_a1_1, 3)), r)->code, errc::unknown_unit);
}

} // namespace
} // namespace hub::testing
