// hub-bench "transitions": case transitions per second with many cases in flight.
//
// Each round reports N cases spread over every grid (case n at grid n mod 18,100), then drives
// every case through sign → escalate → (village) sign → escalate → (township) sign → resolve →
// close: 7 transitions per case. Pipelined: the client submits step 1 of every case at once;
// each further step is submitted by the client's sink the moment the previous step's ack
// arrives (on a scheduler thread: one decode and one city::submit), so order per case holds
// and N cases are in flight. Rate = acked transitions / wall time from the first submit to the
// last ack. Reports are timed the same way (all N submitted at once). Beside the wall-clock
// rates, the process CPU time per operation (all threads), which other load on the machine
// disturbs much less.
//
// Runs with the city's request ledger (131,072 answered requests remembered) unless
// --remembered asks for more: requests in flight are never evicted, so the default suffices.
//
// Baseline: bare CAF ping, one minimal actor per grid; the same N chains of 7 request → reply
// round trips (one hop each), the next request sent from the reply callback.

#include "sim/bench/bench_bare.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_wait.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace hub::bench {

using protocol::case_action;

namespace {

constexpr int steps = 7; // transitions per case after the report

constexpr case_action action_of(int step) {
  constexpr case_action a[] = {case_action::report,  case_action::sign,     case_action::escalate,
                               case_action::sign,    case_action::escalate, case_action::sign,
                               case_action::resolve, case_action::close};
  return a[step];
}

/// Request ids: generation (round) in the top 20 bits, then the step (4 bits), the case number
/// in the low 40 bits: unique per (round, step, case), so the request ledger never answers
/// one as a retry of another.
constexpr std::uint64_t request_id(std::uint64_t gen, std::uint64_t n, int step) {
  return (gen << 44) | (static_cast<std::uint64_t>(step) << 40) | n;
}
constexpr std::uint64_t case_of(std::uint64_t id) { return id & ((1ull << 40) - 1); }
constexpr int step_of(std::uint64_t id) { return static_cast<int>((id >> 40) & 15); }

class driver : public actors::client_sink, public std::enable_shared_from_this<driver> {
public:
  driver(actors::city& c, const cast& people, std::size_t n)
    : city_(c)
    , people_(people)
    , ids_(n)
    , acked_step_(n) {}

  /// Starts a phase of round `gen`: reports (drive = false) or the 7 steps (drive = true).
  void start(std::uint64_t gen, bool drive, std::uint64_t target) {
    target_ = target;
    gen_ = gen;
    drive_ = drive;
    finished_ = 0;
    acks_ = 0;
    t_last_ = 0;
    if (!drive)
      for (auto& s : acked_step_)
        s.store(0);
  }

  void submit(std::uint64_t n, int step) {
    const auto g = static_cast<std::uint32_t>(n % people_.grids.size());
    const auto gen = gen_.load(std::memory_order_relaxed);
    if (step == 0) {
      protocol::case_report r;
      r.unit = people_.worker[g].unit;
      r.category = people_.category;
      r.title = "路灯不亮";
      city_.submit(people_.worker[g], {request_id(gen, n, 0), std::move(r)}, shared_from_this());
      return;
    }
    const auto& who = step == 1   ? people_.worker[g]
                      : step == 2 ? people_.head[g]
                      : step <= 4 ? people_.village_secretary[g]
                                  : people_.township_operator[g];
    protocol::case_act act;
    act.id = ids_[n];
    act.action = action_of(step);
    city_.submit(who, {request_id(gen, n, step), std::move(act)}, shared_from_this());
  }

  void send(actors::outbound_ptr out) override {
    const auto& msg = out->message();
    std::uint64_t id = 0;
    if (auto* a = std::get_if<protocol::ack>(&msg)) {
      id = a->id;
      if ((id >> 44) != gen_.load(std::memory_order_relaxed))
        return;
      const auto n = case_of(id);
      const int step = step_of(id);
      acks_.fetch_add(1, std::memory_order_relaxed);
      acked_step_[n].store(static_cast<std::uint8_t>(step + 1), std::memory_order_relaxed);
      if (step == 0) {
        ids_[n] = a->case_ref;
        return finish();
      }
      if (step < steps && drive_.load(std::memory_order_relaxed))
        return submit(n, step + 1);
      return finish();
    }
    if (auto* e = std::get_if<protocol::error>(&msg)) {
      if ((e->id >> 44) != gen_.load(std::memory_order_relaxed))
        return;
      errors_.fetch_add(1);
      {
        std::lock_guard<std::mutex> guard{mutex_};
        if (first_error_.empty())
          first_error_ = "step " + std::to_string(step_of(e->id)) + ": " +
                         std::string(protocol::to_string(e->code)) + ": " + e->message;
      }
      finish();
    }
  }

