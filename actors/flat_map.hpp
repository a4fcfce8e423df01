#pragma once

// A map kept as a vector sorted by key: for the small maps every unit actor holds (the
// directives addressed to it), where a hash map's bucket array and nodes are separate
// allocations that a city-wide fan-out touches cold in 18,100 actors, one after another.
// Look-ups are a binary search in one block; an insertion moves the entries after it, so it
// suits maps of tens or hundreds of entries, filled mostly in key order.

#include <algorithm>
#include <utility>
#include <vector>

namespace hub::actors {

template <class Key, class Value>
class flat_map {
public:
  using value_type = std::pair<Key, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }

  iterator find(const Key& k) {
    auto i = lower_bound(k);
    return i != entries_.end() && i->first == k ? i : entries_.end();
  }
  const_iterator find(const Key& k) const { return const_cast<flat_map*>(this)->find(k); }
  std::size_t count(const Key& k) const { return find(k) != end() ? 1 : 0; }

  /// The value of `k`, inserted default-constructed when absent.
  Value& operator[](const Key& k) {
    auto i = lower_bound(k);
    if (i == entries_.end() || i->first != k)
      i = entries_.emplace(i, k, Value{});
    return i->second;
  }

  /// Removes `k`'s entry, if any.
  void erase(const Key& k) {
    if (auto i = find(k); i != entries_.end())
      entries_.erase(i);
  }

private:
  iterator lower_bound(const Key& k) {
    return std::lower_bound(entries_.begin(), entries_.end(), k,
                            [](const value_type& e, const Key& x) { return e.first < x; });
  }

  std::vector<value_type> entries_;
};

} // namespace hub::actors
