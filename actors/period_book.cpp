#include "actors/period_book.hpp"

#include "protocol/hierarchy.hpp"

#include <algorithm>
#include <chrono>

namespace hub::actors {

namespace {

constexpr protocol::timestamp_ms day_ms = 86'400'000;
constexpr protocol::timestamp_ms shanghai_offset = 8 * 3'600'000; // UTC+8 all year

std::int32_t floor_div(protocol::timestamp_ms a, protocol::timestamp_ms b) {
  return static_cast<std::int32_t>(a / b - (a % b < 0 ? 1 : 0));
}

/// The Monday of the week holding `day` (1970-01-01 was a Thursday).
std::int32_t monday_of(std::int32_t day) { return day - (((day + 3) % 7) + 7) % 7; }

} // namespace

std::int32_t first_of_month(std::int32_t day) {
  namespace ch = std::chrono;
  const ch::year_month_day date{ch::sys_days{ch::days{day}}};
  return static_cast<std::int32_t>(
      ch::sys_days{date.year() / date.month() / 1}.time_since_epoch().count());
}

std::int32_t day_of(protocol::timestamp_ms t) { return floor_div(t + shanghai_offset, day_ms); }

protocol::timestamp_ms start_of_day(std::int32_t day) {
  return protocol::timestamp_ms{day} * day_ms - shanghai_offset;
}

day_range days_of(protocol::figure_period period, protocol::timestamp_ms now,
                  protocol::timestamp_ms from, protocol::timestamp_ms to) {
  using protocol::figure_period;
  const auto today = day_of(now);
  switch (period) {
    case figure_period::today: return {today, today, false};
    case figure_period::week: return {monday_of(today), today, false};
    case figure_period::month: {
      namespace ch = std::chrono;
      const ch::year_month_day date{ch::sys_days{ch::days{today}}};
      const ch::sys_days first{date.year() / date.month() / 1};
      return {static_cast<std::int32_t>(first.time_since_epoch().count()), today, false};
    }
    case figure_period::days: return {day_of(from), day_of(to), false};
    case figure_period::all: break;
  }
  return {0, 0, true};
}

void flows::add(const flows& o) {
  reported += o.reported;
  responded += o.responded;
  resolved += o.resolved;
  rated += o.rated;
  satisfied += o.satisfied;
  overdue += o.overdue;
  score_sum += o.score_sum;
  for (std::size_t k = 0; k < closed_at.size(); ++k)
    closed_at[k] += o.closed_at[k];
}

std::uint32_t& flows::operator[](std::size_t k) {
  switch (k) {
    case 0: return reported;
    case 1: return responded;
    case 2: return resolved;
    case 3: return rated;
    case 4: return satisfied;
    case 5: return overdue;
    case 6: return score_sum;
    default: return closed_at[(k - 7) % closed_at.size()];
  }
}

std::int32_t period_book::next_fold_after(std::int32_t cutoff, std::int32_t keep_days) {
  // The cut moves once newest - keep_days reaches the next month's first day.
  const auto next_month = first_of_month(first_of_month(cutoff) + 31);
  const auto far = std::numeric_limits<std::int32_t>::max();
  return next_month > far - keep_days ? far : next_month + keep_days;
}

void period_book::fold_to(std::int32_t cutoff) {
  if (cutoff <= cutoff_)
    return;
  for (auto& [unit, book] : units_) {
    // Days in [cutoff_, cutoff) go into the entry of their month's first day.
    for (auto d = book.days.lower_bound(cutoff_); d != book.days.end() && d->first < cutoff;) {
      const auto month = first_of_month(d->first);
      if (month == d->first) {
        ++d;
        continue;
      }
      book.days[month].add(d->second);
      d = book.days.erase(d);
    }
  }
  cutoff_ = cutoff;
  next_fold_ = next_fold_after(cutoff_, keep_days_);
}

template <class Add>
void period_book::add(std::uint32_t unit, std::int32_t day, Add&& add) {
  if (day >= next_fold_) // a month more has passed: fold it
    fold_to(cut_for(day, keep_days_));
  // A recovered case's old step goes to its month's entry when its day is folded.
  const auto entry = day < cutoff_ ? first_of_month(day) : day;
  const std::int32_t firsts[] = {day, monday_of(day), first_of_month(day)};
  for (auto u = unit; u < parent_->size(); u = (*parent_)[u]) {
    auto& book = units_[u];
    add(book.all);
    add(book.days[entry]);
    // The running totals follow the newest day: a later period starts them again from zero,
    // a count in an earlier period than theirs is in the days only.
    book.newest = std::max(book.newest, day);
    running* const runs[] = {&book.today, &book.week, &book.month};
    for (std::size_t k = 0; k < 3; ++k) {
      if (firsts[k] > runs[k]->first)
        *runs[k] = running{firsts[k], flows{}};
      if (firsts[k] == runs[k]->first)
        add(runs[k]->f);
    }
  }
}

void period_book::count(std::uint32_t unit, protocol::timestamp_ms at, std::uint32_t flows::*member,
                        std::uint32_t n) {
  add(unit, day_of(at), [&](flows& f) { f.*member += n; });
}

void period_book::count_closed(std::uint32_t unit, protocol::timestamp_ms at, std::size_t slot) {
  add(unit, day_of(at), [&](flows& f) { f.closed_at[slot] += 1; });
}

void period_book::count_day(std::uint32_t unit, std::int32_t day, std::size_t k, std::uint32_t n) {
  add(unit, day, [&](flows& f) { f[k] += n; });
}

void period_book::count_flows(std::uint32_t unit, std::int32_t day, const flows& f) {
  add(unit, day, [&](flows& into) { into.add(f); });
}

flows period_book::sum(std::uint32_t unit, day_range days) const {
  flows out;
  auto found = units_.find(unit);
  if (found == units_.end())
    return out;
  const auto& unit_book = found->second;
  if (days.all)
    return unit_book.all;
  // A running total holds every count from its first day on (none is later than the newest
  // day): it is the days' sum when `days` starts there, reaches the newest day and starts
  // after the folded months (a period reaching into one counts the whole month).
  if (days.first >= cutoff_ && unit_book.newest <= days.last)
    for (const auto* run : {&unit_book.today, &unit_book.week, &unit_book.month})
      if (run->first == days.first)
        return run->f;
  const auto& book = unit_book.days;
  const auto first = days.first < cutoff_ ? first_of_month(days.first) : days.first;
  for (auto d = book.lower_bound(first); d != book.end() && d->first <= days.last; ++d)
    out.add(d->second);
  return out;
}

} // namespace hub::actors
