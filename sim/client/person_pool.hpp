#pragma once

// Connections to the hub, one per person, opened when that person first has something to send
// and closed again when too many are open: how a workload acts as thousands of people without
// holding thousands of descriptors. Tokens are minted here with the hub's secret. Single
// threaded: construct it, call `send`, and run the io_context on one thread; every callback
// runs there.

#include "protocol/hierarchy.hpp"
#include "sim/client/ws_client.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace hub::sim {

class person_pool {
public:
  struct settings {
    ws_url url;
    tcp::endpoint endpoint; // resolved once
    std::string secret;     // the hub's token secret
    ws_options ws;
    /// Connections opened without `keep` beyond this many are closed when idle (no request in
    /// flight), least recently used first. Kept connections do not count against it, so a
    /// workload that keeps one connection per grid still bounds the rest.
    std::size_t max_open = 256;
    /// Connections being opened (TCP connect and upgrade) at a time; the rest wait their turn,
    /// in order, and their requests with them. Eighteen thousand standing connections opened
    /// at once overflow the hub's accept queue (4,096 on Linux), and the dropped SYNs are sent
    /// again only after 1, 3, 7 s: a few thousand at a time connect sooner than all at once.
    /// 0 counts as 1.
    std::size_t max_connecting = 1000;
  };
  /// A message from the hub on `who`'s connection: a reply or an event.
  using message_fn = std::function<void(const protocol::person& who, protocol::server_message&&)>;
  /// `who`'s requests that will get no reply (`ids`), because the connection failed or closed;
  /// `why` says what happened, for people.
  using lost_fn = std::function<void(const protocol::person& who, std::vector<std::uint64_t> ids,
                                     const std::string& why)>;

  person_pool(net::io_context& ioc, settings s, message_fn on_message, lost_fn on_lost);
  ~person_pool();

  person_pool(const person_pool&) = delete;
  person_pool& operator=(const person_pool&) = delete;

  /// Sends `msg` as `who`, opening `who`'s connection first when there is none. Requests sent
  /// before the connection is open wait for it, in order. `keep`: the connection is never
  /// closed for being idle (a watcher's, whose events matter after its request's reply).
  void send(const protocol::person& who, const protocol::client_message& msg, bool keep = false);

  /// Closes every connection politely.
  void close_all();

  /// Connections, open or on their way (being opened, or waiting their turn to be).
  std::size_t open_connections() const { return connections_.size(); }
  /// Of those, being opened now, and waiting their turn (settings::max_connecting).
  std::size_t connecting() const { return connecting_; }
  std::size_t waiting_to_connect() const { return to_connect_.size(); }
  std::uint64_t opened_total() const { return opened_total_; }
  std::uint64_t failed_total() const { return failed_total_; }

private:
  struct connection {
    const protocol::person* who = nullptr;
    std::shared_ptr<ws_client> client;
    std::vector<protocol::client_message> waiting; // sent before the handshake finished
    std::vector<std::uint64_t> in_flight;          // request ids without a reply yet
    std::uint64_t generation = 0;                  // tells this connection's callbacks apart
    std::uint64_t last_used = 0;
    bool open = false;
    bool keep = false;       // never closed for being idle
    bool idle = false;       // listed in idle_ (open, not kept, nothing in flight)
    bool connecting = false; // being opened: counted in connecting_
  };

  connection& open_for(const protocol::person& who);
  /// Starts opening `c`'s connection.
  void start(connection& c);
  /// `c` is no longer being opened (open, failed or gone): the next waiting one starts.
  void done_connecting(connection& c);
  void on_opened(std::uint64_t person, std::uint64_t generation, beast::error_code ec,
                 const ws_client::response& res);
  void on_message(std::uint64_t person, std::uint64_t generation, protocol::server_message&& m);
  void on_closed(std::uint64_t person, std::uint64_t generation, const std::string& why);
  /// Closes least recently used idle connections until at most max_open of those not kept
  /// remain. Called on every send, it takes them from `idle_` in order and never scans.
  void trim();
  void set_idle(std::uint64_t person, connection& c, bool idle);

  net::io_context& ioc_;
  settings settings_;
  message_fn on_message_;
  lost_fn on_lost_;
  std::unordered_map<std::uint64_t, connection> connections_; // by person id
  std::size_t unkept_ = 0;                                    // connections not kept
  std::map<std::uint64_t, std::uint64_t> idle_; // last used -> person: those trim may close
  std::size_t connecting_ = 0;
  std::deque<std::pair<std::uint64_t, std::uint64_t>> to_connect_; // person, generation
  std::uint64_t clock_ = 0;
  std::uint64_t generation_ = 0;
  std::uint64_t opened_total_ = 0;
  std::uint64_t failed_total_ = 0;
};

} // namespace hub::sim
