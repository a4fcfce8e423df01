#pragma once

// Figures over periods (protocol/README.md, "query": figures and ranking), kept by each read
// side shard: per unit, the flows its subtree counted on each day and in all, so that a
// period is a sum of at most its days (a month: 31 additions per unit), never a scan of cases.
// Beside the days, each unit keeps running totals of the day, the week and the month of the
// newest day it counted, updated as each count lands: the periods consoles ask for (today,
// this week, this month) are then one entry per unit, not a sum of up to 31 days.
// A count at a unit goes to the unit and to every ancestor at once, as the live figures do
// (figures.hpp), so a subtree's total is one look-up. Days are Asia/Shanghai days (UTC+8, no
// daylight saving): the city's own calendar. CAF-free plain data.

#include "protocol/messages.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <unordered_map>
#include <utility>
#include <vector>

namespace hub::actors {

/// The Asia/Shanghai day holding `t` (day 0: 1970-01-01), and the time its 00:00 is.
std::int32_t day_of(protocol::timestamp_ms t);
protocol::timestamp_ms start_of_day(std::int32_t day);
/// The first day of the month holding `day` (days since 1970-01-01).
std::int32_t first_of_month(std::int32_t day);

/// Days first..last, both included; `all`: every day.
struct day_range {
  std::int32_t first = 0, last = 0;
  bool all = false;
};

/// The days `period` covers at `now` (a week starts on Monday; `days`: the day of `from`
/// through the day of `to`).
day_range days_of(protocol::figure_period period, protocol::timestamp_ms now,
                  protocol::timestamp_ms from, protocol::timestamp_ms to);

/// What a subtree counted over some days (the flows of protocol::figure_row).
struct flows {
  std::uint32_t reported = 0, responded = 0, resolved = 0, rated = 0, satisfied = 0, overdue = 0,
                score_sum = 0;
  std::array<std::uint32_t, 4> closed_at{};
  void add(const flows& o);
  /// The counters one by one, in the order above (closed_at's four last): how the store
  /// names them (persistence/README.md, "hub:figures").
  static constexpr std::size_t count = 11;
  std::uint32_t& operator[](std::size_t k);
  std::uint32_t operator[](std::size_t k) const { return (*const_cast<flows*>(this))[k]; }
};

/// One counter (flows::operator[] `k`) of one unit (an index; not its ancestors) on one day:
/// how the store keeps what the archived cases count (persistence/README.md, "hub:figures").
struct figure_count {
  std::uint32_t unit = 0;
  std::int32_t day = 0;
  std::uint8_t k = 0;
  std::int64_t n = 0; // negative: taken off (a case back from the archive)
};

/// Every counter of one unit (an index; not its ancestors) on one day, or in one folded month
/// (`day`: its first day): how recovery hands over what the store keeps of the archived cases
/// (persistence/README.md, "hub:figures").
struct figure_day {
  std::uint32_t unit = 0;
  std::int32_t day = 0;
  flows f;
};

class period_book {
public:
  /// Days kept one by one behind the newest day counted; older ones are folded into their
  /// months (whole months only, so a month is folded once its last day is this far behind:
  /// the cut is cut_for(newest day counted)).
  static constexpr std::int32_t default_keep_days = 92;

  /// `parent`: per unit index, its parent's index, or hierarchy::no_unit (shared, read-only;
  /// all no_unit: each count stays at its own unit).
  explicit period_book(const std::vector<std::uint32_t>* parent,
                       std::int32_t keep_days = default_keep_days)
    : parent_(parent)
    , keep_days_(keep_days)
    , next_fold_(next_fold_after(0, keep_days)) {}

  /// Counts `n` of `member` at unit `unit` (an index) on the day of `at`.
  void count(std::uint32_t unit, protocol::timestamp_ms at, std::uint32_t flows::*member,
             std::uint32_t n = 1);
  /// Counts a case closed at level slot `slot` (0..3) at `unit` on the day of `at`.
  void count_closed(std::uint32_t unit, protocol::timestamp_ms at, std::size_t slot);
  /// Adds `n` to counter `k` (flows::operator[]) at `unit` on day `day` (what the store kept
  /// of the cases archived: persistence/README.md, "hub:figures").
  void count_day(std::uint32_t unit, std::int32_t day, std::size_t k, std::uint32_t n);
  /// Adds all of `f` at `unit` on `day` (one walk up the tree for every counter).
  void count_flows(std::uint32_t unit, std::int32_t day, const flows& f);

  /// The first of the month that the days kept one by one start at, when the newest day
  /// counted is `newest` (the rule fold() follows; the store folds its days the same way:
  /// persistence/README.md, "hub:figures").
  static std::int32_t cut_for(std::int32_t newest, std::int32_t keep_days) {
    return first_of_month(newest - keep_days);
  }
  /// Folds every day before `first` (the first of a month) into its month from now on, as if
  /// the newest day counted had moved that far (recovery: the store had folded them).
  void fold_before(std::int32_t first) { fold_to(first); }

