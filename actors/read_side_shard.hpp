#pragma once

// The read side's inside (read_model.hpp): a shard's state and the query on its way through
// the shards. Only the read side's own files include it: read_model.cpp (the shards' actors,
// their feed, routing a query), read_side_cases.cpp, read_side_figures.cpp,
// read_side_directives.cpp, read_side_retention.cpp and read_side_pages.cpp.

#include "actors/case_rules.hpp"
#include "actors/directive.hpp"
#include "actors/ids.hpp"
#include "actors/period_book.hpp"
#include "actors/progress.hpp"
#include "actors/read_model.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"
#include "protocol/size_bound.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace hub::actors {

struct read_model::shared {
  std::shared_ptr<const protocol::hierarchy> h;
  std::vector<std::uint16_t> shard_of; // per unit index: 0 the city's, 1.. a county's
  std::vector<std::uint32_t> parent;   // per unit index: its parent's, or no_unit
  std::size_t shards = 1;
  std::function<protocol::timestamp_ms()> now;
  std::function<void(protocol::case_id, std::shared_ptr<history_question>)> ask_holder;
  std::shared_ptr<case_archive> archive; // null: ended cases are kept
  retention_times retain;
  /// Held while a query is fenced and sent (ask): its messages reach each shard in the order
  /// of its fences, while the bus's lock, which publishing takes, is held for the fences only.
  mutable std::mutex send_order;

  /// The shard keeping case `id`: its maker's (nullopt when the id names no unit).
  std::optional<std::uint16_t> shard_of_case(protocol::case_id id) const {
    const auto maker = maker_of(id);
    if (maker >= shard_of.size())
      return std::nullopt;
    return shard_of[maker];
  }
};

