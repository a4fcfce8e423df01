#include "gateway/server_state.hpp"

#include "gateway/http_session.hpp"

#include <algorithm>

namespace hub::gateway {

server_state::server_state(actors::city_port& city, config cfg)
  : city_(city)
  , cfg_(std::move(cfg))
  , files_(cfg_.www_dir)
  , person_limits_(cfg_.person_rate, cfg_.person_burst)
  , failed_upgrades_(cfg_.failed_upgrade_rate, cfg_.failed_upgrade_burst) {
  // nop
}

std::string server_state::address_key(const boost::asio::ip::address& a) {
  if (a.is_v4())
    return a.to_string();
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

double server_state::uptime_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

metrics::snapshot server_state::snapshot() const {
  auto g = city_.gauges();
  return {g.last_seq, g.topics, uptime_seconds(), g.store, g.replays, g.archive};
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

std::shared_ptr<held_session> server_state::hold(std::shared_ptr<http_session> s) {
  auto held = std::make_shared<held_session>(std::move(s));
  std::lock_guard<std::mutex> guard{mutex_};
  if (held_.size() >= 64 && held_.size() == held_.capacity())
    held_.erase(std::remove_if(held_.begin(), held_.end(), [](auto& w) { return w.expired(); }),
                held_.end());
  held_.push_back(held);
  return held;
}

void server_state::release_held() {
  std::vector<std::weak_ptr<held_session>> held;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    held.swap(held_);
  }
  for (auto& w : held)
    if (auto h = w.lock())
      h->release();
}

} // namespace hub::gateway
