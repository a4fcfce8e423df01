#include "protocol/hierarchy_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// The reader is tested on a small hand-written file (every unit kind and post once or
// twice), then on the same file with one line broken at a time: each rejection must name the
// line and the field at fault. The generated city's round trip is in tests/sim.

namespace {

using namespace hub::protocol;
using ::testing::HasSubstr;

// -- building files -------------------------------------------------------------------------

/// One record: the fields joined by tabs.
std::string row(std::initializer_list<std::string_view> fields) {
  std::string out;
  for (auto f : fields) {
    if (!out.empty())
      out += '\t';
    out += f;
  }
  return out;
}

/// A small valid file, one string per line (line n is lines[n - 1]).
std::vector<std::string> valid_lines() {
  std::vector<std::string> l{
      "# a small hierarchy for tests",
      row({"hub-hierarchy", "1"}),
      "",
  };
  const char* modules[][2] = {{"rural", "乡村振兴"},       {"safety", "平安建设"},
                              {"discipline", "纪检监察"},  {"organisation", "组织统战"},
                              {"enforcement", "监管执法"}, {"economy", "经济发展"},
                              {"culture", "文旅文创"},     {"services", "公共服务"},
                              {"militia", "武装工作"},     {"construction", "城乡建设"}};
  for (int i = 0; i < 10; ++i)
    l.push_back(row({"module", std::to_string(i), modules[i][0], modules[i][1]}));
  for (int i = 0; i < 14; ++i)
    l.push_back(
        row({"channel", std::to_string(i), "ch" + std::to_string(i), "通道" + std::to_string(i)}));
  l.push_back(row({"category", "safety.dispute", "邻里纠纷", "1"}));
  l.push_back(
      row({"limits", "safety.dispute", "normal", "2h", "1d", "3d", "7d", "15d", "1d", "3d", "1d"}));
  l.push_back(row({"limits", "safety.dispute", "urgent", "30m", "12h", "36h", "84h", "180h", "12h",
                   "1d", "43200"}));
  l.push_back("# units: parents first");
  for (auto r : std::initializer_list<std::initializer_list<std::string_view>>{
           {"unit", "411500", "city", "信阳市", "-", "-", "-", "32.147", "114.092"},
           {"unit", "411500999", "centre", "信阳市社会治理中心", "411500", "-", "-", "-", "-"},
           {"unit", "411502", "county", "浉河区", "411500", "-", "-", "32.123", "114.059"},
           {"unit", "411502999", "centre", "浉河区社会治理中心", "411502", "-", "-", "-", "-"},
           {"unit", "411502901", "department", "浉河区公安局", "411502", "-", "1", "-", "-"},
           {"unit", "411502909", "department", "浉河区城市管理局", "411502", "-", "4,9", "-", "-"},
           {"unit", "411502001", "township", "老城街道", "411502", "street", "-", "-", "-"},
           {"unit", "411502101", "township", "吴家店镇", "411502", "town", "-", "-", "-"},
           {"unit", "411502001001", "village", "民权社区", "411502001", "community", "-", "-", "-"},
           {"unit", "411502101201", "village", "李湾村", "411502101", "village", "-", "-", "-"},
           {"unit", "411502001001001", "grid", "民权社区第1网格", "411502001001", "-", "-", "32.13",
            "114.07"},
           {"unit", "411502101201001", "grid", "李湾村第1网格", "411502101201", "-", "-", "31.95",
            "113.9"},
       })
    l.push_back(row(r));
  for (auto r : std::initializer_list<std::initializer_list<std::string_view>>{
           {"person", "41150001", "周建", "city_leader", "411500", "-"},
           {"person", "41150099901", "黄鑫", "hotline_operator", "411500999", "-"},
           {"person", "41150201", "张兴", "county_leader", "411502", "-"},
           {"person", "41150299901", "陈长", "centre_operator", "411502999", "-"},
           {"person", "41150290101", "李强", "department_head", "411502901", "-"},
           {"person", "41150290102", "王芳", "department_staff", "411502901", "-"},
           {"person", "41150200101", "刘洋", "township_head", "411502001", "-"},
           {"person", "41150200102", "杨敏", "township_module_head", "411502001", "1"},
           {"person", "41150200103", "赵磊", "township_operator", "411502001", "-"},
           {"person", "4115020010010", "孙丽", "village_secretary", "411502001001", "-"},
           {"person", "4115020010011", "马军", "village_property", "411502001001", "-"},
           {"person", "4115021012011", "朱娟", "village_security", "411502101201", "-"},
           {"person", "41150200100100101", "胡涛", "grid_head", "411502001001001", "-"},
           {"person", "41150200100100102", "郭明", "grid_fulltime", "411502001001001", "-"},
           {"person", "41150200100100103", "何超", "grid_instructor", "411502001001001", "-"},
           {"person", "41150200100100104", "高秀", "grid_parttime", "411502001001001", "-"},
       })
    l.push_back(row(r));
  return l;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

/// 1-based number of the first line starting with `prefix`.
std::size_t line_of(const std::vector<std::string>& lines, std::string_view prefix) {
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (std::string_view(lines[i]).starts_with(prefix))
      return i + 1;
  ADD_FAILURE() << "no line starts with " << prefix;
  return 0;
}

/// `lines` with the line starting with `prefix` replaced by `replacement`; its line number
/// goes to `*at`.
std::vector<std::string> replaced(std::vector<std::string> lines, std::string_view prefix,
                                  std::string replacement, std::size_t* at = nullptr) {
  std::size_t n = line_of(lines, prefix);
  if (n != 0)
    lines[n - 1] = std::move(replacement);
  if (at)
    *at = n;
  return lines;
}

hierarchy parsed(const std::string& text) {
  auto result = parse_hierarchy(text);
  if (auto* err = std::get_if<hierarchy_error>(&result)) {
    ADD_FAILURE() << "rejected: " << err->to_string();
    return {};
  }
  return std::get<hierarchy>(std::move(result));
}

hierarchy_error rejection(const std::string& text) {
  auto result = parse_hierarchy(text);
  if (auto* err = std::get_if<hierarchy_error>(&result))
    return *err;
  ADD_FAILURE() << "accepted a bad file";
  return {};
}

// Asserts that `lines` is rejected at `line`, field `field`.
#define EXPECT_REJECTED_AT(lines, line_no, field_name)                                             \
  do {                                                                                             \
    const hierarchy_error e_ = rejection(join(lines));                                             \
    EXPECT_EQ(e_.line, (line_no)) << e_.to_string();                                               \
    EXPECT_EQ(e_.field, (field_name)) << e_.to_string();                                           \
  } while (false)

// -- accepting ------------------------------------------------------------------------------

TEST(hierarchy_file, a_small_valid_file_parses_into_every_record) {
  const hierarchy h = parsed(join(valid_lines()));
  EXPECT_EQ(h.modules[1].code, "safety");
  EXPECT_EQ(h.modules[9].name, "城乡建设");
  EXPECT_EQ(h.channels[13].code, "ch13");
  ASSERT_EQ(h.categories.size(), 1u);
  const category& c = h.categories[0];
  EXPECT_EQ(c.module, 1);
  EXPECT_EQ(c.limits[0].sign, 2 * 3600u);
  EXPECT_EQ(c.limits[0].whistle, 15 * 86400u);
  EXPECT_EQ(c.limits[1].sign, 30 * 60u);
  EXPECT_EQ(c.limits[1].supervision, 43200u); // plain seconds
  EXPECT_EQ(h.units.size(), 12u);
  EXPECT_EQ(h.people.size(), 16u);

  const unit* grid = h.find_unit(411502101201001);
  ASSERT_NE(grid, nullptr);
  EXPECT_EQ(grid->kind, unit_kind::grid);
  EXPECT_EQ(grid->name, "李湾村第1网格");
  EXPECT_DOUBLE_EQ(grid->lat, 31.95);
  EXPECT_DOUBLE_EQ(grid->lon, 113.9);
  EXPECT_TRUE(h.find_unit(411502001001)->community);
  EXPECT_FALSE(h.find_unit(411502101201)->community);
  EXPECT_EQ(h.find_unit(411502001)->township, township_type::street);
  EXPECT_EQ(h.find_unit(411502101)->township, township_type::town);
  EXPECT_EQ(h.find_unit(411502909)->modules, (std::vector<std::uint8_t>{4, 9}));
  EXPECT_EQ(h.find_unit(411500999)->lat, 0); // "-": no coordinate
  EXPECT_EQ(h.find_person(41150200102)->module, 1);
  EXPECT_EQ(h.find_person(41150200102)->holds, post::township_module_head);
}

TEST(hierarchy_file, crlf_line_ends_and_a_byte_order_mark_are_tolerated) {
  std::string text = "\xEF\xBB\xBF";
  for (const auto& l : valid_lines())
    text += l + "\r\n";
  EXPECT_EQ(parsed(text), parsed(join(valid_lines())));
}

TEST(hierarchy_file, write_then_parse_gives_an_equal_hierarchy_and_the_same_text) {
  const hierarchy h = parsed(join(valid_lines()));
  std::ostringstream once;
  write_hierarchy(once, h);
  const hierarchy again = parsed(once.str());
  EXPECT_EQ(again, h);
  std::ostringstream twice;
  write_hierarchy(twice, again);
  EXPECT_EQ(twice.str(), once.str());
}

TEST(hierarchy_file, the_writer_puts_parents_first_when_the_model_does_not) {
  hierarchy h = parsed(join(valid_lines()));
  std::reverse(h.units.begin(), h.units.end()); // every child now precedes its parent
  std::ostringstream out;
  write_hierarchy(out, h);
  const hierarchy back = parsed(out.str());
  EXPECT_EQ(back.units.size(), h.units.size());
  EXPECT_EQ(back.units.front().kind, unit_kind::city);
  EXPECT_NE(back.find_unit(411502101201001), nullptr);
}

// -- look-ups -------------------------------------------------------------------------------

TEST(hierarchy_lookups, find_children_people_within_and_paths) {
  const hierarchy h = parsed(join(valid_lines()));
  EXPECT_EQ(h.find_unit(999), nullptr);
  EXPECT_EQ(h.find_person(1), nullptr);
  ASSERT_NE(h.find_category("safety.dispute"), nullptr);
  EXPECT_EQ(h.find_category("safety.nothing"), nullptr);

  std::vector<unit_code> kids;
  for (auto i : h.children(411502))
    kids.push_back(h.units[i].code);
  EXPECT_THAT(
      kids, ::testing::UnorderedElementsAre(411502999, 411502901, 411502909, 411502001, 411502101));
  EXPECT_TRUE(h.children(411502101201001).empty()); // a grid has none
  EXPECT_TRUE(h.children(12345).empty());           // an unknown unit neither

  std::vector<post> posts;
  for (auto i : h.people_at(411502001001001))
    posts.push_back(h.people[i].holds);
  EXPECT_THAT(posts, ::testing::ElementsAre(post::grid_head, post::grid_fulltime,
                                            post::grid_instructor, post::grid_parttime));
  EXPECT_TRUE(h.people_at(411502101).empty());

  EXPECT_TRUE(h.within(411502001001001, 411502001001001)); // itself
  EXPECT_TRUE(h.within(411502001001001, 411502001));
  EXPECT_TRUE(h.within(411502001001001, 411500));
  EXPECT_TRUE(h.within(411502901, 411502));
  EXPECT_FALSE(h.within(411502001001001, 411502101));
  EXPECT_FALSE(h.within(411502, 411502001)); // an ancestor is not within its child
  EXPECT_FALSE(h.within(411502, 7));

  EXPECT_EQ(h.count(unit_kind::grid), 2u);
  EXPECT_EQ(h.count(unit_kind::department), 2u);
  EXPECT_EQ(h.count(unit_kind::centre), 2u);
  ASSERT_NE(h.ancestor_of_kind(411502101201001, unit_kind::township), nullptr);
  EXPECT_EQ(h.ancestor_of_kind(411502101201001, unit_kind::township)->code, 411502101u);
  EXPECT_EQ(h.ancestor_of_kind(411502101, unit_kind::township)->code, 411502101u);
  EXPECT_EQ(h.ancestor_of_kind(411502101, unit_kind::grid), nullptr);
  EXPECT_EQ(h.path(411502001001001),
            (std::vector<unit_code>{411500, 411502, 411502001, 411502001001, 411502001001001}));
  EXPECT_EQ(h.path(411500), (std::vector<unit_code>{411500}));
  EXPECT_TRUE(h.path(5).empty());
}

// -- rejecting: each names the line and the field -------------------------------------------

TEST(hierarchy_file_rejects, a_bad_header_or_version) {
  auto lines = valid_lines();
  std::size_t at = 0;
  EXPECT_REJECTED_AT(replaced(lines, "hub-hierarchy", row({"hub-hier", "1"}), &at), at, "record");
  EXPECT_EQ(at, 2u);
  EXPECT_REJECTED_AT(replaced(lines, "hub-hierarchy", row({"hub-hierarchy", "2"}), &at), at,
                     "version");
  EXPECT_REJECTED_AT(replaced(lines, "hub-hierarchy", "hub-hierarchy", &at), at, "record");
  const hierarchy_error e = rejection("# only a comment\n\n");
  EXPECT_EQ(e.line, 0u);
  EXPECT_THAT(e.message, HasSubstr("empty"));
}

TEST(hierarchy_file_rejects, an_unknown_record_kind) {
  auto lines = valid_lines();
  lines.insert(lines.begin() + 5, row({"building", "1", "x"}));
  EXPECT_REJECTED_AT(lines, 6u, "record");
}

TEST(hierarchy_file_rejects, a_wrong_number_of_columns) {
  std::size_t at = 0;
  auto lines =
      replaced(valid_lines(), "unit\t411502\t",
               row({"unit", "411502", "county", "浉河区", "411500", "-", "-", "32.1"}), &at);
  EXPECT_REJECTED_AT(lines, at, "record");
  EXPECT_THAT(rejection(join(lines)).message, HasSubstr("has 9"));
  lines = replaced(valid_lines(), "person\t41150001\t",
                   row({"person", "41150001", "周建", "city_leader", "411500", "-", "x"}), &at);
  EXPECT_REJECTED_AT(lines, at, "record");
}

TEST(hierarchy_file_rejects, a_code_that_is_not_a_number) {
  std::size_t at = 0;
  auto lines =
      replaced(valid_lines(), "unit\t411502\t",
               row({"unit", "41150x", "county", "浉河区", "411500", "-", "-", "-", "-"}), &at);
  EXPECT_REJECTED_AT(lines, at, "code");
  EXPECT_THAT(rejection(join(lines)).message, HasSubstr("not a number: \"41150x\""));
}

TEST(hierarchy_file_rejects, an_unknown_unit_kind_or_post) {
  std::size_t at = 0;
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "unit\t411502\t",
               row({"unit", "411502", "hamlet", "浉河区", "411500", "-", "-", "-", "-"}), &at),
      at, "kind");
  EXPECT_REJECTED_AT(replaced(valid_lines(), "person\t41150001\t",
                              row({"person", "41150001", "周建", "mayor", "411500", "-"}), &at),
                     at, "post");
}