namespace read_side {

// The read side speaks the protocol's types (queries, results, case summaries) throughout.
using namespace protocol;

/// A case as the read side keeps it: what its lists, its permissions and the figures need.
/// Its history and what was reported beside the title are the holder's (case_record): the
/// `case` query asks the holder for them (history_request), so a step is kept once, by its
/// holder, and applying it here copies no note, no departments, no texts.
struct case_view {
  case_summary s; // colour as of the latest step; answers compute it afresh
  timestamp_ms clock_start = 0;
  std::uint32_t holder = 0; // index of s.unit
  std::uint32_t steps = 0;  // the length of its history at this shard's cut
  std::vector<unit_code> held_by;
  std::vector<unit_code> summoned; // every department a whistle summoned
  // What counting a step needs of the steps before it:
  unit_code last_unit = 0;    // the unit of its latest step
  timestamp_ms handed_at = 0; // its latest step other than a reminder or supervision
  // What the figures counted of it (counted alike live and at recovery, from the steps):
  std::uint16_t category = 0; // index into the hierarchy's categories
  bool responded = false;     // its response (a first sign within the limit) was counted
  case_level level = case_level::grid;
  struct part { // a summoned department's part of the latest whistle
    unit_code department = 0;
    timestamp_ms summoned_at = 0;
    bool reported_in = false, fed_back = false;
  };
  std::vector<part> parts;
  std::uint32_t stock_at = hierarchy::no_unit; // where it counts as open now, with its colour
  deadline_colour stock_colour = deadline_colour::green;
  std::uint32_t stock_version = 0; // its latest colour point in the shard's heap
  // Where it is listed (shard_state::open_at or done_at): under which holder, at which place.
  std::uint32_t listed_at = hierarchy::no_unit;
  std::uint32_t listed_pos = 0;
  bool listed_done = false;
};

inline bool terminal(case_state s) {
  return s == case_state::closed || s == case_state::rejected || s == case_state::duplicate;
}

/// The colour of `v`'s deadline at `now` (the holder's timer turns it at the same points).
inline deadline_colour colour_at(const case_view& v, timestamp_ms now) {
  if (terminal(v.s.state) || v.s.deadline == 0)
    return deadline_colour::green;
  if (now >= v.s.deadline)
    return deadline_colour::red;
  if (now >= v.clock_start + (v.s.deadline - v.clock_start) * 4 / 5)
    return deadline_colour::yellow;
  return deadline_colour::green;
}

/// What counting a step needs of it (from a live case.event or a recovered history entry).
struct step_view {
  timestamp_ms at = 0;
  case_action action = case_action::report;
  unit_code unit = 0;
  person_id by = 0;
  const std::vector<unit_code>& departments;
  std::uint8_t score = 0;
};

/// Position in a list: the sort key, then the case id.
using order_key = std::pair<std::uint64_t, case_id>;

/// Position in a list of directives: the newest first (issued_at from the end), then the
/// directive id, then the named recipient (an inbox may hold several people of one unit).
using row_key = std::tuple<std::uint64_t, directive_id, person_id>;

/// Where `v` stands in a list in `order`, and a cursor naming that place (read_side_pages.cpp).
order_key key_of(const case_view& v, case_order order);
std::string cursor_of(order_key k);
/// Where a directive, named for `person` (0: none), stands in a list of directives.
row_key key_of(const directive_info& d, person_id person);
std::string cursor_of(const row_key& k);
/// `text` as a whole unsigned number; false when it is not one.
bool parse_uint(std::string_view text, std::uint64_t& out);
/// A cursor back into its key; false when it is not one this hub made.
bool parse_cursor(std::string_view text, order_key& out);
bool parse_cursor(std::string_view text, row_key& out);

/// One query on its way through the shards.
struct query_job {
  principal who;
  std::uint64_t id = 0;
  query q;
  sink_ptr reply_to;
  std::uint64_t seq = 0;
  timestamp_ms now = 0;
  // cases:
  std::uint32_t root = 0; // index of q.unit
  bool department = false;
  bool hotline_only = false; // the 12345 operators see hotline cases only
  std::uint32_t limit = 0;
  std::optional<order_key> after;
  std::optional<row_key> after_row; // directives
  day_range days;                   // figures, ranking
  std::vector<std::uint32_t> units; // figures: the unit, then its children; ranking: the ranked
  struct part {
    std::vector<std::pair<row_key, directive_row>> rows;   // directives: the shard's first `limit`
    std::vector<std::pair<order_key, case_summary>> items; // the shard's first `limit`, sorted
    std::uint32_t matched = 0;                             // every match
    std::uint32_t beyond = 0;                              // matches after the cursor
    std::vector<figure_row> figures; // figures, ranking: per job.units, this shard's counts
  };
  std::vector<part> parts;
  std::atomic<std::size_t> waiting{0};
};

/// A directive as the read side keeps it: every recipient (in recipient order) and its latest
/// answer (issue: none yet), 9 bytes each (progress.hpp).
struct directive_view {
  directive_ptr info;
  progress_list receipts;
  std::uint32_t signed_count = 0, done = 0; // the tally, kept as receipts come
  timestamp_ms ended = 0;                   // when its last receipt completed it everywhere
  bool broad = false; // in shard_state::broad, not in its recipients' inbox lists
};

/// Cuts `items` (and sets the cursor from the last kept) until `r` fits a frame in both forms.
/// Counted first (size_bound, no encoding): only a page that may pass the limit is encoded,
/// to cut it where the encodings say.
template <class Items, class CursorOf>
void fit(result& r, Items& items, CursorOf cursor_of_last) {
  if (size_bound(r) <= limits::result_bytes)
    return;
  for (;;) {
    const auto size = std::max(encode(server_message{r}).size(), to_json(server_message{r}).size());
    if (size <= limits::result_bytes || items.size() <= 1)
      return;
    auto keep = std::min(items.size() - 1, items.size() * limits::result_bytes / size);
    items.resize(std::max<std::size_t>(keep, 1));
    r.cursor = cursor_of_last();
  }
}

/// A `case` query's answer, finished by the case's holder with its record: the steps from
/// r.one.first up to `end` (the history's length at the query's cut: the holder may have
/// taken later steps already, which the answer leaves out) and what was reported.
struct history_answer final : history_question {
  result r;
  std::uint32_t end = 0;
  sink_ptr reply_to;
  /// Where to look when the holder no longer keeps the case (it let the case go to the
  /// archive): null once looked, or without an archive.
  std::shared_ptr<case_archive> archive;
  /// When the shard no longer keeps the case (it let it go, retention): the query, checked
  /// and summarised from the record once it comes, as the shard would have (summarise_from).
  std::shared_ptr<query_job> job;
  std::shared_ptr<const read_model::shared> sh;

