// hub-bench "memory": resident memory of the whole city holding M (1,000,000) open cases.
//
// VmRSS is read before the city is spawned, after it is spawned (empty), and after M reports
// are acked (spread over all grids, short titles) and the figure waves have died down; then
// again after malloc_trim(0), which hands freed heap (mailboxes of the burst) back to the
// system, so the figure is what the city holds. Reports are submitted with at most `window`
// in flight (each ack submits the next), so mailboxes stay small.
// bytes per case = (rss_after - rss_empty) / M; actor overhead per unit = (rss_empty -
// rss_before) / units. Two fixed windows are part of rss_after but do not grow with M: the bus
// keeps the latest 65,536 events (for resume) and the request ledger the latest 131,072 replies
// (for retries). So RSS is also read at M/2: (rss_M - rss_M/2) / (M/2) is the marginal cost of
// one more open case.

#include "actors/case_record.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_reporter.hpp"

#include <atomic>
#include <mutex>
#include <thread>

namespace hub::bench {

namespace {

double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

} // namespace

std::vector<row> run_memory(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                            const cast& people, std::int64_t rss_before_hierarchy) {
  const auto m = o.memory_cases;
  trim_heap();
  const auto rss_hierarchy = rss_bytes();
  runtime rt(o);
  auto& sys = *rt.sys;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  trim_heap();
  const auto rss_before = rss_bytes();
  progress("memory: RSS %.1f MiB before the city; spawning %zu unit actors", mib(rss_before),
           h->units.size());
  auto city = std::make_unique<actors::city>(sys, h, city_opts(o, true));
  std::this_thread::sleep_for(std::chrono::milliseconds(500)); // actors initialise
  const auto rss_empty = rss_bytes();
  progress("memory: RSS %.1f MiB with the empty city; reporting %zu cases (%zu in flight)",
           mib(rss_empty), m, o.window);

  auto rep = std::make_shared<reporter>(*city, people);
  const auto half = m / 2;
  const auto t0 = now_ns();
  auto report_until = [&](std::uint64_t limit) {
    rep->run_until(limit, o.window);
    while (!rep->signal.wait_for([&] { return rep->done() >= limit || rep->errors() != 0; },
                                 std::chrono::seconds(2)))
      progress("memory: %llu / %zu reports acked, RSS %.1f MiB",
               static_cast<unsigned long long>(rep->done()), m, mib(rss_bytes()));
    if (rep->errors() != 0) {
      std::fprintf(stderr, "hub-bench: %llu reports refused: %s\n",
                   static_cast<unsigned long long>(rep->errors()), rep->first_error().c_str());
      std::exit(1);
    }
  };
  // First half, then a pause (the figure waves die down) and a reading, then the rest: the
  // second half's growth is the marginal cost of a case, free of the fixed windows (the bus
  // keeps 65,536 events, the request ledger 131,072 replies), which are full by then.
  report_until(half);
  const double half_secs = static_cast<double>(rep->t_last() - t0) / 1e9;
  std::this_thread::sleep_for(settle_time(o));
  trim_heap();
  const auto rss_half = rss_bytes();
  progress("memory: RSS %.1f MiB with %llu cases (after malloc_trim)", mib(rss_half),
           static_cast<unsigned long long>(half));
  const auto t1 = now_ns();
  report_until(m);
  const double secs = half_secs + static_cast<double>(rep->t_last() - t1) / 1e9;
  progress("memory: %zu reports acked in %.1f s of reporting (%.0f/s); waiting %lld ms for the "
           "figure waves",
           m, secs, m / secs, static_cast<long long>(settle_time(o).count()));
  std::this_thread::sleep_for(settle_time(o));
  const auto rss_full = rss_bytes();
  trim_heap();
  const auto rss_trimmed = rss_bytes();
  const auto hwm = proc_status_bytes("VmHWM");
  progress("memory: RSS %.1f MiB with %zu cases, %.1f MiB after malloc_trim; peak %.1f MiB",
           mib(rss_full), m, mib(rss_trimmed), mib(hwm));
  progress("memory: tearing the city down");
  city.reset();
  sys.await_all_actors_done();

  const double units = static_cast<double>(h->units.size());
  const double per_case = static_cast<double>(rss_trimmed - rss_empty) / static_cast<double>(m);
  const double per_case_untrimmed =
      static_cast<double>(rss_full - rss_empty) / static_cast<double>(m);
  const double per_unit = static_cast<double>(rss_empty - rss_before) / units;
  const double marginal =
      static_cast<double>(rss_trimmed - rss_half) / static_cast<double>(m - half);

  std::vector<row> rows;
  const std::string sec = "memory, " + std::to_string(m) + " open cases over " +
                          std::to_string(people.grids.size()) + " grids";
  auto val = [&](std::string what, std::string v, std::string note = {}) {
    rows.push_back({sec, std::move(what), std::move(v), "", std::move(note)});
  };
  if (rss_before_hierarchy > 0)
    val("RSS: the hierarchy (generated, indexed)",
        fmt("%.1f MiB", mib(rss_hierarchy - rss_before_hierarchy)));
  val("RSS before the city (hierarchy + actor system)", fmt("%.1f MiB", mib(rss_before)));
  val("RSS with the empty city", fmt("%.1f MiB", mib(rss_empty)),
      std::to_string(h->units.size()) + " unit actors");
  val("RSS with the cases", fmt("%.1f MiB", mib(rss_full)),
      fmt("%.1f MiB after malloc_trim", mib(rss_trimmed)));
  val("peak RSS (VmHWM)", fmt("%.1f MiB", mib(hwm)));
  val("bytes per open case", fmt("%.0f B", per_case),
      fmt("%.0f B before malloc_trim; incl. the fixed windows", per_case_untrimmed));
  val("marginal bytes per case (second half)", fmt("%.0f B", marginal),
      "fixed windows (bus events, ledger replies) excluded");
  val("actor overhead per unit", fmt("%.0f B", per_unit), "empty city / units");
  val("sizeof(case_record) / history_entry",
      fmt("%.0f B", static_cast<double>(sizeof(actors::case_record))),
      fmt("%.0f B per history entry", static_cast<double>(sizeof(actors::history_entry))));
  val("reports acked (window of in-flight)", fmt("%.0f /s", m / secs),
      std::to_string(o.window) + " in flight");
  return rows;
}

} // namespace hub::bench
