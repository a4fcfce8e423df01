// hub-bench "directive": one directive from a city leader to all 18,100 grids, every grid
// signs, every receipt is tallied at the issuer. Beside it, in the same actor system, a bare
// CAF tree of the same shape doing the same work.
//
// The client is one sink subscribed to the city (the issuer's tally events) and to each of the
// 18,100 grids (the "issue" event a grid publishes, to its own watchers only, when the directive
// reaches it: what a grid's app sees). Nothing polls, nothing sleeps while a figure is timed.
// Each round (t0 = the issue is submitted):
//
//   round    (headline, end to end) the client signs for a grid the moment it sees the directive
//            arrive there: the sink submits that grid's sign (as a grid worker of the grid) on the
//            spot. Two ends: t0 -> the 18,100th sign acked (every grid has signed, its receipt
//            is on the way to the issuer), and t0 -> the issuer's tally event shows 18,100
//            signed. The issuer publishes its tally at most once per tally interval (100 ms,
//            actors/unit_actor.hpp), but the one that completes a directive at once, so the
//            second end is when the issuer has counted the last receipt.
//            Also recorded: issue -> ack (the issuer's own work) and fan-out (t0 -> the 18,100th
//            arrival event).
//   split    a second directive, fan-out alone: t0 -> 18,100th arrival (nobody signs); then,
//            after the figure waves have died down, the 18,100 signs submitted at once by the
//            main thread: first submit -> tally complete.
//
// Bare, the same on minimal actors: a fan-out message level by level; a grid it reaches calls the
// client's listener (which, in the round, sends the grid a sign message at once); a signed grid
// sends a receipt straight to the root; the root counts to 18,100 and tells the listener. And the
// brief's baseline, auto receipts: each grid replies to the root as soon as the fan-out reaches
// it, no client step.
//
// Between ours' phases the benchmark pauses (5 flush intervals + 0.5 s, not timed) so the figure
// waves a phase sets off (grid → village → ... → city, one flush interval per level) do not land
// in the next one.

#include "sim/bench/bench_bare.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_wait.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace hub::bench {

using protocol::directive_action;

namespace {

/// What the client sees of one directive, for ours and the bare tree alike. Called from
/// scheduler threads (atomics only, one notify per phase).
class tracker {
public:
  explicit tracker(std::size_t grids)
    : grids_(grids)
    , total_(grids) {}

  /// A new phase, in which `directives` directives reach every grid.
  void start(std::size_t directives = 1) {
    total_ = grids_ * directives;
    arrived_ = 0;
    accepted_ = 0;
    failed_ = 0;
    t_arrived_ = 0;
    t_accepted_ = 0;
    t_tally_ = 0;
  }

  void arrived() {
    if (arrived_.fetch_add(1) + 1 == total_) {
      t_arrived_ = now_ns();
      signal.notify();
    }
  }
  void accepted() {
    if (accepted_.fetch_add(1) + 1 == total_) {
      t_accepted_ = now_ns();
      signal.notify();
    }
  }
  void failed() {
    failed_.fetch_add(1);
    signal.notify();
  }
  void tally() {
    t_tally_ = now_ns();
    signal.notify();
  }

  void wait_arrived() {
    signal.wait([&] { return t_arrived_.load() != 0 || failed_.load() != 0; },
                "the directive to reach every grid");
  }
  void wait_tally() {
    signal.wait([&] { return t_tally_.load() != 0 || failed_.load() != 0; },
                "the tally at the issuer");
  }
  /// The tally, and the ack of the last sign (which may come after the tally).
  void wait_signed() {
    wait_tally();
    signal.wait([&] { return t_accepted_.load() != 0 || failed_.load() != 0; },
                "the last sign's ack");
  }

  std::int64_t t_arrived() const { return t_arrived_.load(); }
  std::int64_t t_accepted() const { return t_accepted_.load(); }
  std::int64_t t_tally() const { return t_tally_.load(); }
  std::uint32_t failures() const { return failed_.load(); }

