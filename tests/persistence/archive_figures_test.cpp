// What the archived cases count in the figures, on a real redis-server (persistence/README.md,
// "The figures"): kept in the store from the batch that archives a case, packed per unit and
// day, folded into months past the figure window, converted from the earlier layout, and the
// same figures and rankings after a restart as before it.

#include "tests/persistence/archive_fixture.hpp"

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::case_state;
using protocol::query;
using protocol::query_kind;
using namespace codes;
using namespace std::chrono_literals;

constexpr auto P = person_at;

// The figures over periods count the archived cases after a restart as before it: what an
// archived case counted is kept in Redis (hub:figures:*), added in the batch that archives it
// and taken off in the one that brings it back, and recovery starts the read side's figures
// from it (the hot cases' steps are counted again on top).
TEST_F(archive_test, figures_and_rankings_count_the_archived_cases_after_a_restart) {
  ASSERT_TRUE(start_city());
  auto a = closed_case("a");
  closed_case("b");
  auto up = report(P(grid_b1_1, 2), grid_b1_1, "up");
  escalate_to_township(up, grid_b1_1, village_b1, town_b);
  EXPECT_ACK(step(P(town_b, 2), up, case_action::start));
  EXPECT_ACK(step(P(town_b, 2), up, case_action::resolve));
  EXPECT_ACK(step(P(town_b, 1), up, case_action::close));
  report(P(grid_a2_1, 2), grid_a2_1, "open"); // stays hot
  advance(2h);
  ASSERT_TRUE(stored(a).archived);
  ASSERT_TRUE(stored(up).archived);
  const auto counts = figure_fields();
  EXPECT_GT(counts, 0);
  // Brought back and archived again: what it counted is taken off, then added again.
  EXPECT_ACK(step(P(grid_a1_1, 1), a, case_action::reopen));
  EXPECT_TRUE(stored(a).hot);
  EXPECT_ACK(step(P(grid_a1_1, 2), a, case_action::start));
  EXPECT_ACK(step(P(grid_a1_1, 2), a, case_action::resolve));
  EXPECT_ACK(step(P(grid_a1_1, 1), a, case_action::close));
  advance(2h);
  ASSERT_TRUE(stored(a).archived);

  constexpr auto figures = figures_query;
  auto ranking = [](protocol::unit_code unit, protocol::unit_kind level,
                    protocol::figure_period period) {
    query q;
    q.what = query_kind::ranking;
    q.unit = unit;
    q.held_at = level;
    q.by = protocol::rank_by::resolution;
    q.period = period;
    return q;
  };
  const std::vector<std::pair<protocol::person_id, query>> questions{
      {P(city, 1), figures(city, protocol::figure_period::month)},
      {P(city, 1), figures(city, protocol::figure_period::all)},
      {P(county, 1), figures(county, protocol::figure_period::today)},
      {P(town_a, 1), figures(town_a, protocol::figure_period::all)},
      {P(village_b1, 1), figures(village_b1, protocol::figure_period::month)},
      {P(county, 1),
       ranking(county, protocol::unit_kind::township, protocol::figure_period::month)},
      {P(county, 1), ranking(county, protocol::unit_kind::township, protocol::figure_period::all)},
      {P(city, 1), ranking(city, protocol::unit_kind::county, protocol::figure_period::all)},
  };
  auto answers = [&] { return answers_to(questions); };
  const auto before = answers();
  auto city_all = std::get<protocol::result>(act(P(city, 1), questions[1].second)).figures.unit;
  EXPECT_EQ(city_all.reported, 4u);
  EXPECT_EQ(city_all.resolved, 4u); // each close: `a` was closed twice
  EXPECT_EQ(city_all.open, 1u);

  stop_city();
  ASSERT_TRUE(start_city(start_wall + 5 * 3600 * 1000)); // the same day
  EXPECT_EQ(recovered_.cases, 1u);                       // the open one: the others are archived
  EXPECT_EQ(answers(), before);
  EXPECT_EQ(figure_fields(), counts);
}

