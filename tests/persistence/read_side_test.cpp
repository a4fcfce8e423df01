// The read side across a restart on a real redis-server: a city recovered from the store
// answers every query as the city before it did (recovery rebuilds the read side from the
// stored cases), current to the same sequence number, and goes on from there.

#include "tests/persistence/store_fixture.hpp"

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::directive_action;
using protocol::query;
using protocol::query_kind;
using namespace codes;

constexpr auto P = person_at;

class read_side_test : public store_test {
protected:
  struct asked {
    protocol::person_id who;
    query q;
  };

  /// The answers to `questions`, each with its message id cleared (ids differ between runs).
  std::vector<protocol::server_message> answers(const std::vector<asked>& questions) {
    std::vector<protocol::server_message> out;
    for (const auto& [who, q] : questions) {
      auto reply = act(who, q);
      if (auto* r = std::get_if<protocol::result>(&reply))
        r->id = 0;
      else
        ADD_FAILURE() << "not a result: " << describe(reply);
      out.push_back(std::move(reply));
    }
    return out;
  }

  static query one(protocol::case_id id) {
    query q;
    q.case_ref = id;
    return q;
  }
  static query cases_of(protocol::unit_code unit, protocol::case_status status) {
    query q;
    q.what = query_kind::cases;
    q.unit = unit;
    q.status = status;
    return q;
  }
};

TEST_F(read_side_test, a_recovered_city_answers_every_query_as_before) {
  ASSERT_TRUE(start_city());
  // A whistled case rated and closed, an open one, a rejected one and a hotline case.
  auto whistled = report(P(grid_a1_1, 2), grid_a1_1);
  escalate_to_township(whistled, grid_a1_1, village_a1, town_a);
  whistle_through(whistled, town_a, {police, housing});
  EXPECT_ACK(step(P(town_a, 4), whistled, case_action::resolve));
  protocol::case_act rating;
  rating.unit = police;
  rating.score = 4;
  EXPECT_ACK(step(P(town_a, 1), whistled, case_action::rate, rating));
  EXPECT_ACK(step(P(town_a, 1), whistled, case_action::close));
  auto open = report(P(grid_b1_1, 2), grid_b1_1);
  EXPECT_ACK(step(P(grid_b1_1, 2), open, case_action::sign));
  auto rejected = report(P(grid_a2_1, 2), grid_a2_1);
  protocol::case_act why;
  why.note = "not ours";
  EXPECT_ACK(step(P(grid_a2_1, 1), rejected, case_action::reject, why));
  protocol::case_report hot;
  hot.unit = city_centre;
  hot.category = "safety.dispute";
  hot.title = "12345 call";
  hot.external_id = "SR-7";
  hot.lat = 32.1, hot.lon = 114.1;
  EXPECT_ACK(act(P(city_centre, 1), hot));
  // A directive to every grid of the county: two signed, one completed.
  protocol::directive_issue d;
  d.channel = 3;
  d.title = "排查";
  d.target.kind = protocol::target_kind::level;
  d.target.units = {county};
  d.target.level = protocol::unit_kind::grid;
  auto issued = act(P(county, 1), d);
  auto* made = std::get_if<protocol::ack>(&issued);
  ASSERT_NE(made, nullptr) << describe(issued);
  const auto directive = made->directive_ref;
  EXPECT_ACK(act(P(grid_a1_1, 2), protocol::directive_act{directive, directive_action::sign, ""}));
  EXPECT_ACK(
      act(P(grid_b2_2, 2), protocol::directive_act{directive, directive_action::complete, ""}));
  query receipts;
  receipts.what = query_kind::directive;
  receipts.directive_ref = directive;
  query lagging = receipts;
  lagging.unit = town_a;
  lagging.lagging = directive_action::sign;

  query issued_by;
  issued_by.what = query_kind::directives;
  issued_by.unit = county;
  issued_by.box = protocol::directive_box::issued;
  query inbox;
  inbox.what = query_kind::directives;
  inbox.unit = grid_a1_1;
  // The figures and rankings over periods: the day buckets rebuilt from the stored cases.
  auto figures_of = [](protocol::unit_code unit, protocol::figure_period period) {
    query q;
    q.what = query_kind::figures;
    q.unit = unit;
    q.period = period;
    return q;
  };
  auto ranking_of = [](protocol::unit_code unit, protocol::unit_kind level, protocol::rank_by by) {
    query q;
    q.what = query_kind::ranking;
    q.unit = unit;
    q.held_at = level;
    q.by = by;
    q.period = protocol::figure_period::month;
    return q;
  };

  const std::vector<asked> questions{
      {P(town_a, 1), one(whistled)},
      {P(police, 2), one(whistled)},
      {P(grid_b1_1, 2), one(open)},
      {P(county, 1), cases_of(county, protocol::case_status::all)},
      {P(county, 1), cases_of(county, protocol::case_status::open)},
      {P(town_a, 1), cases_of(town_a, protocol::case_status::done)},
      {P(police, 2), cases_of(police, protocol::case_status::all)},
      {P(city, 1), cases_of(city, protocol::case_status::all)},
      {P(city_centre, 1), cases_of(city, protocol::case_status::open)},
      {P(county, 1), receipts},
      {P(town_a, 1), lagging},
      {P(county, 1), issued_by},
      {P(grid_a1_1, 2), inbox},
      {P(county, 1), figures_of(county, protocol::figure_period::all)},
      {P(city, 1), figures_of(city, protocol::figure_period::today)},
      {P(town_a, 1), figures_of(town_a, protocol::figure_period::week)},
      {P(county, 1),
       ranking_of(county, protocol::unit_kind::township, protocol::rank_by::resolution)},
      {P(county, 1),
       ranking_of(county, protocol::unit_kind::department, protocol::rank_by::rating)},
      {P(city, 1), ranking_of(city, protocol::unit_kind::county, protocol::rank_by::response)},
  };
  auto before = answers(questions);
  const auto last = city_->events().last_seq();
  auto& steps = std::get<protocol::result>(before[0]).one.steps;
  ASSERT_EQ(steps.size(), 15u);
  EXPECT_EQ(steps[10].departments, std::vector<protocol::unit_code>{housing}); // its report-in
  EXPECT_EQ(std::get<protocol::result>(before[3]).total, 3u);
  EXPECT_EQ(std::get<protocol::result>(before[9]).directive.scope.signed_count, 2u);
  EXPECT_EQ(std::get<protocol::result>(before[10]).total, 3u); // town_a's grids but one
  const auto& own = std::get<protocol::result>(before[11]).directives;
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].id, directive);
  EXPECT_EQ(own[0].signed_count, 2u);
  EXPECT_EQ(own[0].done, 1u);
  const auto& mine = std::get<protocol::result>(before[12]).directives;
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].action, directive_action::sign);
  const auto& county_figures = std::get<protocol::result>(before[13]).figures.unit;
  EXPECT_EQ(county_figures.reported, 5u); // three reports and two summonses (the hotline: the city)
  EXPECT_EQ(county_figures.resolved, 3u); // the close and two feedbacks
  EXPECT_EQ(county_figures.rated, 1u);
  EXPECT_EQ(county_figures.open, 1u);
  EXPECT_EQ(std::get<protocol::result>(before[14]).figures.unit.reported, 6u);
  EXPECT_EQ(std::get<protocol::result>(before[17]).ranking.rows.front().unit, police);
  stop_city();

  ASSERT_TRUE(start_city());
  auto after = answers(questions);
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(after[i], before[i]) << "question " << i << ":\n  before " << describe(before[i])
                                   << "\n  after  " << describe(after[i]);
    EXPECT_EQ(std::get<protocol::result>(after[i]).seq, last);
  }

  // And it goes on from there: a step after the restart shows, current to its event.
  auto reply = step(P(grid_b1_1, 2), open, case_action::start);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  auto now = act(P(grid_b1_1, 2), one(open));
  auto* r = std::get_if<protocol::result>(&now);
  ASSERT_NE(r, nullptr) << describe(now);
  EXPECT_EQ(r->seq, a->seq);
  EXPECT_EQ(r->one.summary.state, protocol::case_state::in_progress);
  EXPECT_EQ(r->one.steps.size(), 3u);
}

