#include "tests/support/small_city.hpp"

namespace hub::testing {

using protocol::post;
using protocol::unit_kind;

namespace {

void add_unit(protocol::hierarchy& h, protocol::unit_code code, unit_kind kind,
              protocol::unit_code parent, std::string name,
              std::vector<std::uint8_t> modules = {}) {
  protocol::unit u;
  u.code = code;
  u.kind = kind;
  u.name = std::move(name);
  u.parent = parent;
  u.modules = std::move(modules);
  if (kind == unit_kind::grid) {
    u.lat = 32.1;
    u.lon = 114.1;
  }
  h.units.push_back(std::move(u));
}

void add_people(protocol::hierarchy& h, protocol::unit_code unit,
                std::initializer_list<post> posts) {
  int seq = 0;
  for (auto p : posts) {
    ++seq;
    protocol::person person;
    person.id = person_at(unit, seq);
    person.name = "person " + std::to_string(person.id);
    person.holds = p;
    person.unit = unit;
    person.module = p == post::township_module_head ? static_cast<std::uint8_t>(seq - 3) : 0;
    h.people.push_back(std::move(person));
  }
}

} // namespace

std::shared_ptr<const protocol::hierarchy> make_small_city(int more_grids) {
  using namespace codes;
  auto h = std::make_shared<protocol::hierarchy>();
  for (std::size_t i = 0; i < protocol::module_count; ++i)
    h->modules[i] = {"m" + std::to_string(i), "module " + std::to_string(i)};
  for (std::size_t i = 0; i < protocol::channel_count; ++i)
    h->channels[i] = {"c" + std::to_string(i), "channel " + std::to_string(i)};
  protocol::category cat;
  cat.code = "safety.dispute";
  cat.name = "邻里纠纷";
  cat.module = 1;
  constexpr std::uint32_t hour = 3600, day = 24 * hour;
  cat.limits[0] = {2 * hour, day, 3 * day, 7 * day, 15 * day, day, 3 * day, day};
  cat.limits[1] = {hour / 2,     day / 4, 3 * day / 4, 7 * day / 4,
                   15 * day / 4, day / 4, 3 * day / 4, day / 4};
  h->categories.push_back(cat);

  add_unit(*h, city, unit_kind::city, 0, "信阳市");
  add_unit(*h, city_centre, unit_kind::centre, city, "市社会治理中心");
  add_unit(*h, county, unit_kind::county, city, "浉河区");
  add_unit(*h, centre, unit_kind::centre, county, "浉河区社会治理中心");
  add_unit(*h, police, unit_kind::department, county, "公安分局", {1});
  add_unit(*h, housing, unit_kind::department, county, "住建局", {9});
  add_unit(*h, environment, unit_kind::department, county, "生态环境分局", {4});
  for (auto [town, villages] : {std::pair{town_a, std::pair{village_a1, village_a2}},
                                std::pair{town_b, std::pair{village_b1, village_b2}}}) {
    add_unit(*h, town, unit_kind::township, county, "town " + std::to_string(town));
    for (auto village : {villages.first, villages.second}) {
      add_unit(*h, village, unit_kind::village, town, "village " + std::to_string(village));
      for (int g = 1; g <= 2; ++g)
        add_unit(*h, village * 1000 + g, unit_kind::grid, village,
                 "grid " + std::to_string(village * 1000 + g));
    }
  }
  add_unit(*h, other_county, unit_kind::county, city, "平桥区");
  add_unit(*h, other_town, unit_kind::township, other_county, "other town");
  add_unit(*h, other_dept, unit_kind::department, other_county, "平桥公安分局", {1});

  add_people(*h, city, {post::city_leader});
  add_people(*h, city_centre, {post::hotline_operator, post::centre_operator});
  add_people(*h, county, {post::county_leader});
  add_people(*h, centre, {post::centre_operator});
  for (auto d : {police, housing, environment, other_dept})
    add_people(*h, d, {post::department_head, post::department_staff});
  for (auto t : {town_a, town_b, other_town})
    // seq 1 head, 2 operator, 3.. module heads 0..9 (module = seq - 3)
    add_people(*h, t,
               {post::township_head, post::township_operator, post::township_module_head,
                post::township_module_head, post::township_module_head, post::township_module_head,
                post::township_module_head, post::township_module_head, post::township_module_head,
                post::township_module_head, post::township_module_head,
                post::township_module_head});
  for (auto v : {village_a1, village_a2, village_b1, village_b2}) {
    add_people(*h, v,
               {post::village_secretary, post::village_discipline, post::village_publicity,
                post::village_security, post::village_environment});
    for (int g = 1; g <= 2; ++g)
      add_people(
          *h, v * 1000 + g,
          {post::grid_head, post::grid_fulltime, post::grid_parttime, post::grid_instructor});
  }
  for (int g = 3; g < 3 + more_grids; ++g) {
    add_unit(*h, village_b2 * 1000 + g, unit_kind::grid, village_b2,
             "grid " + std::to_string(village_b2 * 1000 + g));
    add_people(*h, village_b2 * 1000 + g, {post::grid_fulltime});
  }
  h->index();
  return h;
}

} // namespace hub::testing
