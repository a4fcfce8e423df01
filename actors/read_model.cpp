#include "actors/read_model.hpp"

#include "actors/read_side_shard.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>

namespace hub::actors {

using namespace protocol;
namespace read_side {

/// An event on its way to a shard, with what the step handed the read side beside it.
struct pending_event {
  std::uint64_t seq = 0;
  outbound_ptr event;
  std::shared_ptr<const void> facts; // event_tap's: case_facts, directive_info or recipient
};

/// The events on their way from the bus to one shard, in sequence order, and the cuts of the
/// queries sent to it. The bus appends under its own lock (a push_back); the shard takes the
/// events in batches, and one `drain_msg` wakes it for all that came since its last batch:
/// an actor message per event cost more than applying the event, on the write path.
///
/// A query must see exactly the events up to its cut. The cut is fenced here when the query
/// is sent (under the bus's lock, so in the order of the shard's mailbox), and no batch
/// reaches past the first fence: the query takes the rest up to its cut itself, answers,
/// passes its fence, and then takes the next batch, so nothing waits for a new event.
class shard_feed {
public:
  /// Appends; true when the shard must be woken (nothing already means to take it).
  bool append(pending_event e) {
    std::lock_guard guard{mutex_};
    events_.push_back(std::move(e));
    if (woken_)
      return false;
    woken_ = true;
    return true;
  }

  /// Fences the cut of a query being sent to the shard.
  void fence(std::uint64_t seq) {
    std::lock_guard guard{mutex_};
    fences_.push_back(seq);
  }

  /// The events the shard may apply now, oldest first: all before the first fence (all when
  /// none). `into` is empty and keeps its capacity from batch to batch.
  void take(std::vector<pending_event>& into) {
    std::lock_guard guard{mutex_};
    if (fences_.empty()) {
      into.swap(events_);
    } else {
      auto end = std::find_if(events_.begin(), events_.end(),
                              [cut = fences_.front()](const auto& e) { return e.seq > cut; });
      into.assign(std::make_move_iterator(events_.begin()), std::make_move_iterator(end));
      events_.erase(events_.begin(), end);
    }
    // Events left behind a fence are taken by that fence's query after its answer.
    woken_ = !events_.empty();
  }

