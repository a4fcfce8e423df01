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

namespace {

void write(std::vector<std::uint8_t>& out, std::uint32_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

/// Adds `b` to `a` where both list units in increasing index, each once.
void merge_into(std::vector<std::pair<std::uint32_t, flows>>& a,
                const std::vector<std::pair<std::uint32_t, flows>>& b) {
  std::vector<std::pair<std::uint32_t, flows>> out;
  out.reserve(a.size() + b.size());
  auto i = a.begin();
  for (const auto& e : b) {
    for (; i != a.end() && i->first < e.first; ++i)
      out.push_back(*i);
    if (i != a.end() && i->first == e.first) {
      out.push_back(*i++);
      out.back().second.add(e.second);
    } else {
      out.push_back(e);
    }
  }
  out.insert(out.end(), i, a.end());
  a = std::move(out);
}

} // namespace

std::uint32_t period_book::folded_month::read(const std::uint8_t*& p) {
  std::uint32_t v = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = *p++;
    v |= static_cast<std::uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0)
      return v;
  }
}

flows period_book::folded_month::read_flows(const std::uint8_t*& p) {
  flows f;
  const auto mask = read(p);
  for (std::size_t k = 0; k < flows::count; ++k)
    if ((mask >> k) & 1u)
      f[k] = read(p);
  return f;
}

void period_book::folded_month::pack(const std::vector<std::pair<std::uint32_t, flows>>& of) {
  std::vector<std::uint8_t> out;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> at;
  out.reserve(of.size() * 12);
  at.reserve(of.size() / index_step + 1);
  std::uint32_t previous = 0;
  for (std::size_t i = 0; i < of.size(); ++i) {
    const auto& [unit, f] = of[i];
    if (i % index_step == 0)
      at.emplace_back(unit, static_cast<std::uint32_t>(out.size()));
    write(out, unit - previous);
    previous = unit;
    std::uint32_t mask = 0;
    for (std::size_t k = 0; k < flows::count; ++k)
      if (f[k] != 0)
        mask |= 1u << k;
    write(out, mask);
    for (std::size_t k = 0; k < flows::count; ++k)
      if (f[k] != 0)
        write(out, f[k]);
  }
  bytes.assign(out.begin(), out.end()); // exactly as long as needed
  index.assign(at.begin(), at.end());
  units = of.size();
}

bool period_book::folded_month::find(std::uint32_t unit, flows& out) const {
  auto from = std::upper_bound(index.begin(), index.end(), unit,
                               [](std::uint32_t u, const auto& e) { return u < e.first; });
  if (from == index.begin())
    return false;
  --from;
  const std::uint8_t* p = bytes.data() + from->second;
  const std::uint8_t* const end = bytes.data() + bytes.size();
  std::uint32_t at = from->first;
  read(p); // the indexed unit's distance from the one before it
  for (std::size_t n = 0; p < end && n < index_step; ++n) {
    if (n > 0)
      at += read(p);
    if (at > unit)
      return false;
    const auto f = read_flows(p);
    if (at == unit) {
      out.add(f);
      return true;
    }
  }
  return false;
}

std::size_t period_book::folded_bytes() const {
  std::size_t n = months_.capacity() * sizeof(folded_month);
  for (const auto& m : months_)
    n += m.bytes.capacity() + m.index.capacity() * sizeof(m.index[0]);
  return n;
}

void period_book::pack_late() {
  if (late_.empty())
    return;
  // late_ is by unit, then month: gather it by month, each in increasing unit index.
  std::map<std::int32_t, std::vector<std::pair<std::uint32_t, flows>>> by_month;
  for (const auto& [key, f] : late_)
    by_month[key.second].emplace_back(key.first, f);
  late_.clear();
  for (auto& [first, fresh] : by_month) {
    auto m = std::lower_bound(months_.begin(), months_.end(), first,
                              [](const folded_month& a, std::int32_t d) { return a.first < d; });
    if (m == months_.end() || m->first != first) {
      m = months_.insert(m, folded_month{});
      m->first = first;
    } else {
      std::vector<std::pair<std::uint32_t, flows>> kept;
      kept.reserve(m->units);
      m->each([&](std::uint32_t unit, const flows& f) { kept.emplace_back(unit, f); });
      merge_into(kept, fresh);
      fresh = std::move(kept);
    }
    packed_units_ -= m->units;
    m->pack(fresh);
    packed_units_ += m->units;
  }
}

void period_book::fold_to(std::int32_t cutoff) {
  if (cutoff <= cutoff_)
    return;
  // Days in [cutoff_, cutoff) go into their months; a unit's days are in order, so its days
  // of one month are together.
  std::map<std::int32_t, std::vector<std::pair<std::uint32_t, flows>>> by_month;
  for (auto& [unit, book] : units_) {
    auto& days = book.days;
    const auto end = std::lower_bound(days.begin(), days.end(), cutoff,
                                      [](const auto& d, std::int32_t c) { return d.first < c; });
    for (auto d = days.begin(); d != end; ++d) {
      auto& month = by_month[first_of_month(d->first)];
      if (month.empty() || month.back().first != unit)
        month.emplace_back(unit, flows{});
      month.back().second.add(d->second);
    }
    days.erase(days.begin(), end);
    if (days.empty())
      days.shrink_to_fit();
  }
  // The months before cutoff_ are folded already: what comes now is later than all of them.
  for (auto& [first, month] : by_month) {
    std::sort(month.begin(), month.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    months_.emplace_back();
    months_.back().first = first;
    months_.back().pack(month);
    packed_units_ += month.size();
  }
  cutoff_ = cutoff;
  next_fold_ = next_fold_after(cutoff_, keep_days_);
  pack_late();
}

template <class Add>
void period_book::add(std::uint32_t unit, std::int32_t day, Add&& add) {
  if (day >= next_fold_) // a month more has passed: fold it
    fold_to(cut_for(day, keep_days_));
  const std::int32_t firsts[] = {day, monday_of(day), first_of_month(day)};
  for (auto u = unit; u < parent_->size(); u = (*parent_)[u]) {
    auto& book = units_[u];
    add(book.all);
    if (day < cutoff_) {
      // A recovered case's old step goes to its month's entry when its day is folded.
      add(late_[{u, firsts[2]}]);
    } else {
      auto& days = book.days;
      auto d = std::lower_bound(days.begin(), days.end(), day,
                                [](const auto& e, std::int32_t x) { return e.first < x; });
      if (d == days.end() || d->first != day)
        d = days.insert(d, {day, flows{}});
      add(d->second);
    }
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
  if (late_.size() > 4096 + packed_units_ / 2)
    pack_late();
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
  if (days.last >= cutoff_) {
    const auto& book = unit_book.days;
    auto d = std::lower_bound(book.begin(), book.end(), std::max(days.first, cutoff_),
                              [](const auto& e, std::int32_t x) { return e.first < x; });
    for (; d != book.end() && d->first <= days.last; ++d)
      out.add(d->second);
  }
  if (days.first < cutoff_) { // the folded months it reaches into count whole
    const auto first = first_of_month(days.first);
    auto m = std::lower_bound(months_.begin(), months_.end(), first,
                              [](const folded_month& a, std::int32_t d) { return a.first < d; });
    for (; m != months_.end() && m->first <= days.last; ++m)
      m->find(unit, out);
    for (auto l = late_.lower_bound({unit, first});
         l != late_.end() && l->first.first == unit && l->first.second <= days.last; ++l)
      out.add(l->second);
  }
  return out;
}

} // namespace hub::actors
