#include "sim/gen/xinyang.hpp"

#include "protocol/hierarchy_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <set>
#include <sstream>
#include <string>

// The generated city against the brief's numbers, its file round trip, and determinism.

namespace {

using namespace hub::protocol;
using hub::sim::generate_xinyang;

/// The default city, generated once for the whole suite.
const hierarchy& city() {
  static const hierarchy h = generate_xinyang();
  return h;
}

std::string text_of(const hierarchy& h) {
  std::ostringstream out;
  write_hierarchy(out, h);
  return out.str();
}

/// People posted at unit `code`, counted per post.
std::map<post, int> posts_at(const hierarchy& h, unit_code code) {
  std::map<post, int> out;
  for (auto i : h.people_at(code))
    ++out[h.people[i].holds];
  return out;
}

TEST(xinyang, has_one_city_and_the_ten_real_counties) {
  const hierarchy& h = city();
  EXPECT_EQ(h.count(unit_kind::city), 1u);
  ASSERT_NE(h.find_unit(411500), nullptr);
  EXPECT_EQ(h.find_unit(411500)->name, "信阳市");

  const std::map<unit_code, std::string> expected{
      {411502, "浉河区"}, {411503, "平桥区"}, {411521, "罗山县"}, {411522, "光山县"},
      {411523, "新县"},   {411524, "商城县"}, {411525, "固始县"}, {411526, "潢川县"},
      {411527, "淮滨县"}, {411528, "息县"}};
  std::map<unit_code, std::string> counties;
  for (const unit& u : h.units)
    if (u.kind == unit_kind::county)
      counties.emplace(u.code, u.name);
  EXPECT_EQ(counties, expected);
}

TEST(xinyang, has_215_townships_45_streets_86_towns_84_townships) {
  const hierarchy& h = city();
  std::array<int, 3> by_type{};
  std::map<unit_code, int> per_county;
  for (const unit& u : h.units)
    if (u.kind == unit_kind::township) {
      ++by_type[static_cast<std::size_t>(u.township)];
      ++per_county[u.parent];
      EXPECT_EQ(u.code / 1000, u.parent); // county * 1000 + nnn
      const auto nnn = u.code % 1000;
      switch (u.township) {
        case township_type::street: EXPECT_TRUE(nnn >= 1 && nnn <= 99) << u.code; break;
        case township_type::town: EXPECT_TRUE(nnn >= 100 && nnn <= 199) << u.code; break;
        case township_type::township: EXPECT_TRUE(nnn >= 200 && nnn <= 399) << u.code; break;
      }
    }
  EXPECT_EQ(h.count(unit_kind::township), 215u);
  EXPECT_EQ(by_type, (std::array<int, 3>{45, 86, 84}));
  // 固始县 is the largest county.
  for (auto [county, n] : per_county)
    EXPECT_LE(n, per_county[411525]) << county;
}

TEST(xinyang, has_about_3700_villages_with_10_to_25_per_township) {
  const hierarchy& h = city();
  EXPECT_GE(h.count(unit_kind::village), 3400u);
  EXPECT_LE(h.count(unit_kind::village), 4000u);
  for (const unit& u : h.units)
    if (u.kind == unit_kind::township) {
      EXPECT_GE(h.children(u.code).size(), 10u) << u.code;
      EXPECT_LE(h.children(u.code).size(), 25u) << u.code;
    }
}

TEST(xinyang, has_exactly_18100_grids_with_the_four_kinds_of_staff) {
  const hierarchy& h = city();
  EXPECT_EQ(h.count(unit_kind::grid), 18100u);
  std::size_t grid_staff = 0;
  for (const person& p : h.people)
    if (p.holds == post::grid_head || p.holds == post::grid_fulltime ||
        p.holds == post::grid_parttime || p.holds == post::grid_instructor)
      ++grid_staff;
  EXPECT_EQ(grid_staff, 88600u);

  for (const unit& u : h.units) {
    if (u.kind != unit_kind::grid)
      continue;
    auto posts = posts_at(h, u.code);
    ASSERT_EQ(posts[post::grid_head], 1) << u.code;
    ASSERT_EQ(posts[post::grid_fulltime], 1) << u.code;
    ASSERT_EQ(posts[post::grid_instructor], 1) << u.code;
    ASSERT_GE(posts[post::grid_parttime], 1) << u.code;
    ASSERT_EQ(u.code / 1000, u.parent);
  }
}

TEST(xinyang, villages_have_their_cadres) {
  const hierarchy& h = city();
  const std::array village_posts{post::village_secretary, post::village_discipline,
                                 post::village_publicity, post::village_security,
                                 post::village_environment};
  for (const unit& u : h.units) {
    if (u.kind != unit_kind::village)
      continue;
    auto posts = posts_at(h, u.code);
    for (post p : village_posts)
      ASSERT_GE(posts[p], 1) << u.code << " lacks " << to_string(p);
    const std::size_t cadres = h.people_at(u.code).size();
    if (u.community) {
      ASSERT_GE(cadres, 7u) << u.code;
      ASSERT_GE(posts[post::village_property], 1) << u.code;
      ASSERT_GE(posts[post::village_grid_affairs], 1) << u.code;
    } else {
      ASSERT_GE(cadres, 5u) << u.code;
    }
  }
}

TEST(xinyang, townships_have_a_head_and_a_head_for_every_module) {
  const hierarchy& h = city();
  for (const unit& u : h.units) {
    if (u.kind != unit_kind::township)
      continue;
    std::set<int> modules;
    int heads = 0, operators = 0;
    for (auto i : h.people_at(u.code)) {
      const person& p = h.people[i];
      heads += p.holds == post::township_head;
      operators += p.holds == post::township_operator;
      if (p.holds == post::township_module_head)
        modules.insert(p.module);
    }
    ASSERT_EQ(heads, 1) << u.code;
    ASSERT_EQ(modules.size(), module_count) << u.code;
    ASSERT_GE(operators, 1) << u.code;
  }
}

TEST(xinyang, every_county_has_departments_for_every_module_and_a_centre) {
  const hierarchy& h = city();
  for (const unit& county : h.units) {
    if (county.kind != unit_kind::county)
      continue;
    std::set<int> covered;
    int departments = 0;
    for (auto i : h.children(county.code)) {
      const unit& d = h.units[i];
      if (d.kind != unit_kind::department)
        continue;
      ++departments;
      EXPECT_GE(d.code, county.code * 1000 + 901);
      EXPECT_LE(d.code, county.code * 1000 + 998);
      covered.insert(d.modules.begin(), d.modules.end());
      auto posts = posts_at(h, d.code);
      EXPECT_EQ(posts[post::department_head], 1) << d.code;
      EXPECT_GE(posts[post::department_staff], 2) << d.code;
      EXPECT_LE(posts[post::department_staff], 5) << d.code;
    }
    EXPECT_GE(departments, 20) << county.code;
    EXPECT_LE(departments, 40) << county.code;
    EXPECT_EQ(covered.size(), module_count) << county.code;
    const unit* centre = h.find_unit(county.code * 1000 + 999);
    ASSERT_NE(centre, nullptr);
    EXPECT_EQ(centre->kind, unit_kind::centre);
    EXPECT_GE(posts_at(h, centre->code)[post::centre_operator], 1);
    EXPECT_GE(posts_at(h, county.code)[post::county_leader], 1);
  }
  const unit* city_centre = h.find_unit(411500999);
  ASSERT_NE(city_centre, nullptr);
  EXPECT_EQ(city_centre->parent, 411500u);
  EXPECT_GE(posts_at(h, 411500999)[post::hotline_operator], 1);
  EXPECT_GE(posts_at(h, 411500)[post::city_leader], 1);
}

TEST(xinyang, has_ten_modules_fourteen_channels_and_categories_with_limits) {
  const hierarchy& h = city();
  std::set<std::string> names;
  for (const auto& m : h.modules)
    names.insert(m.name);
  EXPECT_EQ(names.size(), module_count);
  EXPECT_TRUE(names.count("平安建设"));
  names.clear();
  for (const auto& c : h.channels)
    names.insert(c.name);
  EXPECT_EQ(names.size(), channel_count);
  for (const char* required : {"党政指挥", "党建引领", "综合协调", "经济运行"})
    EXPECT_TRUE(names.count(required)) << required;

  EXPECT_GE(h.categories.size(), 20u);
  EXPECT_LE(h.categories.size(), 30u);
  for (const category& c : h.categories) {
    const time_limits& normal = c.limits[0];
    const time_limits& urgent = c.limits[1];
    EXPECT_LE(normal.sign, 2 * 3600u) << c.code;
    EXPECT_EQ(urgent.sign, 30 * 60u) << c.code;
    EXPECT_LT(urgent.township, normal.township) << c.code;
    EXPECT_LT(normal.grid, normal.village) << c.code;
    EXPECT_LT(normal.village, normal.township) << c.code;
    EXPECT_LT(normal.township, normal.whistle) << c.code;
  }
  ASSERT_NE(h.find_category("safety.dispute"), nullptr);
  EXPECT_EQ(h.find_category("safety.dispute")->limits[0].township, 7 * 86400u);
}

TEST(xinyang, every_coordinate_lies_inside_xinyang) {
  for (const unit& u : city().units) {
    if (u.kind == unit_kind::grid || u.lat != 0 || u.lon != 0) {
      ASSERT_GE(u.lat, 30.4) << u.code;
      ASSERT_LE(u.lat, 32.7) << u.code;
      ASSERT_GE(u.lon, 113.7) << u.code;
      ASSERT_LE(u.lon, 115.9) << u.code;
    }
  }
}

TEST(xinyang, writes_a_file_that_reads_back_equal) {
  const std::string text = text_of(city());
  auto parsed = parse_hierarchy(text);
  ASSERT_TRUE(std::holds_alternative<hierarchy>(parsed))
      << std::get<hierarchy_error>(parsed).to_string();
  const hierarchy& back = std::get<hierarchy>(parsed);
  EXPECT_TRUE(back == city());
  EXPECT_EQ(back.count(unit_kind::grid), 18100u); // the indices were rebuilt too
  EXPECT_TRUE(back.within(back.units.back().code, 411500));
}

TEST(xinyang, the_same_seed_gives_the_same_file_and_another_seed_another) {
  const std::string first = text_of(city());
  EXPECT_EQ(text_of(generate_xinyang(hub::sim::default_seed)), first);

  const hierarchy other = generate_xinyang(7);
  EXPECT_NE(text_of(other), first);
  // Another seed changes names, sizes and places, never the brief's totals.
  EXPECT_EQ(other.count(unit_kind::township), 215u);
  EXPECT_EQ(other.count(unit_kind::grid), 18100u);
  std::size_t grid_staff = 0;
  for (const person& p : other.people)
    grid_staff += p.holds <= post::grid_instructor;
  EXPECT_EQ(grid_staff, 88600u);
  EXPECT_TRUE(std::holds_alternative<hierarchy>(parse_hierarchy(text_of(other))));
}

} // namespace
