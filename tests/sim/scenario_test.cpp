// The scenario file (sim/README.md, "Scenario files"): what it says is what the simulator gets,
// a bad one is refused with its line and the reason, and the examples in sim/scenarios/ parse
// and fit the generated city.

#include "sim/gen/xinyang.hpp"
#include "sim/load/scenario.hpp"
#include "tests/support/small_city.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace hub::testing {
namespace {

using sim::parse_scenario;
using sim::scenario;
using sim::scenario_error;

constexpr std::int64_t s = 1000, m = 60 * s, h = 60 * m;

scenario parsed(const std::string& text) {
  auto r = parse_scenario(text, "t.scn");
  if (auto* e = std::get_if<scenario_error>(&r))
    ADD_FAILURE() << e->to_string();
  return std::holds_alternative<scenario>(r) ? std::get<scenario>(r) : scenario{};
}

/// The error for `text`, as `file:line: reason`; "" when it parsed.
std::string refusal(const std::string& text) {
  auto r = parse_scenario(text, "t.scn");
  auto* e = std::get_if<scenario_error>(&r);
  return e == nullptr ? "" : e->to_string();
}

TEST(scenario_test, reads_every_section_into_the_plan) {
  auto p = parsed(R"(# a comment
[run]
speed = 100      # trailing comment
start = 06:30
duration = 1d
restart = 12:00
restart = 18:15
[reports]
rate = 2.5
urgent = 15%
hours = 0.1 0.1 0.1 0.1 0.2 0.4 0.8 1.2 1.5 1.5 1.4 1.2 1 1.2 1.4 1.5 1.4 1.3 1 0.8 0.6 0.5 0.4 0.2
category = safety.dispute 3
[grid]
share = 50%
sign = 30s..5m
handle = 1h30m
[village]
share = 0.3
[township]
share = 10%
close = 10m..1h
[whistle]
share = 10%
decline = 0%
departments = 2..3
report_in = 5m..40m
[ratings]
5 = 100%
4 = 0
3 = 0
2 = 0
1 = 0
[hotline]
share = 20%
triage = 1m
[campaign 防汛]
at = 09:00
every = 2h
channel = 12
target = village 411502
deadline = 3h
sign = 1m..10m
lagging = 20%
silent = 5%
[burst storm]
at = 14:00
duration = 10m
county = 411502
factor = 10
[burst holiday]
at = 00:00
duration = 24h
factor = 0.5
)");
  EXPECT_EQ(p.speed, 100);
  EXPECT_EQ(p.start, 6 * h + 30 * m);
  EXPECT_EQ(p.duration, 24 * h);
  EXPECT_EQ(p.restarts, (std::vector<std::int64_t>{12 * h, 18 * h + 15 * m}));
  EXPECT_EQ(p.restart_lines, (std::vector<int>{6, 7}));
  EXPECT_EQ(p.rate, 2.5);
  EXPECT_DOUBLE_EQ(p.urgent, 0.15);
  EXPECT_EQ(p.hours[0], 0.1);
  EXPECT_EQ(p.hours[9], 1.5);
  EXPECT_EQ(p.hours[23], 0.2);
  ASSERT_EQ(p.categories.size(), 1u);
  EXPECT_EQ(p.categories[0], (std::pair<std::string, double>{"safety.dispute", 3}));
  EXPECT_EQ(p.category_lines, std::vector<int>{12});
  EXPECT_DOUBLE_EQ(p.grid.share, 0.5);
  EXPECT_EQ(p.grid.sign, (sim::delay_range{30 * s, 5 * m}));
  EXPECT_EQ(p.grid.handle, (sim::delay_range{90 * m, 90 * m}));
  EXPECT_DOUBLE_EQ(p.village.share, 0.3);
  EXPECT_EQ(p.township.close, (sim::delay_range{10 * m, h}));
  EXPECT_EQ(p.whistle.decline, 0);
  EXPECT_EQ(p.whistle.departments_min, 2);
  EXPECT_EQ(p.whistle.departments_max, 3);
  EXPECT_EQ(p.whistle.report_in, (sim::delay_range{5 * m, 40 * m}));
  EXPECT_EQ(p.ratings, (std::array<double, 5>{0, 0, 0, 0, 1}));
  EXPECT_DOUBLE_EQ(p.hotline.share, 0.2);
  EXPECT_EQ(p.hotline.triage, (sim::delay_range{m, m}));
  ASSERT_EQ(p.campaigns.size(), 1u);
  const auto& c = p.campaigns[0];
  EXPECT_EQ(c.name, "防汛");
  EXPECT_EQ(c.line, 36);
  EXPECT_EQ(c.at, 9 * h);
  EXPECT_EQ(c.every, 2 * h);
  EXPECT_EQ(c.channel, 12);
  EXPECT_EQ(c.level, protocol::unit_kind::village);
  EXPECT_EQ(c.under, 411502u);
  EXPECT_EQ(c.deadline, 3 * h);
  EXPECT_DOUBLE_EQ(c.lagging, 0.2);
  EXPECT_DOUBLE_EQ(c.silent, 0.05);
  ASSERT_EQ(p.bursts.size(), 2u);
  EXPECT_EQ(p.bursts[0].name, "storm");
  EXPECT_EQ(p.bursts[0].at, 14 * h);
  EXPECT_EQ(p.bursts[0].duration, 10 * m);
  EXPECT_EQ(p.bursts[0].county, 411502u);
  EXPECT_EQ(p.bursts[0].factor, 10);
  EXPECT_EQ(p.bursts[1].county, 0u);
  EXPECT_EQ(p.bursts[1].factor, 0.5);
}

TEST(scenario_test, an_empty_file_gives_the_defaults) {
  auto p = parsed("# nothing but a comment\n\n");
  scenario d;
  EXPECT_EQ(p.speed, d.speed);
  EXPECT_EQ(p.rate, d.rate);
  EXPECT_EQ(p.grid.share, d.grid.share);
  EXPECT_TRUE(p.campaigns.empty());
}

TEST(scenario_test, a_bad_file_is_refused_with_its_line_and_the_reason) {
  EXPECT_EQ(refusal("speed = 2\n"), "t.scn:1: 'speed' before the first [section]");
  EXPECT_EQ(refusal("[run]\n\n[runn]\n"),
            "t.scn:3: unknown section [runn] (run, reports, grid, village, township, whistle, "
            "ratings, hotline, campaign NAME, burst NAME)");
  EXPECT_EQ(refusal("[run]\nsped = 2\n"),
            "t.scn:2: unknown key 'sped' in [run] (known: duration, restart, speed, start, "
            "steady)");
  EXPECT_EQ(refusal("[run]\nspeed = fast\n"), "t.scn:2: expected a positive number, got 'fast'");
  EXPECT_EQ(refusal("[run]\nspeed = 0\n"), "t.scn:2: expected a positive number, got '0'");
  EXPECT_EQ(refusal("[run]\nstart = 25:00\n"),
            "t.scn:2: expected a time of day HH:MM, got '25:00'");
  EXPECT_EQ(refusal("[run]\nrestart = noon\n"),
            "t.scn:2: expected a time of day HH:MM, got 'noon'");
  EXPECT_EQ(refusal("[run]\nsteady = maybe\n"), "t.scn:2: expected yes or no, got 'maybe'");
  EXPECT_EQ(refusal("[run]\nspeed\n"),
            "t.scn:2: expected 'key = value' or '[section]', got 'speed'");
  EXPECT_EQ(refusal("[run]\nspeed =\n"), "t.scn:2: 'speed' has no value");
  EXPECT_EQ(refusal("[run\n"), "t.scn:1: a section header must end with ']'");
  EXPECT_EQ(refusal("[campaign]\n"), "t.scn:1: [campaign NAME] needs one name without spaces");
  EXPECT_EQ(refusal("[grid x]\n"), "t.scn:1: section [grid] takes no name");
  EXPECT_EQ(refusal("[reports]\nhours = 1 2 3\n"),
            "t.scn:2: hours needs 24 factors (00:00 to 23:00), got 3");
  EXPECT_EQ(refusal("[reports]\ncategory = safety.dispute\n"),
            "t.scn:2: category needs a code and a weight, e.g. 'category = enforce.noise 3'");
  EXPECT_EQ(refusal("[grid]\nsign = 5m..1m\n"),
            "t.scn:2: expected a duration or a range such as 10m..2h (the first not above the "
            "second), got '5m..1m'");
  EXPECT_EQ(refusal("[grid]\nshare = 120%\n"),
            "t.scn:2: expected a share such as 60% or 0.6, got '120%'");
  EXPECT_EQ(refusal("[whistle]\ndepartments = 0..2\n"),
            "t.scn:2: expected a count or a range within 1..16, got '0..2'");
  EXPECT_EQ(refusal("[campaign a]\nchannel = 14\n"), "t.scn:2: expected a channel 0..13, got '14'");
  EXPECT_EQ(refusal("[campaign a]\ntarget = city\n"),
            "t.scn:2: expected 'target = KIND [UNIT]': KIND one of county, township, village, "
            "grid, department, centre; UNIT a unit code (none: the city)");
  EXPECT_EQ(refusal("[campaign a]\nlagging = 60%\nsilent = 50%\n"),
            "t.scn:1: campaign a: lagging + silent over 100%");
  // The four levels must share every case between them: the last share read is blamed.
  EXPECT_EQ(refusal("[grid]\nshare = 60%\n[village]\nshare = 30%\n"),
            "t.scn:4: the shares of [grid], [village], [township] and [whistle] add up to 102%, "
            "not 100%");
  EXPECT_EQ(refusal("[ratings]\n1 = 0\n2 = 0\n3 = 0\n4 = 0\n5 = 0\n"),
            "t.scn: [ratings] gives no score a share");
}

TEST(scenario_test, durations_read_as_people_write_them) {
  EXPECT_EQ(sim::parse_duration("90"), 90 * s);
  EXPECT_EQ(sim::parse_duration("90s"), 90 * s);
  EXPECT_EQ(sim::parse_duration("1h30m"), 90 * m);
  EXPECT_EQ(sim::parse_duration("2d"), 48 * h);
  EXPECT_EQ(sim::parse_duration("250ms"), 250);
  EXPECT_EQ(sim::parse_duration(""), std::nullopt);
  EXPECT_EQ(sim::parse_duration("h"), std::nullopt);
  EXPECT_EQ(sim::parse_duration("5x"), std::nullopt);
  EXPECT_EQ(sim::parse_duration("5m3"), std::nullopt);
}

TEST(scenario_test, a_scenario_naming_what_the_city_lacks_is_refused_with_its_line) {
  auto city = make_small_city();
  auto check = [&](const std::string& text) {
    auto r = parse_scenario(text, "t.scn");
    if (auto* e = std::get_if<scenario_error>(&r))
      return e->to_string();
    auto err = sim::check(std::get<scenario>(r), *city);
    return err ? err->to_string() : std::string{};
  };
  EXPECT_EQ(check("[reports]\ncategory = safety.dispute 1\n"), "");
  EXPECT_EQ(check("[reports]\n\ncategory = enforce.noise 1\n"),
            "t.scn:3: no case category 'enforce.noise' in the hierarchy");
  EXPECT_EQ(check("[burst storm]\ncounty = 411502001\n"),
            "t.scn:1: burst storm: 411502001 is not a county of the hierarchy");
  EXPECT_EQ(check("[campaign a]\ntarget = village 999\n"),
            "t.scn:1: campaign a: 999 is not a county, township or village of the hierarchy");
  // The other county has a township but no village.
  EXPECT_EQ(check("[campaign a]\ntarget = village 411503\n"),
            "t.scn:1: campaign a: no unit of kind village there: the directive would reach "
            "nobody");
  EXPECT_EQ(check("[campaign a]\ntarget = grid 411502\n"), "");
}

TEST(scenario_test, the_examples_in_the_repository_parse_and_fit_the_generated_city) {
  auto city = sim::generate_xinyang(20261125);
  std::size_t seen = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HUB_SOURCE_DIR) + "/sim/scenarios")) {
    if (entry.path().extension() != ".scn")
      continue;
    ++seen;
    auto r = sim::load_scenario(entry.path().string());
    ASSERT_TRUE(std::holds_alternative<scenario>(r)) << std::get<scenario_error>(r).to_string();
    auto err = sim::check(std::get<scenario>(r), city);
    EXPECT_FALSE(err) << err->to_string();
  }
  EXPECT_GE(seen, 4u); // small, day, storm, steady
}

TEST(scenario_test, a_file_that_cannot_be_read_says_so) {
  auto r = sim::load_scenario("/nonexistent/x.scn");
  ASSERT_TRUE(std::holds_alternative<scenario_error>(r));
  EXPECT_EQ(std::get<scenario_error>(r).to_string(), "/nonexistent/x.scn: cannot be read");
}

} // namespace
} // namespace hub::testing