TEST(hierarchy_file_rejects, a_coordinate_out_of_range_or_not_a_number) {
  std::size_t at = 0;
  EXPECT_REJECTED_AT(replaced(valid_lines(), "unit\t411502101201001\t",
                              row({"unit", "411502101201001", "grid", "李湾村第1网格",
                                   "411502101201", "-", "-", "95", "113.9"}),
                              &at),
                     at, "lat");
  auto lines = replaced(valid_lines(), "unit\t411502101201001\t",
                        row({"unit", "411502101201001", "grid", "李湾村第1网格", "411502101201",
                             "-", "-", "3x.5", "113.9"}),
                        &at);
  EXPECT_EQ(rejection(join(lines)).to_string(),
            "line " + std::to_string(at) + ", field lat: not a number: \"3x.5\"");
  EXPECT_REJECTED_AT(replaced(valid_lines(), "unit\t411502101201001\t",
                              row({"unit", "411502101201001", "grid", "李湾村第1网格",
                                   "411502101201", "-", "-", "-", "-"}),
                              &at),
                     at, "lat"); // a grid must have a coordinate
}

TEST(hierarchy_file_rejects, a_duplicate_unit_code) {
  auto lines = valid_lines();
  lines.push_back(
      row({"unit", "411502901", "department", "又一个公安局", "411502", "-", "1", "-", "-"}));
  EXPECT_REJECTED_AT(lines, lines.size(), "code");
  EXPECT_THAT(rejection(join(lines)).message,
              HasSubstr("first on line " + std::to_string(line_of(lines, "unit\t411502901"))));
}

