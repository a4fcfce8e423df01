#pragma once

// The receipts of one open directive, a few bytes per recipient: what its issuer tallies, what
// the read side counts and lists laggards from, and what a recipient unit keeps of its own.
// A city-wide directive has 18,100 recipients and stays open; with an object per receipt
// (24 bytes at the issuer, a shared pointer and a list at each grid) two hundred of them cost
// a gigabyte. Here a recipient is its unit's index in the hierarchy and its person's index
// (+ 1; 0: the unit itself, anyone posted there answers), packed in 8 bytes, and its latest
// action in 1 byte beside: 9 bytes a recipient, in two blocks.

#include "actors/directive.hpp"

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace hub::actors {

/// Recipients of a directive with each one's latest action (issue = not yet signed), in
/// recipient order (unit code, then person id). Positions are stable: an entry is found once
/// (a binary search) and then read or changed by its position.
class progress_list {
public:
  using entry = std::pair<recipient, protocol::directive_action>;
  static constexpr std::size_t npos = SIZE_MAX;

  progress_list() = default;
  /// Takes `entries` in any order; a recipient named twice keeps its first entry. Recipients
  /// the hierarchy does not have are left out (a directive's are checked when it is issued).
  progress_list(const protocol::hierarchy& h, const std::vector<entry>& entries);
  /// Every one of `recipients`, not yet signed.
  progress_list(const protocol::hierarchy& h, const std::vector<recipient>& recipients);

  std::size_t size() const { return keys_.size(); }
  bool empty() const { return keys_.empty(); }
  /// The position of `r`, or npos.
  std::size_t find(const protocol::hierarchy& h, const recipient& r) const;
  /// The first position at or after recipient `r` in recipient order.
  std::size_t lower_bound(const protocol::hierarchy& h, const recipient& r) const;
  recipient who(const protocol::hierarchy& h, std::size_t i) const;
  /// The index of the recipient's unit in the hierarchy.
  std::uint32_t unit_at(std::size_t i) const { return static_cast<std::uint32_t>(keys_[i] >> 32); }
  protocol::directive_action state(std::size_t i) const { return states_[i]; }
  void set(std::size_t i, protocol::directive_action a) { states_[i] = a; }
  /// Every entry, in order (for the rare walks: reminders, recovery checks, tests).
  std::vector<entry> entries(const protocol::hierarchy& h) const;
  /// The heap bytes it holds.
  std::size_t bytes() const {
    return keys_.capacity() * sizeof(std::uint64_t) +
           states_.capacity() * sizeof(protocol::directive_action);
  }
  friend bool operator==(const progress_list&, const progress_list&) = default;

private:
  void take(const protocol::hierarchy& h,
            std::vector<std::pair<std::uint64_t, protocol::directive_action>> keyed);

  std::vector<std::uint64_t> keys_;                // unit index << 32 | person index + 1
  std::vector<protocol::directive_action> states_; // by position
};

/// The key of `r` (unit index << 32 | person index + 1), or nullopt when the hierarchy does not
/// have its unit or person.
std::optional<std::uint64_t> recipient_key(const protocol::hierarchy& h, const recipient& r);
/// The recipient a key stands for.
recipient recipient_of(const protocol::hierarchy& h, std::uint64_t key);
/// Recipient order (unit code, then person id) on keys.
bool key_before(const protocol::hierarchy& h, std::uint64_t a, std::uint64_t b);

} // namespace hub::actors