  /// Calls `each(unit, day, flows)` for every day (or folded month, at its first day) of
  /// every unit counted at. A folded month counted again after it was folded may come in two
  /// calls (packed, and counted since): the calls for a unit and day add up to its flows.
  template <class F>
  void each(F&& each) const {
    for (const auto& [unit, book] : units_)
      for (const auto& [day, f] : book.days)
        each(unit, day, f);
    for (const auto& m : months_)
      m.each([&](std::uint32_t unit, const flows& f) { each(unit, m.first, f); });
    for (const auto& [key, f] : late_)
      each(key.first, key.second, f);
  }

  /// The flows of `unit`'s subtree over `days`. A folded month counts whole when any of its
  /// days is in `days`. Read from a running total when `days` starts where one does and
  /// reaches the newest day counted (the same answer as the days' sum: nothing was counted
  /// after that day); otherwise summed over the days.
  flows sum(std::uint32_t unit, day_range days) const;

  /// The first day kept one by one (earlier ones are folded into months; 0: none yet).
  std::int32_t folded_before() const { return cutoff_; }

  /// The folded months' size: the unit-months kept packed, and the bytes they take (their
  /// packed counters and look-up index, as allocated). Months counted into after they were
  /// folded wait outside it (at most about half as many again) until the next fold packs them.
  std::size_t folded_unit_months() const { return packed_units_; }
  std::size_t folded_bytes() const;

private:
  /// The flows of the days from `first` through the newest day counted.
  struct running {
    std::int32_t first = std::numeric_limits<std::int32_t>::min();
    flows f;
  };
  struct unit_days {
    flows all;
    /// The days kept one by one (from cutoff_ on), by day: a flat vector, since counts land
    /// on the newest days and the oldest leave a month at a time.
    std::vector<std::pair<std::int32_t, flows>> days;
    std::int32_t newest = std::numeric_limits<std::int32_t>::min(); // the latest day counted
    running today, week, month; // of the newest day: it, from its Monday, from its 1st
  };
  /// One folded month of every unit counted in it, packed: per unit, in increasing index, its
  /// distance from the previous unit's index, a mask of its counters that are not zero, and
  /// those counters, each a base-128 varint (a unit's month is mostly small counts, many of
  /// them zero: about 6-20 bytes instead of a 96-byte map node). Every index_step-th unit is
  /// in `index` with its offset, so a look-up decodes at most index_step units.
  struct folded_month {
    static constexpr std::size_t index_step = 16;
    std::int32_t first = 0; // the month's first day
    std::vector<std::uint8_t> bytes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> index; // unit, its offset in bytes
    std::size_t units = 0;
    /// Packs `of` (increasing unit index, each once).
    void pack(const std::vector<std::pair<std::uint32_t, flows>>& of);
    /// Adds `unit`'s flows to `out`; false when the unit counted nothing in the month.
    bool find(std::uint32_t unit, flows& out) const;
    template <class F>
    void each(F&& each) const {
      const std::uint8_t* p = bytes.data();
      const std::uint8_t* const end = p + bytes.size();
      std::uint32_t unit = 0;
      flows f;
      while (p < end) {
        unit += read(p);
        f = read_flows(p);
        each(unit, f);
      }
    }
    static std::uint32_t read(const std::uint8_t*& p);
    static flows read_flows(const std::uint8_t*& p);
  };
  template <class Add>
  void add(std::uint32_t unit, std::int32_t day, Add&& add);
  /// Packs the months counted into after they were folded (late_) into months_.
  void pack_late();
  /// Moves the cut to `cutoff` (a first of a month; no earlier than now), folding the days
  /// before it into their months.
  void fold_to(std::int32_t cutoff);
  /// The first day whose count moves the cut past `cutoff`.
  static std::int32_t next_fold_after(std::int32_t cutoff, std::int32_t keep_days);

  const std::vector<std::uint32_t>* parent_;
  std::int32_t keep_days_;
  std::int32_t cutoff_ = 0;
  std::int32_t next_fold_; // a count on this day or later moves the cut (next_fold_after)
  std::unordered_map<std::uint32_t, unit_days> units_;
  std::vector<folded_month> months_; // by first day, all before cutoff_
  std::size_t packed_units_ = 0;     // unit-months in months_
  /// (unit, a folded month's first day) -> what was counted there after the month was folded
  /// (recovery hands the store's folded months over this way; a late step of an old case):
  /// packed into months_ at the next fold, or once it holds half as many as months_.
  std::map<std::pair<std::uint32_t, std::int32_t>, flows> late_;
};

} // namespace hub::actors