TEST(hierarchy_file_rejects, a_missing_parent) {
  std::size_t at = 0;
  auto lines = replaced(
      valid_lines(), "unit\t411502901\t",
      row({"unit", "411502901", "department", "浉河区公安局", "411599", "-", "1", "-", "-"}), &at);
  EXPECT_REJECTED_AT(lines, at, "parent");
  EXPECT_THAT(rejection(join(lines)).message, HasSubstr("no unit 411599"));
}

TEST(hierarchy_file_rejects, a_parent_of_the_wrong_kind) {
  std::size_t at = 0;
  EXPECT_REJECTED_AT(replaced(valid_lines(), "unit\t411502101201001\t",
                              row({"unit", "411502101201001", "grid", "李湾村第1网格", "411502101",
                                   "-", "-", "31.95", "113.9"}),
                              &at),
                     at, "parent");
  EXPECT_REJECTED_AT(replaced(valid_lines(), "unit\t411502901\t",
                              row({"unit", "411502901", "department", "浉河区公安局", "411502001",
                                   "-", "1", "-", "-"}),
                              &at),
                     at, "parent");
}

TEST(hierarchy_file_rejects, a_child_before_its_parent) {
  auto lines = valid_lines();
  const std::size_t village = line_of(lines, "unit\t411502101201\t");
  const std::size_t grid = line_of(lines, "unit\t411502101201001\t");
  std::swap(lines[village - 1], lines[grid - 1]); // the grid now comes first, at `village`
  EXPECT_REJECTED_AT(lines, village, "parent");
  EXPECT_THAT(rejection(join(lines)).message,
              HasSubstr("only further down, on line " + std::to_string(grid)));
}

