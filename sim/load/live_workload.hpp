#pragma once

// The simulated city's people, driven by a scenario (scenario.hpp): grid workers report cases
// and walk them to their close at the grid, the village, the township or by a whistle to
// county departments; department consoles answer the summons they see; the 12345 feed posts
// hotline cases that the city centre triages and dispatches; leaders issue directive
// campaigns whose recipients sign and complete them when they see them arrive; dashboards
// watch the city and every county. The workload only decides who sends what and when: the
// caller carries each request to the hub as that person (hub-sim: over WebSocket) and each
// Open311 post over HTTP, and hands back every reply and event. Every person acts only as the
// hub allows their post. Not thread-safe: one thread drives it.
//
// Several processes share a city by shards: shard i of n walks the cases of the townships
// whose index (in hierarchy order) is i mod n, answers the directives that reach units in
// them, and holds their standing connections; shard 0 also runs the dashboards, the leaders'
// campaigns, the recipients outside townships and the 12345 feed.

#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"
#include "sim/load/histogram.hpp"
#include "sim/load/scenario.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hub::sim {

/// Who holds a standing connection at the grids.
enum class grid_connections {
  pool,       // none: grid workers connect when they act (person_pool's bound)
  per_grid,   // one per grid (its 网格长, who then does every grid step), opened at the start
  per_person, // one per grid staff member, each opened at the start; each acts as themself
};

/// Faults the simulator injects on purpose, for the check to catch (tests).
struct fault_injection {
  std::uint64_t drop_every = 0;      // every Nth report is not sent but recorded as acknowledged
  std::uint64_t duplicate_every = 0; // every Nth report is sent twice, under two message ids
};

struct workload_options {
  scenario plan;
  std::uint64_t seed = 1;
  /// The first message id (the shard's own: first_request + shard, then every shards-th).
  /// The hub remembers (person, id) across restarts when it has a store, so a workload
  /// started again must not reuse the ids of the last one, and shards, which share people,
  /// must not use each other's.
  std::uint64_t first_request = 1;
  int shard = 0, shards = 1;
  grid_connections grids = grid_connections::pool;
  /// The hotline operator the Open311 api_key acts as (0: no 12345 feed).
  protocol::person_id hotline_operator = 0;
  fault_injection faults;
};

/// Counts of what the hub answered and pushed.
struct live_counts {
  std::uint64_t events = 0;
  std::uint64_t refused = 0;
  std::map<std::string, std::uint64_t> refused_by_code; // error name -> count
  std::uint64_t lost = 0;         // requests whose connection went before the reply
  std::uint64_t lost_reports = 0; // of them, reports: the hub may hold a case for each
  std::uint64_t reported = 0;     // reports acknowledged (this process)
  std::uint64_t closed = 0;       // closes acknowledged (this process)
  std::uint64_t whistles = 0;     // whistles blown (acknowledged)
  std::uint64_t summons = 0;      // summons seen on department consoles
  std::uint64_t hotline_posted = 0, hotline_answered = 0, hotline_refused = 0;
  std::uint64_t directives = 0; // campaigns' directives acknowledged
  std::uint64_t arrivals = 0;   // directive arrivals seen at recipients of this shard
  std::uint64_t receipts = 0;   // signs and completes acknowledged
  std::uint64_t acks = 0;       // every ack
  std::uint64_t standing = 0;   // standing connections subscribed (acked)
  std::uint64_t overflows = 0;  // `overloaded` on a standing connection: subscribed again
  std::array<std::uint64_t, 4> closed_at{}; // closes acknowledged by level: grid .. department
  protocol::unit_figures city;              // the city dashboard's last aggregate (shard 0)
};

/// What the simulator times, each into a histogram (microseconds).
enum class latency_kind : std::uint8_t {
  report_ack,             // a case.report sent -> its ack
  step_ack,               // a case.act sent -> its ack
  report_dashboard,       // a case.report sent -> its `report` event on the city's dashboard
  directive_arrival,      // a directive.issue sent -> each arrival seen at a recipient
  directive_last_arrival, // a directive.issue sent -> its last arrival seen (one per directive)
  receipt_ack,            // a directive.act (sign, complete) sent -> its ack
  hotline_post,           // an Open311 post sent -> its answer
};
inline constexpr std::size_t latency_kinds = 7;
/// "report_ack", ... as in the report.
const char* to_string(latency_kind k);

