#pragma once

// The hierarchy file's vocabulary, shared by its reader (hierarchy_file.cpp) and its writer
// (hierarchy_file_write.cpp): the header line, column names, and the tree's rules.

#include "protocol/types.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace hub::protocol::detail {

// -- the format's vocabulary ----------------------------------------------------------------

constexpr std::string_view magic = "hub-hierarchy";
constexpr std::uint64_t format_version = 1;

// Column names of each record kind, the record kind itself first.
using columns = std::span<const std::string_view>;
constexpr std::array<std::string_view, 2> header_columns{"record", "version"};
constexpr std::array<std::string_view, 4> module_columns{"record", "index", "code", "name"};
constexpr std::array<std::string_view, 4> channel_columns{"record", "index", "code", "name"};
constexpr std::array<std::string_view, 4> category_columns{"record", "code", "name", "module"};
constexpr std::array<std::string_view, 11> limits_columns{
    "record",   "category", "urgency",         "sign",   "grid",       "village",
    "township", "whistle",  "department_sign", "rating", "supervision"};
constexpr std::array<std::string_view, 9> unit_columns{
    "record", "code", "kind", "name", "parent", "type", "modules", "lat", "lon"};
constexpr std::array<std::string_view, 6> person_columns{"record", "id",   "name",
                                                         "post",   "unit", "module"};
constexpr std::size_t max_fields = 11; // the widest record

// Longest accepted name and code, in bytes.
constexpr std::size_t max_name = 255;
constexpr std::size_t max_code = 64;

// -- the tree's rules ------------------------------------------------------------------------

constexpr std::uint8_t bit(unit_kind k) {
  return static_cast<std::uint8_t>(1u << static_cast<int>(k));
}

/// Per unit kind: the kinds its parent may have, the same in words, and its rank in the tree
/// (a parent's rank is below its children's; the writer orders by it).
struct kind_rule {
  std::uint8_t parents;
  std::string_view parents_text;
  int rank;
};
constexpr std::array<kind_rule, enum_count<unit_kind>> kind_rules{{
    {0, "nothing (the city has no parent)", 0},                               // city
    {bit(unit_kind::city), "city", 1},                                        // county
    {bit(unit_kind::county), "county", 2},                                    // township
    {bit(unit_kind::township), "township", 3},                                // village
    {bit(unit_kind::village), "village", 4},                                  // grid
    {bit(unit_kind::county), "county", 2},                                    // department
    {bit(unit_kind::county) | bit(unit_kind::city), "county or the city", 2}, // centre
}};
inline const kind_rule& rule_of(unit_kind k) { return kind_rules[static_cast<std::size_t>(k)]; }

/// Per post, in enum order: the kind of unit it is held at.
constexpr std::array<unit_kind, enum_count<post>> post_units{
    unit_kind::grid,     unit_kind::grid,     unit_kind::grid,       unit_kind::grid,
    unit_kind::village,  unit_kind::village,  unit_kind::village,    unit_kind::village,
    unit_kind::village,  unit_kind::village,  unit_kind::village,    unit_kind::township,
    unit_kind::township, unit_kind::township, unit_kind::department, unit_kind::department,
    unit_kind::county,   unit_kind::centre,   unit_kind::city,       unit_kind::centre};
constexpr unit_kind post_unit_kind(post p) { return post_units[static_cast<std::size_t>(p)]; }
static_assert(post_unit_kind(post::grid_instructor) == unit_kind::grid &&
                  post_unit_kind(post::village_grid_affairs) == unit_kind::village &&
                  post_unit_kind(post::township_operator) == unit_kind::township &&
                  post_unit_kind(post::department_staff) == unit_kind::department &&
                  post_unit_kind(post::city_leader) == unit_kind::city &&
                  post_unit_kind(post::hotline_operator) == unit_kind::centre,
              "post_units must follow the order of enum post");

} // namespace hub::protocol::detail
