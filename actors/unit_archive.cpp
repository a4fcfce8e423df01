// Unit actor: retention. A case that ended (closed, rejected, a duplicate) stays with its holder
// for the retention time after its last step (city_context::retain); then one commit moves its
// stored copy from the hot keys to the archive (journal.hpp, case_move), and once that is stored
// the holder lets it go, and so do the units that forwarded requests to it. A request for it
// later goes to its maker, which looks in the archive (archive.hpp, on the archive's thread)
// and brings it back to where it was held; the step then taken (a reopen, a rating) moves it
// hot again in its own commit. Only with a durable store and an archive: otherwise nothing is
// let go.

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
  archived_sink(unit_actor unit, Stored what)
    : unit_(std::move(unit))
    , what_(what) {}
  void send(outbound_ptr msg) override {
    // An ack: stored. Anything else (the store refused this hub for good): keep it.
    if (std::holds_alternative<protocol::ack>(msg->message()))
      caf::anon_send(unit_, what_);
  }

private:
  unit_actor unit_;
  Stored what_;
};

} // namespace

void unit_state::archive_later(const case_record& c) {
  if (!ctx_->archive || !ctx_->store->durable() || c.history.empty())
    return;
  arm(c.history.back().at + ctx_->retain.cases.count(), timer_kind::case_retention, c.id);
}

void unit_state::check_archive(protocol::case_id id, timestamp_ms t) {
  auto found = cases_.find(id);
  if (found == cases_.end() || archiving_.contains(id))
    return;
  auto& c = found->second;
  if (!c.terminal() || c.history.back().at + ctx_->retain.cases.count() > t)
    return; // open again, or a later step armed a later look
  if (c.archived)
    return let_go(id); // brought back for a request that changed nothing: archived already
  c.archived = true;
  archiving_.emplace(id, c.history.size());
  command internal; // no client: the journal's ack comes back as case_archived
  internal.reply_to = std::make_shared<archived_sink<case_archived>>(
      caf::actor_cast<unit_actor>(self_), case_archived{id, c.history.size()});
  commit(std::nullopt, reach::unit_watchers,
         {case_move{c, true, read_model::figures_of(ctx_->hierarchy, c, +1)}}, &internal, id);
}

void unit_state::on_archived(const case_archived& a) {
  auto pending = archiving_.find(a.id);
  if (pending == archiving_.end())
    return; // a step moved it hot again meanwhile (commit_case)
  archiving_.erase(pending);
  auto found = cases_.find(a.id);
  if (found != cases_.end() && found->second.archived && found->second.history.size() == a.steps)
    let_go(a.id);
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

void unit_state::check_directive_archive(protocol::directive_id id, timestamp_ms t) {
  auto found = issued_.find(id);
  if (found == issued_.end() ||
      std::find(archiving_directives_.begin(), archiving_directives_.end(), id) !=
          archiving_directives_.end())
    return;
  const auto& d = found->second;
  const auto ended = d.done == d.progress.size() && d.ended != 0 ? d.ended : d.info->what.deadline;
  if (ended == 0 || ended + ctx_->retain.directives.count() > t)
    return;
  directive_archive gone{d.info, d.reminded, {}};
  for (std::size_t i = 0; i < d.progress.size(); ++i)
    if (d.progress.state(i) != protocol::directive_action::issue)
      gone.answers.push_back({id, d.progress.who(h(), i), d.progress.state(i)});
  archiving_directives_.push_back(id);
  command internal; // no client: the journal's ack comes back as directive_archived
  internal.reply_to = std::make_shared<archived_sink<directive_archived>>(
      caf::actor_cast<unit_actor>(self_), directive_archived{id});
  commit(std::nullopt, reach::unit_watchers, {std::move(gone)}, &internal, 0, id);
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

void unit_state::on_directive_forget(const directive_forget& f) {
  received_.remove(f.id);
  crowd_.erase(f.id);
}

} // namespace hub::actors
