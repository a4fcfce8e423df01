#include "sim/client/person_pool.hpp"

#include "gateway/net/token.hpp"

#include <algorithm>

namespace hub::sim {

namespace {

/// Tokens minted by the pool live this long: longer than any workload holds a connection.
constexpr std::chrono::hours token_lifetime{24};

} // namespace

person_pool::person_pool(net::io_context& ioc, settings s, message_fn on_message, lost_fn on_lost)
  : ioc_(ioc)
  , settings_(std::move(s))
  , on_message_(std::move(on_message))
  , on_lost_(std::move(on_lost)) {
  settings_.max_connecting = std::max<std::size_t>(settings_.max_connecting, 1);
}

person_pool::~person_pool() {
  // The clients' handlers refer to this pool: cut them off before it goes.
  for (auto& [id, c] : connections_)
    c.client->set_handlers({});
}

person_pool::connection& person_pool::open_for(const protocol::person& who) {
  auto [at, fresh] = connections_.try_emplace(who.id);
  auto& c = at->second;
  if (!fresh)
    return c;
  c.who = &who;
  c.generation = ++generation_;
  ++unkept_;
  c.client = std::make_shared<ws_client>(ioc_.get_executor(), settings_.ws);
  const auto person = who.id;
  const auto generation = c.generation;
  ws_client::handlers h;
  h.opened = [this, person, generation](beast::error_code ec, const ws_client::response& res) {
    on_opened(person, generation, ec, res);
  };
  h.message = [this, person, generation](protocol::server_message&& m) {
    on_message(person, generation, std::move(m));
  };
  h.undecodable = [this, person, generation](const protocol::decode_error& e) {
    on_closed(person, generation, "the hub sent a frame that does not decode: " + e.message);
  };
  h.closed = [this, person, generation](beast::error_code ec) {
    on_closed(person, generation, ec ? ec.message() : "closed");
  };
  c.client->set_handlers(std::move(h));
  if (connecting_ < settings_.max_connecting)
    start(c);
  else
    to_connect_.emplace_back(person, generation);
  return c;
}

void person_pool::start(connection& c) {
  c.connecting = true;
  ++connecting_;
  ++opened_total_;
  c.client->run(settings_.endpoint, settings_.url,
                gateway::token::issue(settings_.secret, *c.who, token_lifetime));
}

void person_pool::done_connecting(connection& c) {
  if (!c.connecting)
    return;
  c.connecting = false;
  --connecting_;
  while (connecting_ < settings_.max_connecting && !to_connect_.empty()) {
    auto [person, generation] = to_connect_.front();
    to_connect_.pop_front();
    auto at = connections_.find(person);
    if (at != connections_.end() && at->second.generation == generation)
      start(at->second);
  }
}

void person_pool::send(const protocol::person& who, const protocol::client_message& msg,
                       bool keep) {
  auto& c = open_for(who);
  set_idle(who.id, c, false);
  c.last_used = ++clock_;
  if (keep && !c.keep) {
    c.keep = true;
    --unkept_;
  }
  c.in_flight.push_back(msg.id);
  if (c.open)
    c.client->send(msg);
  else
    c.waiting.push_back(msg);
  trim();
}

void person_pool::on_opened(std::uint64_t person, std::uint64_t generation, beast::error_code ec,
                            const ws_client::response& res) {
  auto at = connections_.find(person);
  if (at == connections_.end() || at->second.generation != generation)
    return;
  auto& c = at->second;
  done_connecting(c);
  if (ec) {
    ++failed_total_;
    on_closed(person, generation, describe_failure(ec, res));
    return;
  }
  c.open = true;
  for (auto& m : c.waiting)
    c.client->send(m);
  c.waiting.clear();
}

void person_pool::on_message(std::uint64_t person, std::uint64_t generation,
                             protocol::server_message&& m) {
  auto at = connections_.find(person);
  if (at == connections_.end() || at->second.generation != generation)
    return;
  auto& c = at->second;
  if (auto id = reply_id(m); id != 0) {
    std::erase(c.in_flight, id);
    set_idle(person, c, c.open && !c.keep && c.in_flight.empty());
  }
  on_message_(*c.who, std::move(m));
}

void person_pool::on_closed(std::uint64_t person, std::uint64_t generation,
                            const std::string& why) {
  auto at = connections_.find(person);
  if (at == connections_.end() || at->second.generation != generation)
    return;
  done_connecting(at->second);
  auto lost = std::move(at->second.in_flight);
  const auto* who = at->second.who;
  set_idle(person, at->second, false);
  unkept_ -= at->second.keep ? 0 : 1;
  connections_.erase(at);
  if (!lost.empty())
    on_lost_(*who, std::move(lost), why);
}

void person_pool::set_idle(std::uint64_t person, connection& c, bool idle) {
  if (c.idle == idle)
    return;
  c.idle = idle;
  if (idle)
    idle_.emplace(c.last_used, person);
  else
    idle_.erase(c.last_used);
}

void person_pool::trim() {
  while (unkept_ > settings_.max_open && !idle_.empty()) {
    // Its `closed` callback finds no connection of its generation and does nothing.
    auto at = connections_.find(idle_.begin()->second);
    idle_.erase(idle_.begin());
    at->second.client->close();
    connections_.erase(at);
    --unkept_;
  }
}

void person_pool::close_all() {
  for (auto& [id, c] : connections_)
    c.client->close();
  connections_.clear();
  idle_.clear();
  to_connect_.clear();
  connecting_ = 0;
  unkept_ = 0;
}

} // namespace hub::sim