  /// Waits for the phase to finish; on a stall (no progress for 30 s) prints where the
  /// unfinished cases stand and exits.
  void wait(const char* what, int first_step) {
    std::uint64_t last = 0;
    while (
        !signal.wait_for([&] { return finished_.load() >= target_; }, std::chrono::seconds(30))) {
      auto now = acks_.load();
      if (now != last) {
        last = now;
        continue;
      }
      std::fprintf(stderr, "hub-bench: stalled waiting for %s: %llu of %llu finished, %llu acks\n",
                   what, static_cast<unsigned long long>(finished_.load()),
                   static_cast<unsigned long long>(target_.load()),
                   static_cast<unsigned long long>(now));
      std::uint64_t at[steps + 2] = {};
      for (auto& s : acked_step_)
        at[std::min<int>(s.load(), steps + 1)] += 1;
      for (int k = 0; k <= steps + 1; ++k)
        if (at[k] != 0)
          std::fprintf(
              stderr, "  %llu cases: last ack %s (waiting for step %d: %s)\n",
              static_cast<unsigned long long>(at[k]),
              k == 0 ? "none" : std::string(protocol::to_string(action_of(k - 1))).c_str(),
              std::max(k, first_step),
              k <= steps
                  ? std::string(protocol::to_string(action_of(std::max(k, first_step)))).c_str()
                  : "-");
      std::exit(3);
    }
  }

  std::int64_t t_last() const { return t_last_.load(); }
  std::uint64_t acks() const { return acks_.load(); }
  std::uint64_t errors() const { return errors_.load(); }
  std::string first_error() {
    std::lock_guard<std::mutex> guard{mutex_};
    return first_error_;
  }

private:
  void finish() {
    if (finished_.fetch_add(1) + 1 == target_.load()) {
      t_last_ = now_ns();
      signal.notify();
    }
  }

  actors::city& city_;
  const cast& people_;
  std::vector<protocol::case_id> ids_; // per case number; written by one ack, read after it
  std::vector<std::atomic<std::uint8_t>> acked_step_; // per case: last acked step + 1
  std::atomic<std::uint64_t> gen_{0};
  std::atomic<bool> drive_{false};
  std::atomic<std::uint64_t> finished_{0};
  std::atomic<std::uint64_t> target_{UINT64_MAX};
  std::atomic<std::uint64_t> acks_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::int64_t> t_last_{0};
  std::mutex mutex_;
  std::string first_error_;
  waiter signal;
};

class ping_client : public bare_listener {
public:
  ping_client(std::size_t n)
    : n_(n) {}
  void attach(bare_pingers* p) { pingers_ = p; }
  void start() {
    finished_ = 0;
    t_last_ = 0;
  }
  void ping(std::uint64_t n, int step) {
    pingers_->ping(n % pingers_->size(), (n << 4) | static_cast<std::uint64_t>(step));
  }
  void pong(std::uint64_t request) override {
    const auto n = request >> 4;
    const int step = static_cast<int>(request & 15);
    if (step < steps)
      return ping(n, step + 1);
    if (finished_.fetch_add(1) + 1 == n_) {
      t_last_ = now_ns();
      signal.notify();
    }
  }
  void registered(std::uint32_t) override {}
  void sign_accepted(std::uint32_t) override {}
  void sign_refused(std::uint32_t) override {}
  void tally_done(std::uint64_t) override {}
  void wait() {
    signal.wait([&] { return finished_.load() >= n_; }, "the bare pings");
  }
  std::int64_t t_last() const { return t_last_.load(); }

private:
  const std::size_t n_;
  bare_pingers* pingers_ = nullptr;
  std::atomic<std::uint64_t> finished_{0};
  std::atomic<std::int64_t> t_last_{0};
  waiter signal;
};

} // namespace

