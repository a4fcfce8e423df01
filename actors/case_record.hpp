#pragma once

// A case as its holding unit actor keeps it: the current state, the deadline it is measured
// against, the whistle tasks of its departments, and its full history.

#include "protocol/messages.hpp"

#include <memory>
#include <string>
#include <vector>

namespace hub::actors {

/// The level a case reached, for "微事不出格、小事不出村、大事不出乡" statistics (on the wire in
/// query results, hence protocol's).
using protocol::case_level;

/// One department summoned by a whistle (吹哨) and how far it got.
struct whistle_task {
  enum class stage : std::uint8_t { summoned, reported_in, fed_back };
  protocol::unit_code department = 0;
  stage at = stage::summoned;
  std::uint8_t score = 0; // 评哨: 1..5 once rated, 0 before
  friend bool operator==(const whistle_task&, const whistle_task&) = default;
};

/// One step in a case's life: who did what, when, at which unit.
struct history_entry {
  protocol::timestamp_ms at = 0;
  protocol::case_action action = protocol::case_action::report;
  protocol::case_state state = protocol::case_state::reported; // after the step
  protocol::unit_code unit = 0;                                // the holder after the step
  protocol::person_id by = 0;
  std::string note;
  // As the step's case.event had them (stored since the read side answers queries from them):
  protocol::unit_code from_unit = 0;            // the holder before a move
  std::vector<protocol::unit_code> departments; // whistle: summoned; report_in etc.: the one
  std::uint8_t score = 0;                       // rate
  protocol::case_id duplicate_of = 0;           // mark_duplicate
  friend bool operator==(const history_entry&, const history_entry&) = default;
};

struct case_record {
  protocol::case_id id = 0;
  protocol::unit_code origin = 0; // where it was reported
  protocol::unit_code holder = 0; // who holds it now
  protocol::unit_code sender = 0; // who handed it to the holder (return goes back there)
  protocol::case_state state = protocol::case_state::reported;
  case_level level = case_level::grid; // the highest level reached
  std::uint16_t category = 0;          // index into hierarchy::categories
  protocol::urgency urgency = protocol::urgency::normal;
  bool hotline = false;    // reported through 12345 (closed and reopened there)
  bool reopened = false;   // reopened at least once (not counted as satisfied)
  bool responded = false;  // signed for within its limit
  bool supervised = false; // raised to supervision in the current deadline
  protocol::deadline_colour colour = protocol::deadline_colour::green;
  protocol::timestamp_ms clock_start = 0;    // the current deadline's start ...
  protocol::timestamp_ms deadline = 0;       // ... and end; 0 when no clock runs
  protocol::timestamp_ms next_check = 0;     // when the holder's timer looks at it next
  std::vector<protocol::unit_code> proposed; // departments of a pending whistle proposal
  std::vector<whistle_task> whistle;
  std::string title;
  std::string description;
  std::string address;
  std::string external_id;
  double lat = 0;
  double lon = 0;
  std::vector<history_entry> history;
  /// In memory only, never stored: the store keeps this case in the archive (it is being
  /// archived, or was brought back from there for a request), so its next step moves it back
  /// to the hot keys (journal.hpp, case_move).
  bool archived = false;

  bool terminal() const {
    using protocol::case_state;
    return state == case_state::closed || state == case_state::rejected ||
           state == case_state::duplicate;
  }
};

/// What a holder's step hands the read side (actors/read_model.hpp) beside its case.event:
/// what the event does not carry. Made on every step of a case; the report's texts only on
/// its first (`report`) step.
struct case_facts {
  case_level reached = case_level::grid;
  protocol::timestamp_ms clock_start = 0; // the current deadline's start (for its colour)
  bool hotline = false;
  std::string title, description, address, external_id; // the report step only
  double lat = 0, lon = 0;                              // the report step only
  /// A case brought back from the archive (archive.hpp): the case before this step, which the
  /// read side had let go of and takes up again (its earlier steps are not counted again).
  std::shared_ptr<const case_record> before;
};

/// The read side's question about one case, answered by the unit that holds it (with its
/// record, on the holder's thread: read what is needed, keep no reference) or by its maker
/// when no unit holds it (null: unknown there). Answered exactly once.
class history_question {
public:
  virtual ~history_question() = default;
  virtual void answer(const case_record* c) = 0;
};

/// A department's own view of a whistle it was summoned to.
struct department_task {
  protocol::unit_code township = 0;
  whistle_task task;
  std::uint16_t category = 0;
  protocol::urgency urgency = protocol::urgency::normal;
  protocol::timestamp_ms summoned_at = 0;
  std::uint8_t reminders = 0;
  protocol::timestamp_ms next_check = 0;
};

} // namespace hub::actors
