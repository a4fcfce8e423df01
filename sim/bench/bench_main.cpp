// hub-bench: benchmarks of the city of actors, each beside a bare-CAF baseline in the same run.
// Prints figures (median and best of several rounds), never asserts on time.
//
//   hub-bench [--only directive|transitions|memory|queries|readside|year (repeatable, or
//             comma-separated; year runs only when named)] [--repeat N (1: readside's interleaved
//             repeats)]
//             [--cases N (36200; queries: the city's cases, 1000000)] [--samples N (1000)]
//             [--query-shape consoles|trickle|both (both)] [--consoles N (64)]
//             [--memory-cases N (1000000)] [--window N (20000)]
//             [--rounds N (5)] [--threads N (2)] [--scheduler stealing|sharing (stealing)]
//             [--burst N (0; directive: after each round, N directives to every grid back to
//             back, ours and bare)]
//             [--flush-ms N (1000)]
//             [--remembered N (0: the city's default)] [--seed N]
//             [--caf KEY=VALUE (repeatable: extra CAF settings)] [--windows]
//             year: [--days N (120)] [--cases-per-day N (2000)] [--directive-counties N (1)]
//             [--retain-days N (30)] [--slice-minutes N (15)] [--redis HOST:PORT] [--full]
//             [--baseline-days N (as --days; 0: no baseline)] [--runs both|retention|baseline]
//             [--restart-only (with --redis: the restart alone, --rounds times)]
//
// Progress goes to stderr; the figures and the final table to stdout. The memory benchmark
// runs first (on a fresh heap), then directive, then transitions; each in its own actor system.

#include "sim/bench/bench_common.hpp"
#include "sim/gen/xinyang.hpp"

#include <caf/config.hpp>

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using namespace hub::bench;

int usage(const std::string& why) {
  std::fprintf(stderr,
               "hub-bench: %s\n"
               "usage: hub-bench [--only directive|transitions|memory|queries|readside|year]\n"
               "                 [--repeat N (1: readside's three runs, interleaved)]\n"
               "                 [--cases N (36200; queries: the cases the city holds,\n"
               "                  1000000, and the transitions beside them)]\n"
               "                 [--samples N (1000: asks of each query)]\n"
               "                 [--query-shape consoles|trickle|both (both: readside's\n"
               "                  queries from consoles asking in batches, and one at a time)]\n"
               "                 [--consoles N (64: the consoles sharing 1,000 queries/s)]\n"
               "                 [--memory-cases N (1000000)] [--window N (20000)]\n"
               "                 [--rounds N (5)] [--threads N (2)]\n"
               "                 [--burst N (0: none; directive: after each round, N\n"
               "                  directives to every grid back to back, ours and bare)]\n"
               "                 [--scheduler stealing|sharing (stealing: CAF's default)]\n"
               "                 [--flush-ms N (1000)]\n"
               "                 [--remembered N (0: the city's default)] [--seed N]\n"
               "                 [--caf KEY=VALUE (repeatable: extra CAF settings)]\n"
               "                 [--windows (print each directive round's time window, for\n"
               "                  perf record -k CLOCK_MONOTONIC; perf report --time)]\n"
               "       year (only when named; on Redis, with retention and without):\n"
               "                 [--days N (120)] [--cases-per-day N (2000)]\n"
               "                 [--directive-counties N (1; 10: every grid of the city)]\n"
               "                 [--retain-days N (30)] [--slice-minutes N (15)]\n"
               "                 [--redis HOST:PORT (a private redis-server; emptied!)]\n"
               "                 [--full (365 days, 20000 cases a day, 10 counties)]\n"
               "                 [--baseline-days N (the run without retention; default as\n"
               "                  --days, 0: none)] [--runs both|retention|baseline (both)]\n"
               "                 [--restart-only (with --redis: time the restart from a\n"
               "                  year's store --rounds times; the store is kept)]\n",
               why.c_str());
  return 2;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

std::string mem_total() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("MemTotal:", 0) == 0) {
      auto kb = std::stoll(line.substr(9));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(kb) / (1024.0 * 1024.0));
      return buf;
    }
  return "?";
}

void print_table(const std::vector<row>& rows) {
  std::string section;
  for (const auto& r : rows) {
    if (r.section != section) {
      section = r.section;
      std::printf("\n%s\n", section.c_str());
      std::printf("  %-52s %14s %14s  %s\n", "", "median", "best", "");
    }
    std::printf("  %-52s %14s %14s  %s\n", r.what.c_str(), r.median.c_str(), r.best.c_str(),
                r.note.c_str());
  }
}

} // namespace

