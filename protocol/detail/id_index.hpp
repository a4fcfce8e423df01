#pragma once

// A read-mostly map from 64-bit ids (unit codes, person ids) to 32-bit positions, as one flat
// open-addressing table (linear probing, at most half full). A look-up touches one slot, which
// holds the key and the position together; a std::unordered_map reads a bucket, then a node
// elsewhere in memory. The hub looks units up by code on every request it routes, so on a
// city-wide fan-out those are two cache misses per grid instead of one.

#include <cstdint>
#include <vector>

namespace hub::protocol::detail {

class id_index {
public:
  static constexpr std::uint32_t absent = UINT32_MAX;

  /// Empties the table and sizes it for `n` keys.
  void reset(std::size_t n) {
    std::size_t size = 16;
    while (size < 2 * n)
      size *= 2;
    slots_.assign(size, slot{});
    shift_ = 64 - log2(size);
    count_ = 0;
  }

  /// Maps `key` to `value` unless `key` is present already (then the first value stays);
  /// returns false in that case. At most the `n` keys given to reset().
  bool insert(std::uint64_t key, std::uint32_t value) {
    auto i = home(key);
    for (; slots_[i].value != absent; i = next(i))
      if (slots_[i].key == key)
        return false;
    slots_[i] = {key, value};
    ++count_;
    return true;
  }

  /// The value of `key`, or `absent`.
  std::uint32_t find(std::uint64_t key) const {
    if (slots_.empty())
      return absent;
    for (auto i = home(key);; i = next(i)) {
      const auto& s = slots_[i];
      if (s.value == absent || s.key == key)
        return s.value;
    }
  }

  std::size_t size() const { return count_; }

private:
  struct slot {
    std::uint64_t key = 0;
    std::uint32_t value = absent;
  };

  static unsigned log2(std::size_t n) {
    unsigned b = 0;
    while ((std::size_t{1} << b) < n)
      ++b;
    return b;
  }
  /// Fibonacci hashing: codes that differ only in their low digits spread over the table.
  std::size_t home(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9e3779b97f4a7c15ull) >> shift_);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

  std::vector<slot> slots_;
  unsigned shift_ = 64;
  std::size_t count_ = 0;
};

} // namespace hub::protocol::detail
