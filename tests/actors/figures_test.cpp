// The figures and the rankings (两比) of the read side (protocol/README.md, "query": figures,
// ranking): the same counters as the live aggregates, kept per Asia/Shanghai day, over a
// period; drill-down to the children; rankings in order; who may ask.

#include "actors/period_book.hpp"
#include "tests/actors/city_fixture.hpp"

#include <chrono>
#include <map>
#include <random>
#include <tuple>

namespace hub::testing {
namespace {

using protocol::case_action;
using protocol::errc;
using protocol::figure_period;
using protocol::query;
using protocol::query_kind;
using protocol::rank_by;
using namespace codes;

constexpr auto P = person_at;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

class figures_test : public city_test {
protected:
  protocol::result ask(protocol::person_id who, query q) {
    auto reply = act(who, q);
    auto* r = std::get_if<protocol::result>(&reply);
    EXPECT_NE(r, nullptr) << describe(reply);
    return r != nullptr ? *r : protocol::result{};
  }

  static query figures_of(protocol::unit_code unit, figure_period p = figure_period::all) {
    query q;
    q.what = query_kind::figures;
    q.unit = unit;
    q.period = p;
    return q;
  }

  static query ranking_of(protocol::unit_code unit, rank_by by,
                          std::optional<protocol::unit_kind> level = std::nullopt) {
    query q;
    q.what = query_kind::ranking;
    q.unit = unit;
    q.by = by;
    q.held_at = level;
    q.period = figure_period::all;
    return q;
  }

  /// The row of `unit` among `rows`; fails the test when it is not there.
  static protocol::figure_row row_of(const std::vector<protocol::figure_row>& rows,
                                     protocol::unit_code unit) {
    for (const auto& r : rows)
      if (r.unit == unit)
        return r;
    ADD_FAILURE() << "no row of " << unit;
    return {};
  }

  /// A case reported at `grid`, signed, resolved and closed there.
  protocol::case_id closed_at_grid(protocol::unit_code grid) {
    auto id = report(P(grid, 2), grid);
    EXPECT_ACK(step(P(grid, 2), id, case_action::sign));
    EXPECT_ACK(step(P(grid, 2), id, case_action::resolve));
    EXPECT_ACK(step(P(grid, 1), id, case_action::close));
    return id;
  }

