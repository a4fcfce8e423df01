#pragma once

// The simulator's correctness check: after a run, every case and directive the hub
// acknowledged is asked for through the hub's own read side (`query` `case` and `directive`,
// over WebSocket like any client: a county's cases by its county leaders, each on a
// connection of its own paced under the hub's rate limits, the rest by the city's leaders),
// and compared with what the acknowledgements said: its state, its holder and how many
// steps people took on it (the hub's own reminders and supervision are not counted). Optionally the
// number of cases the hub holds reported since the run's start is compared with the reports
// acknowledged, which finds cases made twice (valid only when this process was the city's only
// client meanwhile).

#include "protocol/hierarchy.hpp"
#include "sim/client/ws_client.hpp"
#include "sim/load/live_workload.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace hub::sim {

struct check_result {
  std::uint64_t cases = 0, directives = 0; // asked for
  std::uint64_t lost = 0;                  // acknowledged, unknown to the hub
  std::uint64_t duplicated = 0;            // made twice (see above)
  std::uint64_t wrong = 0;                 // state, holder or steps other than acknowledged
  std::uint64_t unconfirmed = 0; // with a step whose answer was lost, found within its outcomes
  bool duplicates_checked = false;
  std::uint64_t hub_cases = 0, reports = 0; // the count compared, when checked
  std::vector<std::string> examples;        // the first few findings, one sentence each
  std::string failure;                      // the check could not run: why ("" when it ran)
  bool passed() const { return failure.empty() && lost == 0 && duplicated == 0 && wrong == 0; }
};

struct check_options {
  ws_url url;
  std::string secret;
  wire_format format = wire_format::msgpack;
  /// Compare the hub's count of cases reported at or after `since_ms` with `reports`.
  bool count_cases = false;
  std::int64_t since_ms = 0;
  std::uint64_t reports = 0;
  std::uint64_t reports_unanswered = 0; // reports whose answer was lost: the hub may hold them
  std::uint64_t same_case_twice = 0;    // reports answered with a case already answered
  std::uint64_t first_request = 1;      // message ids from here
};

check_result run_check(const protocol::hierarchy& h,
                       const std::unordered_map<std::uint64_t, expectation>& acknowledged,
                       const check_options& o);

} // namespace hub::sim
