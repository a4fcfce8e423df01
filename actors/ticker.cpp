#include "actors/ticker.hpp"

#include "actors/lock_soon.hpp"
#include "actors/unit_actor.hpp"

namespace hub::actors {

namespace {

using arm_atom = caf::atom_constant<caf::atom("tsarm")>;
using fire_atom = caf::atom_constant<caf::atom("tsfire")>;

struct ticker_state {
  std::weak_ptr<tick_schedule> schedule;
  std::weak_ptr<const city_context> ctx;
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
        const bool flush = s->what() == tick_schedule::message::flush;
        for (auto i : s->take()) {
          if (i >= ctx->directory.size())
            continue;
          if (flush)
            self->send(ctx->directory[i], flush_atom::value);
          else
            self->send(ctx->directory[i], tally_atom::value);
        }
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

std::vector<std::uint32_t> tick_schedule::take() {
  std::vector<std::uint32_t> due;
  std::lock_guard<std::mutex> guard{mutex_};
  due.swap(due_);
  armed_ = false;
  return due;
}

} // namespace hub::actors