  /// A case of town_a's grid a1_1 whistled to police and housing, both rated (5 and 3), closed.
  protocol::case_id whistled_and_closed() {
    auto id = report(P(grid_a1_1, 2), grid_a1_1);
    EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
    EXPECT_ACK(step(P(grid_a1_1, 1), id, case_action::escalate));
    EXPECT_ACK(step(P(village_a1, 2), id, case_action::sign));
    EXPECT_ACK(step(P(village_a1, 1), id, case_action::escalate));
    EXPECT_ACK(step(P(town_a, 2), id, case_action::sign));
    protocol::case_act whistle;
    whistle.departments = {police, housing};
    EXPECT_ACK(step(P(town_a, 4), id, case_action::propose_whistle, whistle));
    EXPECT_ACK(step(P(town_a, 1), id, case_action::approve_whistle));
    for (auto dept : {police, housing}) {
      EXPECT_ACK(step(P(dept, 2), id, case_action::report_in));
      EXPECT_ACK(step(P(dept, 1), id, case_action::feedback));
    }
    EXPECT_ACK(step(P(town_a, 4), id, case_action::resolve));
    for (auto [dept, score] : {std::pair{police, 5}, std::pair{housing, 3}}) {
      protocol::case_act rating;
      rating.unit = dept;
      rating.score = static_cast<std::uint8_t>(score);
      EXPECT_ACK(step(P(town_a, 1), id, case_action::rate, rating));
    }
    EXPECT_ACK(step(P(town_a, 1), id, case_action::close));
    return id;
  }
};

/// The counters a figures row shares with an aggregate.
void expect_same_counters(const protocol::figure_row& r, const protocol::unit_figures& f) {
  EXPECT_EQ(r.open, f.open) << r.unit;
  EXPECT_EQ(r.yellow, f.yellow) << r.unit;
  EXPECT_EQ(r.red, f.red) << r.unit;
  EXPECT_EQ(r.reported, f.reported) << r.unit;
  EXPECT_EQ(r.responded, f.responded) << r.unit;
  EXPECT_EQ(r.resolved, f.resolved) << r.unit;
  EXPECT_EQ(r.rated, f.rated) << r.unit;
  EXPECT_EQ(r.satisfied, f.satisfied) << r.unit;
  EXPECT_EQ(r.closed_at, f.closed_at) << r.unit;
}

// All time, every unit's figures are the live aggregate's counters: a whistle with ratings, a
// case closed at a grid, one returned and signed late, one left open past its deadline.
TEST_F(figures_test, all_time_figures_are_the_aggregates_counters_unit_by_unit) {
  auto watcher = std::make_shared<recorder>();
  EXPECT_ACK(act(P(county, 1), protocol::subscribe{county, {}}, watcher));
  whistled_and_closed();
  closed_at_grid(grid_b1_1);
  auto returned = report(P(grid_a2_1, 2), grid_a2_1);
  EXPECT_ACK(step(P(grid_a2_1, 1), returned, case_action::escalate));
  EXPECT_ACK(step(P(village_a2, 1), returned, case_action::return_case));
  advance(hours(3)); // past the sign limit (2 h): the late sign is no response
  EXPECT_ACK(step(P(grid_a2_1, 2), returned, case_action::sign));
  report(P(grid_b2_2, 2), grid_b2_2, protocol::urgency::urgent);
  advance(minutes(25)); // the urgent case (30 min to sign) is yellow
  advance(milliseconds(1000));

  std::map<protocol::unit_code, protocol::unit_figures> latest;
  for (const auto& a : watcher->all<protocol::aggregate>())
    latest[a.unit] = a.figures;
  auto r = ask(P(county, 1), figures_of(county));
  EXPECT_EQ(r.what, query_kind::figures);
  EXPECT_EQ(r.seq, city_->events().last_seq());
  EXPECT_EQ(r.figures.unit.unit, county);
  expect_same_counters(r.figures.unit, latest.at(county));
  for (auto child : {town_a, town_b, police, housing})
    expect_same_counters(row_of(r.figures.children, child), latest.at(child));
  // What the scenario makes them, so that the comparison means something.
  const auto& c = r.figures.unit;
  EXPECT_EQ(c.reported, 6u);  // four reports and two summonses
  EXPECT_EQ(c.responded, 4u); // two in-time first signs and two in-time report-ins
  EXPECT_EQ(c.resolved, 4u);  // two closes and two feedbacks
  EXPECT_EQ(c.rated, 2u);
  EXPECT_EQ(c.satisfied, 1u);
  EXPECT_EQ(c.score_sum, 8u);
  EXPECT_EQ(c.closed_at, (std::array<std::uint32_t, 4>{1, 0, 0, 1}));
  EXPECT_EQ(c.open, 2u);
  EXPECT_EQ(c.yellow, 1u);
  // The rates (‰), and a department's average rating (× 100).
  EXPECT_EQ(c.resolution, 667u);
  EXPECT_EQ(c.response, 667u);
  EXPECT_EQ(c.satisfaction, 500u);
  EXPECT_EQ(c.rating, 400u);
  EXPECT_EQ(row_of(r.figures.children, police).rating, 500u);
  EXPECT_FALSE(row_of(r.figures.children, town_b).satisfaction.has_value()) << "nothing rated";
  // Every child of the county, in hierarchy order, for drill-down; the city has its counties.
  EXPECT_EQ(r.figures.children.size(), h_->children(county).size());
  auto city_figures = ask(P(city, 1), figures_of(city));
  EXPECT_EQ(row_of(city_figures.figures.children, county), c);
  EXPECT_EQ(row_of(city_figures.figures.children, other_county).reported, 0u);
  EXPECT_EQ(city_figures.figures.unit.reported, c.reported);
  // And a township drills down to its villages.
  auto town = ask(P(town_a, 1), figures_of(town_a));
  EXPECT_EQ(row_of(town.figures.children, village_a1).closed_at,
            (std::array<std::uint32_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(row_of(town.figures.children, village_a1).reported, 1u);
  EXPECT_EQ(row_of(town.figures.children, village_a2).open, 1u);
}

// A case that stays open past its deadline: yellow at 80 % of its time, then red with the
// hub's own reminder, which counts as overdue on that day.
TEST_F(figures_test, the_stock_turns_yellow_then_red_and_an_overdue_is_counted) {
  auto id = report(P(grid_a1_1, 2), grid_a1_1);
  auto fig = [&] { return ask(P(town_a, 1), figures_of(town_a, figure_period::today)).figures; };
  EXPECT_EQ(fig().unit.open, 1u);
  EXPECT_EQ(fig().unit.yellow, 0u);
  advance(minutes(97)); // 80 % of the 2 h sign limit
  EXPECT_EQ(fig().unit.yellow, 1u);
  EXPECT_EQ(fig().unit.red, 0u);
  advance(minutes(24));
  auto f = fig();
  EXPECT_EQ(f.unit.yellow, 0u);
  EXPECT_EQ(f.unit.red, 1u);
  EXPECT_EQ(f.unit.overdue, 1u);
  EXPECT_EQ(f.unit.overdue_share, 1000u);
  EXPECT_EQ(row_of(f.children, village_a1).red, 1u);
  EXPECT_EQ(row_of(f.children, village_a2).red, 0u);
  EXPECT_ACK(step(P(grid_a1_1, 2), id, case_action::sign));
  EXPECT_EQ(fig().unit.red, 0u) << "signed: a new clock";
  EXPECT_EQ(fig().unit.responded, 0u) << "signed late: no response";
}

// Periods are Asia/Shanghai days (UTC+8): today, this week from Monday, this month from the
// 1st, all, or the days from `from` through `to`. The test clock starts on Wednesday
// 2026-11-25 at 08:00 there (00:00 UTC).
TEST_F(figures_test, periods_sum_the_days_of_the_city_calendar) {
  auto reported = [&](figure_period p, protocol::timestamp_ms from = 0,
                      protocol::timestamp_ms to = 0) {
    auto q = figures_of(county, p);
    q.from = from;
    q.to = to;
    return ask(P(county, 1), q).figures.unit.reported;
  };
  constexpr protocol::timestamp_ms day = 86'400'000;
  const protocol::timestamp_ms midnight_25th = start_wall - 8 * 3'600'000; // 00:00 the 25th
  report(P(grid_a1_1, 2), grid_a1_1);
  advance(hours(16) - milliseconds(1)); // 23:59:59.999 in Xinyang, the same day
  report(P(grid_a1_1, 2), grid_a1_1);
  EXPECT_EQ(reported(figure_period::today), 2u);
  advance(milliseconds(1)); // midnight there (16:00 UTC): a new day
  report(P(grid_b1_1, 2), grid_b1_1);
  EXPECT_EQ(reported(figure_period::today), 1u);
  EXPECT_EQ(reported(figure_period::week), 3u);
  EXPECT_EQ(reported(figure_period::month), 3u);
  EXPECT_EQ(reported(figure_period::all), 3u);
  EXPECT_EQ(reported(figure_period::days, midnight_25th, midnight_25th), 2u);
  EXPECT_EQ(reported(figure_period::days, midnight_25th + day - 1, midnight_25th + day), 3u);
  auto today = ask(P(county, 1), figures_of(county, figure_period::today)).figures;
  EXPECT_EQ(today.from, midnight_25th + day);
  EXPECT_EQ(today.to, midnight_25th + 2 * day);
  auto all = ask(P(county, 1), figures_of(county, figure_period::all)).figures;
  EXPECT_EQ(all.from, 0);
  EXPECT_EQ(all.to, 0);

  // Monday the 30th: a new week; Tuesday 1 December: a new month, still the same week.
  advance(hours(24 * 4)); // Monday 00:00
  report(P(grid_b1_1, 2), grid_b1_1);
  EXPECT_EQ(reported(figure_period::week), 1u);
  EXPECT_EQ(reported(figure_period::month), 4u);
  EXPECT_EQ(ask(P(county, 1), figures_of(county, figure_period::week)).figures.from,
            midnight_25th + 5 * day);
  advance(hours(24));
  report(P(grid_b1_1, 2), grid_b1_1);
  EXPECT_EQ(reported(figure_period::week), 2u);
  EXPECT_EQ(reported(figure_period::month), 1u);
  EXPECT_EQ(reported(figure_period::today), 1u);
  EXPECT_EQ(reported(figure_period::all), 5u);
}

// 两比: the townships of a county ordered by a rate; equal figures share a place and units
// without the figure come last, unranked; departments by their ratings; the counties of the
// city.
// The read side's day buckets (period_book.hpp) are kept one by one for `keep_days` behind the
// newest day counted; older days are folded into their months, whole months at a time, and a
// period reaching into a folded month counts all of it.
TEST(period_book_test, days_behind_the_kept_ones_are_folded_into_their_months) {
  namespace ch = std::chrono;
  auto day = [](int y, unsigned m, unsigned d) {
    return static_cast<std::int32_t>(
        ch::sys_days{ch::year{y} / ch::month{m} / ch::day{d}}.time_since_epoch().count());
  };
  auto at = [&](int y, unsigned m, unsigned d) {
    return actors::start_of_day(day(y, m, d)) + 3'600'000;
  };
  auto span = [&](std::int32_t from, std::int32_t to) {
    return actors::day_range{from, to, false};
  };
  const std::vector<std::uint32_t> parent{protocol::hierarchy::no_unit}; // one unit
  actors::period_book book(&parent, 10);
  book.count(0, at(2026, 1, 5), &actors::flows::reported);
  book.count(0, at(2026, 1, 20), &actors::flows::reported);
  EXPECT_EQ(book.sum(0, span(day(2026, 1, 5), day(2026, 1, 5))).reported, 1u); // one by one
  book.count(0, at(2026, 3, 1), &actors::flows::resolved); // 10 days back: February 19
  EXPECT_EQ(book.folded_before(), day(2026, 2, 1));
  EXPECT_EQ(book.sum(0, span(day(2026, 1, 5), day(2026, 1, 5))).reported, 2u); // all January
  EXPECT_EQ(book.sum(0, span(day(2026, 1, 1), day(2026, 1, 31))).reported, 2u);
  EXPECT_EQ(book.sum(0, span(day(2026, 2, 1), day(2026, 3, 1))).reported, 0u);
  EXPECT_EQ(book.sum(0, span(day(2026, 2, 1), day(2026, 3, 1))).resolved, 1u);
  EXPECT_EQ(book.sum(0, span(day(2026, 3, 1), day(2026, 3, 1))).resolved, 1u);
  book.count(0, at(2026, 1, 9), &actors::flows::reported); // an old step (recovery): its month
  EXPECT_EQ(book.sum(0, span(day(2026, 1, 31), day(2026, 1, 31))).reported, 3u);
  EXPECT_EQ(book.sum(0, actors::day_range{0, 0, true}).reported, 3u);
}

// Today, this week and this month are read from running totals kept as counts land
// (period_book.hpp): they must equal the sum of the days, per unit and its ancestor, when a
// day, a week (Monday 2026-11-30) and a month (Tuesday 2026-12-01) begin at midnight in
// Xinyang (16:00 UTC), with steps that land late (on earlier days of the period, and of
// periods already past), and after older days were folded into their months.
TEST(period_book_test, running_totals_equal_the_sum_of_the_days) {
  namespace ch = std::chrono;
  using ms = protocol::timestamp_ms;
  constexpr ms hour = 3'600'000;
  auto day = [](int y, unsigned m, unsigned d) {
    return static_cast<std::int32_t>(
        ch::sys_days{ch::year{y} / ch::month{m} / ch::day{d}}.time_since_epoch().count());
  };
  // The Xinyang day holding a UTC time, and the first of its month, from the calendar here.
  auto day_at = [](ms t) {
    const ch::sys_time<ch::milliseconds> local{ch::milliseconds{t + 8 * hour}};
    return static_cast<std::int32_t>(ch::floor<ch::days>(local).time_since_epoch().count());
  };
  auto first_of_month = [](std::int32_t d) {
    const ch::year_month_day date{ch::sys_days{ch::days{d}}};
    return static_cast<std::int32_t>(
        ch::sys_days{date.year() / date.month() / 1}.time_since_epoch().count());
  };
  // A county (0) above two townships (1, 2).
  const std::vector<std::uint32_t> parent{protocol::hierarchy::no_unit, 0, 0};
  actors::period_book book(&parent, 14); // folds a month once its last day is 14 days behind
  // What was counted, per member, unit and day.
  std::map<std::tuple<int, std::uint32_t, std::int32_t>, std::uint32_t> counted;
  auto count = [&](std::uint32_t unit, ms at, std::uint32_t actors::flows::*member, int m) {
    book.count(unit, at, member);
    ++counted[{m, unit, day_at(at)}];
  };
  auto expected = [&](int m, std::uint32_t unit, std::int32_t first, std::int32_t last) {
    std::uint32_t n = 0;
    for (const auto& [key, c] : counted) {
      const auto& [member, at_unit, d] = key;
      if (member == m && (at_unit == unit || unit == 0) && d >= first && d <= last)
        n += c;
    }
    return n;
  };
  std::mt19937 random(20261125);
  // From Monday 2026-11-16 08:00 in Xinyang (00:00 UTC), every 4 hours for 36 days.
  const ms start = ch::duration_cast<ch::milliseconds>(
                       ch::sys_days{ch::days{day(2026, 11, 16)}}.time_since_epoch())
                       .count();
  std::int32_t checked_after_fold = 0;
  for (ms now = start; now < start + 36 * 24 * hour; now += 4 * hour) {
    for (int k = 0; k < 3; ++k) {
      // Mostly now; sometimes a step that lands late: up to 10 days back, or 40 (folded).
      ms at = now;
      const auto late = random() % 6;
      if (late == 0)
        at -= static_cast<ms>(random() % (10 * 24)) * hour;
      else if (late == 1)
        at -= static_cast<ms>(random() % (40 * 24)) * hour;
      count(static_cast<std::uint32_t>(1 + random() % 2), at, &actors::flows::reported, 0);
    }
    // The last millisecond of a Xinyang day and the first of the next (16:00 UTC).
    const ms midnight = start + ((now - start) / (24 * hour)) * 24 * hour + 16 * hour;
    if (midnight <= now) {
      count(2, midnight - 1, &actors::flows::resolved, 1);
      count(2, midnight, &actors::flows::resolved, 1);
    }
    const auto today = day_at(now);
    const auto monday = today - (today + 3) % 7; // 1970-01-01 was a Thursday
    const std::pair<protocol::figure_period, std::int32_t> periods[] = {
        {protocol::figure_period::today, today},
        {protocol::figure_period::week, monday},
        {protocol::figure_period::month, first_of_month(today)}};
    for (const auto& [period, first] : periods) {
      const auto days = actors::days_of(period, now, 0, 0);
      ASSERT_EQ(days.first, first);
      ASSERT_EQ(days.last, today);
      for (std::uint32_t unit = 0; unit < 3; ++unit) {
        const auto f = book.sum(unit, days);
        EXPECT_EQ(f.reported, expected(0, unit, first, today))
            << "reported, unit " << unit << ", days " << first << " to " << today;
        EXPECT_EQ(f.resolved, expected(1, unit, first, today))
            << "resolved, unit " << unit << ", days " << first << " to " << today;
      }
    }
    for (std::uint32_t unit = 0; unit < 3; ++unit)
      EXPECT_EQ(book.sum(unit, actors::day_range{0, 0, true}).reported,
                expected(0, unit, 0, today));
    if (book.folded_before() == day(2026, 12, 1))
      ++checked_after_fold;
  }
  EXPECT_GE(checked_after_fold, 6) << "a day's checks after November was folded";
  // A folded month still counts whole.
  EXPECT_EQ(book.sum(0, actors::day_range{day(2026, 11, 1), day(2026, 11, 30), false}).reported,
            expected(0, 0, day(2026, 11, 1), day(2026, 11, 30)));
}

// The folded months (period_book.hpp) are kept packed, a few bytes per unit and month: every
// counter of every unit and folded month reads back as counted (small counts, large ones and
// counts taken off again, which wrap), steps counted into a month after it was folded (as
// recovery hands the store's months over) count too, before and after they are packed in,
// and each() hands over all of it.
TEST(period_book_test, folded_months_are_packed_and_read_back_as_counted) {
  namespace ch = std::chrono;
  auto day = [](int y, unsigned m, unsigned d) {
    return static_cast<std::int32_t>(
        ch::sys_days{ch::year{y} / ch::month{m} / ch::day{d}}.time_since_epoch().count());
  };
  constexpr std::uint32_t units = 3000; // 0 the county, the others its grids
  std::vector<std::uint32_t> parent(units, 0);
  parent[0] = protocol::hierarchy::no_unit;
  actors::period_book book(&parent, 10);
  // What was counted, per unit (with its ancestor) and month.
  std::map<std::pair<std::uint32_t, std::int32_t>, actors::flows> counted;
  auto count = [&](std::uint32_t unit, std::int32_t d, std::size_t k, std::uint32_t n) {
    book.count_day(unit, d, k, n);
    for (auto u : {unit, 0u}) {
      counted[{u, actors::first_of_month(d)}][k] += n;
      if (unit == 0)
        break;
    }
  };
  std::mt19937 random(20261207);
  auto grid = [&] { return 1 + static_cast<std::uint32_t>(random() % (units - 1)); };
  // January to April, a few counts a day at a third of the grids, a few large or taken off.
  for (auto d = day(2026, 1, 1); d < day(2026, 5, 1); ++d)
    for (int n = 0; n < 40; ++n) {
      const auto unit = grid();
      const auto k = static_cast<std::size_t>(random() % 3); // reported, responded, resolved
      count(unit % 1000 + 1, d, k, 1);
      if (n == 0) {
        count(unit, d, 6, 1'000'000'007u);      // score_sum, five bytes packed
        count(unit, d, 6, 0u - 1'000'000'000u); // taken off again (wraps)
        count(unit, d, 7 + static_cast<std::size_t>(random() % 4), 300); // closed_at
      }
    }
  ASSERT_EQ(book.folded_before(), day(2026, 4, 1)); // January to March folded
  auto check = [&](const char* when) {
    std::size_t months = 0;
    for (const auto& [key, f] : counted) {
      const auto& [unit, first] = key;
      if (first >= book.folded_before())
        continue;
      ++months;
      const auto got = book.sum(unit, actors::day_range{first, first, false});
      for (std::size_t k = 0; k < actors::flows::count; ++k)
        if (got[k] != f[k]) {
          ADD_FAILURE() << when << ": unit " << unit << ", month " << first << ", counter " << k
                        << ": " << got[k] << ", counted " << f[k];
          return months;
        }
    }
    return months;
  };
  const auto months = check("folded");
  EXPECT_EQ(book.folded_unit_months(), months);
  // About 700 grids a month with one to three small counters and the county with large
  // ones: packed, with the look-up index and the months' vector, a few bytes each.
  EXPECT_GT(months, 2000u);
  EXPECT_LE(static_cast<double>(book.folded_bytes()) / static_cast<double>(months), 10.0)
      << book.folded_bytes() << " bytes for " << months << " unit-months";

  // Late steps into folded months, more than wait unpacked (half the packed ones): packed in.
  for (std::uint32_t unit = 1; unit < units; ++unit)
    for (std::uint32_t m : {unit % 3, (unit + 1) % 3}) // two months each: overdue
      count(unit, day(2026, 1 + m, 1 + unit % 28), 5, 1 + unit % 2);
  check("late, packed when they grew");
  EXPECT_GT(book.folded_unit_months(), months);
  count(7, day(2026, 2, 3), 4, 2); // one more, waiting unpacked
  check("one late, waiting");
  for (auto d = day(2026, 5, 1); d < day(2026, 5, 13); ++d) // folds April (May 2: 10 days)
    count(grid(), d, 0, 1);
  ASSERT_EQ(book.folded_before(), day(2026, 5, 1));
  check("after the next fold");
  // each() hands over every count: what a scratch book's caller sums up.
  std::map<std::pair<std::uint32_t, std::int32_t>, actors::flows> each;
  book.each([&](std::uint32_t unit, std::int32_t d, const actors::flows& f) {
    each[{unit, actors::first_of_month(d)}].add(f);
  });
  ASSERT_EQ(each.size(), counted.size());
  for (const auto& [key, f] : counted)
    for (std::size_t k = 0; k < actors::flows::count; ++k)
      ASSERT_EQ(each[key][k], f[k]) << "each(): unit " << key.first << ", month " << key.second;
}

TEST_F(figures_test, a_ranking_orders_the_units_by_the_figure_asked) {
  whistled_and_closed();     // town_a: reported 1, resolved 1
  closed_at_grid(grid_b1_1); // town_b: reported 2, resolved 1
  report(P(grid_b2_2, 2), grid_b2_2);
  auto r = ask(P(county, 1), ranking_of(county, rank_by::resolution));
  EXPECT_EQ(r.what, query_kind::ranking);
  EXPECT_EQ(r.ranking.unit, county);
  EXPECT_EQ(r.ranking.level, protocol::unit_kind::township);
  EXPECT_EQ(r.ranking.by, rank_by::resolution);
  ASSERT_EQ(r.ranking.rows.size(), 2u) << "the county's townships only";
  EXPECT_EQ(r.ranking.rows[0].unit, town_a);
  EXPECT_EQ(r.ranking.rows[0].rank, 1u);
  EXPECT_EQ(r.ranking.rows[0].resolution, 1000u);
  EXPECT_EQ(r.ranking.rows[1].unit, town_b);
  EXPECT_EQ(r.ranking.rows[1].rank, 2u);
  EXPECT_EQ(r.ranking.rows[1].resolution, 500u);
  // The overdue share: the lowest first. Nothing overdue yet: both share the first place.
  auto overdue = ask(P(county, 1), ranking_of(county, rank_by::overdue)).ranking.rows;
  ASSERT_EQ(overdue.size(), 2u);
  EXPECT_EQ(overdue[0].rank, 1u);
  EXPECT_EQ(overdue[1].rank, 1u);
  advance(hours(3)); // town_b's open case passes its deadline
  overdue = ask(P(county, 1), ranking_of(county, rank_by::overdue)).ranking.rows;
  EXPECT_EQ(overdue[0].unit, town_a);
  EXPECT_EQ(overdue[1].unit, town_b);
  EXPECT_EQ(overdue[1].rank, 2u);
  EXPECT_EQ(overdue[1].overdue_share, 500u);
  // Departments (评哨): by rating; the environment department, never summoned, comes last
  // without a place.
  auto depts =
      ask(P(county, 1), ranking_of(county, rank_by::rating, protocol::unit_kind::department));
  ASSERT_EQ(depts.ranking.rows.size(), 3u);
  EXPECT_EQ(depts.ranking.rows[0].unit, police);
  EXPECT_EQ(depts.ranking.rows[0].rating, 500u);
  EXPECT_EQ(depts.ranking.rows[1].unit, housing);
  EXPECT_EQ(depts.ranking.rows[2].unit, environment);
  EXPECT_EQ(depts.ranking.rows[2].rank, 0u);
  auto answered =
      ask(P(centre, 1), ranking_of(county, rank_by::answered, protocol::unit_kind::department));
  EXPECT_EQ(answered.ranking.rows[0].resolved, 1u);
  EXPECT_EQ(answered.ranking.rows[0].rank, 1u);
  EXPECT_EQ(answered.ranking.rows[1].rank, 1u) << "police and housing answered one each";
  EXPECT_EQ(answered.ranking.rows[2].rank, 3u) << "environment answered none";
  // The city's counties.
  auto counties = ask(P(city, 1), ranking_of(city, rank_by::response));
  EXPECT_EQ(counties.ranking.level, protocol::unit_kind::county);
  EXPECT_EQ(counties.ranking.rows.size(), 2u);
  EXPECT_EQ(counties.ranking.rows[0].unit, county);
  EXPECT_EQ(counties.ranking.rows[1].rank, 0u) << "the other county reported nothing";
}

// Who may ask: figures of what one may watch; a county's rankings its leaders and centre, the
// city's the city's. A township head sees its own figures, not its peers' (no counts of units
// it may not see); the 12345 operators, who see the hotline's cases only, neither.
TEST_F(figures_test, who_may_ask_figures_and_rankings) {
  closed_at_grid(grid_b1_1);
  ask(P(town_a, 1), figures_of(town_a));
  ask(P(police, 2), figures_of(police));
  ask(P(centre, 1), figures_of(county));
  ask(P(city_centre, 2), figures_of(city));
  EXPECT_REFUSED(act(P(town_a, 1), figures_of(town_b)), errc::forbidden);
  EXPECT_REFUSED(act(P(town_a, 1), figures_of(county)), errc::forbidden);
  EXPECT_REFUSED(act(P(police, 2), figures_of(county)), errc::forbidden);
  EXPECT_REFUSED(act(P(county, 1), figures_of(city)), errc::forbidden);
  EXPECT_REFUSED(act(P(county, 1), figures_of(other_county)), errc::forbidden);
  EXPECT_REFUSED(act(P(city_centre, 1), figures_of(city_centre)), errc::forbidden);
  EXPECT_REFUSED(act(P(city_centre, 1), figures_of(town_b)), errc::forbidden);

  ask(P(county, 1), ranking_of(county, rank_by::resolution));
  ask(P(centre, 1), ranking_of(county, rank_by::satisfaction, protocol::unit_kind::department));
  ask(P(city, 1), ranking_of(county, rank_by::resolution));
  ask(P(city, 1), ranking_of(city, rank_by::resolution));
  EXPECT_REFUSED(act(P(town_a, 1), ranking_of(county, rank_by::resolution)), errc::forbidden);
  EXPECT_REFUSED(act(P(police, 1), ranking_of(county, rank_by::rating)), errc::forbidden);
  EXPECT_REFUSED(act(P(county, 1), ranking_of(city, rank_by::resolution)), errc::forbidden);
  EXPECT_REFUSED(act(P(city_centre, 1), ranking_of(city, rank_by::resolution)), errc::forbidden);
  // What is not a ranking.
  EXPECT_REFUSED(act(P(town_a, 1), ranking_of(town_a, rank_by::resolution)),
                 errc::invalid_argument);
  EXPECT_REFUSED(
      act(P(city, 1), ranking_of(city, rank_by::resolution, protocol::unit_kind::township)),
      errc::invalid_argument);
  EXPECT_REFUSED(
      act(P(county, 1), ranking_of(county, rank_by::resolution, protocol::unit_kind::village)),
      errc::invalid_argument);
  EXPECT_REFUSED(act(P(city, 1), figures_of(411599)), errc::unknown_unit);
}

// The 12345 operators see directives at their own centre only, the same for one directive's
// receipts as for a unit's list.
TEST_F(figures_test, the_hotline_sees_directives_at_its_own_centre_only) {
  protocol::directive_issue d;
  d.channel = 1;
  d.title = "全市通知";
  d.target.kind = protocol::target_kind::level; // every centre: the city's and the county's
  d.target.units = {city};
  d.target.level = protocol::unit_kind::centre;
  auto issued = act(P(city, 1), d);
  auto* a = std::get_if<protocol::ack>(&issued);
  ASSERT_NE(a, nullptr) << describe(issued);
  query receipts;
  receipts.what = query_kind::directive;
  receipts.directive_ref = a->directive_ref;
  query inbox;
  inbox.what = query_kind::directives;
  inbox.unit = city_centre;
  // At their centre: the directive's receipts there, and their centre's inbox.
  receipts.unit = city_centre;
  auto r = ask(P(city_centre, 1), receipts);
  EXPECT_EQ(r.directive.scope.unit, city_centre);
  EXPECT_EQ(r.directive.scope.total, 1u);
  EXPECT_EQ(ask(P(city_centre, 1), inbox).total, 1u);
  // Anywhere else: neither (the city's receipts, a county's), as the list of another unit.
  receipts.unit = 0;
  EXPECT_REFUSED(act(P(city_centre, 1), receipts), errc::forbidden);
  receipts.unit = county;
  EXPECT_REFUSED(act(P(city_centre, 1), receipts), errc::forbidden);
  inbox.unit = county;
  EXPECT_REFUSED(act(P(city_centre, 1), inbox), errc::forbidden);
  // The city centre's other operators watch the city: both.
  ask(P(city_centre, 2), receipts);
  ask(P(city_centre, 2), inbox);
}

} // namespace
} // namespace hub::testing
