// Unit actor: directives. The issuer tallies every recipient; the fan-out goes down level by
// level (each unit forwards to the children whose subtrees hold recipients); receipts go
// straight back to the issuer, one hop, so the tally it shows is never stale ("no signal
// decay"). Subtree figures aggregate through the city's figure waves (ticker.hpp).
//
// Events (protocol/README.md, directive.event): a recipient unit publishes the directive's
// arrival (issue), its reminders, and its own sign and complete, each carrying `recipient`;
// like every event they reach the watchers of that unit and of every unit above it, so a
// county watches a city-wide directive inside the county. An arrival or a reminder names the
// issuer as `unit` with the issuer's tally when it issued or reminded; a sign or complete names
// the recipient and carries no counts (the recipient does not know the tally). The issuer's
// watchers get the tally, at most once per tally_interval, and at once the tally that makes
// every recipient signed (or done).

#include "actors/ticker.hpp"
#include "actors/unit_state.hpp"
#include "protocol/codec.hpp"

namespace hub::actors {

using protocol::directive_action;
using protocol::errc;
using protocol::timestamp_ms;

namespace {

protocol::directive_event event_of(const directive_info& d, directive_action action,
                                   protocol::unit_code unit, protocol::person_id by,
                                   timestamp_ms at) {
  protocol::directive_event ev;
  ev.at = at;
  ev.id = d.id;
  ev.action = action;
  ev.unit = unit;
  ev.by = by;
  ev.channel = d.what.channel;
  ev.title = d.what.title;
  return ev;
}

/// The issuer's tally of `d`: total, signed, done, and the latest receipt's action.
protocol::directive_event tally_of(protocol::unit_code issuer, const issued_directive& d,
                                   timestamp_ms at) {
  auto ev = event_of(*d.info, d.last, issuer, 0, at);
  ev.total = static_cast<std::uint32_t>(d.progress.size());
  ev.signed_count = d.signed_count;
  ev.done = d.done;
  return ev;
}

} // namespace

std::vector<received_directive>::iterator received_list::lower_bound(protocol::directive_id id) {
  return std::lower_bound(
      items_.begin(), items_.end(), id,
      [](const received_directive& d, protocol::directive_id x) { return d.info->id < x; });
}

received_directive* received_list::find(protocol::directive_id id) {
  auto i = lower_bound(id);
  return i != items_.end() && i->info->id == id ? &*i : nullptr;
}

void received_list::remove(protocol::directive_id id) {
  auto i = lower_bound(id);
  if (i != items_.end() && i->info->id == id)
    items_.erase(i);
}

received_directive& received_list::add(directive_ptr info) {
  auto i = lower_bound(info->id);
  if (i != items_.end() && i->info->id == info->id)
    return *i;
  if (items_.size() == items_.capacity()) {
    // Grown by an eighth rather than doubled: 18,100 grids each hold one more entry per
    // city-wide directive, and a doubled block would leave up to half of it unused.
    const auto at = i - items_.begin();
    items_.reserve(items_.size() + std::max<std::size_t>(8, items_.size() / 8));
    i = items_.begin() + at;
  }
  return *items_.insert(i, received_directive{std::move(info)});
}

void unit_state::on_issue(command& cmd, const protocol::directive_issue& d) {
  auto from = issuing_unit(h(), cmd.who);
  if (!from || *from != unit_->code)
    return refuse(cmd, errc::forbidden,
                  "a " + std::string(protocol::to_string(cmd.who.holds)) +
                      " cannot issue directives from " + unit_->name);
  if (auto no = check_target(h(), unit_->code, d))
    return refuse(cmd, no->code, std::move(no->reason));
  // A directive is stored in its wire form and read back by the strict decoder at recovery:
  // one the wire would refuse (a field its target kind does not use, a title over the limit),
  // built in process rather than decoded from a client, is refused here, so that it can never
  // make a store unreadable.
  auto wire = protocol::decode_client(protocol::encode(protocol::client_message{cmd.request, d}));
  if (auto* bad = std::get_if<protocol::decode_error>(&wire))
    return refuse(cmd, errc::invalid_argument,
                  "not a valid directive (" + bad->field + "): " + bad->message);
  auto t = now();
  if (d.deadline != 0 && d.deadline <= t) // 0: no deadline
    return refuse(cmd, errc::invalid_argument, "the deadline has passed already");
  auto info = make_directive();
  info->id = make_id(index_, ++next_seq_);
  info->issuer_unit = unit_->code;
  info->issuer = cmd.who.id;
  info->issued_at = t;
  info->what = d;
  auto everyone = all_recipients(h(), *info, unit_->code);
  if (everyone.empty())
    return refuse(cmd, errc::invalid_argument, "the target reaches nobody");
  auto& issued = issued_[info->id];
  issued.info = info;
  issued.progress = progress_list(h(), everyone);
  if (d.deadline != 0) {
    arm(d.deadline, timer_kind::directive_deadline, info->id);
    directive_later(info->id, d.deadline);
  }
  const auto total = static_cast<std::uint32_t>(everyone.size());
  auto ev = event_of(*info, directive_action::issue, unit_->code, cmd.who.id, t);
  ev.total = total;
  commit(std::move(ev), reach::subtree_watchers, keep(directive_record{info, false}), &cmd, 0,
         info->id, as_facts(info)); // the read side keeps the directive
  on_directive_down(directive_down{std::move(info), total});
}

void unit_state::on_directive_down(const directive_down& d) {
  auto mine = recipients_at(h(), *d.directive, *unit_);
  if (!mine.empty()) {
    auto& received = received_.add(d.directive);
    if (mine.size() == 1) {
      received.person = static_cast<std::uint32_t>(recipient_key(h(), mine[0]).value_or(0));
    } else {
      received.crowd = true;
      crowd_[d.directive->id] = progress_list(h(), mine);
    }
    own_.directives += static_cast<std::uint32_t>(mine.size());
    figures_changed();
    // The recipient's watchers (a grid's app, a village's screen) and those above see it
    // arrive: the issuer's directive, with the issuer's tally as issued.
    auto ev = event_of(*d.directive, directive_action::issue, d.directive->issuer_unit,
                       d.directive->issuer, now());
    ev.total = d.total;
    ev.recipient = unit_->code;
    commit(std::move(ev), reach::subtree_watchers, {});
  }
  for (auto i : h().children_at(index_))
    if (reaches(h(), *d.directive, h().units[i]))
      self_->send(ctx_->directory[i], d);
}

void unit_state::on_directive_act(command& cmd, const protocol::directive_act& a) {
  if (a.action == directive_action::remind) {
    auto found = issued_.find(a.id);
    if (found == issued_.end())
      return refuse(cmd, errc::unknown_directive, "no directive " + std::to_string(a.id));
    if (issuing_unit(h(), cmd.who) != unit_->code)
      return refuse(cmd, errc::forbidden, "only the issuing unit reminds");
    return remind_laggards(a.id, cmd.who.id, &cmd);
  }
  if (a.action == directive_action::issue)
    return refuse(cmd, errc::invalid_argument, "issue a directive with directive.issue");
  auto* found = received_.find(a.id);
  if (found == nullptr)
    return refuse(cmd, errc::unknown_directive,
                  "no directive " + std::to_string(a.id) + " addressed to " + unit_->name);
  // A named person answers for themself; anyone posted at a recipient unit answers for it.
  std::optional<recipient> whose;
  directive_action state = directive_action::issue;
  progress_list* crowd = nullptr;
  std::size_t at = progress_list::npos;
  if (!found->crowd) {
    const recipient one{unit_->code, found->person == 0 ? 0 : h().people[found->person - 1].id};
    if ((one.person != 0 && one.person == cmd.who.id) ||
        (one.person == 0 && cmd.who.unit == unit_->code)) {
      whose = one;
      state = found->state;
    }
  } else {
    crowd = &crowd_[a.id];
    at = crowd->find(h(), recipient{unit_->code, cmd.who.id});
    if (at == progress_list::npos && cmd.who.unit == unit_->code)
      at = crowd->find(h(), recipient{unit_->code, 0});
    if (at != progress_list::npos) {
      whose = crowd->who(h(), at);
      state = crowd->state(at);
    }
  }
  if (!whose || !answers_for(h(), cmd.who, *whose))
    return refuse(cmd, errc::forbidden, "the directive is not addressed to you");
  if (state == directive_action::complete ||
      (a.action == directive_action::sign && state == directive_action::sign))
    return refuse(cmd, errc::invalid_transition,
                  state == directive_action::complete ? "already completed" : "already signed");
  if (state == directive_action::issue)
    own_.directives_signed += 1;
  if (a.action == directive_action::complete)
    own_.directives_done += 1;
  if (crowd != nullptr)
    crowd->set(at, a.action);
  else
    found->state = a.action;
  auto ev = event_of(*found->info, a.action, unit_->code, cmd.who.id, now());
  ev.recipient = unit_->code; // no counts: the issuer's tally events carry them
  commit(std::move(ev), reach::subtree_watchers, keep(receipt_record{a.id, *whose, a.action}), &cmd,
         0, a.id, std::make_shared<const recipient>(*whose)); // whose receipt
  // The issuer hears of it after it was committed, so that the issuer's commit archiving the
  // directive with this answer comes after the answer's own write (the journal's order).
  self_->send(ctx_->maker_of_id(a.id), receipt_up{a.id, *whose, a.action});
  figures_changed();
}

void unit_state::on_receipt(const receipt_up& r) {
  auto found = issued_.find(r.id);
  if (found == issued_.end())
    return;
  auto& d = found->second;
  const auto at = d.progress.find(h(), r.who);
  if (at == progress_list::npos || d.progress.state(at) == directive_action::complete)
    return;
  const auto total = d.progress.size();
  bool milestone = false; // this receipt makes every recipient signed, or every one done
  if (d.progress.state(at) == directive_action::issue)
    milestone |= ++d.signed_count == total;
  if (r.action == directive_action::complete && ++d.done == total) {
    milestone = true;
    d.ended = now();
    directive_later(r.id, d.ended);
  }
  d.progress.set(at, r.action);
  d.last = r.action;
  if (milestone) {
    // The issuer's screen shows "all signed" / "all done" at once rather than up to a tally
    // interval late: at most two such tallies per directive, so the rate stays bounded.
    d.tally_dirty = false;
    std::vector<record> records;
    if (d.done == total && archives()) {
      // Ended, every answer final: archived whole, the receipts' hash deleted, in the same
      // batch (every answer's write was committed before the issuer heard of it).
      d.archived = d.whole = true;
      records = directive_stored(d);
    }
    return commit(tally_of(unit_->code, d, now()), reach::subtree_watchers, std::move(records));
  }
  if (!d.tally_dirty) {
    d.tally_dirty = true;
    dirty_tallies_.push_back(r.id);
  }
  if (!tally_pending_) {
    tally_pending_ = true;
    ctx_->tallies->mark(index_); // the city's ticker sends `tally` (actors/ticker.hpp)
  }
}

void unit_state::on_tally() {
  tally_pending_ = false;
  auto t = now();
  for (auto id : std::exchange(dirty_tallies_, {})) {
    auto found = issued_.find(id);
    if (found == issued_.end() || !found->second.tally_dirty)
      continue;
    found->second.tally_dirty = false;
    commit(tally_of(unit_->code, found->second, t), reach::subtree_watchers, {});
  }
}

void unit_state::remind_laggards(protocol::directive_id id, protocol::person_id by,
                                 const command* cmd) {
  auto& d = issued_.at(id);
  std::map<protocol::unit_code, std::vector<recipient>> by_unit;
  for (std::size_t i = 0; i < d.progress.size(); ++i)
    if (d.progress.state(i) != directive_action::complete) {
      auto r = d.progress.who(h(), i);
      by_unit[r.unit].push_back(r);
    }
  for (auto& [unit, laggards] : by_unit)
    self_->send(ctx_->actor_of(unit),
                directive_reminder{id, std::move(laggards), by,
                                   static_cast<std::uint32_t>(d.progress.size()), d.signed_count,
                                   d.done});
  d.reminded = true;
  auto ev = event_of(*d.info, directive_action::remind, unit_->code, by, now());
  ev.total = static_cast<std::uint32_t>(d.progress.size());
  ev.signed_count = d.signed_count;
  ev.done = d.done;
  commit(std::move(ev), reach::subtree_watchers, directive_stored(d), cmd, 0, id);
}

void unit_state::on_reminder(const directive_reminder& r) {
  auto* found = received_.find(r.id);
  if (found == nullptr)
    return;
  const auto& info = *found->info;
  auto ev = event_of(info, directive_action::remind, info.issuer_unit, r.by, now());
  ev.total = r.total;
  ev.signed_count = r.signed_count;
  ev.done = r.done;
  ev.recipient = unit_->code;
  commit(std::move(ev), reach::subtree_watchers, {});
}

void unit_state::check_directive(protocol::directive_id id, timestamp_ms t) {
  auto found = issued_.find(id);
  if (found == issued_.end())
    return;
  auto& d = found->second;
  if (t < d.info->what.deadline || d.done == d.progress.size())
    return;
  // Ended at its deadline: archived (its answers stay in the receipts' hash, where late ones
  // go too, until the retention), in the commit that reminds the laggards.
  const bool ends = archives() && !d.archived;
  d.archived = d.archived || ends;
  if (!d.reminded)
    remind_laggards(id, 0);
  else if (ends)
    commit(std::nullopt, reach::unit_watchers, directive_stored(d));
}

std::vector<recipient> unit_state::laggards(protocol::directive_id id) const {
  std::vector<recipient> out;
  if (auto found = issued_.find(id); found != issued_.end())
    for (std::size_t i = 0; i < found->second.progress.size(); ++i)
      if (found->second.progress.state(i) != directive_action::complete)
        out.push_back(found->second.progress.who(h(), i));
  return out;
}

std::vector<progress_list::entry> unit_state::receipts_of(const received_directive& d) const {
  if (d.crowd) {
    auto c = crowd_.find(d.info->id);
    return c != crowd_.end() ? c->second.entries(h()) : std::vector<progress_list::entry>{};
  }
  return {{recipient_of(h(), static_cast<std::uint64_t>(index_) << 32 | d.person), d.state}};
}

} // namespace hub::actors
