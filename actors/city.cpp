#include "actors/city.hpp"

#include "actors/directive.hpp"
#include "actors/ticker.hpp"
#include "protocol/codec.hpp"

namespace hub::actors {

using protocol::errc;

city::city(caf::actor_system& sys, std::shared_ptr<const protocol::hierarchy> h,
           city_options options)
  : sys_(sys)
  , ctx_(std::make_shared<city_context>()) {
  ctx_->hierarchy = std::move(h);
  ctx_->ledger = std::make_shared<request_ledger>(options.remembered_requests);
  ctx_->events = std::make_shared<bus>(ctx_->hierarchy, options.retention);
  ctx_->store = options.make_store ? options.make_store(ctx_->events)
                                   : std::make_shared<memory_journal>(ctx_->events);
  if (auto& s = options.snapshot) {
    ctx_->events->restore(s->last_seq, std::move(s->events));
    for (auto& r : s->requests)
      ctx_->ledger->remember(r.key.person, r.key.id, r.key.digest, std::move(r.reply));
    s->requests = {}; // in the ledger now
    ctx_->snapshot = s;
  }
  ctx_->archive = options.archive;
  ctx_->retain = options.retain;
  // The read side starts from the recovered cases before the units adopt them, and sees
  // every event after.
  if (options.read_side) {
    reads_ = std::make_unique<read_model>(
        sys, ctx_->hierarchy, ctx_->snapshot.get(), options.archive, options.retain,
        [&sys, ctx = std::weak_ptr<const city_context>(ctx_)]() -> protocol::timestamp_ms {
          auto c = ctx.lock();
          return c ? c->clock.at(sys.clock().now()) : 0;
        },
        [ctx = std::weak_ptr<const city_context>(ctx_)](protocol::case_id id,
                                                        std::shared_ptr<history_question> q) {
          auto c = ctx.lock();
          if (auto maker = c ? c->maker_of_id(id) : unit_actor{})
            return caf::anon_send(maker, history_request{id, std::move(q)});
          q->answer(nullptr);
        });
    ctx_->events->set_tap(reads_->tap());
  }
  ctx_->flush_interval = options.flush_interval;
  ctx_->clock.base_steady = sys.clock().now();
  ctx_->clock.base_wall = options.wall_now != 0
                              ? options.wall_now
                              : std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
  ctx_->flushes =
      tick_schedule::make(sys, ctx_->flush_interval, tick_schedule::message::flush, ctx_);
  ctx_->tallies =
      tick_schedule::make(sys, ctx_->tally_interval, tick_schedule::message::tally, ctx_);
  // Units read the directory, so none runs before it is complete: each is spawned lazily
  // and woken once all are in; the tick schedules, which read it too, start then as well.
  const auto n = static_cast<std::uint32_t>(ctx_->hierarchy->units.size());
  ctx_->directory.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i)
    ctx_->directory.push_back(spawn_unit(sys, ctx_, i));
  ctx_->flushes->start();
  ctx_->tallies->start();
  for (auto& unit : ctx_->directory)
    caf::anon_send(unit, wake_atom::value);
}

city::~city() {
  for (auto& a : ctx_->directory)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

bool city::may_watch(const principal& who, protocol::unit_code topic) const {
  return actors::may_watch(*ctx_->hierarchy, who, topic);
}

std::uint32_t city::route(const principal& who, const protocol::client_body& body) const {
  const auto& h = *ctx_->hierarchy;
  // Case and directive ids carry their maker's index: no look-up by code.
  auto maker = [&](std::uint64_t id) { return id != 0 ? maker_of(id) : h.no_unit; };
  return std::visit(
      [&](const auto& b) -> std::uint32_t {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, protocol::case_report>) {
          return h.index_of(b.unit);
        } else if constexpr (std::is_same_v<T, protocol::case_act>) {
          // To the case's maker (which forwards to the holder); mark_duplicate first to the
          // maker of the earlier case, which knows whether that case exists.
          if (b.action == protocol::case_action::mark_duplicate)
            return maker(b.duplicate_of);
          return maker(b.id);
        } else if constexpr (std::is_same_v<T, protocol::directive_issue>) {
          return h.index_of(issuing_unit(h, who).value_or(who.unit));
        } else if constexpr (std::is_same_v<T, protocol::directive_act>) {
          return b.action == protocol::directive_action::remind ? maker(b.id)
                                                                : h.index_of(who.unit);
        } else {
          return h.no_unit;
        }
      },
      body);
}

void city::submit(const principal& who, protocol::client_message msg, sink_ptr reply_to) {
  if (auto* s = std::get_if<protocol::subscribe>(&msg.body)) {
    if (ctx_->hierarchy->find_unit(s->unit) == nullptr)
      return reply(reply_to, protocol::error{msg.id, errc::unknown_unit,
                                             "no unit " + std::to_string(s->unit)});
    if (!may_watch(who, s->unit))
      return reply(reply_to, protocol::error{msg.id, errc::forbidden,
                                             "you may not watch unit " + std::to_string(s->unit)});
    // The ack comes from the bus, after the replay: its seq is where the replay ended.
    return ctx_->events->subscribe(s->unit, reply_to, s->since, msg.id, s->figures);
  }
  if (auto* q = std::get_if<protocol::query>(&msg.body)) {
    if (!reads_)
      return reply(reply_to, protocol::error{msg.id, errc::internal, "the read side is off"});
    return reads_->ask(*ctx_->events, who, msg.id, std::move(*q), std::move(reply_to));
  }
  if (auto* u = std::get_if<protocol::unsubscribe>(&msg.body)) {
    ctx_->events->unsubscribe(u->unit, reply_to.get());
    return reply(reply_to, protocol::ack{msg.id, 0, 0, 0});
  }
  const auto digest = request_digest(msg.body);
  const auto id = msg.id;
  reply_to = ctx_->ledger->admit(who.id, id, digest, std::move(reply_to));
  if (!reply_to)
    return; // a retry: answered by the ledger
  auto actor = ctx_->actor_at(route(who, msg.body));
  if (!actor) {
    auto code = std::holds_alternative<protocol::case_act>(msg.body) ? errc::unknown_case
                : std::holds_alternative<protocol::directive_act>(msg.body)
                    ? errc::unknown_directive
                    : errc::unknown_unit;
    return reply(reply_to, protocol::error{msg.id, code, "no such case, directive or unit"});
  }
  caf::anon_send(actor, command{who, id, digest, std::move(msg.body), std::move(reply_to)});
}

} // namespace hub::actors