// Past the figure window (`figure_days`, here 10), the store folds its days into months as the
// read side does in memory: in the batch that brings a day past the window (one hash per day
// merged into its month's and deleted). A case archived later whose steps fall on a folded
// day adds to the month, a case reopened after its day was folded takes its count off the
// month, and after a restart the figures answer as before, with days on both sides of the cut.
TEST_F(archive_test, figures_folded_into_months_in_the_store_count_the_same_after_a_restart) {
  figure_days = 10;
  ASSERT_TRUE(start_city());
  const auto nov25 = actors::day_of(start_wall);
  const auto november = actors::first_of_month(nov25);
  closed_case("a");
  auto c = closed_case("c");
  auto late = report(P(grid_a1_1, 2), grid_a1_1, "late"); // closed after its day is folded
  EXPECT_ACK(step(P(grid_a1_1, 2), late, case_action::sign));
  report(P(grid_a2_1, 2), grid_a2_1, "open"); // stays hot
  advance(2h);
  EXPECT_EQ(stored_counts(persistence::keys::figure_day(nov25), grid_a1_1)[0], 2); // reported
  EXPECT_EQ(hlen(persistence::keys::figure_month(november)), 0);

  // December 12th: November 25th is 17 days back, its month wholly past the window.
  advance(24h * 17);
  const auto dec12 = nov25 + 17;
  const auto december = actors::first_of_month(dec12);
  auto d = closed_case("d"); // its batch folds November
  EXPECT_EQ(hlen(persistence::keys::figure_day(nov25)), 0) << "the day was not folded";
  EXPECT_EQ(stored_counts(persistence::keys::figure_month(november), grid_a1_1)[0], 2);
  EXPECT_EQ(stored_counts(persistence::keys::figure_day(dec12), grid_a1_1)[0], 1);
  EXPECT_EQ(figure_hashes(), (std::vector<std::string>{persistence::keys::figure_day(dec12),
                                                       persistence::keys::figure_month(november)}));
  {
    auto spy = redis_.connect();
    EXPECT_EQ(hget(spy, persistence::keys::meta, "folded"), std::to_string(december));
  }
  // Reported on the folded day, archived now: its report counts in November's month.
  EXPECT_ACK(step(P(grid_a1_1, 2), late, case_action::start));
  EXPECT_ACK(step(P(grid_a1_1, 2), late, case_action::resolve));
  EXPECT_ACK(step(P(grid_a1_1, 1), late, case_action::close));
  EXPECT_EQ(stored_counts(persistence::keys::figure_month(november), grid_a1_1)[0], 3);
  EXPECT_EQ(hlen(persistence::keys::figure_day(nov25)), 0) << "a folded day written again";
  // Reopened: what it counted on its folded day leaves November's month.
  EXPECT_ACK(step(P(grid_a1_1, 1), c, case_action::reopen));
  EXPECT_TRUE(stored(c).hot);
  EXPECT_EQ(stored_counts(persistence::keys::figure_month(november), grid_a1_1)[0], 2);
  EXPECT_TRUE(stored(d).archived);

  constexpr auto figures = figures_query;
  auto november_days = figures(grid_a1_1, protocol::figure_period::days);
  november_days.from = start_wall - 3 * day_ms;
  november_days.to = start_wall + day_ms;
  auto december_days = figures(grid_a1_1, protocol::figure_period::days);
  december_days.from = start_wall + 10 * day_ms;
  december_days.to = start_wall + 17 * day_ms;
  query ranking;
  ranking.what = query_kind::ranking;
  ranking.unit = county;
  ranking.held_at = protocol::unit_kind::township;
  ranking.by = protocol::rank_by::resolution;
  ranking.period = protocol::figure_period::all;
  const std::vector<std::pair<protocol::person_id, query>> questions{
      {P(city, 1), figures(city, protocol::figure_period::all)},
      {P(city, 1), figures(city, protocol::figure_period::month)},
      {P(county, 1), figures(county, protocol::figure_period::today)},
      {P(grid_a1_1, 1), november_days},
      {P(grid_a1_1, 1), december_days},
      {P(county, 1), ranking},
  };
  auto answers = [&] { return answers_to(questions); };
  const auto before = answers();
  for (const auto& answer : before)
    ASSERT_EQ(answer.find("\"error\""), std::string::npos) << answer;
  auto all = std::get<protocol::result>(act(P(city, 1), questions[0].second)).figures.unit;
  EXPECT_EQ(all.reported, 5u); // a, c (hot again), late, open, d
  auto nov = std::get<protocol::result>(act(P(grid_a1_1, 1), november_days)).figures.unit;
  EXPECT_EQ(nov.reported, 3u); // a, c, late

  stop_city();
  ASSERT_TRUE(start_city(start_wall + 17 * day_ms + 5 * 3600 * 1000)); // the same day
  EXPECT_EQ(recovered_.snapshot->figures_folded_before, december);
  EXPECT_EQ(answers(), before);
}

