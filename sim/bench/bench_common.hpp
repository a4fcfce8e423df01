#pragma once

// hub-bench: shared pieces of the benchmarks (options, the people who act, clocks, RSS, the
// actor system, the result table). Benchmarks print figures; nothing here asserts on time.

#include "actors/city.hpp"
#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hub::bench {

struct options {
  std::vector<std::string> only;        // empty: every benchmark
  std::size_t cases = 36'200;           // transitions: cases in flight (2 per grid)
  std::size_t memory_cases = 1'000'000; // memory: open cases held
  std::size_t window = 20'000;          // memory: reports in flight at most
  int rounds = 5;                       // repetitions of each timed benchmark
  int threads = 2;                      // scheduler.max-threads
  int burst = 0; // directive: directives a burst issues after each round (0: no burst)
  /// scheduler.policy for ours and the baselines alike: "stealing" (CAF's default, the bare
  /// trees' best) or "sharing" (`hub serve`'s default, gateway/main.cpp).
  std::string scheduler = "stealing";
  long flush_ms = 1000; // city_options::flush_interval (production default)
  /// city_options::remembered_requests for directive and transitions, when larger than the
  /// city's default (memory always keeps the default). 0: the city's default.
  std::size_t remembered = 0;
  /// Extra CAF settings (--caf KEY=VALUE): a number, or an atom such as `sharing` for
  /// scheduler.policy.
  std::vector<std::pair<std::string, std::string>> caf;
  std::uint64_t seed = 0; // 0: hub::sim::default_seed
  /// Print each directive round's window as `perf report --time` takes it (seconds of
  /// CLOCK_MONOTONIC, which steady_clock reads): profile with `perf record -k CLOCK_MONOTONIC`
  /// and look at the rounds alone, not at the pauses and set-up around them.
  bool windows = false;
  /// The city's journal (city_options::make_store): empty for the memory journal; set by
  /// hub-store-bench to write through Redis.
  std::function<std::shared_ptr<actors::journal>(std::shared_ptr<actors::bus>)> make_store;
  /// queries: the cases the city holds (--cases when given, else 1,000,000), and the asks of
  /// each query timed.
  std::size_t query_cases = 1'000'000;
  int query_samples = 1000;
  /// transitions: queries a second asked beside the rounds (0: none), and whether to run the
  /// bare baseline after them; `transitions_out`, when set, gets the medians.
  double beside_queries = 0;
  /// How those queries are sent (query_load): "consoles" (`consoles` simulated consoles, each
  /// asking the whole mix at once every consoles * 10 / beside_queries s and awaiting the
  /// answers), "trickle" (one query at a time, evenly spaced, from a thread that sleeps between
  /// them); readside: "both" (the default) runs the two side by side.
  std::string query_shape = "both";
  int consoles = 64; // 16 could not hold the rate: see sim/bench/README.md
  bool bare_baseline = true;
  /// transitions: whether the city runs its read side (city_options::read_side).
  bool read_side = true;
  /// readside: how many times the three runs (read side off, on, on with queries) repeat,
  /// interleaved, each on a fresh city.
  int repeat = 1;
  struct transitions_figures {
    double rate = 0;         // transitions acked a second, median of the rounds
    double cpu_us = 0;       // CPU per transition, median
    double user_us = 0;      // ... of which user time (getrusage), median
    double sys_us = 0;       // ... and system time, median
    double queries_rate = 0; // queries answered a second beside them
    double queries_late = 0; // consoles: refreshes put off, the last batch not yet answered
    // What the rounds were sensitive to (medians of the rounds): the CPU of the slowest and
    // fastest round, page faults per 1,000 transitions, involuntary context switches a second,
    // the share of the machine's CPU other processes took, and the share stolen by the VM.
    double cpu_min_us = 0, cpu_max_us = 0;
    double faults_per_k = 0, involuntary_per_s = 0, others_share = 0, steal_share = 0;
  };
  transitions_figures* transitions_out = nullptr;
  /// year (bench_year.cpp): simulated days from 2026-01-01, cases reported a day, the counties
  /// whose every grid gets the daily directive (10: the whole city), the retention in days,
  /// the slice of simulated time run between clock moves, and the Redis to use (empty: a
  /// private redis-server). `--full`: 365 days, 20,000 cases a day, the whole city.
  /// `year_baseline_days`: the days of the run without retention (-1: as many as `year_days`;
  /// 0: no baseline), for a full-size year whose baseline would outgrow the machine.
  int year_days = 120;
  int year_baseline_days = -1;
  /// Which runs: both (retention, then the baseline), or one of them alone.
  bool year_retention_run = true, year_baseline_run = true;
  /// No run: the restart alone, `rounds` times, from the store at `year_redis` as a year of
  /// `year_days` left it (with retention), which is not emptied.
  bool year_restart_only = false;
  std::size_t year_cases_per_day = 2000;
  std::size_t year_counties = 1;
  int year_retain_days = 30;
  int year_slice_minutes = 15;
  std::string year_redis;
  bool wants(const std::string& name) const {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
  }
};

// -- time -----------------------------------------------------------------------------------

using steady = std::chrono::steady_clock;

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

