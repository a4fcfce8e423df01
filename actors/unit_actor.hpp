#pragma once

// The unit actor: one per city, county, township, village, grid, county department and
// centre. It owns the cases it holds (and their deadlines), the whistle tasks of a department,
// the directives it issued (and their receipt tally), the receipts addressed to it, and its
// subtree's live figures.
//
// Protocol, in pseudo-code (all one-way; replies go to the command's sink):
//   command(who, request, body, sink)   a person's request, routed here by the city
//   case_transfer(record)               a case now held here (escalate, dispatch, return)
//   whistle_summons(...)                a township blew the whistle to this department
//   task_update(...)                    the township took this department's report-in or feedback
//   task_rating(case, score)            the township rated this department (评哨)
//   directive_down(directive)           fan-out: register own recipients, forward to children
//   receipt_up(directive, recipient, action)   a recipient signed or completed (to the issuer)
//   directive_reminder(directive, recipients)  the issuer reminds laggards here
//   tick                                 the earliest deadline may be due
//   flush(wave)                          report own figures to the flush ticker (figures_report)
//   tally                                publish the changed tallies of directives issued here
//   history_request(case, question)      the read side asks for a case's record (its `case`
//                                        query): answered here, or sent on as a case_act is

#include "actors/archive.hpp"
#include "actors/bus.hpp"
#include "actors/case_record.hpp"
#include "actors/directive.hpp"
#include "actors/ids.hpp"
#include "actors/journal.hpp"
#include "actors/principal.hpp"
#include "actors/request_ledger.hpp"
#include "actors/restore.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace hub::actors {

// -- messages -------------------------------------------------------------------------------

struct command {
  principal who;
  std::uint64_t request = 0; // the client's message id, echoed in the reply
  std::size_t digest = 0;    // of the request's content (request_ledger)
  protocol::client_body body;
  sink_ptr reply_to; // may be null (fire and forget, e.g. the simulator)
  /// mark_duplicate: the maker of `duplicate_of` found that case (the request goes there
  /// first, then on to the case it marks).
  bool duplicate_found = false;
};

struct case_transfer {
  case_record record;
  protocol::case_action cause = protocol::case_action::escalate;
};

struct whistle_summons {
  protocol::case_id id = 0;
  protocol::unit_code township = 0;
  std::uint16_t category = 0;
  protocol::urgency urgency = protocol::urgency::normal;
  std::string title;
};

/// From the township holding a whistled case to a summoned department: the department's
/// report-in or feedback was taken (stored, published, acknowledged) at `at`; the department's
/// own task, timers and figures follow.
struct task_update {
  protocol::case_id id = 0;
  protocol::unit_code department = 0;
  whistle_task::stage stage = whistle_task::stage::reported_in;
  protocol::timestamp_ms at = 0;
};

/// From a unit's archive look-up (archive.hpp) back to the unit: what the store holds of case
/// `id` (the requests that waited for it are kept by the unit).
struct case_fetched {
  protocol::case_id id = 0;
  archive_answer answer;
};

/// The same for directive `id`, whose answers its issuer folds into its archived value.
struct directive_fetched {
  protocol::directive_id id = 0;
  directive_answer answer;
};

/// From the unit that archived case `id` to the units it passed through: drop the forwarding
/// entry (a request for it goes to its maker, which looks in the archive).
struct case_forget {
  protocol::case_id id = 0;
};

/// The journal stored the archiving of case `id` (at history length `steps`): the holder lets
/// it go unless it changed meanwhile.
struct case_archived {
  protocol::case_id id = 0;
  std::size_t steps = 0;
};

/// The journal stored the archiving of directive `id`: its issuer lets it go, and tells every
/// recipient unit (directive_forget).
struct directive_archived {
  protocol::directive_id id = 0;
};

/// From the issuer of directive `id`, archived, to each unit with recipients of it.
struct directive_forget {
  protocol::directive_id id = 0;
};

/// From the township to a summoned department: its part was rated `score` (1-5); 0: the case
/// ended without rating it, so its task ends unrated (no figures).
struct task_rating {
  protocol::case_id id = 0;
  std::uint8_t score = 0;
};

struct directive_down {
  directive_ptr directive;
  std::uint32_t total = 0; // every recipient, as the issuer tallies them (its issue event's total)
};

struct receipt_up {
  protocol::directive_id id = 0;
  recipient who;
  protocol::directive_action action = protocol::directive_action::sign;
};

struct directive_reminder {
  protocol::directive_id id = 0;
  std::vector<recipient> laggards;
  protocol::person_id by = 0; // 0: the deadline's automatic reminder
  std::uint32_t total = 0;    // the issuer's tally when it reminded
  std::uint32_t signed_count = 0;
  std::uint32_t done = 0;
};