TEST(hierarchy_file_rejects, a_missing_module_or_channel) {
  auto lines = valid_lines();
  lines.erase(lines.begin() + static_cast<long>(line_of(lines, "module\t3\t")) - 1);
  EXPECT_REJECTED_AT(lines, 0u, "module");
  EXPECT_THAT(rejection(join(lines)).message, HasSubstr("no module 3"));
  lines = valid_lines();
  lines.erase(lines.begin() + static_cast<long>(line_of(lines, "channel\t13\t")) - 1);
  EXPECT_REJECTED_AT(lines, 0u, "channel");
}

TEST(hierarchy_file_rejects, a_person_at_an_unknown_unit) {
  std::size_t at = 0;
  EXPECT_REJECTED_AT(replaced(valid_lines(), "person\t41150001\t",
                              row({"person", "41150001", "周建", "city_leader", "411501", "-"}),
                              &at),
                     at, "unit");
}

TEST(hierarchy_file_rejects, a_post_that_does_not_fit_the_unit) {
  std::size_t at = 0;
  // a grid post at a village
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "person\t41150200100100101\t",
               row({"person", "41150200100100101", "胡涛", "grid_head", "411502001001", "-"}), &at),
      at, "post");
  // a community-only post at a 村
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "person\t4115020010011\t",
               row({"person", "4115020010011", "马军", "village_property", "411502101201", "-"}),
               &at),
      at, "post");
}