  waiter signal;

private:
  const std::size_t grids_;
  std::size_t total_; // set by start, before the phase's first event
  std::atomic<std::uint32_t> arrived_{0};
  std::atomic<std::uint32_t> accepted_{0};
  std::atomic<std::uint32_t> failed_{0};
  std::atomic<std::int64_t> t_arrived_{0};
  std::atomic<std::int64_t> t_accepted_{0};
  std::atomic<std::int64_t> t_tally_{0};
};

/// Request ids: phase p uses (p << 32) for the issue and (p << 32) | (grid + 1) for the signs.
constexpr std::uint64_t phase_base(std::uint64_t p) { return p << 32; }

/// The issuing client (the city leader's screen plus, for the round, every grid's app).
class client : public actors::client_sink, public std::enable_shared_from_this<client> {
public:
  /// `grid_pos`: per hierarchy index, the grid's position in `people.grids` (or no_grid).
  client(actors::city& c, const cast& people, tracker& t, std::vector<std::uint32_t> grid_pos)
    : city_(c)
    , people_(people)
    , tracker_(t)
    , grid_pos_(std::move(grid_pos)) {}

  static constexpr std::uint32_t no_grid = UINT32_MAX;

  /// Starts phase `p`; with `sign_on_arrival` every grid signs as soon as the directive arrives.
  /// With `burst`, the phase issues many directives (request ids base + 1, + 2, ...) and
  /// counts every arrival of any of them; nobody signs.
  void start(std::uint64_t p, bool sign_on_arrival, bool burst = false) {
    directive_ = 0;
    t_ack_ = 0;
    sign_on_arrival_ = sign_on_arrival && !burst;
    burst_ = burst;
    base_ = phase_base(p);
  }

  void sign(std::uint32_t g) {
    city_.submit(people_.worker[g],
                 {base_.load(std::memory_order_relaxed) | (g + 1),
                  protocol::directive_act{
                      directive_.load(std::memory_order_relaxed), directive_action::sign, {}}},
                 shared_from_this());
  }

  void send(actors::outbound_ptr out) override {
    const auto& msg = out->message();
    const auto base = base_.load(std::memory_order_relaxed);
    if (burst_.load(std::memory_order_relaxed)) {
      if (auto* d = std::get_if<protocol::directive_event>(&msg)) {
        if (d->recipient != 0 && d->action == directive_action::issue)
          tracker_.arrived();
      } else if (auto* e = std::get_if<protocol::error>(&msg);
                 e && (e->id & ~0xffffffffull) == base) {
        std::lock_guard<std::mutex> guard{mutex_};
        if (first_error_.empty())
          first_error_ = std::string(protocol::to_string(e->code)) + ": " + e->message;
        tracker_.failed();
      }
      return;
    }
    if (auto* d = std::get_if<protocol::directive_event>(&msg)) {
      if (d->id == 0 || d->id != directive_.load(std::memory_order_relaxed))
        return;
      if (d->recipient == 0) { // the issuer's events: its own issue event, then tallies
        if (d->action != directive_action::issue && d->signed_count == d->total)
          tracker_.tally();
      } else if (d->action == directive_action::issue) { // arrival at a grid (its copy)
        tracker_.arrived();
        if (sign_on_arrival_.load(std::memory_order_relaxed)) {
          // By the hierarchy's own index (one probe), as the bare tree's client is handed
          // the grid's position: the client's look-up is not ours to pay for.
          const auto i = city_.context().hierarchy->index_of(d->recipient);
          if (i < grid_pos_.size() && grid_pos_[i] != no_grid)
            sign(grid_pos_[i]); // on the bus's deliverer: submit only enqueues, never publishes
        }
      }
    } else if (auto* a = std::get_if<protocol::ack>(&msg)) {
      if (a->id == base) {
        directive_ = a->directive_ref; // before the fan-out starts: the issuer acks first
        t_ack_ = now_ns();
        tracker_.signal.notify();
      } else if ((a->id & ~0xffffffffull) == base) {
        tracker_.accepted();
      }
    } else if (auto* e = std::get_if<protocol::error>(&msg)) {
      if ((e->id & ~0xffffffffull) == base) {
        {
          std::lock_guard<std::mutex> guard{mutex_};
          if (first_error_.empty())
            first_error_ = std::string(protocol::to_string(e->code)) + ": " + e->message;
        }
        if (e->id == base)
          t_ack_ = -1;
        tracker_.failed();
      }
    }
  }

