// Retention on the read side (archive.hpp): a shard lets ended cases and directives go as their
// holders do (read_side_shard.hpp).

#include "actors/read_side_shard.hpp"

namespace hub::actors::read_side {

/// Remembers when directive `v` ends: at its deadline, or (recovered complete) from now.
void shard_state::note_issued(directive_view& v) {
  if (!sh->archive)
    return;
  if (v.info->what.deadline != 0)
    ended_directives.emplace(v.info->what.deadline, v.info->id);
  if (v.done == v.receipts.size() && v.ended == 0)
    ended_directives.emplace(v.ended = sh->now(), v.info->id);
}

/// A receipt at `at`: remembers when directive `id` was completed everywhere, if it was.
void shard_state::note_receipt(directive_id id, timestamp_ms at) {
  auto found = directives.find(id);
  if (!sh->archive || found == directives.end())
    return;
  auto& v = found->second;
  if (v.ended == 0 && v.done == v.receipts.size())
    ended_directives.emplace(v.ended = at, id);
}

/// Lets directive `id` go: its view and its places in the lists.
void shard_state::forget_directive(directive_id id) {
  auto found = directives.find(id);
  if (found == directives.end())
    return;
  const auto& v = found->second;
  if (auto i = issued_by.find(v.info->issuer_unit); i != issued_by.end()) {
    std::erase(i->second, id);
    if (i->second.empty())
      issued_by.erase(i);
  }
  if (v.broad)
    std::erase(broad, id);
  else
    for (std::size_t i = 0; i < v.receipts.size(); ++i)
      if (i == 0 || v.receipts.unit_at(i) != v.receipts.unit_at(i - 1))
        if (auto in = inbox.find(h().units[v.receipts.unit_at(i)].code); in != inbox.end()) {
          std::erase(in->second, id);
          if (in->second.empty())
            inbox.erase(in);
        }
  directives.erase(found);
}

/// Remembers when case `v` ended, if it did.
void shard_state::note_ended(const case_view& v) {
  if (sh->archive && terminal(v.s.state))
    ended.emplace(v.s.changed_at, v.s.id);
}

/// Lets go every case that ended more than the retention before `now` and has not changed
/// since (a `case` query then reads it from the archive).
void shard_state::forget_ended(timestamp_ms now) {
  while (!ended.empty() && ended.top().first + sh->retain.cases.count() <= now) {
    const auto [at, id] = ended.top();
    ended.pop();
    if (auto c = cases.find(id);
        c != cases.end() && terminal(c->second.s.state) && c->second.s.changed_at == at)
      forget(id);
  }
  while (!ended_directives.empty() &&
         ended_directives.top().first + sh->retain.directives.count() <= now) {
    const auto [at, id] = ended_directives.top();
    ended_directives.pop();
    if (auto d = directives.find(id); d != directives.end()) {
      const auto& v = d->second;
      const auto end =
          v.done == v.receipts.size() && v.ended != 0 ? v.ended : v.info->what.deadline;
      if (end == at)
        forget_directive(id);
    }
  }
}

/// The one way a case leaves the shard: its view and its places in the indexes. What it
/// counted in the figures stays (the book is per unit and day, not per case).
void shard_state::forget(case_id id) {
  auto found = cases.find(id);
  if (found == cases.end())
    return;
  auto& v = found->second;
  if (v.stock_at != hierarchy::no_unit)
    add_stock(v.stock_at, v.stock_colour, -1);
  unlist(v);
  for (auto d : v.summoned)
    if (auto s = summoned.find(d); s != summoned.end()) {
      std::erase(s->second, id);
      if (s->second.empty())
        summoned.erase(s);
    }
  cases.erase(found); // its colour points, if any, are skipped when they come due
}

/// Takes up again case `before`, let go earlier and now back from the archive, without
/// counting its steps again in the figures (they were counted when it was first kept).
void shard_state::readopt(const case_record& before) {
  auto kept_book = std::move(book);
  auto kept_stocks = stocks;
  book = period_book(&sh->parent);
  adopt(before);
  book = std::move(kept_book);
  stocks = std::move(kept_stocks);
  cases[before.id].stock_at = hierarchy::no_unit;
}

} // namespace hub::actors::read_side
