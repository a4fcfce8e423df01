#pragma once

// A small hand-made hierarchy for actor tests: one county (411502) with two townships, two
// villages each, two grids per village, three departments and a centre; the city centre with
// a hotline operator. Person ids are unit code * 100 + seq, so tests can name them.

#include "protocol/hierarchy.hpp"

#include <memory>

namespace hub::testing {

namespace codes {
using protocol::unit_code;
constexpr unit_code city = 411500, city_centre = 411500999;
constexpr unit_code county = 411502, centre = 411502999;
constexpr unit_code town_a = 411502001, town_b = 411502100;
constexpr unit_code village_a1 = 411502001001, village_a2 = 411502001002;
constexpr unit_code village_b1 = 411502100001, village_b2 = 411502100002;
constexpr unit_code grid_a1_1 = 411502001001001, grid_a1_2 = 411502001001002;
constexpr unit_code grid_a2_1 = 411502001002001, grid_a2_2 = 411502001002002;
constexpr unit_code grid_b1_1 = 411502100001001, grid_b1_2 = 411502100001002;
constexpr unit_code grid_b2_1 = 411502100002001, grid_b2_2 = 411502100002002;
constexpr unit_code police = 411502901, housing = 411502902, environment = 411502903;
constexpr unit_code other_county = 411503, other_town = 411503001, other_dept = 411503901;
} // namespace codes

/// Person id of the `seq`-th person (1-based) posted at `unit`.
constexpr protocol::person_id person_at(protocol::unit_code unit, int seq) {
  return unit * 100 + static_cast<protocol::unit_code>(seq);
}

/// Category "safety.dispute" (module 1): sign 2 h, grid 1 d, village 3 d, township 7 d,
/// whistle 15 d, department sign 1 d, rating 3 d, supervision 1 d; urgent: a quarter.
/// `more_grids`: that many grids more in village_b2 (codes village_b2 * 1000 + 3 on), each
/// with a grid worker, for what only a wide fan-out shows.
std::shared_ptr<const protocol::hierarchy> make_small_city(int more_grids = 0);

} // namespace hub::testing
