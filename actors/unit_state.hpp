#pragma once

// The state of one unit actor, and its handlers. Plain data plus methods: the behavior in
// unit_actor.cpp only dispatches here. Cases live in unit_cases.cpp, directives in
// unit_directives.cpp, deadlines and figures in unit_actor.cpp.

#include "actors/flat_map.hpp"
#include "actors/journal.hpp"
#include "actors/progress.hpp"
#include "actors/restore.hpp"
#include "actors/unit_actor.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <unordered_map>

namespace hub::actors {

/// A directive this unit issued: every recipient's progress (9 bytes each, progress.hpp).
struct issued_directive {
  directive_ptr info;
  progress_list progress;
  std::uint32_t signed_count = 0; // signed or completed
  std::uint32_t done = 0;
  bool reminded = false;
  protocol::directive_action last = protocol::directive_action::issue; // latest receipt
  bool tally_dirty = false;
  protocol::timestamp_ms ended = 0; // when its last receipt completed it everywhere
  // How it is stored (persistence/README.md, "Retention and the archive"): hot until it ends;
  // then archived, its answers still in its receipts' hash when it ended at its deadline
  // (laggards may answer late), folded into the archived value once complete everywhere or
  // at the retention (`whole`).
  bool archived = false;
  bool whole = false;
};

/// A directive addressed to recipients at this unit. The usual case, one recipient here (the
/// unit itself, as every grid of a city-wide directive, or one person posted here), is kept
/// whole in these 16 bytes; a directive to several people posted here (`crowd`) keeps them in
/// the unit's crowd_ list.
struct received_directive {
  directive_ptr info;
  std::uint32_t person = 0; // the one recipient's person index + 1 (0: the unit itself)
  protocol::directive_action state = protocol::directive_action::issue; // the one's
  bool crowd = false;
};
static_assert(sizeof(received_directive) == 16, "18,100 grids keep one per city-wide directive");

/// The directives addressed to a unit, sorted by id. The id is read from each one's info
/// rather than kept as a key beside it: 18,100 grids each keep an entry per city-wide
/// directive, and 8 bytes more each is 145 KB a directive.
class received_list {
public:
  received_directive* find(protocol::directive_id id);
  const received_directive* find(protocol::directive_id id) const {
    return const_cast<received_list*>(this)->find(id);
  }
  std::size_t count(protocol::directive_id id) const { return find(id) != nullptr ? 1 : 0; }
  /// The entry of `info`, added (not yet signed) when absent.
  received_directive& add(directive_ptr info);
  std::size_t size() const { return items_.size(); }
  std::vector<received_directive>::const_iterator begin() const { return items_.begin(); }
  std::vector<received_directive>::const_iterator end() const { return items_.end(); }
  /// Drops the entry of `id`, if any.
  void remove(protocol::directive_id id);

private:
  std::vector<received_directive>::iterator lower_bound(protocol::directive_id id);
  std::vector<received_directive> items_;
};

struct unit_state {
  using self_pointer = unit_actor::stateful_pointer<unit_state>;

  explicit unit_state(self_pointer self)
    : self_(self) {}

  // -- set-up --
  void init(std::shared_ptr<const city_context> ctx, std::uint32_t index);
  unit_actor::behavior_type make_behavior();

  // -- cases (unit_cases.cpp) --
  void on_command(command& cmd);
  void on_report(command& cmd, const protocol::case_report& r);
  void on_case_act(command& cmd, const protocol::case_act& act);
  /// mark_duplicate at the maker of `duplicate_of`: refused unless that case was made here,
  /// else sent on to the case it marks.
  void check_duplicate(command& cmd, const protocol::case_act& act);
  void on_transfer(case_transfer& t);
  /// The read side asks for a case's record: answered when held here, sent on when it left.
  void on_history(history_request& r);
  void on_summons(whistle_summons& s);
  void on_task_update(const task_update& u);
  void on_task_rating(const task_rating& r);
  /// Deadline processing for one case or task; returns the next time it needs a look.
  void check_case(protocol::case_id id, protocol::timestamp_ms now);
  void check_task(protocol::case_id id, protocol::timestamp_ms now);

