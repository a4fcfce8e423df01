// Directive queries (protocol/README.md, "query"): one directive's receipts per child and its
// laggards, a unit's issued directives and its inbox, paged across shards, and who may ask.

#include "tests/actors/query_fixture.hpp"

#include <map>
#include <set>

namespace hub::testing {
namespace {

using protocol::errc;
using protocol::query;
using protocol::query_kind;
using namespace codes;

constexpr auto P = person_at;

class directive_query_test : public query_test_base {};

// A directive to every grid of the county (8): totals, the counts per child for drill-down,
// and the laggards a page at a time; each as the issuer's tally has it.
TEST_F(directive_query_test, a_directive_answers_its_receipts_per_child_and_its_laggards) {
  const auto id = to_grids(P(county, 1), county);
  ASSERT_NE(id, 0u);
  EXPECT_ACK(
      act(P(grid_a1_1, 2), protocol::directive_act{id, protocol::directive_action::sign, ""}));
  EXPECT_ACK(
      act(P(grid_a1_2, 2), protocol::directive_act{id, protocol::directive_action::complete, ""}));
  EXPECT_ACK(
      act(P(grid_b2_2, 2), protocol::directive_act{id, protocol::directive_action::complete, ""}));

  query q;
  q.what = query_kind::directive;
  q.directive_ref = id;
  auto r = ask(P(county, 1), q);
  EXPECT_EQ(r.seq, city_->events().last_seq());
  const auto& got = r.directive;
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.unit, county);
  EXPECT_EQ(got.title, "防汛检查");
  EXPECT_EQ(got.scope.unit, county);
  EXPECT_EQ(got.scope.total, 8u);
  EXPECT_EQ(got.scope.signed_count, 3u);
  EXPECT_EQ(got.scope.done, 2u);
  // The issuer's own tally says the same.
  const auto& tally = state_of(county).issued_.at(id);
  EXPECT_EQ(tally.signed_count, got.scope.signed_count);
  EXPECT_EQ(tally.done, got.scope.done);
  ASSERT_EQ(got.children.size(), 2u); // the two townships
  EXPECT_EQ(got.children[0].unit, town_a);
  EXPECT_EQ(got.children[0].total, 4u);
  EXPECT_EQ(got.children[0].signed_count, 2u);
  EXPECT_EQ(got.children[0].done, 1u);
  EXPECT_EQ(got.children[1].unit, town_b);
  EXPECT_EQ(got.children[1].done, 1u);
  // Laggards: not completed (6), or not signed (5); in pages.
  EXPECT_EQ(r.total, 6u);
  EXPECT_EQ(got.laggards.size(), 6u);
  q.lagging = protocol::directive_action::sign;
  q.limit = 2;
  std::vector<protocol::laggard> all;
  for (int page = 0; page < 10; ++page) {
    auto p = ask(P(county, 1), q);
    EXPECT_EQ(p.total, 5u);
    all.insert(all.end(), p.directive.laggards.begin(), p.directive.laggards.end());
    if (p.cursor.empty())
      break;
    q.cursor = p.cursor;
  }
  ASSERT_EQ(all.size(), 5u);
  for (const auto& l : all) {
    EXPECT_EQ(l.action, protocol::directive_action::issue);
    EXPECT_NE(l.unit, grid_a1_1);
  }
  // Drill down into town_a: its villages.
  q.cursor.clear();
  q.unit = town_a;
  q.lagging = protocol::directive_action::complete;
  q.limit = 0;
  auto town = ask(P(town_a, 1), q);
  EXPECT_EQ(town.directive.scope.total, 4u);
  ASSERT_EQ(town.directive.children.size(), 2u);
  EXPECT_EQ(town.directive.children[0].unit, village_a1);
  EXPECT_EQ(town.directive.children[0].done, 1u);
  EXPECT_EQ(town.total, 3u);
  // Who may see: the township its own part only, a grid its own receipt; not another county.
  q.unit = 0;
  EXPECT_REFUSED(act(P(town_a, 1), q), errc::forbidden);
  q.unit = town_b;
  EXPECT_REFUSED(act(P(town_a, 1), q), errc::forbidden);
  q.unit = grid_a1_1;
  EXPECT_EQ(ask(P(grid_a1_1, 3), q).directive.scope.signed_count, 1u);
  q.unit = village_a1;
  EXPECT_REFUSED(act(P(grid_a1_1, 3), q), errc::forbidden);
  q.unit = 0;
  EXPECT_REFUSED(act(P(other_town, 1), q), errc::forbidden);
  q.directive_ref = id + 1000;
  EXPECT_REFUSED(act(P(county, 1), q), errc::unknown_directive);
}

// A unit's directives: those it issued with the issuer's tally, and its inbox with each of its
// recipients' own answer (a county's and the city's issuers both reach a township); paged
// across shards, each row once; and who may ask.
TEST_F(directive_query_test, a_units_directives_are_those_it_issued_and_its_inbox) {
  auto issue = [&](protocol::person_id who, protocol::target_kind kind,
                   std::vector<protocol::unit_code> units, protocol::unit_kind level,
                   std::vector<protocol::person_id> people = {}) {
    protocol::directive_issue d;
    d.channel = 4;
    d.title = "排查";
    d.target.kind = kind;
    d.target.units = std::move(units);
    d.target.level = level;
    d.target.people = std::move(people);
    auto reply = act(who, d);
    auto* a = std::get_if<protocol::ack>(&reply);
    EXPECT_NE(a, nullptr) << describe(reply);
    return a != nullptr ? a->directive_ref : 0;
  };
  using K = protocol::unit_kind;
  using T = protocol::target_kind;
  using A = protocol::directive_action;
  const auto grids = issue(P(county, 1), T::level, {county}, K::grid);
  const auto named =
      issue(P(county, 1), T::people, {}, K::grid, {P(grid_a1_1, 2), P(grid_a1_1, 3)});
  const auto villages = issue(P(town_a, 1), T::level, {town_a}, K::village);
  const auto townships = issue(P(city, 1), T::level, {city}, K::township);
  EXPECT_ACK(act(P(grid_a1_1, 2), protocol::directive_act{grids, A::sign, ""}));
  EXPECT_ACK(act(P(grid_b1_1, 2), protocol::directive_act{grids, A::complete, ""}));
  EXPECT_ACK(act(P(grid_a1_1, 2), protocol::directive_act{named, A::complete, ""}));

  auto box_of = [](protocol::unit_code unit, protocol::directive_box box) {
    query q;
    q.what = query_kind::directives;
    q.unit = unit;
    q.box = box;
    return q;
  };
  // Every row of every page, checking that the pages join up.
  auto all_pages = [&](protocol::person_id who, query q) {
    std::vector<protocol::directive_row> rows;
    q.limit = 1;
    std::uint32_t total = 0;
    for (int page = 0; page < 10; ++page) {
      auto r = ask(who, q);
      EXPECT_EQ(r.seq, city_->events().last_seq());
      EXPECT_EQ(r.directives.size(), 1u);
      total = r.total;
      rows.insert(rows.end(), r.directives.begin(), r.directives.end());
      if (r.cursor.empty())
        break;
      q.cursor = r.cursor;
    }
    EXPECT_EQ(rows.size(), total); // the last page says so: no cursor
    return rows;
  };
  using protocol::directive_box;

  // The county's own: both, with the tally the issuer keeps.
  auto issued = ask(P(county, 1), box_of(county, directive_box::issued));
  EXPECT_EQ(issued.seq, city_->events().last_seq());
  EXPECT_EQ(issued.total, 2u);
  ASSERT_EQ(issued.directives.size(), 2u);
  EXPECT_TRUE(issued.cursor.empty());
  for (const auto& row : issued.directives) {
    EXPECT_EQ(row.unit, county);
    EXPECT_EQ(row.by, P(county, 1));
    EXPECT_EQ(row.title, "排查");
    EXPECT_EQ(row.channel, 4u);
    const auto& tally = state_of(county).issued_.at(row.id);
    EXPECT_EQ(row.total, tally.progress.size());
    EXPECT_EQ(row.signed_count, tally.signed_count);
    EXPECT_EQ(row.done, tally.done);
    EXPECT_EQ(row.person, 0u);
    EXPECT_EQ(row.action, A::issue);
  }
  auto by_id = [](const std::vector<protocol::directive_row>& rows, protocol::directive_id id) {
    return *std::find_if(rows.begin(), rows.end(), [&](const auto& r) { return r.id == id; });
  };
  EXPECT_EQ(by_id(issued.directives, grids).total, 8u);
  EXPECT_EQ(by_id(issued.directives, grids).signed_count, 2u);
  EXPECT_EQ(by_id(issued.directives, grids).done, 1u);
  EXPECT_EQ(by_id(issued.directives, named).total, 2u);
  EXPECT_EQ(by_id(issued.directives, named).done, 1u);
  // A page at a time, the same rows in the same order.
  auto paged = all_pages(P(county, 1), box_of(county, directive_box::issued));
  EXPECT_EQ(paged, issued.directives);

  // A grid's inbox: the directive to its unit, and one row per person named there, each with
  // its own answer and no tally.
  auto inbox = all_pages(P(grid_a1_1, 3), box_of(grid_a1_1, directive_box::inbox));
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(ask(P(grid_a1_1, 3), box_of(grid_a1_1, directive_box::inbox)).directives, inbox);
  std::set<std::pair<protocol::directive_id, protocol::person_id>> seen;
  for (const auto& row : inbox) {
    seen.emplace(row.id, row.person);
    EXPECT_EQ(row.total, 0u);
    EXPECT_EQ(row.signed_count, 0u);
    EXPECT_EQ(row.unit, county);
    if (row.id == grids)
      EXPECT_EQ(row.action, A::sign);
    else if (row.person == P(grid_a1_1, 2))
      EXPECT_EQ(row.action, A::complete);
    else
      EXPECT_EQ(row.action, A::issue);
  }
  EXPECT_EQ(seen, (std::set<std::pair<protocol::directive_id, protocol::person_id>>{
                      {grids, 0}, {named, P(grid_a1_1, 2)}, {named, P(grid_a1_1, 3)}}));
  // A township: the city's directive (kept in the city's shard) in its inbox, its own
  // directive to its villages in its issued box, and that one in a village's inbox.
  auto town_inbox = ask(P(town_a, 1), box_of(town_a, directive_box::inbox));
  ASSERT_EQ(town_inbox.directives.size(), 1u);
  EXPECT_EQ(town_inbox.directives[0].id, townships);
  EXPECT_EQ(town_inbox.directives[0].unit, city);
  auto town_issued = ask(P(town_a, 1), box_of(town_a, directive_box::issued));
  ASSERT_EQ(town_issued.directives.size(), 1u);
  EXPECT_EQ(town_issued.directives[0].id, villages);
  EXPECT_EQ(town_issued.directives[0].total, 2u);
  auto village_inbox = ask(P(village_a1, 1), box_of(village_a1, directive_box::inbox));
  ASSERT_EQ(village_inbox.directives.size(), 1u);
  EXPECT_EQ(village_inbox.directives[0].id, villages);
  EXPECT_EQ(ask(P(town_a, 1), box_of(village_a1, directive_box::inbox)).directives,
            village_inbox.directives);
  // Read your own writes: a sign acked shows in the inbox at once.
  EXPECT_ACK(act(P(village_a1, 1), protocol::directive_act{villages, A::sign, ""}));
  EXPECT_EQ(ask(P(village_a1, 1), box_of(village_a1, directive_box::inbox)).directives[0].action,
            A::sign);
  EXPECT_EQ(ask(P(city, 1), box_of(county, directive_box::issued)).total, 2u);

  // Who may ask: the unit's watchers; the hotline its own centre's only.
  EXPECT_REFUSED(act(P(grid_a1_1, 3), box_of(village_a1, directive_box::inbox)), errc::forbidden);
  EXPECT_REFUSED(act(P(town_a, 1), box_of(county, directive_box::issued)), errc::forbidden);
  EXPECT_REFUSED(act(P(other_town, 1), box_of(town_a, directive_box::inbox)), errc::forbidden);
  EXPECT_REFUSED(act(P(police, 2), box_of(county, directive_box::inbox)), errc::forbidden);
  EXPECT_EQ(ask(P(police, 2), box_of(police, directive_box::inbox)).total, 0u);
  EXPECT_REFUSED(act(P(city_centre, 1), box_of(county, directive_box::issued)), errc::forbidden);
  EXPECT_EQ(ask(P(city_centre, 1), box_of(city_centre, directive_box::inbox)).total, 0u);
  EXPECT_REFUSED(act(P(city, 1), box_of(411599, directive_box::inbox)), errc::unknown_unit);
  auto bad = box_of(county, directive_box::issued);
  bad.cursor = "1.2";
  EXPECT_REFUSED(act(P(county, 1), bad), errc::invalid_argument);
}

// A directive that reaches more units than the read side lists one by one (a city-wide one)
// is in the inbox of each of its recipients' units, with that recipient's own answer, and of
// no other unit; beside it a narrow one, listed per unit as before.
class wide_city_test : public query_test_base {
protected:
  wide_city_test()
    : query_test_base(make_small_city(70)) {}
};

TEST_F(wide_city_test, a_broad_directive_is_in_each_recipients_inbox_and_no_other) {
  using A = protocol::directive_action;
  const auto wide = to_grids(P(city, 1), city); // 78 grids
  const auto narrow = to_grids(P(town_a, 1), town_a);
  const auto far_grid = village_b2 * 1000 + 50;
  EXPECT_ACK(act(P(far_grid, 1), protocol::directive_act{wide, A::complete, ""}));
  EXPECT_ACK(act(P(grid_a1_1, 2), protocol::directive_act{wide, A::sign, ""}));

  auto inbox_of = [&](protocol::person_id who, protocol::unit_code unit) {
    query q;
    q.what = query_kind::directives;
    q.unit = unit;
    q.box = protocol::directive_box::inbox;
    std::map<protocol::directive_id, A> rows;
    auto r = ask(who, q);
    EXPECT_EQ(r.total, r.directives.size());
    for (const auto& row : r.directives)
      rows.emplace(row.id, row.action);
    return rows;
  };
  EXPECT_EQ(inbox_of(P(grid_a1_1, 2), grid_a1_1),
            (std::map<protocol::directive_id, A>{{wide, A::sign}, {narrow, A::issue}}));
  EXPECT_EQ(inbox_of(P(far_grid, 1), far_grid),
            (std::map<protocol::directive_id, A>{{wide, A::complete}}));
  EXPECT_EQ(inbox_of(P(grid_b2_2, 2), grid_b2_2),
            (std::map<protocol::directive_id, A>{{wide, A::issue}}));
  EXPECT_TRUE(inbox_of(P(village_b2, 1), village_b2).empty());
  EXPECT_TRUE(inbox_of(P(town_a, 1), town_a).empty());
  EXPECT_TRUE(inbox_of(P(county, 1), county).empty());
}

} // namespace
} // namespace hub::testing
