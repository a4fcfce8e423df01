#include "actors/unit_actor.hpp"

#include "actors/read_model.hpp"
#include "actors/ticker.hpp"
#include "actors/unit_state.hpp"

namespace hub::actors {

using protocol::deadline_colour;
using protocol::timestamp_ms;

// -- set-up ---------------------------------------------------------------------------------

void unit_state::init(std::shared_ptr<const city_context> ctx, std::uint32_t index) {
  ctx_ = std::move(ctx);
  index_ = index;
  unit_ = &ctx_->hierarchy->units[index];
  if (ctx_->snapshot)
    restore(ctx_->snapshot->units[index]);
  ctx_->initialised.fetch_add(1, std::memory_order_release);
}

unit_actor::behavior_type unit_state::make_behavior() {
  // CAF 0.17 tries the handlers in this order and compares each one's types by name until one
  // matches: the most frequent messages come first (a city-wide directive brings 18,100
  // directive_down, receipt_up and command messages; figures and ticks flow all the time).
  return {
      [this](command& c) { on_command(c); },
      [this](const directive_down& d) { on_directive_down(d); },
      [this](const receipt_up& r) { on_receipt(r); },
      [this](flush_atom, std::uint64_t wave) { on_flush(wave); },
      [this](tally_atom) { on_tally(); },
      [this](tick_atom, protocol::timestamp_ms due) { on_tick(due); },
      [this](case_transfer& t) { on_transfer(t); },
      [this](whistle_summons& s) { on_summons(s); },
      [this](task_update& u) { on_task_update(u); },
      [this](const task_rating& r) { on_task_rating(r); },
      [this](const directive_reminder& r) { on_reminder(r); },
      [this](history_request& r) { on_history(r); },
      [this](case_fetched& f) { on_fetched(f); },
      [this](const case_forget& f) { on_forget(f); },
      [this](const case_archived& a) { on_archived(a); },
      [this](const directive_archived& a) { on_directive_archived(a); },
      [this](directive_fetched& f) { on_directive_fetched(f); },
      [this](const directive_forget& f) { on_directive_forget(f); },
      [](wake_atom) {
        // nop: initialising on it was the point
      },
  };
}

namespace {

// Takes its context as spawn arguments rather than lambda captures: CAF 0.17.6 reads a null
// argument tuple when a stateful lambda is spawned without arguments (UBSan reports it).
unit_actor::behavior_type unit_behavior(unit_actor::stateful_pointer<unit_state> self,
                                        std::shared_ptr<const city_context> ctx,
                                        std::uint32_t index) {
  self->state.init(std::move(ctx), index);
  return self->state.make_behavior();
}

} // namespace

unit_actor spawn_unit(caf::actor_system& sys, std::shared_ptr<const city_context> ctx,
                      std::uint32_t index) {
  // Lazily: the unit initialises on its first message, which the city sends once the
  // directory is complete (city.cpp), so no unit runs (restores, fires a timer, sends to a
  // neighbour) while later units are still being spawned.
  return sys.spawn<caf::lazy_init>(unit_behavior, std::move(ctx), index);
}

void unit_state::on_command(command& cmd) {
  if (!ctx_->store->accepting()) {
    // Fenced for good: try_again would never succeed here.
    if (auto f = ctx_->store->fenced(); f != fence::none)
      return refuse(cmd, protocol::errc::conflict,
                    std::string("nothing was applied: ") + explain(f));
    return refuse(cmd, protocol::errc::try_again,
                  "storage is unavailable or too far behind: nothing was applied; send the "
                  "same request again shortly");
  }
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, protocol::case_report>)
          on_report(cmd, body);
        else if constexpr (std::is_same_v<T, protocol::case_act>)
          on_case_act(cmd, body);
        else if constexpr (std::is_same_v<T, protocol::directive_issue>)
          on_issue(cmd, body);
        else if constexpr (std::is_same_v<T, protocol::directive_act>)
          on_directive_act(cmd, body);
        else
          refuse(cmd, protocol::errc::internal, "not a unit's request");
      },
      cmd.body);
}

// -- replies --------------------------------------------------------------------------------