  std::int64_t t_ack() const { return t_ack_.load(); }
  protocol::directive_id directive() const { return directive_.load(); }
  std::string first_error() {
    std::lock_guard<std::mutex> guard{mutex_};
    return first_error_;
  }

private:
  actors::city& city_;
  const cast& people_;
  tracker& tracker_;
  const std::vector<std::uint32_t> grid_pos_;
  std::atomic<std::uint64_t> base_{0};
  std::atomic<protocol::directive_id> directive_{0};
  std::atomic<bool> sign_on_arrival_{false};
  std::atomic<bool> burst_{false};
  std::atomic<std::int64_t> t_ack_{0};
  std::mutex mutex_;
  std::string first_error_;
};

class bare_client : public bare_listener {
public:
  explicit bare_client(tracker& t)
    : tracker_(t) {}
  void attach(bare_tree* tree) { tree_ = tree; }
  void start(std::uint64_t round, bool sign_on_arrival) {
    round_ = round;
    sign_on_arrival_ = sign_on_arrival;
  }
  void registered(std::uint32_t grid) override {
    tracker_.arrived();
    if (sign_on_arrival_.load(std::memory_order_relaxed))
      tree_->sign(grid, round_.load(std::memory_order_relaxed));
  }
  void sign_accepted(std::uint32_t) override { tracker_.accepted(); }
  void sign_refused(std::uint32_t) override { tracker_.failed(); }
  void tally_done(std::uint64_t) override { tracker_.tally(); }
  void pong(std::uint64_t) override {}

private:
  tracker& tracker_;
  bare_tree* tree_ = nullptr;
  std::atomic<std::uint64_t> round_{0};
  std::atomic<bool> sign_on_arrival_{false};
};

/// One round's figures, ours or the bare tree's (milliseconds).
struct figures {
  double ack_ms = 0, fanout_ms = 0, signed_ms = 0, round_ms = 0; // round
  double split_fanout_ms = 0, split_signs_ms = 0, submit_ms = 0;
  double auto_ms = 0;                                           // bare only
  double round_cpu_ms = 0, fanout_cpu_ms = 0, signs_cpu_ms = 0; // process CPU, all threads
  double burst_ms = 0, burst_cpu_ms = 0; // --burst: first issue -> last arrival, and its CPU
};

/// Every timed round's figures (the warm-up's left out), for the table.
struct samples {
  std::vector<double> ack, fan, signed_, round, s_fan, s_signs, s_submit;
  std::vector<double> b_fan, b_signed, b_round, b_s_fan, b_s_signs, b_auto;
  std::vector<double> cpu_round, cpu_fan, cpu_signs, b_cpu_round, b_cpu_fan, b_cpu_signs;
  std::vector<double> burst, burst_cpu, b_burst, b_burst_cpu;

