#pragma once

// hub-load's clients (load_main.cpp): one per grid, subscribed to its grid, and the city
// leader who issues the directives; the io threads they run on; what the run counts.

#include "protocol/hierarchy.hpp"
#include "sim/client/ws_client.hpp"

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hub::sim::load {

namespace net = boost::asio;

/// hub-load's command line (`hub-load --help`).
struct options {
  std::string url, secret_file, hierarchy_file, baseline;
  std::uint64_t hub_pid = 0, grids = 0 /* 0: all */, threads = 2, parallel = 1000, timeout_s = 60,
                burst = 200, baseline_pid = 0, settle_s = 15;
  bool json = false, no_sign = false, no_watch = false, figures = false, help = false;
  bool sign() const { return !no_sign; }
  bool watch() const { return !no_watch; }
};

/// One grid's client. Written only on its client's thread; read by main after the threads
/// have joined (or through the counters, which are atomics).
struct bot {
  protocol::unit_code grid = 0;
  std::string token;
  std::shared_ptr<sim::ws_client> client;
  std::int64_t launched = 0, subscribed = 0, received = 0, signed_at = 0; // steady ns; 0: not yet
  std::int64_t hub_at_ms = 0, received_wall_us = 0; // the event's "at"; when it came, wall clock
};

/// The io threads: each runs an io_context of its own, and every client lives on one of them
/// (its handlers on that thread: no strand per client).
struct lanes {
  explicit lanes(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      contexts.push_back(std::make_unique<net::io_context>(1));
  }
  net::io_context& at(std::size_t i) { return *contexts[i % contexts.size()]; }

  std::vector<std::unique_ptr<net::io_context>> contexts;
};

struct run_state {
  explicit run_state(lanes& l)
    : io(l) {}

  lanes& io;
  options opt;
  sim::ws_url url;
  net::ip::tcp::endpoint endpoint;
  sim::ws_options ws;
  std::vector<bot> bots;
  std::size_t city_grids = 0; // the directive reaches all of them, whatever --grids says
  std::string title;          // this run's directive, recognised by its title
  std::string burst_title;    // the burst's directives: this, then their number
  bool baseline = false;      // against hub-wsbase: no issuer tally to watch

  // Message ids. The hub answers a (person, id) it has seen from memory without applying it, so
  // each run numbers its requests afresh (run_against, from the wall clock).
  std::uint64_t subscribe_id = 1;
  std::uint64_t sign_id = 2;
  std::uint64_t issue_id = 2;       // the leader's; its subscribe is subscribe_id
  std::uint64_t unsubscribe_id = 3; // the leader's, before the burst
  std::uint64_t burst_id = 4;       // the leader's burst: burst_id + k for the k-th directive

  // the burst: deliveries counted by every client, the last one's time (steady ns)
  std::atomic<std::uint64_t> burst_received{0}, burst_acked{0}, burst_refused{0};
  std::atomic<std::int64_t> burst_last{0};
  std::atomic<bool> leader_unsubscribed{false};

  std::atomic<std::size_t> next{0}, opened{0}, subscribed{0}, failed{0}, received{0}, signed_ok{0},
      sign_failed{0}, closed{0};
  std::atomic<bool> closing{false};
  std::mutex launching;

  // the leader (city_leader at the city)
  std::shared_ptr<sim::ws_client> leader;
  std::atomic<bool> leader_ready{false}, leader_failed{false}, leader_acked{false},
      all_signed{false};
  std::atomic<std::int64_t> leader_ack_at{0}, all_signed_at{0};
  std::atomic<std::uint64_t> directive{0}, leader_events{0}, total{0}, leader_overflows{0};
  protocol::unit_code city = 0;

  std::mutex mutex; // guards the notes
  std::vector<std::string> notes;
  std::size_t note_count = 0;

  /// Keeps the first few problems for the report, and counts them all.
  void note(std::string what) {
    std::lock_guard lock(mutex);
    if (++note_count <= 8)
      notes.push_back(std::move(what));
  }

  /// Opens the next grid's connection, if any is left (keeps `parallel` in flight).
  /// Handlers on every io thread launch; the main thread stops them (under `launching`).
  void launch_next() {
    std::lock_guard lock(launching);
    auto i = next.fetch_add(1);
    if (i < bots.size() && !closing)
      launch(i);
  }

  /// Starts a session on lane `i` into `c` (set before it runs: the handlers use it).
  void open(std::size_t i, std::shared_ptr<sim::ws_client>& c, const std::string& token,
            sim::ws_client::handlers h) {
    c = std::make_shared<sim::ws_client>(io.at(i).get_executor(), ws);
    c->set_handlers(std::move(h));
    c->run(endpoint, url, token);
  }

  void launch(std::size_t i);
  void on_bot_message(std::size_t i, protocol::server_message&& msg);
  /// One arrival of the burst's, at `t` (steady ns), on any client's thread.
  void count_burst_arrival(std::int64_t t);
  void start_leader(const std::string& token);
  void on_leader_message(protocol::server_message&& msg);
};

/// "error N name: message", for the notes.
std::string text_of(const protocol::error& e);

/// Waits (polling; the io threads do the work) until `done()` or `timeout`; false on timeout.
bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout);

/// Milliseconds between two steady_clock readings in ns.
inline double ms(std::int64_t from, std::int64_t to) {
  return static_cast<double>(to - from) / 1e6;
}

/// The people who act: one grid worker per grid (full-time 专职网格员 when there is one) with
/// a token, and the city leader. Returns the leader.
const protocol::person& enlist(run_state& s, const protocol::hierarchy& h,
                               const protocol::unit& city, const std::string& secret);

/// The directive of this run: to every grid of the city, recognised by its title.
protocol::directive_issue directive_for(run_state& s, protocol::unit_code city);

} // namespace hub::sim::load