TEST(hierarchy_file_rejects, a_module_head_without_a_module_and_a_module_without_a_head) {
  std::size_t at = 0;
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "person\t41150200102\t",
               row({"person", "41150200102", "杨敏", "township_module_head", "411502001", "-"}),
               &at),
      at, "module");
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "person\t41150200102\t",
               row({"person", "41150200102", "杨敏", "township_module_head", "411502001", "10"}),
               &at),
      at, "module");
  EXPECT_REJECTED_AT(
      replaced(valid_lines(), "person\t41150200103\t",
               row({"person", "41150200103", "赵磊", "township_operator", "411502001", "2"}), &at),
      at, "module");
}

TEST(hierarchy_file_rejects, duplicates_of_people_modules_categories_and_the_city) {
  auto lines = valid_lines();
  lines.push_back(row({"person", "41150001", "又一人", "city_leader", "411500", "-"}));
  EXPECT_REJECTED_AT(lines, lines.size(), "id");

  lines = valid_lines();
  lines.push_back(row({"module", "4", "again", "又一个"}));
  EXPECT_REJECTED_AT(lines, lines.size(), "index");

  lines = valid_lines();
  lines.push_back(row({"category", "safety.dispute", "又一个", "1"}));
  EXPECT_REJECTED_AT(lines, lines.size(), "code");

  lines = valid_lines();
  lines.push_back(row({"unit", "411600", "city", "另一市", "-", "-", "-", "-", "-"}));
  EXPECT_REJECTED_AT(lines, lines.size(), "kind");
}

