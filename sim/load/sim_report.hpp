#pragma once

// The end-of-run report of hub-sim, as JSON and as one self-contained HTML page whose charts
// are inline SVG drawn here (no script, no external file): throughput over time, latency
// percentiles per kind (from the histograms), errors by code, the share of cases closed at
// each level, the check's verdict, and the city's 三率 over the run as the dashboard saw them.
// The fields are specified in sim/README.md, "The report".

#include "sim/load/check.hpp"
#include "sim/load/live_workload.hpp"

#include <optional>
#include <string>

namespace hub::sim {

struct run_report {
  std::string scenario; // the file, or "(built in)"
  double speed = 1;
  bool steady = false;
  std::string grids; // pool, per_grid, per_person
  int shard = 0, shards = 1;
  double wall_seconds = 0;
  std::int64_t sim_start = 0, sim_end = 0; // ms since the first day's midnight
  std::size_t standing_total = 0;
  const live_workload* work = nullptr;
  std::optional<check_result> check;
};

std::string to_json(const run_report& r);
std::string to_html(const run_report& r);

} // namespace hub::sim