  // -- retention (unit_archive.cpp; persistence/README.md, "Retention and the archive") --
  /// Arms the look at ended case `c` when its retention runs out (no archive: nothing).
  void archive_later(const case_record& c);
  /// The retention of case `id` may have run out: let it go (archived when it ended; a case
  /// read hot from an older store is archived now by one commit and let go once that is
  /// stored, on_archived).
  void check_archive(protocol::case_id id, protocol::timestamp_ms now);
  void on_archived(const case_archived& a);
  /// The reply of a step that archives case `c` (stored as it is now): the same for the
  /// client of `cmd` (if any), and case_archived to this unit once stored.
  command archiving_reply(const command* cmd, const case_record& c);
  /// Drops held case `c` from memory and tells the units it passed through to drop their
  /// forwarding entries.
  void let_go(protocol::case_id id);
  void on_forget(const case_forget& f) { moved_.erase(f.id); }
  /// A request for case `id`, which this unit neither holds nor forwards: the maker looks in
  /// the archive (the request waits), any other unit sends it to the maker. False when there
  /// is no archive (the case is unknown).
  bool look_in_archive(command& cmd, protocol::case_id id);
  void on_fetched(case_fetched& f);
  /// Arms the look at issued directive `id` for the retention after `ended` (no archive:
  /// nothing).
  void directive_later(protocol::directive_id id, protocol::timestamp_ms ended);
  /// Directive `id` (issued here) ended, all its receipts complete or its deadline passed,
  /// more than the retention ago: let it go; first, unless archived whole already, its
  /// answers are folded into its archived value (one commit), and it is let go once stored.
  void check_directive_archive(protocol::directive_id id, protocol::timestamp_ms now);
  void on_directive_archived(const directive_archived& a);
  /// Directive `d` (issued here) in its archived form: with every answer given when `whole`,
  /// else none (they stay in its receipts' hash).
  directive_archive archived_form(const issued_directive& d, bool whole) const;
  /// The records that store issued directive `d` as it is now: hot, or its archived form
  /// (none when the journal stores nothing).
  std::vector<record> directive_stored(const issued_directive& d) const;
  /// Whether this hub archives (a durable store with an archive).
  bool archives() const;
  void on_directive_forget(const directive_forget& f);
  /// A directive archived at its deadline and not held since a restart: its answers, read
  /// from the store, are folded into its archived value (the retention ran out).
  void on_directive_fetched(directive_fetched& f);

  // -- directives (unit_directives.cpp) --
  void on_issue(command& cmd, const protocol::directive_issue& d);
  void on_directive_act(command& cmd, const protocol::directive_act& a);
  void on_directive_down(const directive_down& d);
  void on_receipt(const receipt_up& r);
  void on_reminder(const directive_reminder& r);
  /// Reminds the laggards of directive `id`; `cmd`: the request that asked for it, if any.
  void remind_laggards(protocol::directive_id id, protocol::person_id by,
                       const command* cmd = nullptr);
  void check_directive(protocol::directive_id id, protocol::timestamp_ms now);
  /// Publishes one tally event for each directive whose receipts changed since the last one.
  void on_tally();
  /// The recipients of directive `id` (issued here) that have not completed it.
  std::vector<recipient> laggards(protocol::directive_id id) const;
  /// The recipients here of received directive `d` with their latest actions.
  std::vector<progress_list::entry> receipts_of(const received_directive& d) const;

  // -- deadlines and figures (unit_actor.cpp) --
  protocol::timestamp_ms now() const;
  enum class timer_kind : std::uint8_t {
    case_deadline,
    task_deadline,
    directive_deadline,
    case_retention,
    directive_retention
  };
  void arm(protocol::timestamp_ms at, timer_kind kind, std::uint64_t id);
  /// Sends a tick due at `at` unless one in flight arrives by then.
  void tick_by(protocol::timestamp_ms at);
  void on_tick(protocol::timestamp_ms due);
  void figures_changed();
  /// Reports own counters to the flush ticker, for wave `wave`.
  void on_flush(std::uint64_t wave);

