#include "tests/actors/city_fixture.hpp"

namespace hub::testing {
namespace {

using protocol::directive_action;
using protocol::errc;
using protocol::target_kind;
using namespace codes;

constexpr auto P = person_at;

class directive_test : public city_test {
protected:
  /// Issues a directive as `who`; returns its id (0 when refused, with the reply kept).
  protocol::directive_id issue(protocol::person_id who, protocol::directive_target target,
                               protocol::server_message* reply = nullptr) {
    protocol::directive_issue d;
    d.channel = 2;
    d.title = "防汛检查";
    d.body = "排查辖区隐患";
    d.deadline = start_wall + 24 * 3600 * 1000;
    d.target = std::move(target);
    auto r = act(who, d);
    if (reply != nullptr)
      *reply = r;
    auto* a = std::get_if<protocol::ack>(&r);
    return a != nullptr ? a->directive_ref : 0;
  }

  static protocol::directive_target target(target_kind kind,
                                           std::vector<protocol::unit_code> units) {
    protocol::directive_target t;
    t.kind = kind;
    t.units = std::move(units);
    return t;
  }

  protocol::server_message answer(protocol::person_id who, protocol::directive_id id,
                                  directive_action a) {
    return act(who, protocol::directive_act{id, a, ""});
  }

  const actors::issued_directive& issued(protocol::unit_code at, protocol::directive_id id) {
    return state_of(at).issued_.at(id);
  }

  /// The tally events `watch` got: the issuer's events (no recipient) other than its issue.
  static std::vector<protocol::directive_event> tallies_in(const recorder& watch) {
    std::vector<protocol::directive_event> out;
    for (auto& e : watch.all<protocol::directive_event>())
      if (e.action != directive_action::issue && e.recipient == 0)
        out.push_back(e);
    return out;
  }

  /// Subscribes a recorder to the county and issues a directive to its every grid (8).
  std::pair<std::shared_ptr<recorder>, protocol::directive_id> county_watch_and_directive() {
    auto watch = std::make_shared<recorder>();
    EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, watch));
    auto t = target(target_kind::level, {county});
    t.level = protocol::unit_kind::grid;
    return {watch, issue(P(county, 1), t)};
  }
};

TEST_F(directive_test, a_directive_to_every_grid_tallies_every_receipt_at_the_issuer) {
  auto t = target(target_kind::level, {city});
  t.level = protocol::unit_kind::grid;
  auto id = issue(P(city, 1), t);
  ASSERT_NE(id, 0u);
  EXPECT_EQ(issued(city, id).progress.size(), 8u);
  for (auto g : {grid_a1_1, grid_a1_2, grid_b2_2})
    EXPECT_EQ(state_of(g).received_.count(id), 1u);
  EXPECT_EQ(state_of(village_a1).received_.count(id), 0u);

  EXPECT_ACK(answer(P(grid_a1_1, 3), id, directive_action::sign));
  EXPECT_REFUSED(answer(P(grid_a1_1, 2), id, directive_action::sign), errc::invalid_transition);
  EXPECT_ACK(answer(P(grid_a1_1, 2), id, directive_action::complete));
  EXPECT_ACK(answer(P(grid_b2_2, 1), id, directive_action::complete));
  EXPECT_REFUSED(answer(P(village_a1, 1), id, directive_action::sign), errc::unknown_directive);

  const auto& d = issued(city, id);
  EXPECT_EQ(d.signed_count, 2u);
  EXPECT_EQ(d.done, 2u);
  auto laggards = state_of(city).laggards(id);
  EXPECT_EQ(laggards.size(), 6u);
  EXPECT_EQ(std::count(laggards.begin(), laggards.end(), actors::recipient{grid_a1_1, 0}), 0);
}