  /// The first fence's query has its answer.
  void pass_fence() {
    std::lock_guard guard{mutex_};
    fences_.pop_front();
  }

private:
  std::mutex mutex_;
  std::vector<pending_event> events_;
  std::deque<std::uint64_t> fences_;
  bool woken_ = false; // a drain_msg, or a fenced query, will take what is appended
};

/// Wakes a shard to take its events (shard_feed).
struct drain_msg {};

struct query_msg {
  std::shared_ptr<query_job> job;
  std::size_t slot = 0;
};

/// Answers `m`'s part of its query from `state` (the last shard to finish a gathered query
/// replies).
void answer(shard_state& state, query_msg& m) {
  auto& job = *m.job;
  if (job.q.what != query_kind::figures && job.q.what != query_kind::ranking)
    state.forget_ended(job.now); // what ended `retain` ago is not in any answer
  if (job.q.what == query_kind::one_case)
    return state.answer_one(m.job);
  if (job.q.what == query_kind::directive) {
    if (state.sh->archive && !state.directives.contains(job.q.directive_ref))
      return answer_directive_from_archive(state.sh, m.job);
    return state.answer_directive(job);
  }
  switch (job.q.what) {
    case query_kind::directives: state.answer_directives_part(job, m.slot); break;
    case query_kind::figures:
    case query_kind::ranking: state.answer_figures_part(job, m.slot); break;
    default: state.answer_part(job, m.slot); break;
  }
  if (job.waiting.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  switch (job.q.what) {
    case query_kind::directives: return finish_directives(job);
    case query_kind::figures: return finish_figures(job);
    case query_kind::ranking: return finish_ranking(job);
    default: return finish(job);
  }
}

/// Applies one event the feed handed over.
void apply_event(shard_state& state, const pending_event& e) {
  const auto& msg = e.event->message();
  if (auto* c = std::get_if<case_event>(&msg))
    return state.apply(*c, *std::static_pointer_cast<const case_facts>(e.facts));
  auto& d = std::get<directive_event>(msg);
  // A directive's event moves the shard's time on as a case's does: a shard that keeps only
  // directives (the city's, whose leaders issue them; its cases are made in the counties)
  // lets the ended ones go by it (forget_ended after the batch).
  state.applied_at = std::max(state.applied_at, d.at);
  if (d.action == directive_action::issue) {
    state.issue(directive_ptr(static_cast<const directive_info*>(e.facts.get())));
  } else {
    state.receipt(d.id, *std::static_pointer_cast<const recipient>(e.facts), d.action);
    state.note_receipt(d.id, d.at);
  }
}

/// Hands the events of cases to the shard of their maker.
class tap final : public event_tap {
public:
  tap(std::shared_ptr<const read_model::shared> sh, std::vector<caf::actor> shards,
      std::vector<std::shared_ptr<shard_feed>> feeds)
    : sh_(std::move(sh))
    , shards_(std::move(shards))
    , feeds_(std::move(feeds)) {}

  void on_event(std::uint32_t, const outbound_ptr& event,
                const std::shared_ptr<const void>& facts) override {
    // Only the steps the read side keeps carry facts: a holder's step of a case (not a
    // department's reminder), a directive's issue at its issuer, a recipient's receipt.
    if (!facts)
      return;
    const auto& m = event->message();
    std::uint64_t id = 0;
    if (auto* c = std::get_if<case_event>(&m))
      id = c->id;
    else if (auto* d = std::get_if<directive_event>(&m))
      id = d->id;
    if (auto shard = sh_->shard_of_case(id))
      if (feeds_[*shard]->append({seq_of(m), event, facts}))
        caf::anon_send(shards_[*shard], drain_msg{});
  }

private:
  std::shared_ptr<const read_model::shared> sh_;
  std::vector<caf::actor> shards_;
  std::vector<std::shared_ptr<shard_feed>> feeds_;
};

} // namespace read_side
} // namespace hub::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::read_side::drain_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::read_side::query_msg)

namespace hub::actors {

using namespace read_side;

namespace {

/// Counts what the archived cases counted (recovered per unit and day) into each unit's shard.
/// The shards' books are independent, and at the city's full size these are a restart's
/// largest part (about 1.9 million unit-days), so the shards are counted on as many threads
/// as there are cores, each taking the next shard not yet taken.
void count_archived_figures(const city_snapshot& snapshot,
                            const std::vector<std::uint16_t>& shard_of, std::size_t units,
                            std::vector<std::shared_ptr<shard_state>>& start) {
  std::vector<std::vector<const figure_day*>> by_shard(start.size());
  for (const auto& f : snapshot.archived_figures)
    if (f.unit < units)
      by_shard[shard_of[f.unit]].push_back(&f);
  std::atomic<std::size_t> next{0};
  auto count = [&] {
    for (std::size_t k; (k = next.fetch_add(1)) < start.size();)
      for (const auto* f : by_shard[k])
        start[k]->book.count_flows(f->unit, f->day, f->f);
  };
  const auto threads =
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), start.size()) - 1;
  std::vector<std::thread> helpers;
  for (std::size_t i = 0; i < threads; ++i)
    helpers.emplace_back(count);
  count();
  for (auto& t : helpers)
    t.join();
}

} // namespace