// A directive that reaches more units than the read side lists unit by unit (a city-wide one:
// it is looked up in its receipts instead) leaves every inbox when its retention has run out,
// and is still answered from the archive; the inboxes go on answering.
TEST_F(read_side_test, a_broad_directive_leaves_the_inboxes_after_its_retention) {
  h_ = make_small_city(70);
  retain = std::chrono::hours(1);
  ASSERT_TRUE(start_city());
  protocol::directive_issue d;
  d.channel = 1;
  d.title = "防汛";
  d.target.kind = protocol::target_kind::level;
  d.target.units = {city};
  d.target.level = protocol::unit_kind::grid;
  auto reply = act(P(city, 1), d);
  auto* a = std::get_if<protocol::ack>(&reply);
  ASSERT_NE(a, nullptr) << describe(reply);
  const auto id = a->directive_ref;
  std::vector<protocol::unit_code> grids;
  for (const auto& u : h_->units)
    if (u.kind == protocol::unit_kind::grid)
      grids.push_back(u.code);
  ASSERT_EQ(grids.size(), 78u);
  for (auto g : grids) // grid_fulltime: seq 2 in the first eight grids, 1 in the added ones
    EXPECT_ACK(act(g / 1000 == village_b2 && g % 1000 > 2 ? P(g, 1) : P(g, 2),
                   protocol::directive_act{id, directive_action::complete, ""}));

  query inbox;
  inbox.what = query_kind::directives;
  inbox.box = protocol::directive_box::inbox;
  inbox.unit = grid_a1_1;
  query directive;
  directive.what = query_kind::directive;
  directive.directive_ref = id;
  auto listed = [&] {
    auto r = answers({{P(grid_a1_1, 2), inbox}});
    return std::get<protocol::result>(r[0]).directives.size();
  };
  EXPECT_EQ(listed(), 1u);
  const auto before = answers({{P(city, 1), directive}});
  advance(std::chrono::hours(2)); // past the retention after the last completion
  EXPECT_EQ(listed(), 0u);
  EXPECT_EQ(answers({{P(city, 1), directive}}), before);
}

} // namespace
} // namespace hub::testing
