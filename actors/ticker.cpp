#include "actors/ticker.hpp"

#include "actors/figures.hpp"
#include "actors/lock_soon.hpp"
#include "actors/unit_actor.hpp"

#include <optional>

namespace hub::actors {

namespace {

using arm_atom = caf::atom_constant<caf::atom("tsarm")>;
using fire_atom = caf::atom_constant<caf::atom("tsfire")>;

struct ticker_state {
  std::weak_ptr<tick_schedule> schedule;
  std::weak_ptr<const city_context> ctx;
  // The flush schedule's: the city's figures, and the wave being collected.
  std::optional<figure_book> book;
  std::uint64_t wave = 0;
  std::size_t awaiting = 0; // reports of `wave` not in yet
  std::vector<bool> sent;   // units sent this wave's flush (a unit marked twice gets one)

  /// Publishes the aggregate of every unit whose subtree figures changed.
  void publish(const city_context& c, caf::actor_clock::time_point now) {
    const auto at = c.clock.at(now);
    book->publish_changed([&](std::uint32_t i, const protocol::unit_figures& total) {
      c.events->publish_aggregate(protocol::aggregate{c.hierarchy->units[i].code, at, total});
    });
  }

  static inline const char* name = "ticker";
};

// Arguments, not captures: see spawn_unit (CAF 0.17.6 and stateful lambdas).
caf::behavior ticker(caf::stateful_actor<ticker_state>* self, std::weak_ptr<tick_schedule> s,
                     std::weak_ptr<const city_context> ctx) {
  self->state.schedule = std::move(s);
  self->state.ctx = std::move(ctx);
  return {
      [self](arm_atom) {
        if (auto s = self->state.schedule.lock())
          self->delayed_send(self, s->interval(), fire_atom::value);
      },
      [self](fire_atom) {
        auto s = self->state.schedule.lock();
        auto ctx = self->state.ctx.lock();
        if (!s || !ctx)
          return;
        auto& st = self->state;
        if (s->what() == tick_schedule::message::tally) {
          for (auto i : s->take())
            if (i < ctx->directory.size())
              self->send(ctx->directory[i], tally_atom::value);
          return;
        }
        // A new wave of flushes. A wave whose reports are not all in by now (busy units) is
        // published as it stands; its late reports still count, in the next publication.
        if (!st.book)
          st.book.emplace(*ctx->hierarchy);
        // The directory is complete (no tick before start), so its size is fixed.
        if (st.sent.size() != ctx->directory.size())
          st.sent.assign(ctx->directory.size(), false);
        if (st.awaiting != 0)
          st.publish(*ctx, self->clock().now());
        st.wave += 1;
        st.awaiting = 0;
        auto due = s->take();
        for (auto i : due)
          if (i < ctx->directory.size() && !st.sent[i]) {
            st.sent[i] = true;
            st.awaiting += 1;
            self->send(ctx->directory[i], flush_atom::value, st.wave);
          }
        for (auto i : due)
          if (i < st.sent.size())
            st.sent[i] = false;
        if (st.awaiting == 0) // nobody to wait for: what came late from the last wave goes now
          st.publish(*ctx, self->clock().now());
      },
      [self](const figures_report& r) {
        auto ctx = self->state.ctx.lock();
        auto& st = self->state;
        if (!ctx || !st.book)
          return;
        st.book->report(r.index, r.own);
        if (r.wave == st.wave && st.awaiting != 0 && --st.awaiting == 0)
          st.publish(*ctx, self->clock().now());
      },
  };
}

} // namespace

tick_schedule::tick_schedule(std::chrono::milliseconds interval, message what)
  : interval_(interval)
  , what_(what) {
  // nop
}

std::shared_ptr<tick_schedule> tick_schedule::make(caf::actor_system& sys,
                                                   std::chrono::milliseconds interval, message what,
                                                   std::weak_ptr<const city_context> ctx) {
  std::shared_ptr<tick_schedule> s{new tick_schedule(interval, what)};
  s->ticker_ = sys.spawn(ticker, std::weak_ptr<tick_schedule>{s}, std::move(ctx));
  return s;
}

tick_schedule::~tick_schedule() { caf::anon_send_exit(ticker_, caf::exit_reason::user_shutdown); }

void tick_schedule::mark(std::uint32_t index) {
  bool arm = false;
  {
    auto guard = lock_soon(mutex_);
    due_.push_back(index);
    arm = !std::exchange(armed_, true);
  }
  if (arm)
    caf::anon_send(ticker_, arm_atom::value);
}

void tick_schedule::start() {
  bool arm = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    arm = !due_.empty();
    armed_ = arm;
  }
  if (arm)
    caf::anon_send(ticker_, arm_atom::value);
}

std::vector<std::uint32_t> tick_schedule::take() {
  std::vector<std::uint32_t> due;
  std::lock_guard<std::mutex> guard{mutex_};
  due.swap(due_);
  armed_ = false;
  return due;
}

} // namespace hub::actors