read_model::read_model(caf::actor_system& sys, std::shared_ptr<const hierarchy> h,
                       const city_snapshot* snapshot, std::shared_ptr<case_archive> archive,
                       retention_times retain, std::function<timestamp_ms()> now,
                       std::function<void(case_id, std::shared_ptr<history_question>)> ask_holder) {
  auto sh = std::make_shared<shared>();
  sh->h = h;
  sh->now = std::move(now);
  sh->ask_holder = std::move(ask_holder);
  sh->archive = std::move(archive);
  sh->retain = retain;
  sh->shard_of.assign(h->units.size(), 0);
  std::unordered_map<unit_code, std::uint16_t> county_shard;
  for (const auto& u : h->units)
    if (u.kind == unit_kind::county)
      county_shard.emplace(u.code, static_cast<std::uint16_t>(county_shard.size() + 1));
  for (std::uint32_t i = 0; i < h->units.size(); ++i)
    if (auto* county = h->ancestor_of_kind(h->units[i].code, unit_kind::county))
      sh->shard_of[i] = county_shard.at(county->code);
  sh->shards = county_shard.size() + 1;
  sh->parent.reserve(h->units.size());
  for (const auto& u : h->units)
    sh->parent.push_back(u.parent != 0 ? h->index_of(u.parent) : hierarchy::no_unit);
  shared_ = sh;

  std::vector<std::shared_ptr<shard_state>> start(sh->shards);
  for (auto& s : start) {
    s = std::make_shared<shard_state>();
    s->sh = sh;
    s->book = period_book(&sh->parent, retain.figure_days);
  }
  // The archived cases' figures, each in its unit's shard: a query of any subtree holding the
  // unit asks that shard (ask, below), so it counts there as in the shard that counted it live.
  if (snapshot != nullptr) {
    for (auto& s : start) // the days the store folded are folded here too
      s->book.fold_before(snapshot->figures_folded_before);
    count_archived_figures(*snapshot, sh->shard_of, h->units.size(), start);
  }
  if (snapshot != nullptr)
    for (const auto& unit : snapshot->units)
      for (const auto& c : unit.cases)
        if (auto shard = sh->shard_of_case(c.id))
          start[*shard]->adopt(c);
  if (snapshot != nullptr)
    for (const auto& unit : snapshot->units)
      for (const auto& d : unit.issued)
        if (auto shard = sh->shard_of_case(d.directive.info->id))
          start[*shard]->issue(d.directive.info, &d.progress);

  // The start state goes in as a spawn argument, not a capture: with no arguments CAF 0.17
  // dereferences its null argument tuple (UndefinedBehaviorSanitizer: reference binding to a
  // null pointer).
  for (auto& s : start) {
    auto feed = std::make_shared<shard_feed>();
    feeds_.push_back(feed);
    shards_.push_back(sys.spawn(
        [](caf::stateful_actor<shard_state>* self, std::shared_ptr<shard_state> from,
           std::shared_ptr<shard_feed> feed) {
          self->state = std::move(*from);
          // Applies what the feed holds now (up to the first fence), in sequence order.
          auto catch_up = [self, feed, batch = std::vector<pending_event>{}]() mutable {
            feed->take(batch);
            for (const auto& e : batch)
              apply_event(self->state, e);
            // Once a batch, not once an event: what ended the retention before its last
            // event is let go (and before any answer: answer() lets go up to the query's time).
            if (!batch.empty())
              self->state.forget_ended(self->state.applied_at);
            batch.clear();
          };
          return caf::behavior{
              [catch_up](drain_msg) mutable { catch_up(); },
              [self, feed, catch_up](query_msg& m) mutable {
                catch_up(); // everything up to this query's cut, nothing after
                answer(self->state, m);
                feed->pass_fence();
                catch_up(); // what came after the cut, which no message is on its way for
              },
          };
        },
        std::move(s), std::move(feed)));
  }
  tap_ = std::make_shared<read_side::tap>(sh, shards_, feeds_);
}