void unit_state::refuse(const command& cmd, protocol::errc code, std::string message) {
  reply(cmd.reply_to, protocol::error{cmd.request, code, std::move(message)});
}

void unit_state::commit(std::optional<protocol::server_message> event, reach to,
                        std::vector<record> records, const command* cmd, protocol::case_id ack_case,
                        protocol::directive_id ack_directive, std::shared_ptr<const void> facts) {
  change c;
  c.unit = unit_->code;
  c.unit_index = index_;
  c.event = std::move(event);
  c.facts = std::move(facts);
  c.to = to;
  c.records = std::move(records);
  if (ctx_->store->durable()) {
    // The counters go with the step when they changed (open, yellow and red are recounted on
    // recovery, so a step that moves only them stores nothing of the unit).
    unit_record now{unit_->code, version_ + 1, next_seq_, score_sum_, own_};
    now.counters.open = now.counters.yellow = now.counters.red = 0;
    if (now.next_id != stored_.next_id || now.score_sum != stored_.score_sum ||
        !(now.counters == stored_.counters)) {
      ++version_;
      stored_ = now;
      c.records.push_back(std::move(now));
    }
  }
  if (cmd != nullptr) {
    c.reply_to = cmd->reply_to;
    c.reply = protocol::ack{cmd->request, ack_case, ack_directive, 0};
    c.request = {cmd->who.id, cmd->request, cmd->digest};
  }
  ctx_->store->commit(std::move(c));
}

void unit_state::commit_case(case_record& c, protocol::case_event ev, const command* cmd,
                             protocol::case_id ack_case) {
  auto& step = c.history.back();
  step.from_unit = ev.from_unit;
  step.departments = ev.departments;
  step.score = ev.score;
  step.duplicate_of = ev.duplicate_of;
  std::vector<record> records;
  command stored_note; // an ended case: the ack also tells this unit its archived copy is stored
  const command* answer = cmd;
  if (c.terminal() && ctx_->archive && ctx_->store->durable()) {
    // Ended: stored in the archive form from this step on, and what it counts in the figures
    // with it (persistence/README.md, "Retention and the archive"); this unit keeps it in
    // memory for the retention. Already archived (a rating after the close): what it counted
    // before this step is taken off in the same batch.
    auto figures = read_model::figures_of(ctx_->hierarchy, c, +1);
    if (c.archived) {
      auto before = c;
      before.history.pop_back();
      for (auto& f : read_model::figures_of(ctx_->hierarchy, before, -1))
        figures.push_back(f);
    }
    c.archived = true;
    records.emplace_back(case_move{c, true, std::move(figures), ctx_->retain.figure_days});
    archiving_[c.id] = c.history.size();
    stored_note = archiving_reply(cmd, c);
    answer = &stored_note;
  } else if (c.archived && ctx_->store->durable()) {
    // Back from the archive: this step's commit moves it hot again, and the read side, which
    // let it go too, takes it up from what it was (facts.before, below). What it counted as
    // archived (every step but this one) leaves the archived figures in the same batch.
    c.archived = false;
    auto archived = c;
    archived.history.pop_back();
    records.emplace_back(case_move{c, false, read_model::figures_of(ctx_->hierarchy, archived, -1),
                                   ctx_->retain.figure_days});
    archiving_.erase(c.id);
  } else {
    records = keep(c);
  }
  auto facts = std::make_shared<case_facts>();
  facts->reached = c.level;
  facts->clock_start = c.clock_start;
  facts->hotline = c.hotline;
  if (c.history.size() == 1) { // the report: what the event does not carry
    facts->title = c.title;
    facts->description = c.description;
    facts->address = c.address;
    facts->external_id = c.external_id;
    facts->lat = c.lat;
    facts->lon = c.lon;
  }
  // The read side lets an ended case go by the same clock (read_model.hpp): a step after the
  // retention (back from the archive, or not archived yet because the store was away) hands it
  // the case as it was.
  const auto n = c.history.size();
  if (ctx_->archive && n >= 2) {
    const auto& prev = c.history[n - 2];
    const bool ended = prev.state == protocol::case_state::closed ||
                       prev.state == protocol::case_state::rejected ||
                       prev.state == protocol::case_state::duplicate;
    if (ended && prev.at + ctx_->retain.cases.count() <= c.history.back().at) {
      auto before = std::make_shared<case_record>(c);
      before->history.pop_back();
      before->state = prev.state;
      facts->before = std::move(before);
    }
  }
  commit(std::move(ev), reach::subtree_watchers, std::move(records), answer, ack_case, 0,
         std::move(facts));
  if (c.terminal()) // a summoned department not rated: its part ends with the case
    for (const auto& w : c.whistle)
      if (w.score == 0)
        self_->send(ctx_->actor_of(w.department), task_rating{c.id, 0});
  if (c.terminal())
    archive_later(c);
}

