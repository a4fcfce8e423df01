// hub-bench "year": a year of the city in accelerated time, on a real Redis, with retention and
// without it (the baseline, as many days or `--baseline-days`), one after the other in one
// invocation (sim/bench/README.md, "A year in minutes").
//
// The city runs on the real (work-sharing) scheduler, writing through the Redis journal, with
// a clock that stands still until the benchmark moves it (bench_clock.hpp). Simulated time
// goes forward in slices (15 minutes): the clock is moved to the slice's end, which delivers
// every timer due by then (deadlines, retention, figure ticks); then every action of the
// city's people due by then is submitted, and the slice ends once each was answered. So a
// day's order of work and its aging are the city's, and a day costs only its work.
//
// The people are one in-process driver (year_people.hpp): cases reported at random grids
// through the day, each living one of the hub-sim scenario's lives; the daily directive at
// 09:00, signed and completed at every grid. Every case and directive ends, so retention can
// let each go.
//
// After each calendar month (Asia/Shanghai, from 2026-01-01) a row: cases reported so far, the
// process's resident memory (the city is in process; the driver keeps only what is in flight),
// Redis's used_memory and the archive's part of it, hot and archived cases, archived
// directives. At the end each run's city is stopped and recovered from its Redis, timed: read
// the store (persistence::recover), build the city (every unit adopts its records).

#include "actors/period_book.hpp"
#include "persistence/case_archive_store.hpp"
#include "persistence/recovery.hpp"
#include "persistence/redis_journal.hpp"
#include "sim/bench/bench_clock.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_redis.hpp"
#include "sim/bench/heap_stats.hpp"
#include "sim/bench/year_people.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hub::bench {