  void add(const figures& f, const figures& b) {
    burst.push_back(f.burst_ms);
    burst_cpu.push_back(f.burst_cpu_ms);
    b_burst.push_back(b.burst_ms);
    b_burst_cpu.push_back(b.burst_cpu_ms);
    ack.push_back(f.ack_ms);
    fan.push_back(f.fanout_ms);
    signed_.push_back(f.signed_ms);
    round.push_back(f.round_ms);
    s_fan.push_back(f.split_fanout_ms);
    s_signs.push_back(f.split_signs_ms);
    s_submit.push_back(f.submit_ms);
    b_fan.push_back(b.fanout_ms);
    b_signed.push_back(b.signed_ms);
    b_round.push_back(b.round_ms);
    b_s_fan.push_back(b.split_fanout_ms);
    b_s_signs.push_back(b.split_signs_ms);
    b_auto.push_back(b.auto_ms);
    cpu_round.push_back(f.round_cpu_ms);
    cpu_fan.push_back(f.fanout_cpu_ms);
    cpu_signs.push_back(f.signs_cpu_ms);
    b_cpu_round.push_back(b.round_cpu_ms);
    b_cpu_fan.push_back(b.fanout_cpu_ms);
    b_cpu_signs.push_back(b.signs_cpu_ms);
  }
};

/// Per hierarchy index, the grid's position in `people.grids` (or client::no_grid).
std::vector<std::uint32_t> grid_positions(const protocol::hierarchy& h, const cast& people) {
  std::vector<std::uint32_t> pos(h.units.size(), client::no_grid);
  for (std::uint32_t g = 0; g < people.grids.size(); ++g)
    pos[people.grids[g]] = g;
  return pos;
}

/// The city and the bare tree in one actor system, each with its client: set up once, then
/// a round of each at a time.
class directive_bench {
public:
  directive_bench(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                  const cast& people)
    : o_(o)
    , h_(std::move(h))
    , people_(people)
    , grids_(people.grids.size())
    , rt_(o)
    , city_(std::make_unique<actors::city>(*rt_.sys, h_, city_opts(o)))
    , ours_(grids_)
    , sink_(std::make_shared<client>(*city_, people, ours_, grid_positions(*h_, people)))
    , bare_(grids_)
    , bare_listener_(bare_) {
    subscribe();
    tree_ = std::make_unique<bare_tree>(*rt_.sys, *h_, &bare_listener_);
    bare_listener_.attach(tree_.get());
    progress("directive: %zu unit actors, %zu bare actors (%zu grids); %d rounds + 1 warm-up, "
             "%.1f s pauses for the figure waves",
             h_->units.size(), tree_->actors(), tree_->grids(), o.rounds,
             static_cast<double>(settle_time(o).count()) / 1000);
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the spawns initialise
  }

  /// Ours: the round (grids sign on arrival), then the split (fan-out alone, then the signs
  /// at once), with the pauses for the figure waves after each phase.
  figures ours_round() {
    figures f;
    auto c0 = cpu_ns();
    auto t0 = issue(true);
    f.ack_ms = ms_between(t0, sink_->t_ack());
    ours_.wait_signed();
    f.round_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    print_window("ours", t0);
    if (ours_.failures() != 0)
      fail("a sign was refused");
    f.fanout_ms = ms_between(t0, ours_.t_arrived());
    f.signed_ms = ms_between(t0, ours_.t_accepted());
    f.round_ms = ms_between(t0, ours_.t_tally());

    std::this_thread::sleep_for(settle_time(o_));
    // split: fan-out alone, then the signs at once
    c0 = cpu_ns();
    t0 = issue(false);
    ours_.wait_arrived();
    f.fanout_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    f.split_fanout_ms = ms_between(t0, ours_.t_arrived());
    std::this_thread::sleep_for(settle_time(o_));
    ours_.start();
    c0 = cpu_ns();
    const auto t1 = now_ns();
    for (std::uint32_t g = 0; g < grids_; ++g)
      sink_->sign(g);
    f.submit_ms = ms_between(t1, now_ns());
    ours_.wait_signed();
    f.signs_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    if (ours_.failures() != 0)
      fail("a sign was refused");
    f.split_signs_ms = ms_between(t1, ours_.t_tally());
    std::this_thread::sleep_for(settle_time(o_));
    return f;
  }

