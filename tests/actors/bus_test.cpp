#include "actors/bus.hpp"

#include "tests/actors/city_fixture.hpp"

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

} // namespace
} // namespace hub::testing