/// CPU time of the whole process (every thread: scheduler workers, clock, client), in ns.
inline std::int64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// User and system CPU time of the whole process so far (getrusage), in ns, and what else a
/// round's figures are sensitive to: page faults (minor: a page touched for the first time;
/// major: one read from disk), involuntary context switches (a thread preempted: the cores
/// were wanted by another), and the whole machine's busy and steal time (/proc/stat, all
/// CPUs, in ms: busy minus our CPU is what other processes took; steal is what the
/// hypervisor gave other VMs).
struct cpu_split {
  std::int64_t user_ns = 0, sys_ns = 0;
  std::int64_t minor_faults = 0, major_faults = 0, involuntary = 0;
  std::int64_t machine_busy_ms = 0, steal_ms = 0;
};
cpu_split cpu_split_now();
/// The machine's CPUs (what the busy and steal times above are shared by).
unsigned machine_cpus();

inline double ms_between(std::int64_t from_ns, std::int64_t to_ns) {
  return static_cast<double>(to_ns - from_ns) / 1e6;
}

struct summary {
  double median = 0;
  double min = 0;
  double max = 0;
};

inline summary summarise(std::vector<double> v) {
  summary s;
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  auto n = v.size();
  s.median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

// -- process --------------------------------------------------------------------------------

/// A field of /proc/self/status in bytes (VmRSS, VmHWM), 0 when unreadable.
std::int64_t proc_status_bytes(const char* field);
inline std::int64_t rss_bytes() { return proc_status_bytes("VmRSS"); }

/// "AMD EPYC ..." from /proc/cpuinfo.
std::string cpu_model();

/// Returns freed heap to the system (glibc malloc_trim), so RSS shows what is held.
void trim_heap();

// -- the actor system -----------------------------------------------------------------------

/// One actor system with the real scheduler (options::scheduler); the config outlives the
/// system.
struct runtime {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  explicit runtime(const options& o);
  ~runtime();
};

// -- who acts -------------------------------------------------------------------------------

/// The people the benchmarks act as, looked up once from the hierarchy.
struct cast {
  actors::principal city_leader;
  std::vector<std::uint32_t> grids; // indices into hierarchy::units, in hierarchy order
  // per grid position (same order as `grids`):
  std::vector<actors::principal> worker;            // a 专职网格员 of the grid
  std::vector<actors::principal> head;              // the 网格长
  std::vector<actors::principal> village_secretary; // of the grid's village
  std::vector<actors::principal> township_operator; // of the grid's township
  std::string category;                             // h.categories[0].code
};

/// Builds the cast; throws std::runtime_error when someone is missing.
cast make_cast(const protocol::hierarchy& h);

// -- results --------------------------------------------------------------------------------

struct row {
  std::string section;
  std::string what;
  std::string median; // or the value
  std::string best;   // min time or max rate; may be empty
  std::string note;
};

std::string fmt(const char* format, double value);

/// Progress to stderr, with the time since the start of the run.
void progress(const char* format, ...) __attribute__((format(printf, 1, 2)));

// -- benchmarks (bench_directive.cpp, bench_transitions.cpp, bench_memory.cpp) ---------------

std::vector<row> run_directive(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                               const cast& people);
std::vector<row> run_transitions(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                                 const cast& people);
std::vector<row> run_memory(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                            const cast& people, std::int64_t rss_before_hierarchy);

/// hub-bench "year": a year of the city on a real Redis in accelerated time, with retention
/// and without; a row per simulated month, the restart at the end (bench_year.cpp).
std::vector<row> run_year(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                          const cast& people);

std::vector<row> run_queries(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                             const cast& people);

/// hub-bench "readside": the transitions benchmark with the read side off (the baseline),
/// on, and on with ~1,000 queries a second beside it (query_load), each on a fresh city,
/// `--repeat` times interleaved; throughput and CPU per transition (user, system) of each.
std::vector<row> run_read_cost(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                               const cast& people);

/// Queries asked at a steady rate through city::submit from a thread of its own (the mix of
/// what consoles ask, sim/bench/README.md), as the city leader, until stopped. Shaped as
/// options::query_shape says: "consoles" (`consoles` consoles, each sending the whole mix at
/// once per refresh, putting a refresh off while its last batch is unanswered) or "trickle"
/// (one query at a time, evenly spaced; the answers counted, not waited for).
class query_load {
public:
  query_load(actors::city& c, const protocol::hierarchy& h, const cast& people, double per_second,
             const std::string& shape, int consoles);
  ~query_load();
  query_load(const query_load&) = delete;
  query_load& operator=(const query_load&) = delete;
  /// Stops asking; returns the answers a second over the time it asked.
  double stop();
  /// consoles: the refreshes put off because the console's last batch was not answered yet.
  std::uint64_t late() const;

private:
  struct impl;
  std::shared_ptr<impl> impl_; // the sink of the answers, too: late ones keep it alive
};

/// city_options for the benchmarks; `defaults` keeps the city's own request ledger size.
inline actors::city_options city_opts(const options& o, bool defaults = false) {
  actors::city_options c;
  c.flush_interval = std::chrono::milliseconds(o.flush_ms);
  c.make_store = o.make_store;
  c.read_side = o.read_side;
  if (!defaults)
    c.remembered_requests = std::max(c.remembered_requests, o.remembered);
  return c;
}

/// Time for the figure waves (grid → village → township → county → city, one flush interval
/// per level) to die down after a burst, so that rounds do not overlap with the last one's.
inline std::chrono::milliseconds settle_time(const options& o) {
  return std::chrono::milliseconds(5 * o.flush_ms + 500);
}

} // namespace hub::bench