// An open directive's receipts cost a few bytes a recipient: 9 at the issuer (its unit and
// person as hierarchy indices, its state), 24 at a recipient unit with one recipient (the
// info shared with the issuer), so that a city-wide directive's 18,100 grids cost about
// 600 KB in both together. Several people posted at one unit keep their list beside.
TEST_F(directive_test, receipts_cost_a_few_bytes_per_recipient) {
  static_assert(sizeof(actors::received_directive) <= 24);
  auto t = target(target_kind::level, {city});
  t.level = protocol::unit_kind::grid;
  auto id = issue(P(city, 1), t);
  ASSERT_NE(id, 0u);
  const auto& d = issued(city, id);
  ASSERT_EQ(d.progress.size(), 8u);
  EXPECT_EQ(d.progress.bytes(), 9u * d.progress.size());
  for (auto g : {grid_a1_1, grid_a1_2, grid_b2_2}) {
    const auto* r = state_of(g).received_.find(id);
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->crowd);
    EXPECT_EQ(r->info.get(), d.info.get()) << "one info for all";
    EXPECT_EQ(state_of(g).receipts_of(*r),
              (std::vector<actors::progress_list::entry>{
                  {actors::recipient{g, 0}, directive_action::issue}}));
  }
  EXPECT_ACK(answer(P(grid_a1_2, 1), id, directive_action::sign));
  EXPECT_EQ(state_of(grid_a1_2).receipts_of(*state_of(grid_a1_2).received_.find(id)),
            (std::vector<actors::progress_list::entry>{
                {actors::recipient{grid_a1_2, 0}, directive_action::sign}}));

  // Two people named at one grid: both kept, each answers for themself only.
  protocol::directive_target people;
  people.kind = target_kind::people;
  people.people = {P(grid_a1_1, 2), P(grid_a1_1, 1)};
  auto named = issue(P(county, 1), people);
  const auto* r = state_of(grid_a1_1).received_.find(named);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->crowd);
  EXPECT_ACK(answer(P(grid_a1_1, 2), named, directive_action::complete));
  EXPECT_REFUSED(answer(P(grid_a1_1, 3), named, directive_action::sign), errc::forbidden);
  EXPECT_EQ(state_of(grid_a1_1).receipts_of(*r),
            (std::vector<actors::progress_list::entry>{
                {actors::recipient{grid_a1_1, P(grid_a1_1, 1)}, directive_action::issue},
                {actors::recipient{grid_a1_1, P(grid_a1_1, 2)}, directive_action::complete}}));
  EXPECT_EQ(issued(county, named).progress.entries(*h_),
            (std::vector<actors::progress_list::entry>{
                {actors::recipient{grid_a1_1, P(grid_a1_1, 1)}, directive_action::issue},
                {actors::recipient{grid_a1_1, P(grid_a1_1, 2)}, directive_action::complete}}));
}

// What the wire decoder refuses is refused in process too (the simulator and benchmarks submit
// directives without the decoder): a directive is stored in its wire form, and recovery reads
// it back with the decoder.
TEST_F(directive_test, a_directive_the_wire_would_refuse_is_refused_in_process) {
  auto t = target(target_kind::level, {county});
  t.level = protocol::unit_kind::grid;
  t.people = {P(grid_a1_1, 1)}; // a field the level kind does not use
  protocol::server_message reply;
  EXPECT_EQ(issue(P(county, 1), t, &reply), 0u);
  EXPECT_REFUSED(reply, errc::invalid_argument);
  EXPECT_TRUE(state_of(county).issued_.empty()) << "a refused directive was kept";
  t.people.clear();
  EXPECT_NE(issue(P(county, 1), t), 0u); // the same without the stray field
}

TEST_F(directive_test, each_kind_of_target_reaches_the_right_recipients) {
  auto subtree = issue(P(county, 1), target(target_kind::subtree, {town_a}));
  EXPECT_EQ(issued(county, subtree).progress.size(), 7u); // town, 2 villages, 4 grids

  auto module = target(target_kind::module, {county});
  module.module = 1;
  auto by_module = issue(P(county, 1), module);
  const auto& m = issued(county, by_module).progress;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m.find(*h_, actors::recipient{town_a, P(town_a, 4)}), actors::progress_list::npos);
  EXPECT_REFUSED(answer(P(town_a, 5), by_module, directive_action::sign), errc::forbidden);
  EXPECT_ACK(answer(P(town_a, 4), by_module, directive_action::sign));

  auto post = target(target_kind::post, {county});
  post.holder = protocol::post::village_security;
  auto by_post = issue(P(centre, 1), post); // a centre operator directs its county
  EXPECT_EQ(issued(county, by_post).progress.size(), 4u);

  protocol::directive_target people;
  people.kind = target_kind::people;
  people.people = {P(grid_b2_2, 1), P(police, 2)};
  auto named = issue(P(county, 1), people);
  EXPECT_EQ(issued(county, named).progress.size(), 2u);
  EXPECT_EQ(state_of(police).received_.count(named), 1u);
  EXPECT_ACK(answer(P(police, 2), named, directive_action::complete));
  EXPECT_EQ(issued(county, named).done, 1u);
}

