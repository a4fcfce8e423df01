#pragma once

// The city: one unit actor per unit of the hierarchy, the bus they publish on, and the one
// entry point the gateway (and the simulator) calls. `submit` never blocks: it routes the
// request to the actor that owns it with an anonymous send; the answer reaches the sink.

#include "actors/bus.hpp"
#include "actors/city_port.hpp"
#include "actors/read_model.hpp"
#include "actors/request_ledger.hpp"
#include "actors/unit_actor.hpp"

#include <caf/all.hpp>

#include <functional>
#include <memory>

namespace hub::actors {

struct city_options {
  std::chrono::milliseconds flush_interval{1000}; // figures pushed at most this often per unit
  std::size_t retention = 1 << 16;                // events kept for resume
  std::size_t remembered_requests = 1 << 17;      // replies kept for retried requests
  /// Wall time at the actor clock's current instant (0: the system clock's now).
  protocol::timestamp_ms wall_now = 0;
  /// Where every step ends (journal.hpp); null: a memory journal on the city's bus.
  /// `make_store` is called with the city's bus once it exists.
  std::function<std::shared_ptr<journal>(std::shared_ptr<bus>)> make_store;
  /// What the units start from (persistence's recovery); null: an empty city.
  std::shared_ptr<city_snapshot> snapshot;
  /// Whether the read side (read_model.hpp) runs: `hub serve` and every test keep it on; the
  /// benchmark turns it off to measure what it costs the write path. Off, every query is
  /// answered `internal`.
  bool read_side = true;
  /// Where ended cases go after `retain` (archive.hpp); null: every case stays in memory.
  std::shared_ptr<case_archive> archive;
  retention_times retain;
};

class city final : public city_port {
public:
  city(caf::actor_system& sys, std::shared_ptr<const protocol::hierarchy> h,
       city_options options = {});
  ~city() override;

  city(const city&) = delete;
  city& operator=(const city&) = delete;

  /// Routes `msg` from `who` to the unit actor that owns it; replies go to `reply_to`.
  /// Subscriptions are served here, against the bus; queries by the read side (read_model.hpp),
  /// and, changing nothing, they are not remembered for retries. A request whose (person, id) was
  /// seen recently is not applied again: its reply is sent again (or when it arrives).
  void submit(const principal& who, protocol::client_message msg, sink_ptr reply_to) override;

  std::size_t disconnect(const client_sink* sink) override {
    return ctx_->events->unsubscribe_all(sink);
  }

  city_gauges gauges() const override {
    return {ctx_->events->last_seq(), ctx_->events->topic_count(), ctx_->store->status(),
            ctx_->events->replays(), ctx_->archive ? ctx_->archive->gauges() : archive_gauges{}};
  }

  void replay_more(protocol::unit_code topic, const client_sink* sink) override {
    ctx_->events->replay_more(topic, sink);
  }

  /// True when `who` may watch the subtree of `topic` (their own unit's subtree; a centre's
  /// county or city; the hotline the whole city): the table in protocol/README.md,
  /// "subscribe". False for a unit the hierarchy does not have.
  bool may_watch(const principal& who, protocol::unit_code topic) const;

  /// True once every unit actor has initialised (each does so on a scheduler thread, on the
  /// wake_atom the constructor sends it; a recovered city is whole only then).
  bool ready() const {
    return ctx_->initialised.load(std::memory_order_acquire) == ctx_->directory.size();
  }

  const protocol::hierarchy& hierarchy() const override { return *ctx_->hierarchy; }
  bus& events() { return *ctx_->events; }
  journal& store() { return *ctx_->store; }
  const city_context& context() const { return *ctx_; }
  unit_actor actor_of(protocol::unit_code code) const { return ctx_->actor_of(code); }
  /// The read side (null when options.read_side is off).
  const read_model* reads() const { return reads_.get(); }

private:
  /// The index of the unit whose actor takes `body` from `who`, or hierarchy::no_unit when it
  /// names nothing known.
  std::uint32_t route(const principal& who, const protocol::client_body& body) const;

  caf::actor_system& sys_;
  std::shared_ptr<city_context> ctx_;
  std::unique_ptr<read_model> reads_;
};

} // namespace hub::actors