// -- deadlines ------------------------------------------------------------------------------

timestamp_ms unit_state::now() const { return ctx_->clock.at(self_->clock().now()); }

void unit_state::arm(timestamp_ms at, timer_kind kind, std::uint64_t id) {
  timers_.push({at, kind, id});
  tick_by(at);
}

void unit_state::tick_by(timestamp_ms at) {
  if (!ticks_in_flight_.empty() && ticks_in_flight_.back() <= at)
    return; // one arrives by then
  ticks_in_flight_.push_back(at);
  auto delay = std::max<timestamp_ms>(at - now(), 0);
  self_->delayed_send(self_, std::chrono::milliseconds(delay), tick_atom::value, at);
}

void unit_state::on_tick(timestamp_ms due) {
  if (auto i = std::find(ticks_in_flight_.rbegin(), ticks_in_flight_.rend(), due);
      i != ticks_in_flight_.rend())
    ticks_in_flight_.erase(std::next(i).base());
  auto t = now();
  while (!timers_.empty() && timers_.top().at <= t) {
    auto top = timers_.top();
    timers_.pop();
    switch (top.kind) {
      case timer_kind::case_deadline: check_case(top.id, t); break;
      case timer_kind::task_deadline: check_task(top.id, t); break;
      case timer_kind::directive_deadline: check_directive(top.id, t); break;
      case timer_kind::case_retention: check_archive(top.id, t); break;
      case timer_kind::directive_retention: check_directive_archive(top.id, t); break;
    }
  }
  if (!timers_.empty())
    tick_by(timers_.top().at);
}

void unit_state::count_colour(deadline_colour colour, int delta) {
  if (colour == deadline_colour::yellow)
    own_.yellow += delta;
  else if (colour == deadline_colour::red)
    own_.red += delta;
}

void unit_state::set_clock(case_record& c, case_clock clock, protocol::unit_kind holder_kind,
                           timestamp_ms t) const {
  if (clock == case_clock::keep)
    return;
  c.colour = deadline_colour::green;
  c.supervised = false;
  c.clock_start = t;
  auto limit = limit_seconds(h(), c, clock, holder_kind);
  c.deadline = limit == 0 ? 0 : t + timestamp_ms{limit} * 1000;
}

void unit_state::watch(case_record& c) {
  timestamp_ms next = 0;
  if (c.deadline != 0 && !c.terminal()) {
    if (c.colour == deadline_colour::green)
      next = c.clock_start + (c.deadline - c.clock_start) * 4 / 5;
    else if (c.colour == deadline_colour::yellow)
      next = c.deadline;
    else if (!c.supervised)
      next =
          c.deadline +
          timestamp_ms{h().categories[c.category].limits[static_cast<int>(c.urgency)].supervision} *
              1000;
  }
  if (next != 0 && next != c.next_check) {
    c.next_check = next;
    arm(next, timer_kind::case_deadline, c.id);
  }
}

// -- figures --------------------------------------------------------------------------------

void unit_state::figures_changed() {
  if (flush_pending_)
    return;
  flush_pending_ = true;
  ctx_->flushes->mark(index_); // the city's ticker sends `flush` (actors/ticker.hpp)
}

void unit_state::on_flush(std::uint64_t wave) {
  flush_pending_ = false;
  // The ticker sums every unit's own counters up the tree (figures.hpp) and publishes.
  caf::anon_send(ctx_->flushes->ticker_actor(), figures_report{index_, wave, own_});
}

} // namespace hub::actors