// A store written before the figures were packed keeps `<unit>:<day>:<counter>` fields in 16
// hashes hub:figures:<unit % 16>. Recovery converts them once, in pieces (each added to the day
// hashes and deleted from the old hash in one call), and the figures count them as before;
// the later batches fold the old days into months a budget at a time, the answers unchanged.
TEST_F(archive_test, a_store_with_the_earlier_figures_layout_is_converted_at_recovery) {
  ASSERT_TRUE(start_city());
  stop_city();
  const auto today = actors::day_of(start_wall);
  constexpr std::int32_t days = 1400; // 30,800 fields: two units, eleven counters, each day
  {
    auto spy = redis_.connect();
    ASSERT_TRUE(spy.ok()) << spy.error();
    for (auto unit : {grid_a1_1, town_b}) {
      const auto u = h_->index_of(unit);
      const auto key = persistence::keys::legacy_figure_bucket(u % 16);
      for (std::int32_t day = today - days + 1; day <= today; day += 100) {
        std::vector<std::string> args{"HSET", key};
        for (auto d = day; d < day + 100 && d <= today; ++d)
          for (int k = 0; k < 11; ++k) {
            args.push_back(std::to_string(u) + ":" + std::to_string(d) + ":" + std::to_string(k));
            args.push_back(std::to_string(k == 0 ? 2 : 1)); // two reported a day
          }
        std::vector<std::string_view> argv(args.begin(), args.end());
        auto r = spy.command(argv);
        ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER)
            << (r ? persistence::text_of(r.get()) : "");
      }
    }
  }
  ASSERT_TRUE(start_city());
  EXPECT_EQ(recovered_.figure_counts, 2u * days);
  {
    auto spy = redis_.connect();
    for (std::uint32_t b = 0; b < persistence::keys::legacy_figure_buckets; ++b) {
      auto r = run(spy, {"EXISTS", persistence::keys::legacy_figure_bucket(b)});
      EXPECT_TRUE(r && r->integer == 0) << "bucket " << b << " left behind";
    }
  }
  EXPECT_EQ(figure_fields(), 2 * days);
  auto counts = stored_counts(persistence::keys::figure_day(today), town_b);
  EXPECT_EQ(counts, (persistence::figure_counts{2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}));

  constexpr auto figures = figures_query;
  auto last_week = figures(grid_a1_1, protocol::figure_period::days);
  last_week.from = start_wall - 6 * day_ms;
  last_week.to = start_wall;
  const std::vector<std::pair<protocol::person_id, query>> questions{
      {P(city, 1), figures(city, protocol::figure_period::all)},
      {P(city, 1), figures(city, protocol::figure_period::month)},
      {P(grid_a1_1, 1), last_week},
  };
  auto answers = [&] { return answers_to(questions); };
  const auto before = answers();
  auto all = std::get<protocol::result>(act(P(city, 1), questions[0].second)).figures.unit;
  EXPECT_EQ(all.reported, 4u * days);
  auto week = std::get<protocol::result>(act(P(grid_a1_1, 1), last_week)).figures.unit;
  EXPECT_EQ(week.reported, 14u);

  // Converted once: a restart reads the new layout only.
  stop_city();
  ASSERT_TRUE(start_city());
  EXPECT_EQ(answers(), before);
  // Cases archived: their batches fold every day before the window's month into its month,
  // a thousand days a batch at most (the second case's batches fold the rest).
  closed_case("x");
  closed_case("y");
  const auto cut = actors::period_book::cut_for(today, 92);
  std::size_t kept_days = 0;
  for (const auto& key : figure_hashes())
    if (key.starts_with("hub:figures:day:"))
      ++kept_days;
  EXPECT_EQ(kept_days, static_cast<std::size_t>(today - cut + 1));
  stop_city();
  ASSERT_TRUE(start_city());
  EXPECT_EQ(recovered_.snapshot->figures_folded_before, cut);
  auto with_xy = std::get<protocol::result>(act(P(city, 1), questions[0].second)).figures.unit;
  EXPECT_EQ(with_xy.reported, 4u * days + 2);
  week = std::get<protocol::result>(act(P(grid_a1_1, 1), last_week)).figures.unit;
  EXPECT_EQ(week.reported, 16u);
}

} // namespace
} // namespace hub::testing
