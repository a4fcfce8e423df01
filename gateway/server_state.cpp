#include "gateway/server_state.hpp"

namespace hub::gateway {

server_state::server_state(actors::city& city, config cfg)
  : city_(city)
  , cfg_(std::move(cfg))
  , files_(cfg_.www_dir) {
  // nop
}

double server_state::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

metrics::snapshot server_state::snapshot() const {
  return {city_.events().last_seq(), city_.events().topic_count(), uptime_seconds(),
          city_.store().status(), city_.events().replays()};
}

void server_state::join(const std::shared_ptr<websocket_session>& s) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!sessions_.emplace(s.get(), s).second)
      return;
  }
  metrics_.connection_opened();
}

void server_state::leave(const websocket_session* s) {
  bool empty = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (sessions_.erase(s) == 0)
      return;
    empty = sessions_.empty();
  }
  metrics_.connection_closed();
  if (empty)
    emptied_.notify_all();
}

std::size_t server_state::sessions() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return sessions_.size();
}

std::vector<std::shared_ptr<websocket_session>> server_state::open_sessions_locked() const {
  std::vector<std::shared_ptr<websocket_session>> out;
  out.reserve(sessions_.size());
  for (auto& [_, weak] : sessions_)
    if (auto s = weak.lock())
      out.push_back(std::move(s));
  return out;
}

std::vector<std::shared_ptr<websocket_session>> server_state::open_sessions() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return open_sessions_locked();
}

std::vector<std::shared_ptr<websocket_session>> server_state::stop_accepting() {
  std::lock_guard<std::mutex> guard{mutex_};
  stopping_ = true;
  return open_sessions_locked();
}

bool server_state::stopping() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return stopping_;
}

bool server_state::wait_empty(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock{mutex_};
  return emptied_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
}

} // namespace hub::gateway