namespace {

double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

struct year_figures {
  int month = 0;
  int day = 0; // days simulated
  std::uint64_t reported = 0;
  std::int64_t rss = 0;
  std::int64_t live = -1; // jemalloc's stats.allocated, -1 without jemalloc
  /// Redis's used_memory; the archive's size as its own counter estimates it (as /metrics
  /// has it: sampled, a few percent either way); every other key measured exactly.
  std::int64_t redis_used = 0, archive_bytes = 0, hot_key_bytes = 0;
  std::uint64_t hot = 0, archived = 0, archived_directives = 0;
  double wall_s = 0;
};

struct restart_figures {
  double read_ms = 0, build_ms = 0, construct_ms = 0; // construct_ms: part of build_ms
  std::size_t cases = 0, open_cases = 0, directives = 0, receipts = 0, events = 0, requests = 0,
              tasks = 0;
  std::int64_t rss = 0;
};

/// The actor system of a run: `hub serve`'s scheduler policy, on a manual clock.
struct manual_runtime {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  explicit manual_runtime(const options& o) {
    cfg.set("scheduler.max-threads", o.threads);
    cfg.set("logger.console", caf::atom("none"));
    install_manual_clock(cfg);
    sys.emplace(cfg);
  }
  manual_clock& clock() { return static_cast<manual_clock&>(sys->clock()); }
};

/// Recovers the store into `c` (snapshot, journal, archive when `retain`) as `hub serve` does.
persistence::recovered recover_into(const std::shared_ptr<const protocol::hierarchy>& h,
                                    persistence::store_options store, actors::city_options& c,
                                    bool retain) {
  store.resume_window = c.retention;
  store.request_log = c.remembered_requests;
  auto r = persistence::recover(*h, store);
  if (auto* why = std::get_if<std::string>(&r))
    throw std::runtime_error(*why);
  auto got = std::get<persistence::recovered>(std::move(r));
  auto last = got.snapshot->last_seq;
  auto epoch = got.epoch;
  c.snapshot = got.snapshot;
  c.make_store = [h, store, last, epoch](std::shared_ptr<actors::bus> events) {
    return std::make_shared<persistence::redis_journal>(std::move(events), h, store, last, epoch);
  };
  if (retain)
    c.archive = std::make_shared<persistence::case_archive_store>(store);
  return got;
}

/// The store's counts (the archive's own counter, as /metrics has them).
void count_store(persistence::case_archive_store& counter, year_figures& f) {
  counter.count_now();
  counter.drain();
  const auto g = counter.gauges();
  f.hot = g.hot_cases;
  f.archived = g.archived_cases;
  f.archived_directives = g.archived_directives;
  f.archive_bytes = static_cast<std::int64_t>(g.bytes);
  f.redis_used = static_cast<std::int64_t>(g.redis_used);
}

void print_month(const char* run, const year_figures& f) {
  std::printf("  %-9s %5d %5d %12llu %10.1f %10.1f %10.1f %10.1f %10.1f %11llu %11llu %9llu "
              "%8.1f\n",
              run, f.month, f.day, static_cast<unsigned long long>(f.reported), mib(f.rss),
              f.live < 0 ? NAN : mib(f.live), mib(f.redis_used), mib(f.archive_bytes),
              mib(f.hot_key_bytes), static_cast<unsigned long long>(f.hot),
              static_cast<unsigned long long>(f.archived),
              static_cast<unsigned long long>(f.archived_directives), f.wall_s);
  std::fflush(stdout);
}

void print_header() {
  std::printf("  %-9s %5s %5s %12s %10s %10s %10s %10s %10s %11s %11s %9s %8s\n", "run", "month",
              "day", "cases", "hub MiB", "live MiB", "redis MiB", "archive", "other keys",
              "hot cases", "archived", "arch.dir", "wall s");
}

struct run_result {
  std::vector<year_figures> months;
  restart_figures restart;
  std::uint64_t refused = 0, closed = 0, receipts = 0;
  double wall_s = 0;
};

/// Recovers the city from `store` as `hub serve` does at the simulated time `end`, timed:
/// reading the store, then building the city until it is ready; progress lines say each step.
restart_figures time_restart(const options& o, const std::shared_ptr<const protocol::hierarchy>& h,
                             const persistence::store_options& store, bool retain,
                             protocol::timestamp_ms end, const char* name) {
  restart_figures r;
  release_free_memory();
  manual_runtime rt(o);
  actors::city_options c;
  c.wall_now = end;
  c.retain.cases = c.retain.directives =
      std::chrono::hours(24 * static_cast<std::int64_t>(o.year_retain_days));
  const auto t0 = now_ns();
  auto got = recover_into(h, store, c, retain);
  const auto t1 = now_ns();
  auto city = std::make_unique<actors::city>(*rt.sys, h, c);
  const auto t1b = now_ns();
  while (!city->ready())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t2 = now_ns();
  r.read_ms = ms_between(t0, t1);
  r.build_ms = ms_between(t1, t2);
  r.construct_ms = ms_between(t1, t1b);
  r.cases = got.cases;
  r.open_cases = got.open_cases;
  r.directives = got.directives;
  r.receipts = got.receipts;
  r.events = got.events;
  r.requests = got.requests;
  r.tasks = got.tasks;
  r.rss = rss_bytes();
  progress("year: %s restart: read the store %.0f ms (%zu cases, %zu open, %zu department "
           "tasks, %zu directives with %zu receipts, the event log's last %zu events, the "
           "request log's last %zu requests), build the city %.0f ms (the city constructed "
           "%.0f ms: the logs into the bus and the ledger, the read side started from the "
           "figures and cases, the units spawned; then the units adopting their records "
           "%.0f ms)",
           name, r.read_ms, r.cases, r.open_cases, r.tasks, r.directives, r.receipts, r.events,
           r.requests, r.build_ms, r.construct_ms, r.build_ms - r.construct_ms);
  std::string steps;
  for (const auto& [what, took] : got.steps)
    steps += " " + std::string(what) + " " + std::to_string(took.count());
  progress("year: %s restart: reading, step by step (ms):%s; %zu figure fields (a unit's day or "
           "month)",
           name, steps.c_str(), got.figure_counts);
  city.reset();
  rt.sys->await_all_actors_done();
  return r;
}

run_result run_one(const options& o, const std::shared_ptr<const protocol::hierarchy>& h,
                   const cast& people_, const persistence::store_options& store, bool retain,
                   int days) {
  const char* name = retain ? "retention" : "baseline";
  flushall(store.address);
  release_free_memory();
  run_result result;
  persistence::case_archive_store counter(store); // counts for the rows in both runs
  const auto t_run = now_ns();
  protocol::timestamp_ms end = year_start + static_cast<std::int64_t>(days) * day_ms;
  {
    manual_runtime rt(o);
    actors::city_options c;
    c.wall_now = year_start;
    recover_into(h, store, c, retain);
    c.retain.cases = c.retain.directives =
        std::chrono::hours(24 * static_cast<std::int64_t>(o.year_retain_days));
    auto city = std::make_unique<actors::city>(*rt.sys, h, c);
    while (!city->ready())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto steady0 = rt.clock().now();
    auto who = year_people::make(*city, *h, people_, o, o.seed != 0 ? o.seed : 2026);
    who->watch_city();
    progress("year: %s run: %d days, %zu cases a day, a directive a day to the grids of %zu "
             "counties, retention %s",
             name, days, o.year_cases_per_day, o.year_counties,
             retain ? (std::to_string(o.year_retain_days) + " days").c_str() : "off");
    const std::int64_t slice = static_cast<std::int64_t>(o.year_slice_minutes) * minute_ms;
    int month = 0, month_end_day = month_days[0];
    for (protocol::timestamp_ms t = year_start; t < end;) {
      const auto next = std::min(t + slice, end);
      rt.clock().advance_to(steady0 + std::chrono::milliseconds(next - year_start));
      who->run_slice(t, next);
      t = next;
      const int day = static_cast<int>((t - year_start) / day_ms);
      if ((t - year_start) % day_ms == 0 && (day == month_end_day || t == end)) {
        year_figures f;
        f.month = month + 1;
        f.day = day;
        f.reported = who->reported();
        release_free_memory();
        f.rss = rss_bytes();
        f.live = live_heap_bytes();
        if (const auto file = "year-" + std::string(name) + "-" + std::to_string(f.month) + ".heap";
            dump_heap_profile(file))
          progress("year: heap profile %s", file.c_str());
        count_store(counter, f);
        f.hot_key_bytes = hot_key_bytes(store.address);
        f.wall_s = ms_between(t_run, now_ns()) / 1000;
        print_month(name, f);
        result.months.push_back(f);
        ++month;
        month_end_day += month_days[static_cast<std::size_t>(month % 12)];
      } else if ((t - year_start) % day_ms == 0 && day % 10 == 0) {
        progress("year: %s: day %d, %llu cases reported, %llu closed, %zu on their way, %llu "
                 "receipts, RSS %.0f MiB",
                 name, day, static_cast<unsigned long long>(who->reported()),
                 static_cast<unsigned long long>(who->closed()), who->in_walks(),
                 static_cast<unsigned long long>(who->receipts()), mib(rss_bytes()));
      }
    }
    result.refused = who->refused();
    result.closed = who->closed();
    result.receipts = who->receipts();
    result.wall_s = ms_between(t_run, now_ns()) / 1000;
    progress("year: %s run done in %.1f s; stopping the city (its journal writes what is queued)",
             name, result.wall_s);
    who.reset();
    city.reset();
    rt.sys->await_all_actors_done();
  }
  // The restart: recover the city from this Redis, timed.
  result.restart = time_restart(o, h, store, retain, end, name);
  return result;
}

/// True when every month after `ref` (an index) is within ±10 % of month `ref`'s value;
/// `worst`: the largest difference, `per_month`: the growth a month from `ref` to the last.
bool flat(const std::vector<year_figures>& months, std::int64_t year_figures::*field,
          std::size_t ref, double* worst, double* per_month) {
  *worst = 0;
  *per_month = 0;
  if (months.size() < ref + 2)
    return false;
  const auto at_ref = static_cast<double>(months[ref].*field);
  for (std::size_t i = ref + 1; i < months.size(); ++i)
    *worst = std::max(*worst, std::abs(static_cast<double>(months[i].*field) / at_ref - 1));
  *per_month = (static_cast<double>(months.back().*field) - at_ref) /
               static_cast<double>(months.size() - 1 - ref);
  return *worst <= 0.10;
}

/// The first month (an index) that ends once every window has filled: the retention's
/// (`retain_days`), and the read side's days of figures, which fold their first month (the
/// first) once its next month's first day is `--figure-days` behind the newest day (day 31
/// + 92 = 123 by default: 3 May). Until then the kept days grow; after it they are 92 to 123
/// days at any time (whole months fold), 120-123 at a month's end.
std::size_t first_month_windows_full(const std::vector<year_figures>& months, int retain_days) {
  const int full =
      std::max(retain_days, month_days[0] + actors::period_book::default_keep_days + 1);
  std::size_t i = 0;
  while (i < months.size() && months[i].day < full)
    ++i;
  return i;
}

/// `--restart-only`: the restart alone, `rounds` times, from a year's store (kept).
std::vector<row> restart_only(const options& o, const std::shared_ptr<const protocol::hierarchy>& h,
                              const persistence::store_options& store) {
  const auto end = year_start + static_cast<std::int64_t>(o.year_days) * day_ms;
  std::printf("\nyear: the restart alone, %d rounds, from the store at %s as %d days left it\n",
              o.rounds, store.address.to_string().c_str(), o.year_days);
  std::vector<double> total, read, build;
  for (int k = 0; k < o.rounds; ++k) {
    const auto r = time_restart(o, h, store, true, end, "retention");
    read.push_back(r.read_ms);
    build.push_back(r.build_ms);
    total.push_back(r.read_ms + r.build_ms);
    std::printf("  round %d: %.0f ms (read the store %.0f, build the city %.0f)\n", k + 1,
                total.back(), r.read_ms, r.build_ms);
    std::fflush(stdout);
  }
  auto spread = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return fmt("%.0f ms", v[v.size() / 2]) + fmt(" (%.0f", v.front()) + fmt(" to %.0f)", v.back());
  };
  const std::string sec = "the restart alone";
  return {{sec, "read the store, median (range)", spread(read), "", ""},
          {sec, "build the city, median (range)", spread(build), "", ""},
          {sec, "restart, median (range)", spread(total), "", "target <= 5,000 ms"}};
}

} // namespace