/// One second of the run, for the report's charts.
struct run_sample {
  double t = 0; // wall seconds since the start
  std::uint64_t reported = 0, acks = 0, refused = 0, events = 0, closed = 0;
  std::int64_t report_ack_p99_us = 0; // over the second
};

/// A case or directive the hub acknowledged, as the simulator expects the hub to hold it.
struct expectation {
  bool directive = false;
  protocol::case_state state = protocol::case_state::reported;
  protocol::unit_code holder = 0;
  std::uint32_t steps = 0; // acknowledged steps taken by people (the report included)
  /// Steps sent whose answer never came (their connection went first): the hub applied each
  /// or not, so the check accepts any outcome between `steps` and `steps + unanswered`.
  std::uint32_t unanswered = 0;
  bool fake = false; // made up by --inject drop: the hub never saw it
};

class live_workload {
public:
  /// Carries `msg` to the hub as `who`; `keep`: on a connection that stays open (a console's).
  using send_fn =
      std::function<void(const protocol::person& who, protocol::client_message msg, bool keep)>;
  /// Posts an Open311 form (`form`: the body, without the api_key) as the 12345 feed;
  /// the answer comes back through `on_posted(post, ...)`.
  using post_fn = std::function<void(std::uint64_t post, std::string form)>;

  live_workload(std::shared_ptr<const protocol::hierarchy> h, workload_options options,
                send_fn send, post_fn post);

  /// Opens the standing connections: every dashboard, console and (per_grid, per_person) grid
  /// connection subscribes to the unit it watches. Call once, first.
  void open_standing();
  /// How many standing connections there are (the connected figure's target).
  std::size_t standing_total() const { return standing_.size(); }
  /// True when `who` holds a standing connection; `city_watch`: the city's dashboard.
  bool is_standing(const protocol::person& who, bool* city_watch = nullptr) const;
  /// Subscribes `who`'s standing connection again (after a restart), from the last event seen.
  void resubscribe(const protocol::person& who);

  /// A reply or event from the hub on `who`'s connection.
  void on_message(const protocol::person& who, const protocol::server_message& m);
  /// Requests that will never be answered (their connection failed): their walks end, and
  /// the check accepts either outcome for them. `refused`: answered with an error instead,
  /// so certainly not applied (counted as refused, not lost).
  void on_lost(const std::vector<std::uint64_t>& ids, bool refused = false);
  /// An Open311 post's answer: the case id (0 when refused or unanswered) and why not.
  void on_posted(std::uint64_t post, std::uint64_t case_id, const std::string& why);

  /// Runs the workload up to wall time `now_ms`: new reports, campaigns and steps due by then.
  void run_until(std::int64_t now_ms);

  /// The simulated time (ms since the start day's midnight) at wall time `now_ms`.
  std::int64_t sim_time(std::int64_t now_ms) const;
  /// The restarts of the plan due by wall time `now_ms` and not yet handed out.
  int restarts_due(std::int64_t now_ms);
  /// True once the plan's duration has passed (never without a duration).
  bool finished(std::int64_t now_ms) const;