  /// The bare tree: the round, the split, and the auto receipts (the brief's baseline).
  figures bare_round() {
    figures f;
    auto r = ++bare_round_no_;
    bare_.start();
    bare_listener_.start(r, true);
    auto c0 = cpu_ns();
    auto t0 = now_ns();
    tree_->fanout(r, false);
    bare_.wait_signed();
    f.round_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    print_window("bare", t0);
    f.fanout_ms = ms_between(t0, bare_.t_arrived());
    f.signed_ms = ms_between(t0, bare_.t_accepted());
    f.round_ms = ms_between(t0, bare_.t_tally());
    // split
    r = ++bare_round_no_;
    bare_.start();
    bare_listener_.start(r, false);
    c0 = cpu_ns();
    t0 = now_ns();
    tree_->fanout(r, false);
    bare_.wait_arrived();
    f.fanout_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    f.split_fanout_ms = ms_between(t0, bare_.t_arrived());
    bare_.start();
    c0 = cpu_ns();
    const auto t1 = now_ns();
    for (std::uint32_t g = 0; g < grids_; ++g)
      tree_->sign(g, r);
    f.submit_ms = ms_between(t1, now_ns());
    bare_.wait_signed();
    f.signs_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    f.split_signs_ms = ms_between(t1, bare_.t_tally());

    // auto receipts (the brief's baseline)
    r = ++bare_round_no_;
    bare_.start();
    bare_listener_.start(r, false);
    t0 = now_ns();
    tree_->fanout(r, true);
    bare_.wait_tally();
    f.auto_ms = ms_between(t0, bare_.t_tally());
    if (bare_.failures() != 0) {
      std::fprintf(stderr, "hub-bench: a bare sign was refused\n");
      std::exit(1);
    }
    return f;
  }

  /// Ours, --burst: `n` directives to every grid issued back to back, nobody signing, until
  /// every grid's arrival event of every one of them has reached the client. The directives
  /// stay open (as a burst's do in the hub).
  void ours_burst(int n, figures& f) {
    ours_.start(static_cast<std::size_t>(n));
    sink_->start(++phase_, false, true);
    const auto base = phase_base(phase_);
    // As hub-load's leader does before its burst: each arrival event then has one watcher,
    // its grid's, rather than the grid's and the city's, which the bus would match up.
    city_->submit(people_.city_leader, {base | 0xffffffffull, protocol::unsubscribe{411500}},
                  sink_);
    const auto c0 = cpu_ns();
    const auto t0 = now_ns();
    for (int k = 0; k < n; ++k)
      city_->submit(people_.city_leader, {base + k + 1, to_every_grid()}, sink_);
    ours_.wait_arrived();
    f.burst_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    if (ours_.failures() != 0)
      fail("a directive of the burst was refused");
    f.burst_ms = ms_between(t0, ours_.t_arrived());
    city_->submit(people_.city_leader, {base | 0xfffffffeull, protocol::subscribe{411500}}, sink_);
    sink_->start(++phase_, false); // the burst's figure waves are not counted
    std::this_thread::sleep_for(settle_time(o_));
  }

  /// The bare tree, --burst: `n` fan-outs back to back until every grid has had every one.
  void bare_burst(int n, figures& f) {
    bare_.start(static_cast<std::size_t>(n));
    bare_listener_.start(bare_round_no_ + 1, false);
    const auto c0 = cpu_ns();
    const auto t0 = now_ns();
    for (int k = 0; k < n; ++k)
      tree_->fanout(++bare_round_no_, false);
    bare_.wait_arrived();
    f.burst_cpu_ms = static_cast<double>(cpu_ns() - c0) / 1e6;
    f.burst_ms = ms_between(t0, bare_.t_arrived());
  }

  /// Stops the city's actors (the bare tree and the actor system stay until destruction).
  void stop_city() { city_.reset(); }

private:
  /// The client watches the city (the issuer's tallies) and every grid (arrivals).
  void subscribe() {
    std::uint64_t sub = 1;
    city_->submit(people_.city_leader, {sub++, protocol::subscribe{411500}}, sink_);
    for (auto g : people_.grids)
      city_->submit(people_.city_leader, {sub++, protocol::subscribe{h_->units[g].code}}, sink_);
  }

  /// A directive from the city to every grid.
  protocol::directive_issue to_every_grid() {
    protocol::directive_issue d;
    d.channel = 0;
    d.title = "防汛检查";
    d.body = "排查辖区隐患，签收后反馈";
    d.deadline = now_wall() + 24 * 3600 * 1000;
    d.target.kind = protocol::target_kind::level;
    d.target.level = protocol::unit_kind::grid;
    d.target.units = {411500};
    return d;
  }