std::vector<row> run_year(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                          const cast& people_) {
  std::optional<private_redis> own;
  persistence::store_options store;
  if (o.year_restart_only && o.year_redis.empty())
    throw std::runtime_error("--restart-only needs --redis HOST:PORT: the store of a year");
  if (o.year_redis.empty()) {
    own.emplace();
    store.address = {"127.0.0.1", own->port()};
  } else if (auto at = persistence::redis_address::parse(o.year_redis)) {
    store.address = *at;
  } else {
    throw std::runtime_error("--redis needs HOST:PORT");
  }
  if (o.year_restart_only)
    return restart_only(o, h, store);
  std::printf("\nyear: a year of the city in accelerated time, Redis at %s (emptied first), "
              "%d days from 2026-01-01, %zu cases a day, a directive a day at 09:00 to every "
              "grid of %zu counties, slices of %d simulated minutes\n",
              store.address.to_string().c_str(), o.year_days, o.year_cases_per_day, o.year_counties,
              o.year_slice_minutes);
  print_header();
  std::fflush(stdout);
  const int baseline_days = o.year_baseline_days < 0 ? o.year_days : o.year_baseline_days;
  std::optional<run_result> with, without;
  if (o.year_retention_run)
    with = run_one(o, h, people_, store, true, o.year_days);
  if (o.year_baseline_run && baseline_days > 0)
    without = run_one(o, h, people_, store, false, baseline_days);

  std::vector<row> rows;
  const std::string sec = "a year in minutes: " + std::to_string(o.year_days) + " days, " +
                          std::to_string(o.year_cases_per_day) +
                          " cases a day, a directive a day to the grids of " +
                          std::to_string(o.year_counties) + " counties";
  std::printf("\n");
  print_header();
  if (with)
    for (const auto& f : with->months)
      print_month("retention", f);
  if (without)
    for (const auto& f : without->months)
      print_month("baseline", f);
  for (auto* r : {with ? &*with : nullptr, without ? &*without : nullptr}) {
    if (r == nullptr)
      continue;
    const std::string name =
        r == &*with ? "retention" : "baseline (" + std::to_string(baseline_days) + " days) ";
    const auto& last = r->months.empty() ? year_figures{} : r->months.back();
    rows.push_back({sec, name + " hub RSS at the end", fmt("%.0f MiB", mib(last.rss)), "",
                    fmt("Redis %.0f MiB", mib(last.redis_used)) +
                        fmt(", of it the archive %.0f MiB", mib(last.archive_bytes))});
    rows.push_back({sec, name + " hot / archived cases at the end",
                    std::to_string(last.hot) + " / " + std::to_string(last.archived), "",
                    std::to_string(r->closed) + " closed, " + std::to_string(r->receipts) +
                        " receipts, " + std::to_string(r->refused) + " refused"});
    rows.push_back({sec, name + " restart: read the store", fmt("%.0f ms", r->restart.read_ms), "",
                    std::to_string(r->restart.cases) + " cases (" +
                        std::to_string(r->restart.open_cases) + " open), " +
                        std::to_string(r->restart.directives) + " directives, " +
                        std::to_string(r->restart.receipts) + " receipts, " +
                        std::to_string(r->restart.events) + " events, " +
                        std::to_string(r->restart.requests) + " requests"});
    rows.push_back(
        {sec, name + " restart: build the city", fmt("%.0f ms", r->restart.build_ms), "", ""});
    rows.push_back({sec, name + " restart: total",
                    fmt("%.0f ms", r->restart.read_ms + r->restart.build_ms), "",
                    "target <= 5,000 ms"});
    rows.push_back({sec, name + " run time", fmt("%.1f s", r->wall_s), "", ""});
  }
  if (!with)
    return rows; // the verdicts are the retention run's
  const double restart_ms = with->restart.read_ms + with->restart.build_ms;
  // Two readings of "flat": from the month after the retention window (the second: the
  // reading before), and from the first month after every window filled (the figures' days
  // too); sim/bench/README.md, "A year in minutes".
  const std::size_t full = first_month_windows_full(with->months, o.year_retain_days);
  struct reading {
    const char* what;
    std::size_t ref;
  };
  const reading readings[] = {{"after the retention window", 1},
                              {"after every window filled", full}};
  for (const auto& [what, ref] : readings) {
    const bool enough = with->months.size() >= ref + 2;
    const auto flat_word = [&](bool ok) {
      return !enough ? "n/a (no month after the reference)" : ok ? "met" : "MISSED";
    };
    std::printf("\nverdict, %s (flat: every month from month %zu within +-10 %% of month %zu)\n",
                what, ref + 2, ref + 1);
    struct measure {
      const char* name;
      const std::vector<year_figures>* months;
      std::int64_t year_figures::*field;
    };
    const measure measures[] = {
        {"hub RSS with retention", &with->months, &year_figures::rss},
        {"jemalloc's live heap with retention", &with->months, &year_figures::live},
        {"Redis's keys but the archive, retention", &with->months, &year_figures::hot_key_bytes}};
    for (const auto& m : measures) {
      double worst = 0, per_month = 0;
      const bool ok = flat(*m.months, m.field, ref, &worst, &per_month);
      std::printf("  %-40s %s (worst %.1f %%; %+.1f MiB a month after month %zu)\n", m.name,
                  flat_word(ok), worst * 100, mib(static_cast<std::int64_t>(per_month)), ref + 1);
      const auto month = std::to_string(ref + 1);
      rows.push_back({sec, "verdict: " + std::string(m.name) + " flat, " + what, flat_word(ok), "",
                      fmt("worst month %.1f %% off month ", worst * 100) + month +
                          fmt(", %+.1f MiB a month", mib(static_cast<std::int64_t>(per_month)))});
    }
  }
  const std::string baseline_restart =
      without ? "baseline after " + std::to_string(baseline_days) + " days " +
                    fmt("%.0f ms", without->restart.read_ms + without->restart.build_ms)
              : std::string("no baseline run");
  std::printf("  restart with retention <= 5 s:           %s (%.0f ms; %s)\n",
              restart_ms <= 5000 ? "met" : "MISSED", restart_ms, baseline_restart.c_str());
  rows.push_back({sec, "verdict: restart <= 5 s (retention)", restart_ms <= 5000 ? "met" : "MISSED",
                  "", fmt("%.0f ms", restart_ms)});
  return rows;
}

} // namespace hub::bench
