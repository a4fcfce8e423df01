// The hierarchy's indices and look-ups. index() runs once after loading; every look-up after
// that is a hash probe plus, for the tree questions, at most a few steps up the parent chain
// (the tree is five levels deep).

#include "protocol/hierarchy.hpp"

#include <limits>

namespace hub::protocol {

namespace {

constexpr std::uint32_t no_parent = std::numeric_limits<std::uint32_t>::max();

// Deeper than any valid hierarchy (five levels); stops the depth walk on a parent cycle,
// which the loader rejects but a hand-built hierarchy might contain.
constexpr std::uint8_t max_depth = 64;

const std::vector<std::uint32_t>& empty_list() {
  static const std::vector<std::uint32_t> empty;
  return empty;
}

} // namespace

// -- building -------------------------------------------------------------------------------

void hierarchy::index() {
  const auto n_units = static_cast<std::uint32_t>(units.size());
  const auto n_people = static_cast<std::uint32_t>(people.size());

  unit_index_.reset(n_units);
  counts_ = {};
  for (std::uint32_t i = 0; i < n_units; ++i) {
    unit_index_.insert(units[i].code, i); // codes are unique in a valid hierarchy
    ++counts_[static_cast<std::size_t>(units[i].kind)];
  }

  // Children lists, and the parent of each unit as an index so that tree walks need no
  // hashing.
  children_at_.assign(n_units, {});
  parent_index_.assign(n_units, no_parent);
  for (std::uint32_t i = 0; i < n_units; ++i) {
    const unit& u = units[i];
    if (u.kind == unit_kind::city)
      continue;
    const auto p = unit_index_.find(u.parent);
    if (p == no_unit)
      continue;
    parent_index_[i] = p;
    children_at_[p].push_back(i);
  }

  // Depth of each unit. Parents usually come first, so most depths are known from the parent;
  // otherwise walk up.
  depth_.assign(n_units, 0);
  std::vector<bool> known(n_units, false);
  for (std::uint32_t i = 0; i < n_units; ++i) {
    std::uint32_t p = parent_index_[i];
    if (p == no_parent) {
      depth_[i] = 0;
    } else if (known[p]) {
      depth_[i] = static_cast<std::uint8_t>(depth_[p] + 1);
    } else {
      std::uint8_t d = 0;
      for (std::uint32_t j = i; parent_index_[j] != no_parent && d < max_depth;
           j = parent_index_[j])
        ++d;
      depth_[i] = d;
    }
    known[i] = true;
  }

  person_index_.reset(n_people);
  people_at_.clear();
  for (std::uint32_t i = 0; i < n_people; ++i) {
    person_index_.insert(people[i].id, i);
    people_at_[people[i].unit].push_back(i);
  }

  category_index_.clear();
  for (std::uint32_t i = 0; i < categories.size(); ++i)
    category_index_.emplace(categories[i].code, i);
}

// -- look-ups -------------------------------------------------------------------------------

const unit* hierarchy::find_unit(unit_code code) const {
  const auto i = unit_index_.find(code);
  return i == no_unit ? nullptr : &units[i];
}

const person* hierarchy::find_person(person_id id) const {
  const auto i = person_index_.find(id);
  return i == detail::id_index::absent ? nullptr : &people[i];
}

const category* hierarchy::find_category(std::string_view code) const {
  auto it = category_index_.find(code);
  return it == category_index_.end() ? nullptr : &categories[it->second];
}

const std::vector<std::uint32_t>& hierarchy::children(unit_code code) const {
  auto i = index_of(code);
  return i == no_unit ? empty_list() : children_at_[i];
}

const std::vector<std::uint32_t>& hierarchy::people_at(unit_code code) const {
  auto it = people_at_.find(code);
  return it == people_at_.end() ? empty_list() : it->second;
}

bool hierarchy::within(unit_code code, unit_code ancestor) const {
  return within_at(index_of(code), index_of(ancestor));
}

std::uint32_t hierarchy::index_of(unit_code code) const {
  return unit_index_.find(code); // id_index::absent is no_unit
}

bool hierarchy::within_at(std::uint32_t i, std::uint32_t a) const {
  if (i == no_unit || a == no_unit)
    return false;
  // Climb from `i` to the ancestor's depth; it lies in the subtree iff we land on it.
  while (depth_[i] > depth_[a] && parent_index_[i] != no_parent)
    i = parent_index_[i];
  return i == a;
}

std::size_t hierarchy::count(unit_kind kind) const {
  auto k = static_cast<std::size_t>(kind);
  return k < counts_.size() ? counts_[k] : 0;
}

const unit* hierarchy::ancestor_of_kind(unit_code code, unit_kind kind) const {
  const auto from = unit_index_.find(code);
  if (from == no_unit)
    return nullptr;
  for (std::uint32_t i = from, steps = 0; steps <= max_depth; ++steps) {
    if (units[i].kind == kind)
      return &units[i];
    if (parent_index_[i] == no_parent)
      return nullptr;
    i = parent_index_[i];
  }
  return nullptr;
}

std::vector<unit_code> hierarchy::path(unit_code code) const {
  std::vector<unit_code> out;
  std::uint32_t i = unit_index_.find(code);
  if (i == no_unit)
    return out;
  out.resize(depth_[i] + 1u);
  for (std::size_t k = out.size(); k-- > 0;) {
    out[k] = units[i].code;
    if (parent_index_[i] == no_parent)
      break;
    i = parent_index_[i];
  }
  return out;
}

bool operator==(const hierarchy& a, const hierarchy& b) {
  return a.modules == b.modules && a.channels == b.channels && a.categories == b.categories &&
         a.units == b.units && a.people == b.people;
}

} // namespace hub::protocol