  // -- helpers --
  const protocol::hierarchy& h() const { return *ctx_->hierarchy; }
  void refuse(const command& cmd, protocol::errc code, std::string message);
  /// Starts the deadline `clock` on `c` for a holder of `holder_kind` (sets the fields only).
  void set_clock(case_record& c, case_clock clock, protocol::unit_kind holder_kind,
                 protocol::timestamp_ms now) const;
  /// Arms the timer for `c`'s next deadline point (80 %, due, supervision), if any.
  void watch(case_record& c);
  /// The event of `c`'s latest history entry.
  protocol::case_event case_event_of(const case_record& c, protocol::unit_code from_unit,
                                     std::vector<protocol::unit_code> departments = {},
                                     std::uint8_t score = 0,
                                     protocol::case_id duplicate_of = 0) const;
  /// Ends a step through the journal (journal.hpp): `records` stored with this unit's counters,
  /// then `event` published and `cmd` (if any) acknowledged with `ack_case`/`ack_directive`.
  void commit(std::optional<protocol::server_message> event, reach to, std::vector<record> records,
              const command* cmd = nullptr, protocol::case_id ack_case = 0,
              protocol::directive_id ack_directive = 0, std::shared_ptr<const void> facts = {});
  /// Ends a step of held case `c` whose latest history entry `ev` reports: the entry takes the
  /// event's from_unit, departments, score and duplicate_of, and the read side gets the case's
  /// facts beside the event.
  void commit_case(case_record& c, protocol::case_event ev, const command* cmd = nullptr,
                   protocol::case_id ack_case = 0);
  /// `r` as the one record of a step when the journal stores records, else nothing.
  template <class Record>
  std::vector<record> keep(const Record& r) const {
    std::vector<record> out;
    if (ctx_->store->durable())
      out.emplace_back(r);
    return out;
  }
  /// Adopts what the store held for this unit (unit_restore.cpp).
  void restore(unit_restore& r);
  void count_colour(protocol::deadline_colour colour, int delta);

  // -- data --
  // What every directive message touches comes first, in the state's first two cache lines:
  // a city-wide fan-out reads each of 18,100 grids' states cold, once or twice, and each
  // line the handlers touch there is a miss.
  self_pointer self_;
  std::shared_ptr<const city_context> ctx_;
  const protocol::unit* unit_ = nullptr;
  std::uint32_t index_ = 0;
  bool flush_pending_ = false;
  bool tally_pending_ = false;
  received_list received_;
  protocol::unit_figures own_; // this unit's own counters

  std::uint64_t next_seq_ = 0; // for the ids this unit makes
  std::uint64_t version_ = 0;  // of this unit's stored counters: one more per change of them
  unit_record stored_;         // the counters as last committed

  std::unordered_map<protocol::case_id, case_record> cases_;
  std::unordered_map<protocol::case_id, protocol::unit_code> moved_; // cases that left
  std::unordered_map<protocol::case_id, department_task> tasks_;
  std::unordered_map<protocol::directive_id, issued_directive> issued_;
  /// The recipients here of the received directives with several (received_directive::crowd).
  flat_map<protocol::directive_id, progress_list> crowd_;
  std::vector<protocol::directive_id> dirty_tallies_;
  /// Cases being looked up in the archive, with the requests waiting for them.
  std::unordered_map<protocol::case_id, std::vector<command>> fetching_;
  /// Cases whose move to the archive is committed and not yet stored.
  std::unordered_map<protocol::case_id, std::size_t> archiving_;
  /// Directives whose move to the archive is committed and not yet stored.
  std::vector<protocol::directive_id> archiving_directives_;
  /// Directives issued here, archived at their deadline before a restart with their answers
  /// still in their receipts' hash: id -> deadline (folded when the retention runs out).
  std::unordered_map<protocol::directive_id, protocol::timestamp_ms> unfolded_;

  struct timer {
    protocol::timestamp_ms at;
    timer_kind kind;
    std::uint64_t id;
    bool operator>(const timer& other) const { return at > other.at; }
  };
  std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_;
  /// When each tick in flight is due, latest first. A delayed message cannot be taken back,
  /// so a tick superseded by an earlier one still arrives; it is kept here and counted on, so
  /// that no second tick is sent for the same time (a unit has a handful in flight, not one
  /// per timer it ever armed).
  std::vector<protocol::timestamp_ms> ticks_in_flight_;

  std::uint64_t score_sum_ = 0; // department: sum of 评哨 ratings

  static inline const char* name = "unit";
};

} // namespace hub::actors
