#include "actors/figures.hpp"

namespace hub::actors {

namespace {

/// `into` += `now` - `before`, counter by counter. Unsigned arithmetic wraps, so a counter
/// that went down (open, yellow, red) is subtracted exactly.
void add_change(protocol::unit_figures& into, const protocol::unit_figures& now,
                const protocol::unit_figures& before) {
  into.open += now.open - before.open;
  into.yellow += now.yellow - before.yellow;
  into.red += now.red - before.red;
  into.reported += now.reported - before.reported;
  into.responded += now.responded - before.responded;
  into.resolved += now.resolved - before.resolved;
  into.rated += now.rated - before.rated;
  into.satisfied += now.satisfied - before.satisfied;
  for (std::size_t k = 0; k < into.closed_at.size(); ++k)
    into.closed_at[k] += now.closed_at[k] - before.closed_at[k];
  into.directives += now.directives - before.directives;
  into.directives_signed += now.directives_signed - before.directives_signed;
  into.directives_done += now.directives_done - before.directives_done;
}

} // namespace

figure_book::figure_book(const protocol::hierarchy& h)
  : own_(h.units.size())
  , total_(h.units.size())
  , published_(h.units.size())
  , ever_published_(h.units.size())
  , touched_flag_(h.units.size()) {
  parent_.reserve(h.units.size());
  for (const auto& u : h.units)
    parent_.push_back(u.parent != 0 ? h.index_of(u.parent) : protocol::hierarchy::no_unit);
}

void figure_book::report(std::uint32_t i, const protocol::unit_figures& own) {
  if (i >= own_.size())
    return;
  const bool changed = !(own == own_[i]);
  for (auto at = i; at != protocol::hierarchy::no_unit; at = parent_[at]) {
    if (changed)
      add_change(total_[at], own, own_[i]);
    if (!touched_flag_[at]) {
      touched_flag_[at] = true;
      touched_.push_back(at);
    }
    if (!changed)
      break; // the unit itself is touched (its first report publishes); nothing above moved
  }
  own_[i] = own;
}

} // namespace hub::actors