read_model::~read_model() {
  for (auto& s : shards_)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

void read_model::ask(bus& events, const principal& who, std::uint64_t id, query q,
                     sink_ptr reply_to) const {
  const auto& h = *shared_->h;
  auto refuse = [&](errc code, std::string why) {
    reply(reply_to, error{id, code, std::move(why)});
  };
  auto job = std::make_shared<query_job>();
  job->now = shared_->now();
  std::vector<std::uint16_t> targets;
  if (q.what == query_kind::one_case) {
    auto shard = shared_->shard_of_case(q.case_ref);
    if (!shard)
      return refuse(errc::unknown_case, "no case " + std::to_string(q.case_ref));
    targets.push_back(*shard);
  } else if (q.what == query_kind::directive) {
    auto shard = shared_->shard_of_case(q.directive_ref);
    if (!shard)
      return refuse(errc::unknown_directive, "no directive " + std::to_string(q.directive_ref));
    if (q.unit != 0 && h.find_unit(q.unit) == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // Whose receipts: the scope's (the issuer's unit, the maker of the id, by default), which
    // one must be allowed to watch; the shard checks that the directive reaches there.
    if (q.unit == 0)
      q.unit = h.units[maker_of(q.directive_ref)].code;
    // The 12345 operators see directives at their own centre only, as with `directives`.
    if (!may_watch(h, who, q.unit) || (who.holds == post::hotline_operator && q.unit != who.unit))
      return refuse(errc::forbidden,
                    "you may not see the receipts of unit " + std::to_string(q.unit));
    if (!q.cursor.empty()) {
      order_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a directive");
    }
    targets.push_back(*shard);
  } else if (q.what == query_kind::directives) {
    auto* unit = h.find_unit(q.unit);
    if (unit == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // The 12345 operators watch the city for its hotline cases; of directives they see their
    // own centre's only.
    if (!may_watch(h, who, q.unit) || (who.holds == post::hotline_operator && q.unit != who.unit))
      return refuse(errc::forbidden,
                    "you may not see the directives of unit " + std::to_string(q.unit));
    if (!q.cursor.empty()) {
      row_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a directive list");
      job->after_row = after;
    }
    job->limit = q.limit != 0 ? q.limit : static_cast<std::uint32_t>(limits::default_page);
    // A unit's own directives live in its shard; those addressed to it come from the issuers
    // above it: its county's shard and the city's.
    const auto own = shared_->shard_of[h.index_of(*unit)];
    if (q.box == directive_box::inbox && own != 0)
      targets.push_back(0);
    targets.push_back(own);
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  } else if (q.what == query_kind::figures || q.what == query_kind::ranking) {
    auto* root = h.find_unit(q.unit);
    if (root == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // Figures count every case of a subtree: the 12345 operators, who see the hotline's
    // cases only, may not ask them.
    if (who.holds == post::hotline_operator || !may_watch(h, who, q.unit))
      return refuse(errc::forbidden,
                    "you may not see the figures of unit " + std::to_string(q.unit));
    job->root = h.index_of(*root);
    job->days = days_of(q.period, job->now, q.from, q.to);
    if (q.what == query_kind::figures) {
      job->units.push_back(job->root);
      for (auto c : h.children_at(job->root))
        job->units.push_back(c);
    } else {
      // The counties of the city; the townships (the default) or departments of a county.
      if (root->kind != unit_kind::city && root->kind != unit_kind::county)
        return refuse(errc::invalid_argument,
                      "field 'unit': a ranking is of the city's counties or of a county's "
                      "townships or departments");
      const bool city_level = root->kind == unit_kind::city;
      if (!q.held_at)
        q.held_at = city_level ? unit_kind::county : unit_kind::township;
      if (city_level ? *q.held_at != unit_kind::county
                     : *q.held_at != unit_kind::township && *q.held_at != unit_kind::department)
        return refuse(errc::invalid_argument,
                      city_level ? "field 'level': the city ranks its counties"
                                 : "field 'level': a county ranks its townships or departments");
      for (auto c : h.children_at(job->root))
        if (h.units[c].kind == *q.held_at)
          job->units.push_back(c);
    }
    if (root->kind == unit_kind::city) {
      for (std::uint16_t s = 0; s < shared_->shards; ++s)
        targets.push_back(s);
    } else {
      targets.push_back(0); // the city's shard: cases its centre dispatched into the county
      if (shared_->shard_of[job->root] != 0)
        targets.push_back(shared_->shard_of[job->root]);
    }
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  } else {
    auto* root = h.find_unit(q.unit);
    if (root == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    if (!may_watch(h, who, q.unit))
      return refuse(errc::forbidden, "you may not see the cases of unit " + std::to_string(q.unit));
    if (who.holds == post::hotline_operator) {
      if (q.hotline && !*q.hotline)
        return refuse(errc::forbidden, "the hotline sees the hotline's cases only");
      job->hotline_only = true;
    }
    if (!q.category.empty() && h.find_category(q.category) == nullptr)
      return refuse(errc::invalid_argument, "field 'category': no category '" + q.category + "'");
    if (!q.cursor.empty()) {
      order_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a case list");
      job->after = after;
    }
    job->root = h.index_of(*root);
    job->department = root->kind == unit_kind::department;
    job->limit = q.limit != 0 ? q.limit : static_cast<std::uint32_t>(limits::default_page);
    if (root->kind == unit_kind::city) {
      for (std::uint16_t s = 0; s < shared_->shards; ++s)
        targets.push_back(s);
    } else {
      targets.push_back(0); // the city's shard: cases its centre dispatched into the county
      if (shared_->shard_of[job->root] != 0)
        targets.push_back(shared_->shard_of[job->root]);
    }
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  }
  job->q = std::move(q);
  job->who = who;
  job->id = id;
  job->reply_to = std::move(reply_to);
  // The cut is fenced under the bus's lock (after every event up to it, before any later
  // one); the messages are sent after it, still in the fences' order (a shard answers the
  // first fence's query when its message comes): sending under the bus's lock had kept every
  // publisher waiting behind a query's sends and the scheduler's wake-ups.
  std::lock_guard order{shared_->send_order};
  events.at_cut([&](std::uint64_t seq) {
    job->seq = seq;
    for (auto t : targets)
      feeds_[t]->fence(seq);
  });
  for (std::size_t slot = 0; slot < targets.size(); ++slot)
    caf::anon_send(shards_[targets[slot]], query_msg{job, slot});
}

} // namespace hub::actors
