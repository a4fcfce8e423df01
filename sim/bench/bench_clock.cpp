#include "sim/bench/bench_clock.hpp"

#include <caf/actor_system.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/scheduler/coordinator.hpp>

namespace hub::bench {

using base = caf::detail::simple_actor_clock;

manual_clock::manual_clock()
  : now_(clock_type::now().time_since_epoch().count()) {}

manual_clock::time_point manual_clock::now() const noexcept {
  return time_point{duration_type{now_.load(std::memory_order_acquire)}};
}

void manual_clock::advance_to(time_point t) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (t > now())
    now_.store(t.time_since_epoch().count(), std::memory_order_release);
  trigger_expired_timeouts(); // ships to mailboxes only: never waits for an actor
}

void manual_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self,
                                        caf::atom_value type, uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::set_ordinary_timeout(t, self, type, id);
}

void manual_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                     uint64_t id) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::set_multi_timeout(t, self, type, id);
}

void manual_clock::set_request_timeout(time_point t, caf::abstract_actor* self,
                                       caf::message_id id) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::set_request_timeout(t, self, id);
}

void manual_clock::cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::cancel_ordinary_timeout(self, type);
}

void manual_clock::cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::cancel_request_timeout(self, id);
}

void manual_clock::cancel_timeouts(caf::abstract_actor* self) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::cancel_timeouts(self);
}

void manual_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver,
                                    caf::mailbox_element_ptr content) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::schedule_message(t, std::move(receiver), std::move(content));
}

void manual_clock::schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                                    caf::message content) {
  std::lock_guard<std::mutex> guard{mutex_};
  base::schedule_message(t, std::move(target), std::move(sender), std::move(content));
}

void manual_clock::cancel_all() {
  std::lock_guard<std::mutex> guard{mutex_};
  base::cancel_all();
}

namespace {

class manual_coordinator final : public caf::scheduler::coordinator<caf::policy::work_sharing> {
public:
  explicit manual_coordinator(caf::actor_system& sys)
    : coordinator(sys) {}
  ~manual_coordinator() override { clock_.cancel_all(); }
  manual_clock& clock() noexcept override { return clock_; }

private:
  manual_clock clock_;
};

} // namespace

void install_manual_clock(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back([](caf::actor_system& sys) -> caf::actor_system::module* {
    return new manual_coordinator(sys);
  });
}

} // namespace hub::bench