  const live_counts& counts() const { return counts_; }
  /// The latencies of the whole run, and of the interval since the last `take_interval`.
  const std::array<histogram, latency_kinds>& latencies() const { return latency_; }
  std::array<histogram, latency_kinds> take_interval();
  /// Appends a sample of the counts at wall time `now_ms` (call once a second).
  void sample(std::int64_t now_ms);
  const std::vector<run_sample>& samples() const { return samples_; }
  /// The city dashboard's first and last aggregates (the run's figures are their difference).
  const std::optional<protocol::unit_figures>& city_first() const { return city_first_; }
  /// Every case and directive the hub acknowledged, by id, as the hub should hold it now.
  const std::unordered_map<std::uint64_t, expectation>& acknowledged() const { return ledger_; }
  /// Case ids the hub gave two of this process's reports (each a duplicate).
  std::uint64_t same_case_twice() const { return same_case_twice_; }
  /// Issues ending: records each directive's last arrival (call once, at the end).
  void finish_directives();
  std::int64_t started_ms() const { return started_; }
  /// From open_standing to the last standing connection's subscribe acknowledged (connected
  /// and subscribed), in ms; -1 until then.
  double connect_ms() const {
    return connect_us_ < 0 ? -1 : static_cast<double>(connect_us_) / 1000;
  }
  /// Requests and Open311 posts sent and not answered yet (a run drains them before its check).
  std::size_t in_flight() const { return pending_.size() + posts_.size(); }
  /// One line of progress, `elapsed_ms` after the start, for a terminal.
  std::string progress_line(std::int64_t now_ms) const;

private:
  enum class script : std::uint8_t { grid, village, township, whistle, hotline };
  struct step {
    const protocol::person* who = nullptr;
    protocol::case_act act;
    delay_range delay;
    bool wait_departments = false; // the whistle's step after every department fed back
  };
  /// One case on its way.
  struct walk {
    script kind = script::grid;
    std::uint64_t case_id = 0;
    std::size_t next = 0; // the index of the next step in `steps`
    std::vector<step> steps;
    std::vector<protocol::unit_code> departments;
    int feedback_missing = 0;
    bool waiting = false; // for the departments' feedback
    protocol::unit_code township = 0;
    protocol::unit_code holder = 0; // where the case is, after the steps acknowledged
  };
  /// A department's part of a whistled case.
  struct task {
    std::uint64_t walk = 0;
    protocol::unit_code department = 0;
    int stage = 0; // 0 summoned, 1 reported in, 2 fed back
  };
  /// What a request was for, to route its reply.
  struct pending {
    enum class what : std::uint8_t { step, report, task, directive, receipt, subscribe } kind;
    std::uint64_t ref = 0; // the walk, task, campaign or standing connection
    std::int64_t sent_us = 0;
    std::uint64_t walk_step = 0; // step: the index of the step in its walk
  };
  struct standing_conn {
    const protocol::person* who = nullptr;
    protocol::unit_code unit = 0;
    std::uint64_t last_seq = 0;
    bool subscribed = false;
    /// Whether it asks for the unit's figures: dashboards and consoles do, a grid worker's
    /// phone does not (as the browser's grid console: `figures` 0 on subscribe).
    bool figures = true;
  };

  void start_case(std::int64_t now_ms, const protocol::unit& grid);
  void start_hotline(std::int64_t now_ms);
  void issue_campaign(std::size_t c, std::int64_t now_ms);
  void plan_walk(walk& w, const protocol::unit& grid, const protocol::category& cat);
  /// Sends the walk's next step, or waits; returns false when the walk is finished.
  bool next_step(std::uint64_t no);
  void schedule(std::int64_t now_ms, const delay_range& d, std::uint64_t no, int what);
  std::uint64_t submit(const protocol::person* who, protocol::client_body body, pending p,
                       bool keep = false);
  void on_event(const protocol::person& who, const protocol::case_event& e);
  void on_event(const protocol::person& who, const protocol::directive_event& e);
  void on_ack(const protocol::ack& a);
  std::int64_t wall_delay(const delay_range& d);
  bool mine(protocol::unit_code township) const;
  const protocol::person* acting(protocol::unit_code grid, protocol::post p) const;
  /// The first person at unit `code` holding `p` (and module `module` for module heads), or
  /// nullptr.
  static const protocol::person* person_with(const protocol::hierarchy& h, protocol::unit_code code,
                                             protocol::post p, int module = -1);
  /// Steady microseconds, for latencies.
  static std::int64_t now_us();

  std::shared_ptr<const protocol::hierarchy> h_;
  workload_options options_;
  const scenario& plan_;
  send_fn send_;
  post_fn post_;
  std::mt19937_64 rng_;
  live_counts counts_;
  std::int64_t now_ = 0, started_ = 0, last_run_ = 0;