  void answer(const case_record* c) override;

  /// Answers `job` from record `c` (null: there is none) through a scratch shard.
  void summarise_from(const case_record* c);
};

/// One shard's view: its cases, directives and figures (read_model.hpp). Its methods are
/// split by what they serve: read_side_cases.cpp, read_side_figures.cpp,
/// read_side_directives.cpp, read_side_retention.cpp.
struct shard_state {
  std::shared_ptr<const read_model::shared> sh;
  std::unordered_map<case_id, case_view> cases;
  /// holder index -> the cases it holds, open and done apart (a list asks for the open ones
  /// by default: it visits no closed case), each in no order (a case knows its place).
  using case_lists = std::unordered_map<std::uint32_t, std::vector<case_view*>>;
  case_lists open_at, done_at;
  std::unordered_map<unit_code, std::vector<case_id>> summoned;       // department -> cases
  std::unordered_map<directive_id, directive_view> directives;        // issued in this shard
  std::unordered_map<unit_code, std::vector<directive_id>> issued_by; // issuer unit -> its own
  /// recipient unit -> the directives with recipients there (once each; the recipients are
  /// found in the directive's receipts, which keep a unit's together), for directives that
  /// reach at most broad_units units. A broader one (a city-wide directive: 18,100 grids, 8
  /// bytes each here, 145 KB) is in `broad` instead, and an inbox looks its unit up in the
  /// receipts of each (a binary search; a shard keeps few of them).
  std::unordered_map<unit_code, std::vector<directive_id>> inbox;
  std::vector<directive_id> broad;
  static constexpr std::size_t broad_units = 64;
  // Figures: the flows per unit and day, and the stock (open, yellow, red) per unit's subtree,
  // its colours moved on by a heap of the points where a case turns yellow or red.
  period_book book{nullptr};
  struct stock {
    std::uint32_t open = 0, yellow = 0, red = 0;
  };
  std::vector<stock> stocks; // per unit index
  struct colour_point {
    timestamp_ms at;
    case_id id;
    std::uint32_t version;
    bool operator>(const colour_point& o) const { return at > o.at; }
  };
  std::priority_queue<colour_point, std::vector<colour_point>, std::greater<>> points;
  timestamp_ms clock = 0;      // the latest time the stock's colours are at
  timestamp_ms applied_at = 0; // the latest event's time: what is let go after a batch
  /// Ended cases by their last step's time, earliest first: let go `retain` after it.
  std::priority_queue<std::pair<timestamp_ms, case_id>,
                      std::vector<std::pair<timestamp_ms, case_id>>, std::greater<>>
      ended;
  /// Directives by the time they ended (every receipt complete, or the deadline), earliest
  /// first: let go `retain` after it.
  std::priority_queue<std::pair<timestamp_ms, directive_id>,
                      std::vector<std::pair<timestamp_ms, directive_id>>, std::greater<>>
      ended_directives;

  const hierarchy& h() const { return *sh->h; }

  // The cases: their rows, lists and stock, and the answers about them (read_side_cases.cpp).

  /// Adds `d` (+1 or -1) cases in colour `c` to the stock of `unit` and of every unit above it.
  void add_stock(std::uint32_t unit, deadline_colour c, std::int32_t d);

  /// Moves case `v`'s part of the stock to where and what it is now: open at its holder while
  /// not closed, rejected or a duplicate, in its colour at `clock`.
  void restock(case_view& v);

  /// Brings the stock's colours to time `t` (later only).
  void advance(timestamp_ms t);

  /// Makes `unit` case `v`'s holder, and one of the units that held it.
  void hold(case_view& v, unit_code unit);

  /// Lists case `v` under its holder, with the open or the done cases as its state is.
  void relist(case_view& v);

  /// Takes case `v` off its holder's list (before it is forgotten, or listed elsewhere).
  void unlist(case_view& v);

  /// Adds the departments a whistle summoned to case `v` (they may then see it and list it).
  void summon(case_view& v, const std::vector<unit_code>& departments);

  /// A recovered case, as its holder keeps it.
  void adopt(const case_record& c);

  /// A holder's step, in sequence order.
  void apply(const case_event& ev, const case_facts& f);

