#pragma once

// The fixed data behind the Xinyang generator (sim/xinyang.hpp): the real counties, the
// ten modules, the fourteen channels, the case categories, the county departments and the
// syllable tables names are built from. Internal to hub_sim; kept apart from the generator
// so that the algorithm reads without scrolling past tables.

#include "protocol/types.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace hub::sim::data {

/// A county or district: its real code, name and seat, an approximate bounding box, and how
/// many townships of each type (街道 / 镇 / 乡) it gets.
struct county {
  protocol::unit_code code;
  std::string_view name;
  double seat_lat, seat_lon;
  double lat_min, lat_max, lon_min, lon_max;
  int streets, towns, townships;
};

/// The city itself.
inline constexpr protocol::unit_code city_code = 411500;
inline constexpr std::string_view city_name = "信阳市";
inline constexpr double city_lat = 32.147;
inline constexpr double city_lon = 114.092;

/// The ten counties and districts, in code order. Their townships add up to 45 streets,
/// 86 towns and 84 townships (215).
std::span<const county> counties();

/// A module or channel: code and Chinese name, in index order.
struct named {
  std::string_view code;
  std::string_view name;
};
std::span<const named> modules();  // module_count entries
std::span<const named> channels(); // channel_count entries

/// A case category. `pace` scales the handling limits (grid, village, township, whistle) in
/// percent of the brief's defaults: 50 for hazards that cannot wait, 200 for slow matters.
struct category {
  std::string_view code;
  std::string_view name;
  std::uint8_t module;
  int pace;
};
std::span<const category> categories();

/// A county department: its name (after the county's), the modules it mirrors as a bit set
/// (bit m = module m), and whether every county has one. The position in the table fixes the
/// code: county * 1000 + 901 + position, so 公安局 is ...901 in every county.
struct department {
  std::string_view name;
  std::uint16_t modules;
  bool core;
};
std::span<const department> departments();

// -- syllables for names --------------------------------------------------------------------

std::span<const std::string_view> surnames();     // common first; the generator favours the head
std::span<const std::string_view> given_chars();  // characters of given names
std::span<const std::string_view> rural_first();  // first syllable of towns and villages
std::span<const std::string_view> rural_second(); // second syllable (店, 集, 岗, 畈, 湾, ...)
std::span<const std::string_view> urban_first();  // street offices
std::span<const std::string_view> urban_second();
std::span<const std::string_view> community_words(); // two-character community names (幸福, ...)
std::span<const std::string_view> name_prefixes();   // 大, 小, 新, 前, 后: to separate twins

} // namespace hub::sim::data