int main(int argc, char** argv) {
  const auto rss_start = rss_bytes();
  const auto t_start = now_ns();
  const auto load_start = loadavg();
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    auto number = [&](auto& into) -> bool {
      const char* v = value();
      if (v == nullptr)
        return false;
      char* end = nullptr;
      auto x = std::strtoll(v, &end, 10);
      if (end == v || *end != '\0' || x < 0)
        return false;
      into = static_cast<std::remove_reference_t<decltype(into)>>(x);
      return true;
    };
    if (arg == "--only") {
      const char* v = value();
      if (v == nullptr)
        return usage("--only needs a name");
      std::stringstream names(v);
      std::string name;
      while (std::getline(names, name, ',')) {
        if (name != "directive" && name != "transitions" && name != "memory" && name != "queries" &&
            name != "readside" && name != "year")
          return usage("unknown benchmark: " + name);
        o.only.push_back(name);
      }
    } else if (arg == "--cases") {
      if (!number(o.cases) || o.cases == 0)
        return usage("--cases needs a positive number");
      o.query_cases = o.cases;
    } else if (arg == "--repeat") {
      if (!number(o.repeat) || o.repeat == 0)
        return usage("--repeat needs a positive number");
    } else if (arg == "--query-shape") {
      const char* v = value();
      if (v == nullptr || (std::strcmp(v, "consoles") != 0 && std::strcmp(v, "trickle") != 0 &&
                           std::strcmp(v, "both") != 0))
        return usage("--query-shape must be consoles, trickle or both");
      o.query_shape = v;
    } else if (arg == "--consoles") {
      if (!number(o.consoles) || o.consoles == 0 || o.consoles > 1000)
        return usage("--consoles needs a number in 1..1000");
    } else if (arg == "--samples") {
      if (!number(o.query_samples) || o.query_samples == 0)
        return usage("--samples needs a positive number");
    } else if (arg == "--memory-cases") {
      if (!number(o.memory_cases) || o.memory_cases == 0)
        return usage("--memory-cases needs a positive number");
    } else if (arg == "--window") {
      if (!number(o.window) || o.window == 0)
        return usage("--window needs a positive number");
    } else if (arg == "--rounds") {
      if (!number(o.rounds) || o.rounds == 0)
        return usage("--rounds needs a positive number");
    } else if (arg == "--burst") {
      if (!number(o.burst) || o.burst > 10'000)
        return usage("--burst needs a number up to 10000");
    } else if (arg == "--threads") {
      if (!number(o.threads) || o.threads == 0)
        return usage("--threads needs a positive number");
    } else if (arg == "--scheduler") {
      const char* v = value();
      if (v == nullptr || (std::strcmp(v, "sharing") != 0 && std::strcmp(v, "stealing") != 0))
        return usage("--scheduler must be stealing or sharing");
      o.scheduler = v;
    } else if (arg == "--flush-ms") {
      if (!number(o.flush_ms) || o.flush_ms == 0)
        return usage("--flush-ms needs a positive number");
    } else if (arg == "--remembered") {
      if (!number(o.remembered))
        return usage("--remembered needs a number");
    } else if (arg == "--caf") {
      const char* v = value();
      const char* eq = v != nullptr ? std::strchr(v, '=') : nullptr;
      if (eq == nullptr || eq == v || eq[1] == '\0')
        return usage("--caf needs KEY=VALUE, e.g. work-stealing.aggressive-poll-attempts=50");
      o.caf.emplace_back(std::string(v, eq), std::string(eq + 1));
    } else if (arg == "--seed") {
      if (!number(o.seed))
        return usage("--seed needs a number");
    } else if (arg == "--days") {
      if (!number(o.year_days) || o.year_days == 0 || o.year_days > 3650)
        return usage("--days needs a number in 1..3650");
    } else if (arg == "--runs") {
      const char* v = value();
      const std::string runs = v != nullptr ? v : "";
      if (runs != "both" && runs != "retention" && runs != "baseline")
        return usage("--runs needs both, retention or baseline");
      o.year_retention_run = runs != "baseline";
      o.year_baseline_run = runs != "retention";
    } else if (arg == "--restart-only") {
      o.year_restart_only = true;
    } else if (arg == "--baseline-days") {
      if (!number(o.year_baseline_days) || o.year_baseline_days > 3650)
        return usage("--baseline-days needs a number in 0..3650");
    } else if (arg == "--cases-per-day") {
      if (!number(o.year_cases_per_day) || o.year_cases_per_day == 0)
        return usage("--cases-per-day needs a positive number");
    } else if (arg == "--directive-counties") {
      if (!number(o.year_counties) || o.year_counties > 10)
        return usage("--directive-counties needs a number in 0..10");
    } else if (arg == "--retain-days") {
      if (!number(o.year_retain_days) || o.year_retain_days == 0)
        return usage("--retain-days needs a positive number");
    } else if (arg == "--slice-minutes") {
      if (!number(o.year_slice_minutes) || o.year_slice_minutes == 0 ||
          1440 % o.year_slice_minutes != 0)
        return usage("--slice-minutes needs a divisor of 1440");
    } else if (arg == "--redis") {
      const char* v = value();
      if (v == nullptr)
        return usage("--redis needs HOST:PORT");
      o.year_redis = v;
    } else if (arg == "--full") {
      o.year_days = 365;
      o.year_cases_per_day = 20'000;
      o.year_counties = 10;
    } else if (arg == "--windows") {
      o.windows = true;
    } else if (arg == "--help" || arg == "-h") {
      usage("benchmarks of the city of actors");
      return 0;
    } else {
      return usage("unknown argument: " + arg);
    }
  }
  if (o.cases >= (1ull << 40) || o.rounds >= (1 << 19))
    return usage("--cases or --rounds too large");

  progress("generating Xinyang (seed %llu)",
           static_cast<unsigned long long>(o.seed != 0 ? o.seed : hub::sim::default_seed));
  auto h = std::make_shared<const hub::protocol::hierarchy>(
      hub::sim::generate_xinyang(o.seed != 0 ? o.seed : hub::sim::default_seed));
  using hub::protocol::unit_kind;
  progress("hierarchy: %zu counties, %zu townships, %zu villages, %zu grids, %zu departments, "
           "%zu units, %zu people",
           h->count(unit_kind::county), h->count(unit_kind::township), h->count(unit_kind::village),
           h->count(unit_kind::grid), h->count(unit_kind::department), h->units.size(),
           h->people.size());
  cast people;
  try {
    people = make_cast(*h);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub-bench: %s\n", e.what());
    return 1;
  }

  std::vector<row> rows;
  auto append = [&](std::vector<row> r) {
    print_table(r);
    std::fflush(stdout);
    rows.insert(rows.end(), r.begin(), r.end());
  };
  if (o.wants("memory"))
    append(run_memory(o, h, people, rss_start));
  trim_heap();
  if (o.wants("directive"))
    append(run_directive(o, h, people));
  if (o.wants("transitions"))
    append(run_transitions(o, h, people));
  if (o.wants("queries"))
    append(run_queries(o, h, people));
  else if (o.wants("readside"))
    append(run_read_cost(o, h, people));
  if (std::find(o.only.begin(), o.only.end(), "year") != o.only.end()) {
    try {
      append(run_year(o, h, people));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hub-bench: year: %s\n", e.what());
      return 1;
    }
  }
  const double run_s = ms_between(t_start, now_ns()) / 1000;

  // -- the table --
  utsname un{};
  uname(&un);
  std::string cmd = "./build-bench/sim/bench/hub-bench";
  for (int i = 1; i < argc; ++i)
    cmd += std::string(" ") + argv[i];
  std::printf("\n================================ hub-bench ================================\n");
  std::printf("machine   nproc %ld, %s, %s RAM, %s %s\n", sysconf(_SC_NPROCESSORS_ONLN),
              cpu_model().c_str(), mem_total().c_str(), un.sysname, un.release);
  std::string extra;
  for (const auto& [key, value] : o.caf)
    extra += ", " + key + "=" + value;
  std::printf("software  CAF %d.%d.%d, scheduler.max-threads %d, scheduler.policy %s%s, g++ %s, "
              "%s\n",
              CAF_MAJOR_VERSION, CAF_MINOR_VERSION, CAF_PATCH_VERSION, o.threads,
              o.scheduler.c_str(), extra.c_str(), __VERSION__,
#ifdef NDEBUG
              "NDEBUG (Release)"
#else
              "assertions on (not Release!)"
#endif
  );
  std::printf("load      load average (1, 5 min) %s at the start, %s at the end (other work on "
              "the machine skews the figures)\n",
              load_start.c_str(), loadavg().c_str());
  std::printf("city      %zu units (%zu grids), flush interval %ld ms, request ledger %zu "
              "(directive, transitions; memory: the default %zu); best = min time or max rate\n",
              h->units.size(), people.grids.size(), o.flush_ms, city_opts(o).remembered_requests,
              city_opts(o, true).remembered_requests);
  print_table(rows);
  std::printf("\nrun time  %.1f s\n", run_s);
  std::printf("reproduce cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release && "
              "ninja -C build-bench hub-bench && %s\n",
              cmd.c_str());
  return 0;
}
