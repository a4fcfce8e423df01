#pragma once

// The messages of the hub's WebSocket protocol, as plain values. protocol/README.md is the
// specification (field names, types, limits, meaning); this header is its C++ form. Nothing
// here knows of CAF, Beast or Redis.

#include "protocol/errors.hpp"
#include "protocol/types.hpp"

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hub::protocol {

// -- client to hub --------------------------------------------------------------------------

/// "case.report": open a case at `unit` (a grid for grid staff; a village, township or
/// centre for their operators; a centre for the 12345 hotline).
struct case_report {
  unit_code unit = 0;
  std::string category; // a category code of the hierarchy file
  urgency level = urgency::normal;
  std::string title;
  std::string description;
  double lat = 0; // WGS-84; both 0 when the report carries no location
  double lon = 0;
  std::string address;
  std::string external_id; // the hotline's own id (Open311 service_request_id), or empty
  friend bool operator==(const case_report&, const case_report&) = default;
};

/// "case.act": one step of a case's lifecycle. Which fields an action needs is specified
/// per action in protocol/README.md; the codec checks presence, the hub checks meaning.
struct case_act {
  case_id id = 0;
  case_action action = case_action::sign;
  std::string note;                   // reason or result; required for return, reopen, ...
  std::vector<unit_code> departments; // propose_whistle: the departments to summon
  unit_code unit = 0;                 // dispatch: the receiving unit; rate: the department
  std::uint8_t score = 0;             // rate: 1..5
  case_id duplicate_of = 0;           // mark_duplicate
  friend bool operator==(const case_act&, const case_act&) = default;
};

/// Recipients of a directive; see target_kind.
struct directive_target {
  target_kind kind = target_kind::subtree;
  std::vector<unit_code> units;      // scope: roots of the subtrees searched (all kinds but people)
  unit_kind level = unit_kind::grid; // kind == level
  std::uint8_t module = 0;           // kind == module: 0..9
  post holder = post::village_security; // kind == post
  std::vector<person_id> people;        // kind == people
  friend bool operator==(const directive_target&, const directive_target&) = default;
};

/// "directive.issue": dispatch a work instruction "one key" down a command channel.
struct directive_issue {
  std::uint8_t channel = 0; // 0..13
  std::string title;
  std::string body;
  timestamp_ms deadline = 0;
  directive_target target;
  friend bool operator==(const directive_issue&, const directive_issue&) = default;
};

/// "directive.act": a recipient signs (签收) or completes (反馈); the issuer reminds laggards.
struct directive_act {
  directive_id id = 0;
  directive_action action = directive_action::sign; // sign, complete or remind
  std::string note;
  friend bool operator==(const directive_act&, const directive_act&) = default;
};

/// "subscribe": receive the events of `unit`'s subtree. With `since` (0 included: from the
/// first event), first replay every kept event after sequence number `since` (a "gap" message
/// for what is past retention); without it, live events only.
struct subscribe {
  unit_code unit = 0;
  std::optional<std::uint64_t> since = std::nullopt;
  bool figures = true; // also the aggregates of the unit and its children (wire: 1 or 0)
  friend bool operator==(const subscribe&, const subscribe&) = default;
};

/// "unsubscribe".
struct unsubscribe {
  unit_code unit = 0;
  friend bool operator==(const unsubscribe&, const unsubscribe&) = default;
};

/// "query": a question answered by one "result" (or an error) and changing nothing. Which
/// fields each `what` uses is specified in protocol/README.md, "query"; a filter left out
/// (nullopt, empty, 0) keeps every case.
struct query {
  query_kind what = query_kind::one_case;
  case_id case_ref = 0; // what = case
  unit_code unit = 0;   // what = cases: the subtree (a department: the cases it was summoned to)
  case_status status = case_status::open;
  std::optional<case_state> state;
  std::optional<deadline_colour> colour;
  std::string category;
  std::optional<urgency> level;
  std::optional<unit_kind> held_at; // wire "level": the kind of unit holding the case
  std::optional<bool> hotline;      // wire 1 / 0: only 12345 cases / only the others
  timestamp_ms from = 0;            // reported at or after (0: no bound)
  timestamp_ms to = 0;              // reported before (0: no bound)
  case_order order = case_order::deadline;
  directive_id directive_ref = 0; // what = directive
  /// what = directive: laggards are the recipients that have not done this (sign or complete).
  directive_action lagging = directive_action::complete;
  directive_box box = directive_box::inbox;    // what = directives
  figure_period period = figure_period::today; // what = figures, ranking (days: from, to)
  rank_by by = rank_by::resolution;            // what = ranking (held_at: which units)
  std::uint32_t limit = 0;                     // page size; 0: the default
  std::string cursor; // from the previous page's result; empty for the first page
  friend bool operator==(const query&, const query&) = default;
};

using client_body = std::variant<case_report, case_act, directive_issue, directive_act, subscribe,
                                 unsubscribe, query>;

/// Every client message carries the client's message id (> 0); the hub's answer repeats it,
/// and a retry with the same id is answered again without being applied twice.
struct client_message {
  std::uint64_t id = 0;
  client_body body;
  friend bool operator==(const client_message&, const client_message&) = default;
};

// -- hub to client --------------------------------------------------------------------------

/// "ack": the request `id` was applied (and, with persistence, stored).
struct ack {
  std::uint64_t id = 0;
  case_id case_ref = 0;           // the case created or changed, if any
  directive_id directive_ref = 0; // the directive created or changed, if any
  std::uint64_t seq = 0;          // the event the change produced, if any
  friend bool operator==(const ack&, const ack&) = default;
};

/// "error": the request `id` (0 when it could not be read) was refused; nothing changed.
struct error {
  std::uint64_t id = 0;
  errc code = errc::internal;
  std::string message;
  friend bool operator==(const error&, const error&) = default;
};

/// "case.event": a case changed. `unit` holds the case after the change.
struct case_event {
  std::uint64_t seq = 0;
  timestamp_ms at = 0;
  case_id id = 0;
  case_action action = case_action::report;
  case_state state = case_state::reported;
  unit_code unit = 0;
  unit_code from_unit = 0; // the holder before the change
  person_id by = 0;        // 0 when the hub's clock acted (remind, supervise)
  std::string category;
  urgency level = urgency::normal;
  deadline_colour colour = deadline_colour::green;
  timestamp_ms deadline = 0;
  std::string note;
  std::vector<unit_code> departments; // whistle: the departments summoned
  std::uint8_t score = 0;             // rate
  case_id duplicate_of = 0;           // mark_duplicate: the earlier case
  friend bool operator==(const case_event&, const case_event&) = default;
};

/// "directive.event": a directive was issued, signed, completed or reminded. `unit` is the
/// recipient unit that acted (or the issuer's unit for issue and remind); the counts are the
/// issuer's tally (absent from a recipient's own sign and complete). `recipient` is set on
/// every event published at a recipient unit, to that unit; the issuer's own events
/// (its issue and remind, and the tallies) have none.
struct directive_event {
  std::uint64_t seq = 0;
  timestamp_ms at = 0;
  directive_id id = 0;
  directive_action action = directive_action::issue;
  unit_code unit = 0;
  person_id by = 0;
  std::uint8_t channel = 0;
  std::string title;
  std::uint32_t total = 0;
  std::uint32_t signed_count = 0;
  std::uint32_t done = 0;
  unit_code recipient = 0;
  friend bool operator==(const directive_event&, const directive_event&) = default;
};

/// Live figures of one unit's subtree (evaluation, "三率").
struct unit_figures {
  std::uint32_t open = 0;   // cases held in the subtree and not closed
  std::uint32_t yellow = 0; // open cases past 80 % of their time
  std::uint32_t red = 0;    // open cases overdue
  std::uint32_t reported = 0;
  std::uint32_t responded = 0; // signed within the time limit (响应)
  std::uint32_t resolved = 0;  // closed with a result (解决)
  std::uint32_t rated = 0;
  std::uint32_t satisfied = 0; // ratings of 4 or 5 (满意)
  /// Cases closed at each level: grid, village, township, department.
  std::array<std::uint32_t, 4> closed_at{};
  std::uint32_t directives = 0; // directive receipts addressed into the subtree
  std::uint32_t directives_signed = 0;
  std::uint32_t directives_done = 0;
  friend bool operator==(const unit_figures&, const unit_figures&) = default;
};

/// "aggregate": the latest figures of `unit`, pushed at a bounded rate (latest value wins).
struct aggregate {
  unit_code unit = 0;
  timestamp_ms at = 0;
  unit_figures figures;
  friend bool operator==(const aggregate&, const aggregate&) = default;
};

/// "gap": some events of `unit` after `since` are past retention (`since`: the since asked
/// for, or where a replay had got to when the rest fell out of retention; the client has
/// every event of the unit up to it); `next` is the sequence number the live stream
/// continues from. The client should fetch a fresh snapshot.
struct gap {
  unit_code unit = 0;
  std::uint64_t since = 0;
  std::uint64_t next = 0;
  friend bool operator==(const gap&, const gap&) = default;
};

/// One case in a list: what a console shows in a row.
struct case_summary {
  case_id id = 0;
  std::string title;
  std::string category;
  urgency level = urgency::normal;
  case_state state = case_state::reported;
  deadline_colour colour = deadline_colour::green; // as of the answer's time
  timestamp_ms deadline = 0;                       // 0: no clock runs
  unit_code unit = 0;                              // the holder
  unit_code origin = 0;                            // where it was reported
  case_level reached = case_level::grid;
  bool hotline = false;
  timestamp_ms reported_at = 0;
  timestamp_ms changed_at = 0; // its latest step
  friend bool operator==(const case_summary&, const case_summary&) = default;
};

/// One step of a case's history (the fields of the case.event it produced, but seq, category,
/// urgency, colour and deadline).
struct case_step {
  timestamp_ms at = 0;
  case_action action = case_action::report;
  case_state state = case_state::reported;
  unit_code unit = 0;
  unit_code from_unit = 0;
  person_id by = 0;
  std::string note;
  std::vector<unit_code> departments;
  std::uint8_t score = 0;
  case_id duplicate_of = 0;
  friend bool operator==(const case_step&, const case_step&) = default;
};

/// One case with what was reported and a page of its history.
struct case_detail {
  case_summary summary;
  std::string description;
  std::string address;
  std::string external_id;
  double lat = 0;
  double lon = 0;
  std::vector<unit_code> held_by; // every unit that held it, in order, the holder last
  std::uint32_t first = 0;        // the index of steps[0] in the whole history
  std::vector<case_step> steps;
  friend bool operator==(const case_detail&, const case_detail&) = default;
};

/// A directive's receipts in one subtree: addressed, signed (or completed), completed.
struct receipt_count {
  unit_code unit = 0;
  std::uint32_t total = 0;
  std::uint32_t signed_count = 0;
  std::uint32_t done = 0;
  friend bool operator==(const receipt_count&, const receipt_count&) = default;
};

/// A recipient that has not yet signed, or completed: a unit (person 0: anyone posted there)
/// or a named person, with its latest answer (issue: none yet).
struct laggard {
  unit_code unit = 0;
  person_id person = 0;
  directive_action action = directive_action::issue;
  friend bool operator==(const laggard&, const laggard&) = default;
};

/// One directive with its receipts in the subtree of `scope`.
struct directive_detail {
  directive_id id = 0;
  unit_code unit = 0; // the issuer's
  person_id by = 0;   // the issuer
  std::uint8_t channel = 0;
  std::string title;
  std::string body;
  timestamp_ms issued_at = 0;
  timestamp_ms deadline = 0;
  receipt_count scope;                 // the subtree asked about, in all
  std::vector<receipt_count> children; // each child of the scope's unit with receipts (and
                                       // the unit itself, when recipients are posted there)
  std::vector<laggard> laggards;       // the page
  friend bool operator==(const directive_detail&, const directive_detail&) = default;
};

/// One directive in a unit's list: what was issued, and either the issuer's tally (box
/// issued) or one recipient at the unit with its latest answer (box inbox).
struct directive_row {
  directive_id id = 0;
  unit_code unit = 0; // the issuer's
  person_id by = 0;   // the issuer
  std::uint8_t channel = 0;
  std::string title;
  timestamp_ms issued_at = 0;
  timestamp_ms deadline = 0;
  std::uint32_t total = 0; // issued: the receipts addressed, signed (or completed), completed
  std::uint32_t signed_count = 0;
  std::uint32_t done = 0;
  person_id person = 0;                              // inbox: the named recipient (0: the unit)
  directive_action action = directive_action::issue; // inbox: its latest answer (issue: none)
  friend bool operator==(const directive_row&, const directive_row&) = default;
};

/// A unit's figures over a period (protocol/README.md, "result": figures): the counters of its
/// subtree, the stock (open, yellow, red) as of the answer, the flows over the period's days,
/// and the rates derived from them in thousandths (‰), absent when their denominator is 0.
struct figure_row {
  unit_code unit = 0;
  std::uint32_t open = 0, yellow = 0, red = 0; // now
  std::uint32_t reported = 0, responded = 0, resolved = 0, rated = 0, satisfied = 0;
  std::uint32_t overdue = 0;   // deadlines passed (a case at its holder; a whistle fed back late)
  std::uint32_t score_sum = 0; // the sum of the ratings counted in `rated`
  std::array<std::uint32_t, 4> closed_at{};
  std::optional<std::uint32_t> resolution, satisfaction, response, overdue_share; // ‰
  std::optional<std::uint32_t> rating; // the average rating × 100 (100..500)
  std::uint32_t rank = 0;              // ranking: the place (1 = first); 0: unranked
  friend bool operator==(const figure_row&, const figure_row&) = default;
};

/// "figures": the period's days as times, the unit's row and each child's.
struct figures_detail {
  timestamp_ms from = 0; // the first day's 00:00 (Asia/Shanghai); 0 for all
  timestamp_ms to = 0;   // the 00:00 after the last day
  figure_row unit;
  std::vector<figure_row> children;
  friend bool operator==(const figures_detail&, const figures_detail&) = default;
};

/// "ranking": the units of kind `level` under `unit`, in order.
struct ranking_detail {
  unit_code unit = 0;
  unit_kind level = unit_kind::township;
  rank_by by = rank_by::resolution;
  timestamp_ms from = 0, to = 0;
  std::vector<figure_row> rows;
  friend bool operator==(const ranking_detail&, const ranking_detail&) = default;
};

/// "result": the answer to query `id`, current to sequence number `seq`: it reflects every
/// event up to `seq` and none after (subscribe with since = seq to follow it live).
struct result {
  std::uint64_t id = 0;
  std::uint64_t seq = 0;
  query_kind what = query_kind::one_case;
  case_detail one;                 // what = case
  std::vector<case_summary> cases; // what = cases: the page
  directive_detail directive;      // what = directive
  std::uint32_t total = 0; // cases: how many match in all; case: steps in all; directive: laggards
  std::string cursor;      // the next page; empty on the last
  std::vector<directive_row> directives; // what = directives: the page
  figures_detail figures;                // what = figures
  ranking_detail ranking;                // what = ranking
  friend bool operator==(const result&, const result&) = default;
};

using server_message =
    std::variant<ack, error, case_event, directive_event, aggregate, gap, result>;

/// The sequence number a message carries (an event's own; an ack's, of the event it caused);
/// 0 for messages without one.
inline std::uint64_t seq_of(const server_message& m) {
  return std::visit(
      [](const auto& x) -> std::uint64_t {
        if constexpr (requires { x.seq; })
          return x.seq;
        else
          return 0;
      },
      m);
}

/// Sets the sequence number of a message that carries one (see seq_of); others are unchanged.
inline void set_seq(server_message& m, std::uint64_t seq) {
  std::visit(
      [seq](auto& x) {
        if constexpr (requires { x.seq; })
          x.seq = seq;
      },
      m);
}

} // namespace hub::protocol
