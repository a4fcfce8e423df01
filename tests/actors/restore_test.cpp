// Recovery's domain half (actors/restore.hpp), without a store: where each stored record goes,
// and what a crash between a department's write and its township's left behind, made good.

#include "actors/directive.hpp"
#include "actors/ids.hpp"
#include "actors/restore.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

namespace hub::testing {
namespace {

using namespace codes;
using actors::whistle_task;
using protocol::case_state;
using protocol::directive_action;

constexpr protocol::timestamp_ms approved_at = 1795564800000;
constexpr protocol::timestamp_ms day_ms = 24 * 3600 * 1000;

class restore_test : public ::testing::Test {
protected:
  actors::unit_restore& at(protocol::unit_code u) { return snap_.units[h_->index_of(u)]; }

  actors::case_record made_at(protocol::unit_code maker, protocol::unit_code holder,
                              case_state state) {
    actors::case_record c;
    c.id = actors::make_id(h_->index_of(maker), ++made_);
    c.origin = maker;
    c.holder = holder;
    c.state = state;
    return c;
  }

  actors::task_record task(protocol::case_id id, protocol::unit_code department,
                           whistle_task::stage stage, std::uint8_t score = 0) {
    actors::task_record t;
    t.id = id;
    t.department = department;
    t.task.township = town_a;
    t.task.task = {department, stage, score};
    return t;
  }

  std::shared_ptr<const protocol::hierarchy> h_ = make_small_city();
  actors::city_snapshot snap_;
  actors::snapshot_builder city_{*h_, snap_};
  std::uint64_t made_ = 0;
};

TEST_F(restore_test, a_case_goes_to_its_holder_and_its_maker_keeps_a_forwarding_entry) {
  auto moved = made_at(grid_a1_1, village_a1, case_state::signed_for);
  auto closed = made_at(grid_a1_1, grid_a1_1, case_state::closed);
  city_.add(moved);
  city_.add(closed);
  city_.finish();
  ASSERT_EQ(at(village_a1).cases.size(), 1u);
  EXPECT_EQ(at(village_a1).cases[0].id, moved.id);
  ASSERT_EQ(at(grid_a1_1).cases.size(), 1u);
  EXPECT_EQ(at(grid_a1_1).cases[0].id, closed.id);
  ASSERT_EQ(at(grid_a1_1).moved.size(), 1u);
  EXPECT_EQ(at(grid_a1_1).moved[0], std::make_pair(moved.id, village_a1));
  EXPECT_EQ(city_.counted().cases, 2u);
  EXPECT_EQ(city_.counted().open_cases, 1u);
}

TEST_F(restore_test, a_rated_task_is_over_and_an_open_one_goes_to_its_department) {
  auto c = made_at(town_a, town_a, case_state::resolved);
  city_.add(task(c.id, police, whistle_task::stage::fed_back, 4));
  city_.add(task(c.id, housing, whistle_task::stage::fed_back));
  city_.finish();
  EXPECT_TRUE(at(police).tasks.empty());
  ASSERT_EQ(at(housing).tasks.size(), 1u);
  EXPECT_EQ(at(housing).tasks[0].id, c.id);
  EXPECT_EQ(city_.counted().tasks, 1u);
}

// The township stores the case, each department its task, in two batches: a crash between
// them leaves one behind. A department whose task is missing gets it back from the case
// (summoned when the whistle was approved, reporting in due a day later: the category's
// department_sign); a case whose whistle entry lags its department's task takes its stage.
TEST_F(restore_test, a_whistle_left_behind_by_a_crash_is_made_good) {
  auto c = made_at(grid_a1_1, town_a, case_state::whistle_blown);
  c.whistle = {{police, whistle_task::stage::summoned, 0},
               {housing, whistle_task::stage::summoned, 0}};
  c.clock_start = approved_at - 1;
  actors::history_entry approve;
  approve.at = approved_at;
  approve.action = protocol::case_action::approve_whistle;
  c.history = {approve};
  city_.add(task(c.id, police, whistle_task::stage::reported_in));
  city_.add(c);
  city_.finish();

  const auto& held = at(town_a).cases.at(0);
  EXPECT_EQ(held.whistle[0].at, whistle_task::stage::reported_in); // police caught up
  EXPECT_EQ(held.whistle[1].at, whistle_task::stage::summoned);
  ASSERT_EQ(at(housing).tasks.size(), 1u);
  const auto& rebuilt = at(housing).tasks[0];
  EXPECT_EQ(rebuilt.id, c.id);
  EXPECT_EQ(rebuilt.department, housing);
  EXPECT_EQ(rebuilt.task.township, town_a);
  EXPECT_EQ(rebuilt.task.task.at, whistle_task::stage::summoned);
  EXPECT_EQ(rebuilt.task.summoned_at, approved_at);
  EXPECT_EQ(rebuilt.task.next_check, approved_at + day_ms);
  EXPECT_EQ(at(police).tasks.size(), 1u); // stored, not made again
  EXPECT_EQ(city_.counted().tasks, 2u);
}

TEST_F(restore_test, a_directive_goes_to_its_issuer_and_every_recipient_with_its_answer) {
  auto info = actors::make_directive();
  info->id = actors::make_id(h_->index_of(county), 1);
  info->issuer_unit = county;
  info->what.target.kind = protocol::target_kind::level;
  info->what.target.units = {county};
  info->what.target.level = protocol::unit_kind::village;
  const auto everyone = actors::all_recipients(*h_, *info, county);
  ASSERT_EQ(everyone.size(), 4u);
  actors::receipt_record signed_by_a1{info->id, everyone[0], directive_action::sign};
  city_.add(actors::directive_record{info, false}, {signed_by_a1});
  city_.finish();

  ASSERT_EQ(at(county).issued.size(), 1u);
  const auto& progress = at(county).issued[0].progress;
  ASSERT_EQ(progress.size(), everyone.size());
  for (std::size_t i = 0; i < everyone.size(); ++i) {
    EXPECT_EQ(progress[i].first, everyone[i]);
    EXPECT_EQ(progress[i].second, i == 0 ? directive_action::sign : directive_action::issue);
    const auto& received = at(everyone[i].unit).received;
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].info->id, info->id);
    ASSERT_EQ(received[0].progress.size(), 1u);
    EXPECT_EQ(received[0].progress[0], progress[i]);
  }
  EXPECT_EQ(city_.counted().directives, 1u);
  EXPECT_EQ(city_.counted().receipts, 1u);
}

TEST_F(restore_test, a_record_naming_a_unit_the_hierarchy_lacks_is_refused) {
  EXPECT_THROW(city_.add(made_at(grid_a1_1, 411599, case_state::reported)), actors::foreign_record);
  auto forged = made_at(grid_a1_1, grid_a1_1, case_state::reported);
  forged.id = actors::make_id(static_cast<std::uint32_t>(h_->units.size()), 1);
  EXPECT_THROW(city_.add(forged), actors::foreign_record);
  actors::unit_record u;
  u.unit = 411599;
  EXPECT_THROW(city_.add(u), actors::foreign_record);
  EXPECT_THROW(city_.add(task(1, 411599, whistle_task::stage::summoned)), actors::foreign_record);
}

} // namespace
} // namespace hub::testing
