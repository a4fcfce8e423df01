// Counting a case's steps into the figures, and the figures and ranking answers
// (read_side_shard.hpp).

#include "actors/read_side_shard.hpp"

#include <limits>

namespace hub::actors::read_side {

/// Counts the next step `e` of case `v` in the figures (protocol/README.md, "result":
/// figures) and moves on what the step after it needs: the same counters as the live
/// aggregates, each on the day of its step, worked out from the steps alone, so that a
/// recovered case counts exactly as it did live.
void shard_state::step(case_view& v, const step_view& e) {
  count_step(v, e);
  v.last_unit = e.unit;
  if (v.steps == 0 || (e.action != case_action::remind && e.action != case_action::supervise))
    v.handed_at = e.at;
  ++v.steps;
}

void shard_state::count_step(case_view& v, const step_view& e) {
  const auto i = v.steps; // its index in the history
  const auto at = h().index_of(e.unit);
  if (at == hierarchy::no_unit || v.category >= h().categories.size())
    return; // not a unit or category of this city: nothing to count it at
  const auto& limits = h().categories[v.category].limits[static_cast<int>(v.s.level)];
  auto part_of = [&](unit_code d) {
    return std::find_if(v.parts.begin(), v.parts.end(),
                        [&](const case_view::part& p) { return p.department == d; });
  };
  const auto kind = h().units[at].kind;
  if (i == 0)
    v.level = kind == unit_kind::centre ? case_level::grid : level_of(kind);
  else if (e.unit != v.last_unit && kind != unit_kind::centre)
    v.level = std::max(v.level, level_of(kind));
  switch (e.action) {
    case case_action::report: book.count(at, e.at, &flows::reported); break;
    case case_action::sign: {
      // The case's response: its first sign within the sign limit of the step that handed
      // it over (reminders and supervision keep the clock).
      if (v.responded)
        break;
      const auto start = i > 0 ? v.handed_at : e.at;
      if (limits.sign == 0 || e.at <= start + timestamp_ms{limits.sign} * 1000) {
        v.responded = true;
        book.count(at, e.at, &flows::responded);
      }
      break;
    }
    case case_action::close:
      book.count(at, e.at, &flows::resolved);
      book.count_closed(at, e.at, static_cast<std::size_t>(v.level));
      break;
    case case_action::remind: // the hub's own reminder: the holder's deadline passed
      if (e.by == 0)
        book.count(at, e.at, &flows::overdue);
      break;
    case case_action::approve_whistle:
      v.level = case_level::department;
      for (auto d : e.departments) {
        const auto dept = h().index_of(d);
        auto p = part_of(d);
        if (p != v.parts.end() && !p->fed_back)
          add_stock(dept, deadline_colour::green, -1);
        if (p == v.parts.end())
          p = v.parts.insert(v.parts.end(), case_view::part{d, 0, false, false});
        *p = {d, e.at, false, false};
        book.count(dept, e.at, &flows::reported);
        add_stock(dept, deadline_colour::green, +1);
      }
      break;
    case case_action::report_in:
    case case_action::feedback: {
      if (e.departments.empty())
        break;
      auto p = part_of(e.departments.front());
      if (p == v.parts.end() || p->fed_back)
        break;
      const auto dept = h().index_of(p->department);
      if (!p->reported_in) { // a report-in within its limit (or a feedback that came first)
        p->reported_in = true;
        if (e.at <= p->summoned_at + timestamp_ms{limits.department_sign} * 1000)
          book.count(dept, e.at, &flows::responded);
      }
      if (e.action == case_action::feedback) {
        p->fed_back = true;
        book.count(dept, e.at, &flows::resolved);
        if (e.at > p->summoned_at + timestamp_ms{limits.whistle} * 1000)
          book.count(dept, e.at, &flows::overdue);
        add_stock(dept, deadline_colour::green, -1);
      }
      break;
    }
    case case_action::rate:
      if (!e.departments.empty() && e.score != 0) {
        const auto dept = h().index_of(e.departments.front());
        book.count(dept, e.at, &flows::rated);
        book.count(dept, e.at, &flows::score_sum, e.score);
        if (e.score >= 4)
          book.count(dept, e.at, &flows::satisfied);
      }
      break;
    default: break;
  }
}

/// This shard's part of a figures or ranking query: per unit of the job, its subtree's flows
/// over the days and its stock now.
void shard_state::answer_figures_part(query_job& job, std::size_t slot) {
  advance(job.now);
  auto& out = job.parts[slot].figures;
  out.resize(job.units.size());
  for (std::size_t k = 0; k < job.units.size(); ++k) {
    const auto u = job.units[k];
    auto& row = out[k];
    row.unit = h().units[u].code;
    const auto f = book.sum(u, job.days);
    row.reported = f.reported;
    row.responded = f.responded;
    row.resolved = f.resolved;
    row.rated = f.rated;
    row.satisfied = f.satisfied;
    row.overdue = f.overdue;
    row.score_sum = f.score_sum;
    row.closed_at = f.closed_at;
    if (u < stocks.size()) {
      row.open = stocks[u].open;
      row.yellow = stocks[u].yellow;
      row.red = stocks[u].red;
    }
  }
}

/// A row's rates (‰, and the average rating × 100), each when its denominator is not 0.
void rate(figure_row& r) {
  auto per = [](std::uint64_t n, std::uint64_t d, std::uint64_t scale) {
    return static_cast<std::uint32_t>((n * scale + d / 2) / d);
  };
  if (r.reported != 0) {
    r.resolution = per(r.resolved, r.reported, 1000);
    r.response = per(r.responded, r.reported, 1000);
    r.overdue_share = per(r.overdue, r.reported, 1000);
  }
  if (r.rated != 0) {
    r.satisfaction = per(r.satisfied, r.rated, 1000);
    r.rating = per(r.score_sum, r.rated, 100);
  }
}

/// The shards' counts of each unit of `job`, added up and rated.
std::vector<figure_row> sum_parts(query_job& job) {
  std::vector<figure_row> rows(job.units.size());
  for (auto& p : job.parts)
    for (std::size_t k = 0; k < p.figures.size() && k < rows.size(); ++k) {
      auto& r = rows[k];
      const auto& f = p.figures[k];
      r.unit = f.unit;
      for (auto m :
           {&figure_row::open, &figure_row::yellow, &figure_row::red, &figure_row::reported,
            &figure_row::responded, &figure_row::resolved, &figure_row::rated,
            &figure_row::satisfied, &figure_row::overdue, &figure_row::score_sum})
        r.*m += f.*m;
      for (std::size_t c = 0; c < r.closed_at.size(); ++c)
        r.closed_at[c] += f.closed_at[c];
    }
  for (auto& r : rows)
    rate(r);
  return rows;
}

/// The period's days as times (0, 0 for all time).
std::pair<timestamp_ms, timestamp_ms> bounds(const day_range& d) {
  if (d.all)
    return {0, 0};
  return {start_of_day(d.first), start_of_day(d.last + 1)};
}

/// The last shard to finish a figures query adds the parts up and answers.
void finish_figures(query_job& job) {
  auto rows = sum_parts(job);
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = query_kind::figures;
  std::tie(r.figures.from, r.figures.to) = bounds(job.days);
  r.figures.unit = std::move(rows.front());
  r.figures.children.assign(std::make_move_iterator(rows.begin() + 1),
                            std::make_move_iterator(rows.end()));
  reply(job.reply_to, std::move(r));
}

/// The figure a ranking orders by, as (numerator, denominator); denominator 0: none.
std::pair<std::uint64_t, std::uint64_t> figure_of(const figure_row& r, rank_by by) {
  switch (by) {
    case rank_by::resolution: return {r.resolved, r.reported};
    case rank_by::satisfaction: return {r.satisfied, r.rated};
    case rank_by::response: return {r.responded, r.reported};
    case rank_by::overdue: return {r.overdue, r.reported};
    case rank_by::answered: return {r.resolved, 1};
    case rank_by::rating: return {r.score_sum, r.rated};
  }
  return {0, 0};
}

/// A ranking's order: the best figure first (the lowest overdue share), units without the
/// figure last, equal figures by unit code.
bool ranks_before(const figure_row& a, const figure_row& b, rank_by by) {
  const auto [an, ad] = figure_of(a, by);
  const auto [bn, bd] = figure_of(b, by);
  if ((ad == 0) != (bd == 0))
    return ad != 0;
  if (ad != 0 && an * bd != bn * ad)
    return by == rank_by::overdue ? an * bd < bn * ad : an * bd > bn * ad;
  return a.unit < b.unit;
}

/// The last shard to finish a ranking adds the parts up, orders and answers.
void finish_ranking(query_job& job) {
  auto rows = sum_parts(job);
  const auto by = job.q.by;
  std::sort(rows.begin(), rows.end(),
            [by](const figure_row& a, const figure_row& b) { return ranks_before(a, b, by); });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // Equal figures share a place; a unit without the figure has none.
    const auto [n, d] = figure_of(rows[i], by);
    if (d == 0)
      continue;
    rows[i].rank = static_cast<std::uint32_t>(i + 1);
    if (i > 0 && rows[i - 1].rank != 0) {
      const auto [pn, pd] = figure_of(rows[i - 1], by);
      if (n * pd == pn * d)
        rows[i].rank = rows[i - 1].rank;
    }
  }
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = query_kind::ranking;
  r.ranking.unit = job.q.unit;
  r.ranking.level = *job.q.held_at;
  r.ranking.by = by;
  std::tie(r.ranking.from, r.ranking.to) = bounds(job.days);
  r.ranking.rows = std::move(rows);
  reply(job.reply_to, std::move(r));
}

} // namespace hub::actors::read_side

namespace hub::actors {

using namespace read_side;

std::vector<figure_count> read_model::figures_of(const std::shared_ptr<const hierarchy>& h,
                                                 const case_record& c, int sign) {
  // A scratch shard counts the case as a shard would, into a book that keeps every count at
  // its own unit (no parents) and every day apart (no folding).
  thread_local std::shared_ptr<shared> sh;
  if (!sh || sh->h != h) {
    sh = std::make_shared<shared>();
    sh->h = h;
    sh->shard_of.assign(h->units.size(), 0);
    sh->parent.assign(h->units.size(), hierarchy::no_unit);
  }
  shard_state scratch;
  scratch.sh = sh;
  scratch.book = period_book(&sh->parent, std::numeric_limits<std::int32_t>::max() / 4);
  std::vector<figure_count> out;
  if (c.category >= h->categories.size())
    return out;
  scratch.adopt(c);
  scratch.book.each([&](std::uint32_t unit, std::int32_t day, const flows& f) {
    for (std::size_t k = 0; k < flows::count; ++k)
      if (f[k] != 0)
        out.push_back({unit, day, static_cast<std::uint8_t>(k), std::int64_t{sign} * f[k]});
  });
  return out;
}

} // namespace hub::actors