  /// Issues a directive to every grid; returns t0.
  std::int64_t issue(bool sign_on_arrival) {
    ours_.start();
    sink_->start(++phase_, sign_on_arrival);
    auto d = to_every_grid();
    const auto t0 = now_ns();
    city_->submit(people_.city_leader, {phase_base(phase_), std::move(d)}, sink_);
    ours_.signal.wait([&] { return sink_->t_ack() != 0; }, "the issue's ack");
    if (sink_->t_ack() < 0)
      fail("the issue was refused");
    return t0;
  }

  protocol::timestamp_ms now_wall() { return city_->context().clock.at(rt_.sys->clock().now()); }

  /// --windows: "window ours 123.456789,123.512345" from t0 to now, for `perf report --time`.
  void print_window(const char* who, std::int64_t t0) const {
    if (o_.windows)
      progress("window %s %.6f,%.6f", who, static_cast<double>(t0) / 1e9,
               static_cast<double>(now_ns()) / 1e9);
  }

  [[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "hub-bench: %s: %s\n", what, sink_->first_error().c_str());
    std::exit(1);
  }

  const options& o_;
  std::shared_ptr<const protocol::hierarchy> h_;
  const cast& people_;
  const std::size_t grids_;
  runtime rt_;
  std::unique_ptr<actors::city> city_;
  tracker ours_;
  std::shared_ptr<client> sink_;
  tracker bare_;
  bare_client bare_listener_;
  std::unique_ptr<bare_tree> tree_;
  std::uint64_t phase_ = 0;
  std::uint64_t bare_round_no_ = 0;
};

/// The result table: ours, the bare tree, the CPU times and the ratios.
std::vector<row> table(const options& o, std::size_t grids, const samples& s) {
  std::vector<row> rows;
  // The section and the unit the rows below go under (the burst's come last).
  std::string sec = "directive to " + std::to_string(grids) + " grids, all sign (" +
                    std::to_string(o.rounds) + " rounds + 1 warm-up)";
  const char* unit = "%.1f ms";
  auto add = [&](std::string what, const std::vector<double>& v, std::string note = {}) {
    auto m = summarise(v);
    rows.push_back({sec, std::move(what), fmt(unit, m.median), fmt(unit, m.min), std::move(note)});
  };
  auto ratio = [&](std::string what, const std::vector<double>& a, const std::vector<double>& b,
                   std::string note = {}) {
    auto sa = summarise(a);
    auto sb = summarise(b);
    rows.push_back({sec, std::move(what), fmt("%.2fx", sa.median / sb.median),
                    fmt("%.2fx", sa.min / sb.min), std::move(note)});
  };
  add("ours  round: issue -> issuer's tally 18,100 signed", s.round,
      "headline; grids sign on arrival");
  add("        issue -> 18,100th sign acked", s.signed_, "every grid signed, receipts sent");
  add("        issue -> ack", s.ack, "the issuer's own work");
  add("        issue -> 18,100th arrival event", s.fan, "with signs already flowing");
  add("ours  split: fan-out alone", s.s_fan, "issue -> 18,100th arrival, no signs");
  add("ours  split: 18,100 signs -> tally", s.s_signs, "submitted at once by the main thread");
  add("        of which submitting", s.s_submit, "the client's own cost, 3rd thread");
  add("bare  round: fan-out -> root counted 18,100", s.b_round, "grids sign on arrival");
  add("        fan-out -> 18,100th sign taken", s.b_signed);
  add("        fan-out -> 18,100th arrival", s.b_fan);
  add("bare  split: fan-out alone", s.b_s_fan);
  add("bare  split: 18,100 signs -> root counted", s.b_s_signs);
  add("bare  auto receipts (the brief's baseline)", s.b_auto,
      "fan-out + receipt to root, no client");
  add("CPU   ours round (all threads)", s.cpu_round, "process CPU time: robust to other load");
  add("CPU   ours split fan-out / signs", s.cpu_fan,
      "signs: " + fmt("%.1f ms", summarise(s.cpu_signs).median));
  add("CPU   bare round (all threads)", s.b_cpu_round);
  add("CPU   bare split fan-out / signs", s.b_cpu_fan,
      "signs: " + fmt("%.1f ms", summarise(s.b_cpu_signs).median));
  ratio("ratio round       ours / bare (tally)", s.round, s.b_round, "target <= 1.5x");
  ratio("ratio round       ours / bare (all signed)", s.signed_, s.b_signed,
        "without the tally interval");
  ratio("ratio fan-out     ours / bare (split)", s.s_fan, s.b_s_fan);
  ratio("ratio signs       ours / bare (split)", s.s_signs, s.b_s_signs);
  ratio("ratio round       ours / bare auto receipts", s.round, s.b_auto,
        "bare does no client step here");
  ratio("ratio CPU round   ours / bare", s.cpu_round, s.b_cpu_round);
  if (o.burst == 0)
    return rows;
  // Per grid arrival: the burst's CPU over its directives x grids arrivals.
  const double arrivals = static_cast<double>(o.burst) * static_cast<double>(grids);
  auto per_arrival = [&](const std::vector<double>& cpu_ms) {
    std::vector<double> us;
    for (double ms : cpu_ms)
      us.push_back(ms * 1000.0 / arrivals);
    return us;
  };
  sec = "burst of " + std::to_string(o.burst) +
        " directives to every grid, back to back, nobody signing (one after each round)";
  add("ours  burst: first issue -> last arrival event", s.burst);
  add("bare  burst: first fan-out -> last arrival", s.b_burst);
  unit = "%.2f us";
  add("CPU   ours per grid arrival", per_arrival(s.burst_cpu),
      "process CPU: unit actors, bus, the client's sink");
  add("CPU   bare per grid arrival", per_arrival(s.b_burst_cpu), "a CAF message per unit");
  ratio("ratio CPU burst   ours / bare", s.burst_cpu, s.b_burst_cpu);
  return rows;
}

} // namespace

