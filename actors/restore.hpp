#pragma once

// What a unit actor starts from when the city is recovered from a store: the records it held
// when the hub stopped, grouped by unit. persistence/ reads the records and hands them to a
// `snapshot_builder`, which knows what they mean (restore.cpp); the units adopt their slots in
// init (unit_restore.cpp).

#include "actors/journal.hpp"
#include "protocol/hierarchy.hpp"

#include <memory>
#include <stdexcept>
#include <vector>

namespace hub::actors {

/// A directive addressed to this unit's recipients, with their answers so far.
struct received_restore {
  directive_ptr info;
  std::vector<std::pair<recipient, protocol::directive_action>> progress;
};

/// A directive this unit issued, with every recipient's answer so far.
struct issued_restore {
  directive_record directive;
  std::vector<std::pair<recipient, protocol::directive_action>> progress;
};

struct unit_restore {
  std::vector<case_record> cases;                                       // held here
  std::vector<std::pair<protocol::case_id, protocol::unit_code>> moved; // made here, held there
  std::vector<task_record> tasks;                                       // a department's open tasks
  std::vector<issued_restore> issued;
  std::vector<received_restore> received;
  /// Directives issued here, archived at their deadline, their answers not folded in yet:
  /// (id, deadline).
  std::vector<std::pair<protocol::directive_id, protocol::timestamp_ms>> unfolded;
  unit_record own; // version 0: nothing stored
};

/// A client's request and the reply it got (for retries after a restart).
struct remembered_request {
  request_key key;
  protocol::server_message reply;
};

struct city_snapshot {
  std::vector<unit_restore> units;          // indexed like hierarchy::units
  std::uint64_t last_seq = 0;               // the event sequence continues after it
  std::vector<stored_event> events;         // the latest events, oldest first (resume)
  std::vector<remembered_request> requests; // the latest answered requests, oldest first
  /// What the archived cases count in the figures (case_move::figures, summed per unit and
  /// day, or per unit and month for the days the store folded): the read side starts its
  /// figures from these and adds the hot cases' steps.
  std::vector<figure_day> archived_figures;
  /// The store keeps the days before this one folded into their months (a first of a month;
  /// 0: none): the read side's figures start folded at least that far.
  std::int32_t figures_folded_before = 0;
};

/// A stored record that names a unit the hierarchy lacks (what() says which record).
struct foreign_record : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Builds a city_snapshot's units from the stored records, handed over as they are read: the
/// domain's half of recovery.
/// - a case goes to the unit that holds it, and its maker keeps a forwarding entry when that
///   is another unit;
/// - a department's task goes to the department, unless it was rated (its part is over; a task
///   now is deleted when rated, or when its case ends unrated, and finish() drops one whose
///   stored case says it is over: a crash between the two batches);
/// - a directive goes to its issuer with every recipient (they follow from the target, as in
///   the live fan-out), each with its stored answer or `issue`, and each recipient's unit gets
///   the directive with its own recipients' answers;
/// - finish() makes good what a crash between a department's write and its township's left
///   behind (both are stored, in two batches): a whistle's department whose task was not
///   stored gets it back from the case (summoned when the whistle was approved, its report-in
///   deadline from the category's limits), and a case's whistle entry that lags the
///   department's stored task takes the task's stage.
class snapshot_builder {
public:
  struct counts {
    std::size_t cases = 0, open_cases = 0, tasks = 0, directives = 0, receipts = 0;
  };

  /// Fills `into.units` (one slot per unit of `h`); both must outlive the builder.
  snapshot_builder(const protocol::hierarchy& h, city_snapshot& into);

  // Each throws foreign_record when the record names a unit the hierarchy lacks.
  void add(const unit_record& u);
  void add(task_record t);
  void add(case_record c);
  /// A directive with the answers stored for it (a recipient who never answered has none).
  void add(directive_record d, const std::vector<receipt_record>& answers);
  /// A directive archived at `deadline` whose answers are still to be folded in (its issuer
  /// does that when the retention runs out).
  void add_unfolded(protocol::directive_id id, protocol::timestamp_ms deadline);
  /// Once, after every task and case was added. Throws foreign_record.
  void finish();

  /// What was added and made good: cases (open ones), tasks (rebuilt ones too), directives,
  /// receipts.
  const counts& counted() const { return counts_; }

private:
  std::uint32_t index_of(protocol::unit_code code, const char* what, std::uint64_t id) const;

  const protocol::hierarchy& h_;
  city_snapshot& snap_;
  counts counts_;
};

} // namespace hub::actors
