#pragma once

// The case state machine as a pure function: which role, at which unit, may take which action
// in which state, and what the action does. Unit actors call `decide` before they change
// anything, so a refused action changes nothing. Tests drive it without actors.

#include "actors/case_record.hpp"
#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"

#include <optional>
#include <string>
#include <variant>

namespace hub::actors {

/// Why an action was refused, in words for the person who tried it.
struct refusal {
  protocol::errc code = protocol::errc::forbidden;
  std::string reason;
};

/// Which deadline an action starts.
enum class case_clock : std::uint8_t {
  keep,    // the current deadline runs on
  sign,    // the new holder must sign for it (签收)
  handle,  // the holder's level limit (grid, village, township or department)
  whistle, // the departments must finish
  rating,  // the township rates the departments' feedback (评哨)
  stop,    // no deadline (terminal, or waiting for the hotline to close)
};

/// What a permitted action does.
struct case_step {
  protocol::case_state next = protocol::case_state::reported;
  /// The unit that holds the case afterwards (the same holder when it stays).
  protocol::unit_code holder = 0;
  case_clock clock = case_clock::keep;
  /// True when the action summons the proposed departments (approve_whistle).
  bool blow_whistle = false;
};

/// Decides whether `who` may take `act` on `c` (held by `c.holder`). Every action of
/// protocol::case_action but report (`decide_report`) is decided here, a summoned department's
/// report_in and feedback too (with `decide_task` on its whistle entry). Whether the case
/// named by mark_duplicate's `duplicate_of` exists is the city's to check (it is elsewhere).
/// Never changes anything.
std::variant<case_step, refusal> decide(const protocol::hierarchy& h, const case_record& c,
                                        const principal& who, const protocol::case_act& act);

/// Decides whether `who` may report `r` (a new case at r.unit).
std::optional<refusal> decide_report(const protocol::hierarchy& h, const principal& who,
                                     const protocol::case_report& r);

/// Decides a department's own step (report_in or feedback) on its entry `task` of a case's
/// whistle; returns the stage the entry moves to.
std::variant<whistle_task::stage, refusal> decide_task(const protocol::hierarchy& h,
                                                       const whistle_task& task,
                                                       const principal& who,
                                                       const protocol::case_act& act);

/// The level a unit of `kind` stands for (grid, village, township; department otherwise).
case_level level_of(protocol::unit_kind kind);

/// The time limit, in seconds, that `clock` sets for a case of `c`'s category and urgency at a
/// holder of `holder_kind`; 0 for keep and stop.
std::uint32_t limit_seconds(const protocol::hierarchy& h, const case_record& c, case_clock clock,
                            protocol::unit_kind holder_kind);

} // namespace hub::actors