std::vector<row> run_transitions(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                                 const cast& people) {
  const auto n = o.cases;
  progress("transitions: spawning the city (%d scheduler threads, read side %s), %zu cases per "
           "round",
           o.threads, o.read_side ? "on" : "off", n);
  runtime rt(o);
  auto& sys = *rt.sys;
  auto city = std::make_unique<actors::city>(sys, h, city_opts(o));
  auto d = std::make_shared<driver>(*city, people, n);
  std::this_thread::sleep_for(std::chrono::milliseconds(300)); // let the spawns initialise
  std::unique_ptr<query_load> beside;
  if (o.beside_queries > 0) {
    progress("transitions: %.0f queries a second beside, shaped as %s", o.beside_queries,
             o.query_shape.c_str());
    beside = std::make_unique<query_load>(*city, *h, people, o.beside_queries, o.query_shape,
                                          o.consoles);
  }

  std::vector<double> report_rate, rate, report_ms, drive_ms, report_cpu, drive_cpu, drive_user,
      drive_sys, faults_per_k, involuntary_per_s, others_share, steal_share;
  for (int r = 0; r <= o.rounds; ++r) {
    const auto gen = static_cast<std::uint64_t>(r + 1);
    // reports
    d->start(gen, false, n);
    auto c0 = cpu_ns();
    auto t0 = now_ns();
    for (std::uint64_t i = 0; i < n; ++i)
      d->submit(i, 0);
    d->wait("the report acks", 0);
    auto t1 = d->t_last();
    auto c1 = cpu_ns();
    if (d->errors() != 0) {
      std::fprintf(stderr, "hub-bench: %llu reports refused: %s\n",
                   static_cast<unsigned long long>(d->errors()), d->first_error().c_str());
      std::exit(1);
    }
    // the seven steps, pipelined per case
    d->start(gen, true, n);
    const auto split2 = cpu_split_now();
    auto c2 = cpu_ns();
    auto t2 = now_ns();
    for (std::uint64_t i = 0; i < n; ++i)
      d->submit(i, 1);
    d->wait("the last steps' acks", 1);
    auto t3 = d->t_last();
    auto c3 = cpu_ns();
    const auto split3 = cpu_split_now();
    if (d->errors() != 0) {
      std::fprintf(stderr, "hub-bench: %llu steps refused: %s\n",
                   static_cast<unsigned long long>(d->errors()), d->first_error().c_str());
      std::exit(1);
    }
    const double rep_s = static_cast<double>(t1 - t0) / 1e9;
    const double drv_s = static_cast<double>(t3 - t2) / 1e9;
    const auto acked = d->acks();
    const double rep_cpu_us = static_cast<double>(c1 - c0) / 1e3 / static_cast<double>(n);
    const double drv_cpu_us = static_cast<double>(c3 - c2) / 1e3 / static_cast<double>(acked);
    const double drv_user_us =
        static_cast<double>(split3.user_ns - split2.user_ns) / 1e3 / static_cast<double>(acked);
    const double drv_sys_us =
        static_cast<double>(split3.sys_ns - split2.sys_ns) / 1e3 / static_cast<double>(acked);
    // What the round was sensitive to (cpu_split).
    const double faults_k = static_cast<double>(split3.minor_faults - split2.minor_faults +
                                                split3.major_faults - split2.major_faults) *
                            1000 / static_cast<double>(acked);
    const double invol_s = static_cast<double>(split3.involuntary - split2.involuntary) / drv_s;
    const double machine_ms = drv_s * 1e3 * machine_cpus();
    const double others =
        std::max(0.0, static_cast<double>(split3.machine_busy_ms - split2.machine_busy_ms) -
                          static_cast<double>(c3 - c2) / 1e6) /
        machine_ms;
    const double steal = static_cast<double>(split3.steal_ms - split2.steal_ms) / machine_ms;
    progress("transitions %s: %zu reports in %.0f ms (%.0f/s, %.2f us CPU each); %llu "
             "transitions in %.0f ms (%.0f/s, %.2f us CPU each: %.2f user, %.2f system); "
             "%.1f page faults per 1,000, %.0f involuntary switches/s, others %.0f %% of the "
             "machine, steal %.0f %%",
             r == 0 ? "warm-up" : ("round " + std::to_string(r)).c_str(), n, rep_s * 1e3, n / rep_s,
             rep_cpu_us, static_cast<unsigned long long>(acked), drv_s * 1e3, acked / drv_s,
             drv_cpu_us, drv_user_us, drv_sys_us, faults_k, invol_s, others * 100, steal * 100);
    if (r > 0) {
      report_rate.push_back(n / rep_s);
      rate.push_back(acked / drv_s);
      report_ms.push_back(rep_s * 1e3);
      drive_ms.push_back(drv_s * 1e3);
      report_cpu.push_back(rep_cpu_us);
      drive_cpu.push_back(drv_cpu_us);
      drive_user.push_back(drv_user_us);
      drive_sys.push_back(drv_sys_us);
      faults_per_k.push_back(faults_k);
      involuntary_per_s.push_back(invol_s);
      others_share.push_back(others);
      steal_share.push_back(steal);
    }
    std::this_thread::sleep_for(settle_time(o)); // figure waves die down (not timed)
  }
  const double queries_rate = beside ? beside->stop() : 0;
  const double queries_late = beside ? static_cast<double>(beside->late()) : 0;
  beside.reset();
  city.reset();
  sys.await_all_actors_done(); // the unit actors are gone before the baseline runs
  if (o.transitions_out != nullptr)
    *o.transitions_out = {summarise(rate).median,
                          summarise(drive_cpu).median,
                          summarise(drive_user).median,
                          summarise(drive_sys).median,
                          queries_rate,
                          queries_late,
                          summarise(drive_cpu).min,
                          summarise(drive_cpu).max,
                          summarise(faults_per_k).median,
                          summarise(involuntary_per_s).median,
                          summarise(others_share).median,
                          summarise(steal_share).median};
  if (!o.bare_baseline)
    return {};

  // baseline: bare ping, same chains
  progress("transitions: bare ping baseline, %zu actors", people.grids.size());
  ping_client pc(n);
  bare_pingers pingers(sys, people.grids.size(), &pc);
  pc.attach(&pingers);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<double> bare_rate, bare_cpu;
  for (int r = 0; r <= o.rounds; ++r) {
    pc.start();
    auto c0 = cpu_ns();
    auto t0 = now_ns();
    for (std::uint64_t i = 0; i < n; ++i)
      pc.ping(i, 1);
    pc.wait();
    const double s = static_cast<double>(pc.t_last() - t0) / 1e9;
    const double cpu_us = static_cast<double>(cpu_ns() - c0) / 1e3 / static_cast<double>(n * steps);
    progress("transitions %s: bare ping %zu round trips in %.0f ms (%.0f/s, %.2f us CPU each)",
             r == 0 ? "warm-up" : ("round " + std::to_string(r)).c_str(), n * steps, s * 1e3,
             n * steps / s, cpu_us);
    if (r > 0) {
      bare_rate.push_back(n * steps / s);
      bare_cpu.push_back(cpu_us);
    }
  }

  std::vector<row> rows;
  const std::string sec = "case transitions, " + std::to_string(n) + " cases in flight (" +
                          std::to_string(o.rounds) + " rounds + 1 warm-up)";
  auto rate_row = [&](std::string what, const std::vector<double>& v, std::string note = {}) {
    auto s = summarise(v);
    rows.push_back(
        {sec, std::move(what), fmt("%.0f /s", s.median), fmt("%.0f /s", s.max), std::move(note)});
  };
  rate_row("ours   reports acked", report_rate);
  rate_row("ours   transitions acked", rate, "7 per case; target >= 200,000/s");
  rate_row("bare   ping round trips (1 hop)", bare_rate, "same count, same pipelining");
  auto cpu_row = [&](std::string what, const std::vector<double>& v, std::string note = {}) {
    auto s = summarise(v);
    rows.push_back(
        {sec, std::move(what), fmt("%.2f us", s.median), fmt("%.2f us", s.min), std::move(note)});
  };
  cpu_row("ours   CPU per report (all threads)", report_cpu);
  cpu_row("ours   CPU per transition (all threads)", drive_cpu, "robust to other load");
  cpu_row("bare   CPU per round trip", bare_cpu);
  {
    auto so = summarise(rate);
    auto sb = summarise(bare_rate);
    rows.push_back({sec, "ratio bare / ours (cost of the domain logic)",
                    fmt("%.2fx", sb.median / so.median), fmt("%.2fx", sb.max / so.max), ""});
    auto co = summarise(drive_cpu);
    auto cb = summarise(bare_cpu);
    rows.push_back({sec, "ratio CPU ours / bare", fmt("%.2fx", co.median / cb.median),
                    fmt("%.2fx", co.min / cb.min),
                    "village steps take 2 actor hops, township steps 3"});
  }
  return rows;
}

} // namespace hub::bench