  /// Whether `who` may see case `v`: a unit that held it, or a department it summoned, is
  /// theirs to watch; the hotline's operators see the hotline's cases.
  bool visible(const principal& who, const case_view& v) const;

  /// The `case` query: checked and summarised here, at the cut; its steps up to the cut and
  /// what was reported come from the holder (history_request), which answers. A case this
  /// shard has let go (retention) takes the same way, and is checked and summarised from the
  /// record that comes back: its holder's, or the archive's once the holder let it go too.
  void answer_one(const std::shared_ptr<query_job>& job);

  /// The `case` query checked and summarised, waiting for the record that gives its steps;
  /// null when it was refused (answered already).
  std::shared_ptr<history_answer> summarise_one(query_job& job);

  /// Whether case `v` passes a list query's filters (status, state, urgency, category, level
  /// held at, hotline, the reporting period, colour).
  bool matches(const query_job& job, const case_view& v) const;

  /// This shard's part of a list of cases: its first `limit` after the cursor, selected as
  /// the matches go by (a heap of the best `limit`: nothing sorts every match), and counts.
  void answer_part(query_job& job, std::size_t slot);

  // Counting: a case's steps into the figures, and a shard's part of a figures query
  // (read_side_figures.cpp).

  /// Counts the next step `e` of case `v` in the figures (protocol/README.md, "result":
  /// figures) and moves on what the step after it needs: the same counters as the live
  /// aggregates, each on the day of its step, worked out from the steps alone, so that a
  /// recovered case counts exactly as it did live.
  void step(case_view& v, const step_view& e);

  /// Counts step `e` alone; step() also moves on what the next step needs.
  void count_step(case_view& v, const step_view& e);

  /// This shard's part of a figures or ranking query: per unit of the job, its subtree's flows
  /// over the days and its stock now.
  void answer_figures_part(query_job& job, std::size_t slot);

  // Directives: their receipts, lists and the directive query (read_side_directives.cpp).

  /// A directive issued (`answers`: those recovered, else none yet).
  void issue(directive_ptr info,
             const std::vector<std::pair<recipient, directive_action>>* answers = nullptr);

  /// A recipient signed or completed.
  void receipt(directive_id id, const recipient& r, directive_action a);

  /// This shard's part of a list of directives: the unit's own (issued) or those addressed to
  /// it (inbox), its first `limit` after the cursor.
  void answer_directives_part(query_job& job, std::size_t slot);

  /// The `directive` query: the counts per child of the scope, and the laggards, paged.
  void answer_directive(query_job& job);

  // Retention (archive.hpp): the read side lets ended cases and directives go as their holders do
  // (read_side_retention.cpp).

  /// Remembers when directive `v` ends: at its deadline, or (recovered complete) from now.
  void note_issued(directive_view& v);

  /// A receipt at `at`: remembers when directive `id` was completed everywhere, if it was.
  void note_receipt(directive_id id, timestamp_ms at);

  /// Lets directive `id` go: its view and its places in the lists.
  void forget_directive(directive_id id);

  /// Remembers when case `v` ended, if it did.
  void note_ended(const case_view& v);

  /// Lets go every case that ended more than the retention before `now` and has not changed
  /// since (a `case` query then reads it from the archive).
  void forget_ended(timestamp_ms now);

  /// The one way a case leaves the shard: its view and its places in the indexes. What it
  /// counted in the figures stays (the book is per unit and day, not per case).
  void forget(case_id id);

  /// Takes up again case `before`, let go earlier and now back from the archive, without
  /// counting its steps again in the figures (they were counted when it was first kept).
  void readopt(const case_record& before);
};

/// Answers `directive` for one no shard keeps, from the archive (read_side_directives.cpp).
void answer_directive_from_archive(const std::shared_ptr<const read_model::shared>& sh,
                                   std::shared_ptr<query_job> job);

// The last shard to finish a gathered query answers with one of these: the pages of cases or
// directives merged (read_side_pages.cpp), the figures added up, the ranking ordered
// (read_side_figures.cpp).
void finish(query_job& job);
void finish_directives(query_job& job);
void finish_figures(query_job& job);
void finish_ranking(query_job& job);

} // namespace read_side
} // namespace hub::actors