  // where reports come from: this shard's grids by county, with the county's share of the city
  struct county_grids {
    protocol::unit_code county = 0;
    std::vector<std::uint32_t> grids; // this shard's, indices into units
    double share = 0;                 // this shard's grids here / the city's grids
    double owed = 0;                  // reports due and not yet made
  };
  std::vector<county_grids> counties_;
  std::set<protocol::unit_code> my_townships_;
  double hotline_owed_ = 0;
  std::vector<std::uint32_t> all_grids_; // of the city (the hotline's locations)
  std::discrete_distribution<std::size_t> category_pick_;
  std::vector<const protocol::category*> categories_;

  std::vector<standing_conn> standing_;
  std::unordered_map<protocol::person_id, std::size_t> standing_of_;

  std::unordered_map<std::uint64_t, walk> walks_;
  std::unordered_map<std::uint64_t, std::uint64_t> walk_of_case_;
  std::unordered_map<std::uint64_t, task> tasks_;
  std::unordered_map<std::uint64_t, pending> pending_;     // by request id
  std::unordered_map<std::uint64_t, std::uint64_t> posts_; // Open311 post -> walk
  std::uint64_t next_walk_ = 1, next_task_ = 1, next_post_ = 1;
  std::uint64_t next_request_ = 1;
  /// (wall ms, what, id): what 0 = a walk's next step, 1 = a task's next step, 2 = a receipt
  std::priority_queue<std::tuple<std::int64_t, int, std::uint64_t>,
                      std::vector<std::tuple<std::int64_t, int, std::uint64_t>>, std::greater<>>
      due_;

  // campaigns
  std::vector<std::int64_t> campaign_next_; // simulated time of each campaign's next issue
  std::unordered_map<std::string, std::size_t> campaign_by_title_;
  struct receipt {
    std::uint64_t directive = 0;
    std::size_t campaign = 0;
    protocol::unit_code unit = 0;
    int stage = 0; // 0: to sign, 1: to complete
  };
  std::unordered_map<std::uint64_t, receipt> receipts_;
  std::set<std::pair<std::uint64_t, protocol::unit_code>> arrived_;
  std::uint64_t next_receipt_ = 1;
  std::size_t restarts_given_ = 0;
  // measurements and the check's ledger
  void record(latency_kind k, std::int64_t us);
  void expect_step(std::uint64_t case_id, const protocol::case_act& act,
                   protocol::unit_code holder_after);
  std::array<histogram, latency_kinds> latency_, interval_;
  histogram second_; // report -> ack since the last sample
  std::vector<run_sample> samples_;
  std::optional<protocol::unit_figures> city_first_;
  std::unordered_map<std::uint64_t, std::int64_t> awaiting_dashboard_; // case -> report sent
  std::unordered_map<std::uint64_t, std::int64_t> seen_on_dashboard_;  // case -> seen (us)
  struct issued {
    std::int64_t sent_us = 0, last_us = 0; // sent_us 0: the issue's ack has not come yet
    std::uint32_t total = 0, arrived = 0;
    std::vector<std::int64_t> early; // arrivals (now_us) seen before the ack, counted at it
  };
  /// Counts directive `id` arriving at a recipient at `at_us`; held until the issue's ack
  /// tells when it was sent (under load the ack can come after every arrival).
  void count_arrival(std::uint64_t id, std::int64_t at_us);
  std::unordered_map<std::uint64_t, issued> issued_at_;       // by directive
  std::unordered_map<std::uint64_t, std::int64_t> posted_at_; // Open311 post -> sent (us)
  std::unordered_map<std::uint64_t, expectation> ledger_;
  std::uint64_t same_case_twice_ = 0, reports_made_ = 0;
  std::int64_t last_prune_ = 0;
  std::int64_t standing_opened_us_ = 0, connect_us_ = -1;
  std::uint64_t issued_ = 0; // directives issued, for their titles
};

} // namespace hub::sim