std::vector<row> run_directive(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                               const cast& people) {
  progress("directive: spawning the city and the bare tree (%d scheduler threads)", o.threads);
  directive_bench bench(o, std::move(h), people);
  samples s;
  for (int r = 0; r <= o.rounds; ++r) {
    const std::string name = r == 0 ? "warm-up" : "round " + std::to_string(r);
    auto f = bench.ours_round();
    progress("directive %s: ours  ack %.1f ms, fan-out %.1f ms, all signed %.1f ms, tally %.1f ms "
             "(CPU %.1f ms) | split: fan-out %.1f ms, signs %.1f ms (submitting %.1f ms)",
             name.c_str(), f.ack_ms, f.fanout_ms, f.signed_ms, f.round_ms, f.round_cpu_ms,
             f.split_fanout_ms, f.split_signs_ms, f.submit_ms);
    auto b = bench.bare_round();
    if (o.burst != 0) {
      bench.ours_burst(o.burst, f);
      bench.bare_burst(o.burst, b);
      progress("directive %s: burst of %d: ours %.1f ms (CPU %.1f ms), bare %.1f ms (CPU %.1f ms)",
               name.c_str(), o.burst, f.burst_ms, f.burst_cpu_ms, b.burst_ms, b.burst_cpu_ms);
    }
    progress("directive %s: bare  fan-out %.1f ms, all signed %.1f ms, tally %.1f ms (CPU %.1f ms) "
             "| split: fan-out %.1f ms, signs %.1f ms (submitting %.1f ms) | auto receipts %.1f ms",
             name.c_str(), b.fanout_ms, b.signed_ms, b.round_ms, b.round_cpu_ms, b.split_fanout_ms,
             b.split_signs_ms, b.submit_ms, b.auto_ms);
    if (r != 0)
      s.add(f, b);
  }
  bench.stop_city();
  return table(o, people.grids.size(), s);
}

} // namespace hub::bench
