#include "gateway/send_queue.hpp"

#include <algorithm>

namespace hub::gateway {

bool send_queue::is_event(const protocol::server_message& m) {
  return !std::holds_alternative<protocol::ack>(m) && !std::holds_alternative<protocol::error>(m) &&
         !std::holds_alternative<protocol::result>(m);
}

std::uint64_t send_queue::seq_of(const protocol::server_message& m) {
  if (auto* e = std::get_if<protocol::case_event>(&m))
    return e->seq;
  if (auto* e = std::get_if<protocol::directive_event>(&m))
    return e->seq;
  return 0;
}

bool send_queue::push(actors::outbound_ptr msg) {
  if (auto* a = std::get_if<protocol::aggregate>(&msg->message())) {
    auto [i, fresh] = aggregates_.try_emplace(a->unit, popped_ + items_.size());
    if (!fresh) {
      items_[i->second - popped_] = std::move(msg); // same place, latest value
      return false;
    }
  }
  items_.push_back(std::move(msg));
  return true;
}

bool send_queue::coalesces(const protocol::server_message& m) const {
  auto* a = std::get_if<protocol::aggregate>(&m);
  return a != nullptr && aggregates_.count(a->unit) != 0;
}

void send_queue::start_write(std::size_t n) {
  in_flight_ = n;
  // In flight: a newer aggregate of the same unit must queue behind it.
  for (std::size_t k = 0; k < n; ++k)
    if (auto* a = std::get_if<protocol::aggregate>(&items_[k]->message()))
      if (auto i = aggregates_.find(a->unit); i != aggregates_.end() && i->second == popped_ + k)
        aggregates_.erase(i);
}

std::size_t send_queue::finish_write() {
  auto n = in_flight_;
  in_flight_ = 0;
  items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(n));
  popped_ += n;
  return n;
}

send_queue::drop_result send_queue::drop_events() {
  drop_result r;
  auto first = items_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  auto kept = std::stable_partition(first, items_.end(), [&](const actors::outbound_ptr& m) {
    if (!is_event(m->message()))
      return true;
    ++r.dropped;
    if (auto seq = seq_of(m->message()); seq != 0 && (r.first_seq == 0 || seq < r.first_seq))
      r.first_seq = seq;
    return false;
  });
  items_.erase(kept, items_.end());
  reindex();
  return r;
}

std::size_t send_queue::drop_pending() {
  auto first = items_.begin() + static_cast<std::ptrdiff_t>(in_flight_);
  auto n = static_cast<std::size_t>(items_.end() - first);
  items_.erase(first, items_.end());
  reindex();
  return n;
}

void send_queue::reindex() {
  aggregates_.clear();
  for (std::size_t i = in_flight_; i < items_.size(); ++i)
    if (auto* a = std::get_if<protocol::aggregate>(&items_[i]->message()))
      aggregates_[a->unit] = popped_ + i;
}

} // namespace hub::gateway
