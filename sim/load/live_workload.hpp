#pragma once

// A small live workload: grid workers report cases and walk them through one of three scripted
// paths (closed at the grid, at the village, or by a whistle to county departments); the city
// leader issues a directive now and then, and recipients sign and complete it. Every step waits
// for the previous step's acknowledgement. The workload only decides who sends what: the caller
// carries each request to the hub as that person (hub-sim: over WebSocket, one connection per
// person) and hands back every reply and event. Not thread-safe: one thread drives it.

#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace hub::sim {

struct workload_options {
  double reports_per_second = 20;
  double directives_per_minute = 4;
  std::uint64_t seed = 1;
  /// The first message id. The hub remembers (person, id) across restarts when it has a
  /// store, so a workload started again must not reuse the ids of the last one.
  std::uint64_t first_request = 1;
};

/// Counts what the hub answered and pushed.
struct live_counts {
  std::uint64_t events = 0;
  std::uint64_t refused = 0;
  std::uint64_t reported = 0;
  std::uint64_t closed = 0;
  std::uint64_t whistles = 0;
  std::uint64_t directives = 0;
  std::uint64_t directive_receipts = 0;
  protocol::unit_figures city;
};

class live_workload {
public:
  /// Carries `msg` to the hub as `who`.
  using send_fn = std::function<void(const protocol::person& who, protocol::client_message msg)>;

  live_workload(std::shared_ptr<const protocol::hierarchy> h, workload_options options,
                send_fn send);

  /// The person who watches the whole city for the counts (a city leader), and the
  /// subscription to send as that person first; nullptr when the city has no leader.
  const protocol::person* watcher() const { return watcher_; }
  protocol::client_message watch_request();

  /// A reply or event from the hub, on any person's connection.
  void on_message(const protocol::server_message& m);
  /// Requests that will never be answered (their connection failed): their walks end.
  void on_lost(const std::vector<std::uint64_t>& ids);

  /// Runs one slice of the workload up to wall time `now_ms`: new reports and directives due
  /// by then, and the next step of every case whose last step was acknowledged.
  void run_until(std::int64_t now_ms);

  live_counts counts() const;

  /// One line of progress, `elapsed_ms` after the start, for a terminal.
  std::string progress_line(std::int64_t elapsed_ms) const;

private:
  /// One case on its scripted path, or one directive whose recipients answer.
  struct walk {
    enum class kind : std::uint8_t { grid_case, village_case, whistle_case, directive_receipt };
    kind script = kind::grid_case;
    int step = 0;
    std::uint64_t ref = 0; // the case or directive
    protocol::unit_code grid = 0, village = 0, township = 0, unit = 0;
    std::vector<protocol::unit_code> departments;
  };
  void start_case(std::int64_t now_ms);
  void start_directive();
  /// Submits the next step of walk `no`; returns false when the walk is finished.
  bool next_step(std::uint64_t no);
  void submit(std::uint64_t walk_no, const protocol::person* who, protocol::client_body body);

  std::shared_ptr<const protocol::hierarchy> h_;
  workload_options options_;
  send_fn send_;
  std::mt19937_64 rng_;
  const protocol::person* watcher_ = nullptr;
  live_counts counts_;
  std::vector<protocol::ack> acked_; // since the last run_until
  std::vector<std::uint32_t> grids_; // indices into hierarchy units
  std::unordered_map<std::uint64_t, walk> walks_;
  std::unordered_map<std::uint64_t, std::uint64_t> walk_of_request_;
  std::priority_queue<std::pair<std::int64_t, std::uint64_t>,
                      std::vector<std::pair<std::int64_t, std::uint64_t>>, std::greater<>>
      due_; // (when, walk) of the walks whose next step waits
  std::uint64_t next_walk_ = 1;
  std::int64_t next_report_ = 0;
  std::int64_t next_directive_ = 0;
  std::uint64_t next_request_ = 1;
};

} // namespace hub::sim
