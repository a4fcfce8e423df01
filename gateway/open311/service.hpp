#pragma once

// Open311 GeoReport v2 on the hub's HTTP port, under /open311/v2/ (README.md beside this file
// is the contract): the services, creating hotline cases, and the updates of hotline cases.
// It reaches the city only through actors::city_port, as a client does: a request is
// submitted with the hotline operator bound to its api_key as the principal, and the updates
// come from a subscription to the city, as a hotline operator's watch does. Thread-safe: the
// gateway's lanes call handle() concurrently; the city calls the sinks from its threads.

#include "actors/city_port.hpp"
#include "gateway/open311/catalogue.hpp"
#include "gateway/open311/keys.hpp"
#include "gateway/open311/render.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace hub::open311 {

/// A status change of a hotline case, as servicerequestupdates lists it.
struct update {
  std::uint64_t id = 0; // the event's sequence number: unique, increasing
  protocol::case_id request = 0;
  bool closed = false;
  protocol::timestamp_ms at = 0;
  std::string description; // the action, and its note
};

/// The update a case.event makes when its case is a hotline case (made at a centre).
std::optional<update> update_of(const protocol::hierarchy& h, const protocol::case_event& e);

/// The updates as servicerequestupdates writes them (a list, in `f`).
std::string render_updates(format f, const std::vector<update>& updates);

class service {
public:
  using request = boost::beast::http::request<boost::beast::http::string_body>;
  using response = boost::beast::http::response<boost::beast::http::string_body>;
  /// Receives the answer, exactly once, on the caller's thread or on one of the city's.
  using done_fn = std::function<void(response)>;

  static constexpr std::string_view prefix = "/open311/v2/";
  /// The updates kept for servicerequestupdates (the oldest are forgotten first).
  static constexpr std::size_t updates_kept = 100'000;
  /// The most records one answer lists (the standard's cap).
  static constexpr std::size_t max_records = 1000;

  service(actors::city_port& city, catalogue cat, key_table keys);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  /// Subscribes to the hotline cases' events (replaying what the bus still keeps). Once.
  void start();
  /// Drops the subscription; handle() still answers.
  void stop();

  /// True when `target` is under /open311/v2/.
  static bool owns(std::string_view target) { return target.substr(0, prefix.size()) == prefix; }

  /// Answers one HTTP request under the prefix.
  void handle(const request& req, done_fn done);

  /// The updates recorded so far with at in [from, to], oldest first, at most max_records.
  std::vector<update> updates(protocol::timestamp_ms from, protocol::timestamp_ms to) const;

private:
  class updates_sink;
  class reply_sink;
  class reader;

  void create(const request& req, done_fn& done);
  /// GET requests and requests/{id}: queries to the city as the api_key's operator.
  void read(std::string_view resource, format f,
            const std::vector<std::pair<std::string, std::string>>& query,
            protocol::unit_code jurisdiction, done_fn& done);
  void record(const protocol::case_event& e);

  actors::city_port& city_;
  const catalogue cat_;
  const key_table keys_;
  std::shared_ptr<updates_sink> sink_;
  std::atomic<std::uint64_t> next_id_;

  mutable std::mutex mutex_;
  std::deque<update> updates_; // by id, ascending
};

} // namespace hub::open311
