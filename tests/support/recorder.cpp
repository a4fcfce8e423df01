#include "tests/support/recorder.hpp"

namespace hub::testing {

// -- recorder ---------------------------------------------------------------------------------

void recorder::send(actors::outbound_ptr msg) {
  std::lock_guard<std::mutex> guard{mutex_};
  all_.push_back(msg->message());
}

std::vector<protocol::server_message> recorder::all() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return all_;
}

std::optional<protocol::server_message>
recorder::find_reply(const std::vector<protocol::server_message>& messages, std::uint64_t id) {
  for (auto& m : messages) {
    if (auto* a = std::get_if<protocol::ack>(&m); a != nullptr && a->id == id)
      return m;
    if (auto* e = std::get_if<protocol::error>(&m); e != nullptr && e->id == id)
      return m;
    if (auto* r = std::get_if<protocol::result>(&m); r != nullptr && r->id == id)
      return m;
  }
  return std::nullopt;
}

std::optional<protocol::server_message> recorder::reply_to(std::uint64_t id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  return find_reply(all_, id);
}

void recorder::clear() {
  std::lock_guard<std::mutex> guard{mutex_};
  all_.clear();
}

// -- waiting_recorder -------------------------------------------------------------------------

void waiting_recorder::send(actors::outbound_ptr msg) {
  const auto& m = msg->message();
  if (on_reply &&
      (std::holds_alternative<protocol::ack>(m) || std::holds_alternative<protocol::error>(m)))
    on_reply(m);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    all_.push_back(m);
  }
  arrived_.notify_all();
}

bool waiting_recorder::wait_until(
    const std::function<bool(const std::vector<protocol::server_message>&)>& done,
    std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock{mutex_};
  return arrived_.wait_for(lock, timeout, [&] { return done(all_); });
}

bool waiting_recorder::wait_for(std::size_t n, std::chrono::milliseconds timeout) const {
  return wait_until([n](const auto& messages) { return messages.size() >= n; }, timeout);
}

std::optional<protocol::server_message>
waiting_recorder::reply_to(std::uint64_t id, std::chrono::milliseconds timeout) const {
  std::optional<protocol::server_message> found;
  wait_until(
      [&](const auto& messages) {
        found = find_reply(messages, id);
        return found.has_value();
      },
      timeout);
  return found;
}

} // namespace hub::testing
