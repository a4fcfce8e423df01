#pragma once

// A scenario: what the simulated city does, read from a hand-edited text file (the format is
// specified in sim/README.md, "Scenario files"). Times and delays are simulated time in
// milliseconds; a scenario without a file is `scenario{}`, the defaults below. A bad file is
// refused with `file:line: reason` (scenario_error), and a scenario that names units or
// categories the hierarchy lacks is refused by `check` the same way.

#include "protocol/hierarchy.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hub::sim {

/// A delay drawn uniformly from [min, max] (simulated milliseconds).
struct delay_range {
  std::int64_t min = 0, max = 0;
  friend bool operator==(const delay_range&, const delay_range&) = default;
};

/// How one level handles the cases that close there (grid, village, township).
struct level_script {
  double share = 0;                         // of the cases reported at grids, those closed here
  delay_range sign{60'000, 600'000};        // reported or escalated -> signed
  delay_range handle{600'000, 7'200'000};   // signed -> resolved (反馈)
  delay_range close{60'000, 1'800'000};     // resolved -> closed (办结)
  delay_range escalate{300'000, 3'600'000}; // signed -> escalated, when it goes further up
};

/// Cases the township whistles to county departments (吹哨报到).
struct whistle_script {
  double share = 0.04;
  double decline = 0.05; // proposals the township head declines (then the township handles it)
  int departments_min = 1, departments_max = 2;
  delay_range propose{600'000, 3'600'000};     // the township signed -> a module head proposes
  delay_range approve{300'000, 1'800'000};     // proposed -> the head blows (or declines)
  delay_range report_in{600'000, 7'200'000};   // the summons seen -> the department reports in
  delay_range feedback{3'600'000, 86'400'000}; // reported in -> fed back
  delay_range resolve{600'000, 3'600'000};     // the last feedback -> the township resolves
  delay_range rate{600'000, 7'200'000};        // resolved -> each rating, then the close
};

/// The 12345 feed: cases posted over Open311, triaged and dispatched by the city centre,
/// handled by the township, closed by the hotline.
struct hotline_script {
  double share = 0.05; // of all reports, those that come in over Open311
  delay_range triage{60'000, 600'000};
  delay_range dispatch{60'000, 600'000};
  delay_range sign{300'000, 1'800'000};
  delay_range handle{1'800'000, 14'400'000};
  delay_range close{600'000, 3'600'000};
};

/// A directive campaign: issued at `at` (time of day), again every `every` when not 0.
struct campaign {
  std::string name;
  int line = 0;
  std::int64_t at = 9 * 3'600'000LL;
  std::int64_t every = 0;
  std::uint8_t channel = 0;
  protocol::unit_kind level = protocol::unit_kind::village; // the recipients: every unit of
  protocol::unit_code under = 0;            // this kind under this unit (0: the whole city)
  std::int64_t deadline = 7'200'000;        // after the issue
  delay_range sign{60'000, 1'200'000};      // the arrival seen -> signed
  delay_range complete{600'000, 3'600'000}; // signed -> completed
  double lagging = 0.1;                     // recipients that sign but never complete
  double silent = 0.0;                      // recipients that do not even sign
};

/// Reports multiplied by `factor` in one county (0: the whole city) for `duration` from `at`.
struct burst {
  std::string name;
  int line = 0;
  std::int64_t at = 0, duration = 600'000;
  protocol::unit_code county = 0;
  double factor = 10;
};

struct scenario {
  std::string file = "(built in)";
  // [run]
  double speed = 1;                     // simulated seconds per wall second
  std::int64_t start = 8 * 3'600'000LL; // the simulated time of day at the start
  std::int64_t duration = 0;            // simulated; 0: until stopped
  bool steady = false;                  // constant rate in wall time, no hours
  std::vector<std::int64_t> restarts;   // times of day: the restart command runs
  std::vector<int> restart_lines;
  // [reports]
  double rate = 20; // reports a simulated second at an hour factor of 1 (steady: a wall second)
  std::array<double, 24> hours{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                               1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  double urgent = 0.1;
  std::vector<std::pair<std::string, double>> categories; // weights; empty: all alike
  std::vector<int> category_lines;
  // [grid] [village] [township] [whistle] [ratings] [hotline]
  level_script grid{0.60}, village{0.28}, township{0.08};
  whistle_script whistle;
  std::array<double, 5> ratings{0.02, 0.03, 0.10, 0.25, 0.60}; // scores 1..5
  hotline_script hotline;
  std::vector<campaign> campaigns;
  std::vector<burst> bursts;
};

struct scenario_error {
  std::string file;
  int line = 0; // 0: the file as a whole (it cannot be read)
  std::string reason;
  std::string to_string() const;
};

/// Parses a scenario's text; `file` names it in errors.
std::variant<scenario, scenario_error> parse_scenario(std::string_view text, std::string file);
/// Reads and parses the file at `path`.
std::variant<scenario, scenario_error> load_scenario(const std::string& path);
/// Refuses a scenario naming a category, county or unit `h` does not have, or a campaign
/// that reaches nobody; nullopt when it fits.
std::optional<scenario_error> check(const scenario& s, const protocol::hierarchy& h);

/// "1h30m", "10s", "2d", "90" (seconds) -> milliseconds; nullopt when not one.
std::optional<std::int64_t> parse_duration(std::string_view text);

} // namespace hub::sim
