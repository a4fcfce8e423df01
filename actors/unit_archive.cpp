// Unit actor: retention. A case that ended (closed, rejected, a duplicate) is stored in the
// archive by the commit of the step that ended it (unit_actor.cpp, commit_case; journal.hpp,
// case_move), so the hot keys a restart reads hold open cases only; it stays with its holder
// for the retention time after its last step (city_context::retain), then the holder lets it
// go, and so do the units that forwarded requests to it. A request for it later goes to its
// maker, which looks in the archive (archive.hpp, on the archive's thread) and brings it back
// to where it was held; a reopen then moves it hot again in its own commit. Directives alike:
// archived when they end, let go of the retention after. Only with a durable store and an
// archive: otherwise nothing is archived or let go.

#include "actors/read_model.hpp"
#include "actors/unit_state.hpp"

namespace hub::actors {

using protocol::errc;
using protocol::timestamp_ms;

namespace {

/// Where the journal's answer to an archiving commit goes: back to the unit, as a message.
template <class Stored>
class archived_sink final : public client_sink {
public:
  archived_sink(unit_actor unit, Stored what, sink_ptr client = {})
    : unit_(std::move(unit))
    , what_(what)
    , client_(std::move(client)) {}
  void send(outbound_ptr msg) override {
    // An ack: stored. Anything else (the store refused this hub for good): keep it.
    if (std::holds_alternative<protocol::ack>(msg->message()))
      caf::anon_send(unit_, what_);
    if (client_)
      client_->send(std::move(msg));
  }

private:
  unit_actor unit_;
  Stored what_;
  sink_ptr client_; // the client who asked for the step, if any: it gets the reply as sent
};

} // namespace

void unit_state::archive_later(const case_record& c) {
  if (!ctx_->archive || !ctx_->store->durable() || c.history.empty())
    return;
  arm(c.history.back().at + ctx_->retain.cases.count(), timer_kind::case_retention, c.id);
}

command unit_state::archiving_reply(const command* cmd, const case_record& c) {
  command out; // no client: the journal's ack comes back as case_archived only
  if (cmd != nullptr) {
    out.who = cmd->who;
    out.request = cmd->request;
    out.digest = cmd->digest;
  }
  out.reply_to = std::make_shared<archived_sink<case_archived>>(
      caf::actor_cast<unit_actor>(self_), case_archived{c.id, c.history.size()},
      cmd != nullptr ? cmd->reply_to : sink_ptr{});
  return out;
}

void unit_state::check_archive(protocol::case_id id, timestamp_ms t) {
  auto found = cases_.find(id);
  if (found == cases_.end() || archiving_.contains(id))
    return; // gone, or its archived copy is not stored yet (on_archived lets it go then)
  auto& c = found->second;
  if (!c.terminal() || c.history.back().at + ctx_->retain.cases.count() > t)
    return; // open again, or a later step armed a later look
  if (c.archived)
    return let_go(id); // stored in the archive when it ended: the retention only frees memory
  // Ended and stored hot: read from a store written before ended cases were archived at once.
  c.archived = true;
  auto internal = archiving_reply(nullptr, c);
  archiving_.emplace(id, c.history.size());
  commit(std::nullopt, reach::unit_watchers,
         {case_move{c, true, read_model::figures_of(ctx_->hierarchy, c, +1),
                    ctx_->retain.figure_days}},
         &internal, id);
}

void unit_state::on_archived(const case_archived& a) {
  auto pending = archiving_.find(a.id);
  if (pending == archiving_.end() || pending->second != a.steps)
    return; // a later step is on its way (archived again, or moved hot: commit_case)
  archiving_.erase(pending);
  auto found = cases_.find(a.id);
  if (found != cases_.end() && found->second.archived && found->second.history.size() == a.steps &&
      found->second.history.back().at + ctx_->retain.cases.count() <= now())
    let_go(a.id); // its retention ran out while the archiving was on its way
}

void unit_state::let_go(protocol::case_id id) {
  auto found = cases_.find(id);
  if (found == cases_.end())
    return;
  // Its maker (requests go there first) and every unit that held it.
  std::vector<protocol::unit_code> passed;
  if (maker_of(id) < h().units.size())
    passed.push_back(h().units[maker_of(id)].code);
  for (const auto& e : found->second.history)
    if (std::find(passed.begin(), passed.end(), e.unit) == passed.end())
      passed.push_back(e.unit);
  for (auto u : passed)
    if (u != unit_->code)
      self_->send(ctx_->actor_of(u), case_forget{id});
  cases_.erase(found);
}

bool unit_state::look_in_archive(command& cmd, protocol::case_id id) {
  if (!ctx_->archive || !ctx_->store->durable())
    return false;
  if (maker_of(id) != index_) {
    auto maker = ctx_->maker_of_id(id);
    if (!maker)
      return false;
    // Its maker knows where it went, or looks in the archive. A unit that let the case go
    // told the maker first (case_forget), so the maker does not send it back here.
    self_->send(maker, std::move(cmd));
    return true;
  }
  auto [waiting, first] = fetching_.try_emplace(id);
  waiting->second.push_back(std::move(cmd));
  if (first)
    ctx_->archive->fetch(id, [self = caf::actor_cast<unit_actor>(self_), id](archive_answer a) {
      caf::anon_send(self, case_fetched{id, std::move(a)});
    });
  return true;
}

void unit_state::on_fetched(case_fetched& f) {
  auto waiting = std::move(fetching_[f.id]);
  fetching_.erase(f.id);
  using status = archive_answer::status;
  if (f.answer.is != status::found) {
    for (auto& cmd : waiting)
      f.answer.is == status::absent
          ? refuse(cmd, errc::unknown_case, "no case " + std::to_string(f.id))
          : refuse(cmd, errc::try_again,
                   "the archive did not answer: nothing was applied; send the same request "
                   "again shortly");
    return;
  }
  if (!cases_.contains(f.id) && !moved_.contains(f.id)) {
    // Back where it was held when it was archived; its next step moves it hot again.
    auto c = std::move(*f.answer.record);
    c.archived = f.answer.archived;
    c.next_check = 0;
    case_transfer back{std::move(c), protocol::case_action::reopen};
    if (back.record.holder == unit_->code) {
      on_transfer(back);
    } else {
      moved_[f.id] = back.record.holder;
      self_->send(ctx_->actor_of(back.record.holder), std::move(back));
    }
  }
  for (auto& cmd : waiting)
    on_command(cmd);
}

// -- directives -----------------------------------------------------------------------------

void unit_state::directive_later(protocol::directive_id id, timestamp_ms ended) {
  if (!ctx_->archive || !ctx_->store->durable() || ended == 0)
    return;
  arm(ended + ctx_->retain.directives.count(), timer_kind::directive_retention, id);
}

bool unit_state::archives() const { return ctx_->archive && ctx_->store->durable(); }

directive_archive unit_state::archived_form(const issued_directive& d, bool whole) const {
  directive_archive out{d.info, d.reminded, {}, !whole};
  if (whole)
    for (std::size_t i = 0; i < d.progress.size(); ++i)
      if (d.progress.state(i) != protocol::directive_action::issue)
        out.answers.push_back({d.info->id, d.progress.who(h(), i), d.progress.state(i)});
  return out;
}

std::vector<record> unit_state::directive_stored(const issued_directive& d) const {
  if (!d.archived)
    return keep(directive_record{d.info, d.reminded});
  return {archived_form(d, d.whole)};
}

void unit_state::check_directive_archive(protocol::directive_id id, timestamp_ms t) {
  auto found = issued_.find(id);
  if (found == issued_.end()) {
    auto unfolded = unfolded_.find(id);
    if (unfolded == unfolded_.end() || unfolded->second + ctx_->retain.directives.count() > t)
      return;
    // Archived at its deadline before a restart: its answers are read from the store (on the
    // archive's thread) and folded in (on_directive_fetched).
    ctx_->archive->fetch_directive(
        id, unit_->code, [self = caf::actor_cast<unit_actor>(self_), id](directive_answer a) {
          caf::anon_send(self, directive_fetched{id, std::move(a)});
        });
    return;
  }
  if (std::find(archiving_directives_.begin(), archiving_directives_.end(), id) !=
      archiving_directives_.end())
    return;
  auto& d = found->second;
  const auto ended = d.done == d.progress.size() && d.ended != 0 ? d.ended : d.info->what.deadline;
  if (ended == 0 || ended + ctx_->retain.directives.count() > t)
    return;
  if (d.whole)
    return on_directive_archived(directive_archived{id}); // stored whole already: memory only
  // Its answers into the archived value, the receipts' hash deleted (or, from a store written
  // before directives were archived when they ended, its move from the hot keys).
  d.archived = d.whole = true;
  archiving_directives_.push_back(id);
  command internal; // no client: the journal's ack comes back as directive_archived
  internal.reply_to = std::make_shared<archived_sink<directive_archived>>(
      caf::actor_cast<unit_actor>(self_), directive_archived{id});
  commit(std::nullopt, reach::unit_watchers, {archived_form(d, true)}, &internal, 0, id);
}

void unit_state::on_directive_archived(const directive_archived& a) {
  std::erase(archiving_directives_, a.id);
  auto found = issued_.find(a.id);
  if (found == issued_.end())
    return;
  // Every unit with recipients of it lets it go too (its receipts are answered no more:
  // a sign or complete now is unknown_directive).
  const auto& progress = found->second.progress;
  for (std::size_t i = 0; i < progress.size(); ++i)
    if (i == 0 || progress.unit_at(i) != progress.unit_at(i - 1))
      self_->send(ctx_->actor_at(progress.unit_at(i)), directive_forget{a.id});
  issued_.erase(found);
}

void unit_state::on_directive_fetched(directive_fetched& f) {
  auto unfolded = unfolded_.find(f.id);
  if (unfolded == unfolded_.end())
    return;
  using status = archive_answer::status;
  if (f.answer.is == status::unavailable) // the store is away: look again in a minute
    return arm(now() + 60'000, timer_kind::directive_retention, f.id);
  unfolded_.erase(unfolded);
  if (f.answer.is != status::found || !f.answer.info)
    return;
  directive_archive whole{f.answer.info, f.answer.reminded, {}, false};
  for (const auto& [who, action] : f.answer.answers)
    whole.answers.push_back({f.id, who, action});
  commit(std::nullopt, reach::unit_watchers, {std::move(whole)});
}

void unit_state::on_directive_forget(const directive_forget& f) {
  received_.remove(f.id);
  crowd_.erase(f.id);
}

} // namespace hub::actors
