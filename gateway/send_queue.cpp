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

const actors::outbound_ptr& send_queue::start_write() {
  writing_ = true;
  auto& front = items_.front();
  if (auto* a = std::get_if<protocol::aggregate>(&front->message()))
    if (auto i = aggregates_.find(a->unit); i != aggregates_.end() && i->second == popped_)
      aggregates_.erase(i); // in flight: a newer aggregate must queue behind it
  return front;
}

actors::outbound_ptr send_queue::finish_write() {
  writing_ = false;
  auto msg = std::move(items_.front());
  items_.pop_front();
  ++popped_;
  return msg;
}

send_queue::drop_result send_queue::drop_events() {
  drop_result r;
  auto first = items_.begin() + (writing_ ? 1 : 0);
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
  auto first = items_.begin() + (writing_ ? 1 : 0);
  auto n = static_cast<std::size_t>(items_.end() - first);
  items_.erase(first, items_.end());
  reindex();
  return n;
}

void send_queue::reindex() {
  aggregates_.clear();
  for (std::size_t i = writing_ ? 1 : 0; i < items_.size(); ++i)
    if (auto* a = std::get_if<protocol::aggregate>(&items_[i]->message()))
      aggregates_[a->unit] = popped_ + i;
}

} // namespace hub::gateway