/// The read side's question for the holder of case `id` (read_model.hpp, the `case` query):
/// the read side keeps no history, the holder does. Sent to the case's maker, which answers it
/// or sends it on along its forwarding entry, as a case_act goes: so it reaches the holder
/// after the case did (CAF's per-pair order), and the holder's record has every step the
/// read side has seen (and maybe later ones).
struct history_request {
  protocol::case_id id = 0;
  std::shared_ptr<history_question> question;
};

/// A unit's own counters, its answer to the flush ticker's `flush` of wave `wave`.
struct figures_report {
  std::uint32_t index = 0; // the unit's index in the hierarchy
  std::uint64_t wave = 0;
  protocol::unit_figures own;
};

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using tally_atom = caf::atom_constant<caf::atom("tally")>;
/// A unit's first message, sent by the city once the directory is complete: the unit
/// initialises on it (spawn_unit) and does nothing else.
using wake_atom = caf::atom_constant<caf::atom("wake")>;

using unit_actor = caf::typed_actor<
    caf::reacts_to<command>, caf::reacts_to<case_transfer>, caf::reacts_to<whistle_summons>,
    caf::reacts_to<task_update>, caf::reacts_to<task_rating>, caf::reacts_to<directive_down>,
    caf::reacts_to<receipt_up>, caf::reacts_to<directive_reminder>,
    caf::reacts_to<tick_atom, protocol::timestamp_ms>, caf::reacts_to<flush_atom, std::uint64_t>,
    caf::reacts_to<tally_atom>, caf::reacts_to<case_fetched>, caf::reacts_to<case_forget>,
    caf::reacts_to<case_archived>, caf::reacts_to<directive_archived>,
    caf::reacts_to<directive_forget>, caf::reacts_to<directive_fetched>,
    caf::reacts_to<history_request>, caf::reacts_to<wake_atom>>;

// -- what every unit actor shares -----------------------------------------------------------

class tick_schedule; // actors/ticker.hpp

/// Maps the actor system's clock to wall time, so that a test clock drives deadlines too.
struct wall_clock {
  caf::actor_clock::time_point base_steady{};
  protocol::timestamp_ms base_wall = 0;
  protocol::timestamp_ms at(caf::actor_clock::time_point t) const {
    return base_wall +
           std::chrono::duration_cast<std::chrono::milliseconds>(t - base_steady).count();
  }
};

/// Read-only after the city is built (the directory is filled before the first message).
struct city_context {
  std::shared_ptr<const protocol::hierarchy> hierarchy;
  /// Replies to recent requests (city::submit); its reply sinks keep their shard alive.
  std::shared_ptr<request_ledger> ledger;
  std::shared_ptr<bus> events;
  std::shared_ptr<journal> store; // every step ends here (journal.hpp)
  /// Where ended cases go after `retain` (archive.hpp); null: they stay (no durable store).
  std::shared_ptr<case_archive> archive;
  retention_times retain;
  /// What the units start from (recovery), each taking its own slot in init; null: nothing.
  std::shared_ptr<city_snapshot> snapshot;
  /// Units whose actor has initialised (adopted its slot of the snapshot, armed its timers).
  mutable std::atomic<std::uint32_t> initialised{0};
  std::vector<unit_actor> directory; // indexed like hierarchy->units
  wall_clock clock;
  std::chrono::milliseconds flush_interval{1000};
  /// An issuer publishes a directive's tally at most this often (receipts coalesce).
  std::chrono::milliseconds tally_interval{100};
  /// Units due a flush (every flush_interval) or a tally (every tally_interval).
  std::shared_ptr<tick_schedule> flushes;
  std::shared_ptr<tick_schedule> tallies;

  /// The actor of unit `code` (null handle when unknown).
  unit_actor actor_of(protocol::unit_code code) const { return actor_at(index_of(code)); }
  /// The actor of the unit at index `i` of hierarchy->units (null handle when out of range).
  unit_actor actor_at(std::uint32_t i) const {
    return i < directory.size() ? directory[i] : unit_actor{};
  }
  /// Index of `code` in hierarchy->units, or hierarchy::no_unit.
  std::uint32_t index_of(protocol::unit_code code) const { return hierarchy->index_of(code); }
  /// The actor of the unit that made case or directive `id` (its index is in the id: no
  /// look-up by code), or a null handle when the id names no unit.
  unit_actor maker_of_id(std::uint64_t id) const { return actor_at(maker_of(id)); }
};

// -- the actor ------------------------------------------------------------------------------

struct unit_state; // actors/unit_state.hpp

/// Spawns the actor of `hierarchy->units[index]`, lazily: it initialises on its first message.
unit_actor spawn_unit(caf::actor_system& sys, std::shared_ptr<const city_context> ctx,
                      std::uint32_t index);

} // namespace hub::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::case_transfer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::whistle_summons)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::task_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::task_rating)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::directive_down)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::receipt_up)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::directive_reminder)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::figures_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::history_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::case_fetched)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::directive_fetched)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::case_forget)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::case_archived)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::directive_archived)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::directive_forget)
