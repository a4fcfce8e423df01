#pragma once

// The hierarchy the hub serves: units (city, counties, townships, villages, grids, county
// departments, centres), people and their posts, the ten township modules, the fourteen
// command channels and the case categories with their time limits. Loaded once from a
// hierarchy file (protocol/hierarchy_file.hpp) and then read-only, shared by every actor.

#include "protocol/detail/id_index.hpp"
#include "protocol/types.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hub::protocol {

/// What a township-level unit is called (乡镇街道): an urban street office 街道, a town 镇 or a
/// rural township 乡. By the national convention their codes end in 001-099, 100-199 and
/// 200-399, but the type is stated in the file, not derived from the code.
enum class township_type : std::uint8_t { street, town, township };

template <>
struct enum_names<township_type> {
  static constexpr std::array names{"street"sv, "town"sv, "township"sv};
};

/// Time limits of one category at one urgency, in seconds.
struct time_limits {
  std::uint32_t sign = 0;            // the holder signs for a case
  std::uint32_t grid = 0;            // handled inside the grid
  std::uint32_t village = 0;         // inside the village
  std::uint32_t township = 0;        // inside the township
  std::uint32_t whistle = 0;         // departments finish a whistle
  std::uint32_t department_sign = 0; // a department reports in (报到)
  std::uint32_t rating = 0;          // the township rates after feedback
  std::uint32_t supervision = 0;     // overdue this long: raised to supervision (督办)
  friend bool operator==(const time_limits&, const time_limits&) = default;
};

struct category {
  std::string code;                    // e.g. "enforce.noise"
  std::string name;                    // e.g. "噪音扰民"
  std::uint8_t module = 0;             // the township module that owns it, 0..9
  std::array<time_limits, 2> limits{}; // indexed by urgency
  friend bool operator==(const category&, const category&) = default;
};

struct channel {
  std::string code; // e.g. "party_gov"
  std::string name; // e.g. "党政指挥"
  friend bool operator==(const channel&, const channel&) = default;
};

struct module_info {
  std::string code; // e.g. "safety"
  std::string name; // e.g. "平安建设"
  friend bool operator==(const module_info&, const module_info&) = default;
};

struct unit {
  unit_code code = 0;
  unit_kind kind = unit_kind::grid;
  std::string name;
  unit_code parent = 0; // 0 for the city; a department's or centre's parent is its county
  // Each of the next three matters for one kind only; other kinds keep the default.
  bool community = false; // villages: a 社区 (urban community) rather than a 村
  township_type township = township_type::town; // townships: 街道, 镇 or 乡
  std::vector<std::uint8_t> modules;            // departments: the township modules they mirror
  double lat = 0;                               // grids carry a coordinate; others may
  double lon = 0;
  friend bool operator==(const unit&, const unit&) = default;
};

struct person {
  person_id id = 0;
  std::string name;
  post holds = post::grid_parttime;
  unit_code unit = 0;
  std::uint8_t module = 0; // township_module_head: the module they lead
  friend bool operator==(const person&, const person&) = default;
};

/// The loaded hierarchy. Indices into `units` and `people` are stable for its lifetime.
class hierarchy {
public:
  // -- data (filled by the loader, then read-only) --
  std::array<module_info, module_count> modules;
  std::array<channel, channel_count> channels;
  std::vector<category> categories;
  std::vector<unit> units;
  std::vector<person> people;

  // -- look-ups -------------------------------------------------------------------------

  /// Builds the indices below; the loader (and the generator) call it once all records are
  /// in, and again whoever edits the data. Expects unique unit codes and person ids (the
  /// loader guarantees them; for a duplicate, the first wins). After it, every look-up is a
  /// hash probe plus at most a few steps up the five-level tree.
  void index();

  /// The unit with `code`, or nullptr.
  const unit* find_unit(unit_code code) const;
  /// The person with `id`, or nullptr.
  const person* find_person(person_id id) const;
  /// The category with `code`, or nullptr.
  const category* find_category(std::string_view code) const;
  /// Index (into `units`) of the children of `code`, departments and centres included.
  const std::vector<std::uint32_t>& children(unit_code code) const;
  /// Indices (into `people`) of the people posted at `code`.
  const std::vector<std::uint32_t>& people_at(unit_code code) const;
  /// True when `code` is `ancestor` or lies in its subtree.
  bool within(unit_code code, unit_code ancestor) const;

  // By index into `units`, for hot paths that already hold one: no hashing.
  /// The index of the unit with `code`, or `no_unit`.
  std::uint32_t index_of(unit_code code) const;
  std::uint32_t index_of(const unit& u) const {
    return static_cast<std::uint32_t>(&u - units.data());
  }
  /// within() by indices; false when either is `no_unit`.
  bool within_at(std::uint32_t i, std::uint32_t ancestor) const;
  /// children() by index.
  const std::vector<std::uint32_t>& children_at(std::uint32_t i) const { return children_at_[i]; }
  static constexpr std::uint32_t no_unit = detail::id_index::absent;
  /// Number of units of `kind`.
  std::size_t count(unit_kind kind) const;
  /// The nearest unit of `kind` on the way from `code` up to the city, `code` itself
  /// included (e.g. the township of a grid), or nullptr when there is none.
  const unit* ancestor_of_kind(unit_code code, unit_kind kind) const;
  /// The codes from the city down to `code` (city first, `code` last; a grid's path has five
  /// codes); empty when `code` is unknown.
  std::vector<unit_code> path(unit_code code) const;

  /// Equal data (modules, channels, categories, units, people, in order); indices ignored.
  friend bool operator==(const hierarchy& a, const hierarchy& b);

private:
  // Lets find_category look a std::string_view up without building a std::string.
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  detail::id_index unit_index_;   // code -> index into units
  detail::id_index person_index_; // id -> index into people
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> category_index_;
  std::unordered_map<unit_code, std::vector<std::uint32_t>> people_at_;
  std::vector<std::vector<std::uint32_t>> children_at_; // per unit: children's indices
  std::vector<std::uint32_t> parent_index_; // per unit: index of its parent, or no_parent
  std::vector<std::uint8_t> depth_;         // per unit: steps up to a root (the city: 0)
  std::array<std::size_t, enum_count<unit_kind>> counts_{};
};

} // namespace hub::protocol
