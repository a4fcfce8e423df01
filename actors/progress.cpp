#include "actors/progress.hpp"

#include <algorithm>

namespace hub::actors {

std::optional<std::uint64_t> recipient_key(const protocol::hierarchy& h, const recipient& r) {
  const auto unit = h.index_of(r.unit);
  if (unit == protocol::hierarchy::no_unit)
    return std::nullopt;
  std::uint64_t person = 0;
  if (r.person != 0) {
    const auto* p = h.find_person(r.person);
    if (p == nullptr)
      return std::nullopt;
    person = static_cast<std::uint64_t>(p - h.people.data()) + 1;
  }
  return static_cast<std::uint64_t>(unit) << 32 | person;
}

recipient recipient_of(const protocol::hierarchy& h, std::uint64_t key) {
  const auto person = static_cast<std::uint32_t>(key);
  return {h.units[key >> 32].code, person == 0 ? 0 : h.people[person - 1].id};
}

bool key_before(const protocol::hierarchy& h, std::uint64_t a, std::uint64_t b) {
  if (a >> 32 != b >> 32)
    return h.units[a >> 32].code < h.units[b >> 32].code;
  const auto pa = static_cast<std::uint32_t>(a), pb = static_cast<std::uint32_t>(b);
  if (pa == 0 || pb == 0)
    return pa < pb; // the unit itself (person 0) first
  return h.people[pa - 1].id < h.people[pb - 1].id;
}

progress_list::progress_list(const protocol::hierarchy& h, const std::vector<entry>& entries) {
  std::vector<std::pair<std::uint64_t, protocol::directive_action>> keyed;
  keyed.reserve(entries.size());
  for (const auto& [r, a] : entries)
    if (auto k = recipient_key(h, r))
      keyed.emplace_back(*k, a);
  take(h, std::move(keyed));
}

progress_list::progress_list(const protocol::hierarchy& h, const std::vector<recipient>& rs) {
  std::vector<std::pair<std::uint64_t, protocol::directive_action>> keyed;
  keyed.reserve(rs.size());
  for (const auto& r : rs)
    if (auto k = recipient_key(h, r))
      keyed.emplace_back(*k, protocol::directive_action::issue);
  take(h, std::move(keyed));
}

void progress_list::take(const protocol::hierarchy& h,
                         std::vector<std::pair<std::uint64_t, protocol::directive_action>> keyed) {
  if (keyed.size() > 1) {
    std::stable_sort(keyed.begin(), keyed.end(),
                     [&](const auto& a, const auto& b) { return key_before(h, a.first, b.first); });
    keyed.erase(std::unique(keyed.begin(), keyed.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                keyed.end());
  }
  keys_.reserve(keyed.size()); // exactly: a city-wide list is never grown
  states_.reserve(keyed.size());
  for (const auto& [k, a] : keyed) {
    keys_.push_back(k);
    states_.push_back(a);
  }
}

std::size_t progress_list::lower_bound(const protocol::hierarchy& h, const recipient& r) const {
  // A recipient the hierarchy does not have sorts by its codes all the same.
  auto before = [&](std::uint64_t k) {
    const auto x = recipient_of(h, k);
    return x < r;
  };
  return static_cast<std::size_t>(std::partition_point(keys_.begin(), keys_.end(), before) -
                                  keys_.begin());
}

std::size_t progress_list::find(const protocol::hierarchy& h, const recipient& r) const {
  const auto k = recipient_key(h, r);
  if (!k)
    return npos;
  auto i = std::lower_bound(keys_.begin(), keys_.end(), *k,
                            [&](std::uint64_t a, std::uint64_t b) { return key_before(h, a, b); });
  return i != keys_.end() && *i == *k ? static_cast<std::size_t>(i - keys_.begin()) : npos;
}

recipient progress_list::who(const protocol::hierarchy& h, std::size_t i) const {
  return recipient_of(h, keys_[i]);
}

std::vector<progress_list::entry> progress_list::entries(const protocol::hierarchy& h) const {
  std::vector<entry> out;
  out.reserve(keys_.size());
  for (std::size_t i = 0; i < keys_.size(); ++i)
    out.emplace_back(who(h, i), states_[i]);
  return out;
}

} // namespace hub::actors