TEST_F(directive_test, directives_stay_inside_the_issuers_jurisdiction) {
  protocol::server_message reply;
  auto t = target(target_kind::subtree, {other_county});
  EXPECT_EQ(issue(P(county, 1), t, &reply), 0u);
  EXPECT_REFUSED(reply, errc::forbidden);
  EXPECT_EQ(issue(P(grid_a1_1, 1), target(target_kind::subtree, {grid_a1_1}), &reply), 0u);
  EXPECT_REFUSED(reply, errc::forbidden);
  auto empty = target(target_kind::post, {town_a});
  empty.holder = protocol::post::department_head;
  EXPECT_EQ(issue(P(county, 1), empty, &reply), 0u);
  EXPECT_REFUSED(reply, errc::invalid_argument);
}

TEST_F(directive_test, laggards_are_reminded_at_the_deadline) {
  auto county_watch = std::make_shared<recorder>(), village_watch = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county}, county_watch));
  EXPECT_ACK(act(P(village_a2, 1), protocol::subscribe{village_a2}, village_watch));
  auto t = target(target_kind::level, {town_a});
  t.level = protocol::unit_kind::village;
  auto id = issue(P(county, 1), t);
  EXPECT_ACK(answer(P(village_a1, 1), id, directive_action::complete));
  auto reminders = [](const std::shared_ptr<recorder>& r) {
    std::vector<protocol::directive_event> out;
    for (auto& e : r->all<protocol::directive_event>())
      if (e.action == directive_action::remind)
        out.push_back(e);
    return out;
  };
  advance(std::chrono::hours(23));
  EXPECT_TRUE(reminders(county_watch).empty());
  EXPECT_TRUE(reminders(village_watch).empty());
  advance(std::chrono::hours(1));
  // The county sees its own reminder and the laggard's copy (the laggard is in its subtree);
  // the laggard's watchers its copy: the issuer's reminder with the issuer's tally.
  auto at_issuer = reminders(county_watch);
  ASSERT_EQ(at_issuer.size(), 2u);
  EXPECT_EQ(at_issuer[0].recipient, 0u);
  EXPECT_EQ(at_issuer[1].recipient, village_a2);
  for (auto& e : at_issuer) {
    EXPECT_EQ(e.unit, county);
    EXPECT_EQ(e.total, 2u);
    EXPECT_EQ(e.signed_count, 1u);
    EXPECT_EQ(e.done, 1u);
    EXPECT_EQ(e.by, 0u); // the deadline's, not a person's
  }
  auto at_laggard = reminders(village_watch);
  ASSERT_EQ(at_laggard.size(), 1u);
  EXPECT_EQ(at_laggard[0], at_issuer[1]);
  EXPECT_TRUE(issued(county, id).reminded);
}

TEST_F(directive_test, the_issuers_watchers_get_the_tally_at_a_bounded_rate) {
  auto [watch, id] = county_watch_and_directive();
  for (auto g : {grid_a1_1, grid_a1_2, grid_a2_1})
    EXPECT_ACK(answer(P(g, 2), id, directive_action::sign));
  EXPECT_ACK(answer(P(grid_b1_1, 2), id, directive_action::complete));
  auto tallies = [&] { return tallies_in(*watch); };
  EXPECT_TRUE(tallies().empty()); // the grids' own events came, but no tally yet
  advance(std::chrono::milliseconds(100));
  auto seen = tallies();
  ASSERT_EQ(seen.size(), 1u); // four receipts, one tally
  EXPECT_EQ(seen[0].unit, county);
  EXPECT_EQ(seen[0].total, 8u);
  EXPECT_EQ(seen[0].signed_count, 4u);
  EXPECT_EQ(seen[0].done, 1u);
  advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(tallies().size(), 1u); // nothing changed, nothing sent
}

TEST_F(directive_test, the_tally_that_completes_a_directive_is_published_at_once) {
  auto [watch, id] = county_watch_and_directive();
  auto tallies = [&] { return tallies_in(*watch); };
  for (auto g : {grid_a1_1, grid_a1_2, grid_a2_1, grid_a2_2, grid_b1_1, grid_b1_2, grid_b2_1})
    EXPECT_ACK(answer(P(g, 2), id, directive_action::sign));
  EXPECT_TRUE(tallies().empty()); // coalescing: the ticker has not fired
  EXPECT_ACK(answer(P(grid_b2_2, 2), id, directive_action::sign));
  auto seen = tallies(); // the 8th signature: every recipient signed, no time passed
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].signed_count, 8u);
  EXPECT_EQ(seen[0].total, 8u);
  advance(std::chrono::milliseconds(100));
  EXPECT_EQ(tallies().size(), 1u); // the coalesced receipts are in it: nothing more to send
}