TEST(hierarchy_file_rejects, bad_limits) {
  std::size_t at = 0;
  const std::size_t category = line_of(valid_lines(), "category\t");
  auto lines = valid_lines();
  lines.erase(lines.begin() + static_cast<long>(line_of(lines, "limits\tsafety.dispute\turgent")) -
              1);
  EXPECT_REJECTED_AT(lines, category, "code"); // no urgent limits: points at the category
  EXPECT_REJECTED_AT(replaced(valid_lines(), "limits\tsafety.dispute\tnormal",
                              row({"limits", "safety.dispute", "normal", "2h", "1d", "3d", "7d",
                                   "15x", "1d", "3d", "1d"}),
                              &at),
                     at, "whistle");
  EXPECT_REJECTED_AT(replaced(valid_lines(), "limits\tsafety.dispute\tnormal",
                              row({"limits", "safety.dispute", "soon", "2h", "1d", "3d", "7d",
                                   "15d", "1d", "3d", "1d"}),
                              &at),
                     at, "urgency");
  EXPECT_REJECTED_AT(replaced(valid_lines(), "limits\tsafety.dispute\tnormal",
                              row({"limits", "safety.other", "normal", "2h", "1d", "3d", "7d",
                                   "15d", "1d", "3d", "1d"}),
                              &at),
                     at, "category");
}

TEST(hierarchy_file_rejects, a_missing_file) {
  auto result = load_hierarchy("/nonexistent/hierarchy.tsv");
  ASSERT_TRUE(std::holds_alternative<hierarchy_error>(result));
  const auto& e = std::get<hierarchy_error>(result);
  EXPECT_EQ(e.line, 0u);
  EXPECT_EQ(e.field, "path");
  EXPECT_THAT(e.to_string(), HasSubstr("/nonexistent/hierarchy.tsv"));
}

} // namespace