TEST_F(directive_test, a_directive_may_have_no_deadline) {
  auto t = target(target_kind::level, {town_a});
  t.level = protocol::unit_kind::village;
  protocol::directive_issue d;
  d.title = "长期任务";
  d.target = t;
  auto reply = act(P(county, 1), d);
  EXPECT_ACK(reply);
}

} // namespace
} // namespace hub::testing

namespace hub::testing {
namespace {

TEST_F(directive_test, each_recipient_unit_sees_the_directive_arrive) {
  using namespace codes;
  auto grid_watch = std::make_shared<recorder>();
  EXPECT_ACK(act(person_at(grid_b1_2, 1), protocol::subscribe{grid_b1_2}, grid_watch));
  auto t = target(target_kind::level, {county});
  t.level = protocol::unit_kind::grid;
  auto id = issue(person_at(county, 1), t);
  auto events = grid_watch->all<protocol::directive_event>();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].id, id);
  EXPECT_EQ(events[0].action, directive_action::issue);
  EXPECT_EQ(events[0].recipient, grid_b1_2);
  // the issuer's directive, with the issuer's tally as issued
  EXPECT_EQ(events[0].unit, county);
  EXPECT_EQ(events[0].by, person_at(county, 1));
  EXPECT_EQ(events[0].total, 8u);
  EXPECT_EQ(events[0].signed_count, 0u);
  EXPECT_EQ(events[0].title, "防汛检查");
}

// A subscription receives the events of its unit's subtree, directive events too: a county
// (or a village) watches a city-wide directive arrive and get signed inside it, each event
// once, while the issuer's tally stays with the issuer's watchers.
TEST_F(directive_test, the_watchers_above_a_recipient_see_its_directive_events) {
  using namespace codes;
  auto county_watch = std::make_shared<recorder>(), village_watch = std::make_shared<recorder>(),
       city_watch = std::make_shared<recorder>();
  EXPECT_ACK(act(person_at(county, 1), protocol::subscribe{county}, county_watch));
  EXPECT_ACK(act(person_at(village_a1, 1), protocol::subscribe{village_a1}, village_watch));
  EXPECT_ACK(act(person_at(city, 1), protocol::subscribe{city}, city_watch));
  auto t = target(target_kind::level, {city});
  t.level = protocol::unit_kind::grid;
  auto id = issue(person_at(city, 1), t);
  ASSERT_NE(id, 0u);
  EXPECT_ACK(answer(person_at(grid_a1_1, 2), id, directive_action::sign));
  advance(std::chrono::milliseconds(100)); // the issuer's tally

  auto recipients = [](const recorder& r, directive_action a) {
    std::vector<protocol::unit_code> out;
    for (auto& e : r.all<protocol::directive_event>())
      if (e.action == a && e.recipient != 0)
        out.push_back(e.recipient);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(recipients(*village_watch, directive_action::issue),
            (std::vector<protocol::unit_code>{grid_a1_1, grid_a1_2}));
  EXPECT_EQ(recipients(*county_watch, directive_action::issue).size(), 8u);
  EXPECT_EQ(recipients(*city_watch, directive_action::issue).size(), 8u);
  for (auto* r : {village_watch.get(), county_watch.get(), city_watch.get()}) {
    EXPECT_EQ(recipients(*r, directive_action::sign), std::vector<protocol::unit_code>{grid_a1_1});
  }
  auto signs = village_watch->all<protocol::directive_event>();
  auto sign = std::find_if(signs.begin(), signs.end(),
                           [](auto& e) { return e.action == directive_action::sign; });
  ASSERT_NE(sign, signs.end());
  EXPECT_EQ(sign->unit, grid_a1_1); // the recipient that acted ...
  EXPECT_EQ(sign->by, person_at(grid_a1_1, 2));
  EXPECT_EQ(sign->total, 0u); // ... without counts: those are the issuer's
  EXPECT_EQ(tallies_in(*city_watch).size(), 1u);
  EXPECT_TRUE(tallies_in(*county_watch).empty());
}

} // namespace
} // namespace hub::testing
