#include "actors/read_model.hpp"

#include "actors/case_rules.hpp"
#include "actors/directive.hpp"
#include "actors/ids.hpp"
#include "actors/period_book.hpp"
#include "actors/progress.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"
#include "protocol/size_bound.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <queue>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace hub::actors {

using namespace protocol;

struct read_model::shared {
  std::shared_ptr<const hierarchy> h;
  std::vector<std::uint16_t> shard_of; // per unit index: 0 the city's, 1.. a county's
  std::vector<std::uint32_t> parent;   // per unit index: its parent's, or no_unit
  std::size_t shards = 1;
  std::function<timestamp_ms()> now;
  std::function<void(case_id, std::shared_ptr<history_question>)> ask_holder;
  std::shared_ptr<case_archive> archive; // null: ended cases are kept
  retention_times retain;
  /// Held while a query is fenced and sent (ask): its messages reach each shard in the order
  /// of its fences, while the bus's lock, which publishing takes, is held for the fences only.
  mutable std::mutex send_order;

  /// The shard keeping case `id`: its maker's (nullopt when the id names no unit).
  std::optional<std::uint16_t> shard_of_case(case_id id) const {
    const auto maker = maker_of(id);
    if (maker >= shard_of.size())
      return std::nullopt;
    return shard_of[maker];
  }
};

namespace read_side {

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

bool terminal(case_state s) {
  return s == case_state::closed || s == case_state::rejected || s == case_state::duplicate;
}

/// The colour of `v`'s deadline at `now` (the holder's timer turns it at the same points).
deadline_colour colour_at(const case_view& v, timestamp_ms now) {
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

order_key key_of(const case_view& v, case_order order) {
  if (order == case_order::changed)
    return {UINT64_MAX - static_cast<std::uint64_t>(v.s.changed_at), v.s.id};
  return {v.s.deadline == 0 ? UINT64_MAX : static_cast<std::uint64_t>(v.s.deadline), v.s.id};
}

std::string cursor_of(order_key k) {
  return std::to_string(k.first) + "." + std::to_string(k.second);
}

bool parse_uint(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

/// A list cursor back into its key; false when it is not one this hub made.
bool parse_cursor(std::string_view text, order_key& out) {
  auto dot = text.find('.');
  return dot != text.npos && parse_uint(text.substr(0, dot), out.first) &&
         parse_uint(text.substr(dot + 1), out.second);
}

/// Position in a list of directives: the newest first (issued_at from the end), then the
/// directive id, then the named recipient (an inbox may hold several people of one unit).
using row_key = std::tuple<std::uint64_t, directive_id, person_id>;

row_key key_of(const directive_info& d, person_id person) {
  return {UINT64_MAX - static_cast<std::uint64_t>(d.issued_at), d.id, person};
}

std::string cursor_of(const row_key& k) {
  return std::to_string(std::get<0>(k)) + "." + std::to_string(std::get<1>(k)) + "." +
         std::to_string(std::get<2>(k));
}

/// A directive list's cursor back into its key; false when it is not one this hub made.
bool parse_cursor(std::string_view text, row_key& out) {
  auto dot = text.find('.');
  if (dot == text.npos || !parse_uint(text.substr(0, dot), std::get<0>(out)))
    return false;
  order_key rest;
  if (!parse_cursor(text.substr(dot + 1), rest))
    return false;
  std::get<1>(out) = rest.first;
  std::get<2>(out) = rest.second;
  return true;
}

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

/// An event on its way to a shard, with what the step handed the read side beside it.
struct pending_event {
  std::uint64_t seq = 0;
  outbound_ptr event;
  std::shared_ptr<const void> facts; // event_tap's: case_facts, directive_info or recipient
};

/// The events on their way from the bus to one shard, in sequence order, and the cuts of the
/// queries sent to it. The bus appends under its own lock (a push_back); the shard takes the
/// events in batches, and one `drain_msg` wakes it for all that came since its last batch:
/// an actor message per event cost more than applying the event, on the write path.
///
/// A query must see exactly the events up to its cut. The cut is fenced here when the query
/// is sent (under the bus's lock, so in the order of the shard's mailbox), and no batch
/// reaches past the first fence: the query takes the rest up to its cut itself, answers,
/// passes its fence, and then takes the next batch, so nothing waits for a new event.
class shard_feed {
public:
  /// Appends; true when the shard must be woken (nothing already means to take it).
  bool append(pending_event e) {
    std::lock_guard guard{mutex_};
    events_.push_back(std::move(e));
    if (woken_)
      return false;
    woken_ = true;
    return true;
  }

  /// Fences the cut of a query being sent to the shard.
  void fence(std::uint64_t seq) {
    std::lock_guard guard{mutex_};
    fences_.push_back(seq);
  }

  /// The events the shard may apply now, oldest first: all before the first fence (all when
  /// none). `into` is empty and keeps its capacity from batch to batch.
  void take(std::vector<pending_event>& into) {
    std::lock_guard guard{mutex_};
    if (fences_.empty()) {
      into.swap(events_);
    } else {
      auto end = std::find_if(events_.begin(), events_.end(),
                              [cut = fences_.front()](const auto& e) { return e.seq > cut; });
      into.assign(std::make_move_iterator(events_.begin()), std::make_move_iterator(end));
      events_.erase(events_.begin(), end);
    }
    // Events left behind a fence are taken by that fence's query after its answer.
    woken_ = !events_.empty();
  }

  /// The first fence's query has its answer.
  void pass_fence() {
    std::lock_guard guard{mutex_};
    fences_.pop_front();
  }

private:
  std::mutex mutex_;
  std::vector<pending_event> events_;
  std::deque<std::uint64_t> fences_;
  bool woken_ = false; // a drain_msg, or a fenced query, will take what is appended
};

/// Wakes a shard to take its events (shard_feed).
struct drain_msg {};

/// A directive as the read side keeps it: every recipient (in recipient order) and its latest
/// answer (issue: none yet), 9 bytes each (progress.hpp).
struct directive_view {
  directive_ptr info;
  progress_list receipts;
  std::uint32_t signed_count = 0, done = 0; // the tally, kept as receipts come
  timestamp_ms ended = 0;                   // when its last receipt completed it everywhere
};

struct query_msg {
  std::shared_ptr<query_job> job;
  std::size_t slot = 0;
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

  void answer(const case_record* c) override {
    if (c == nullptr && archive) {
      auto again = std::make_shared<history_answer>(*this);
      again->archive = nullptr;
      return archive->fetch(r.one.summary.id, [again](archive_answer a) {
        if (a.is == archive_answer::status::unavailable)
          return reply(again->reply_to, error{again->r.id, errc::try_again,
                                              "the archive did not answer: ask again shortly"});
        again->answer(a.record ? &*a.record : nullptr);
      });
    }
    if (job != nullptr)
      return summarise_from(c);
    if (c == nullptr || c->history.size() < end)
      return reply(reply_to,
                   error{r.id, errc::unknown_case, "no case " + std::to_string(r.one.summary.id)});
    auto& d = r.one;
    d.description = c->description;
    d.address = c->address;
    d.external_id = c->external_id;
    d.lat = c->lat;
    d.lon = c->lon;
    d.steps.reserve(end - d.first);
    for (auto i = d.first; i < end; ++i) {
      const auto& e = c->history[i];
      d.steps.push_back(protocol::case_step{e.at, e.action, e.state, e.unit, e.from_unit, e.by,
                                            e.note, e.departments, e.score, e.duplicate_of});
    }
    auto next = [&] { return "s" + std::to_string(d.first + d.steps.size()); };
    if (end < r.total)
      r.cursor = next();
    fit(r, d.steps, next);
    reply(reply_to, std::move(r));
  }

  /// Answers `job` from record `c` (null: there is none) through a scratch shard.
  void summarise_from(const case_record* c);
};

/// Refuses a `case` query: replies `e`, and leaves no question for a holder.
std::shared_ptr<history_answer> reply_null(const sink_ptr& to, protocol::server_message e) {
  reply(to, std::move(e));
  return nullptr;
}

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
  /// found in the directive's receipts, which keep a unit's together)
  std::unordered_map<unit_code, std::vector<directive_id>> inbox;
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
  timestamp_ms applied_at = 0; // the latest case event's time: what is let go after a batch
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

  void add_stock(std::uint32_t unit, deadline_colour c, std::int32_t d) {
    if (stocks.empty())
      stocks.resize(h().units.size());
    for (auto u = unit; u < stocks.size(); u = sh->parent[u]) {
      auto& s = stocks[u];
      s.open += static_cast<std::uint32_t>(d);
      s.yellow += c == deadline_colour::yellow ? static_cast<std::uint32_t>(d) : 0;
      s.red += c == deadline_colour::red ? static_cast<std::uint32_t>(d) : 0;
    }
  }

  /// Moves case `v`'s part of the stock to where and what it is now: open at its holder while
  /// not closed, rejected or a duplicate, in its colour at `clock`.
  void restock(case_view& v) {
    if (v.stock_at != hierarchy::no_unit)
      add_stock(v.stock_at, v.stock_colour, -1);
    v.stock_at = hierarchy::no_unit;
    ++v.stock_version;
    if (terminal(v.s.state))
      return;
    v.stock_colour = colour_at(v, clock);
    v.stock_at = v.holder;
    add_stock(v.stock_at, v.stock_colour, +1);
    if (v.s.deadline == 0 || v.stock_colour == deadline_colour::red)
      return;
    points.push({v.stock_colour == deadline_colour::green
                     ? v.clock_start + (v.s.deadline - v.clock_start) * 4 / 5
                     : v.s.deadline,
                 v.s.id, v.stock_version});
    // A step leaves the case's earlier point behind (stale until its time comes, maybe days
    // away): when those outnumber the cases, keep only the current points.
    if (points.size() > 2 * cases.size() + 1024) {
      std::vector<colour_point> live;
      while (!points.empty()) {
        const auto p = points.top();
        points.pop();
        if (auto c = cases.find(p.id); c != cases.end() && c->second.stock_version == p.version)
          live.push_back(p);
      }
      points = decltype(points)(std::greater<>{}, std::move(live));
    }
  }

  /// Brings the stock's colours to time `t` (later only).
  void advance(timestamp_ms t) {
    clock = std::max(clock, t);
    while (!points.empty() && points.top().at <= clock) {
      auto p = points.top();
      points.pop();
      if (auto c = cases.find(p.id); c != cases.end() && c->second.stock_version == p.version)
        restock(c->second);
    }
  }

  /// Counts the next step `e` of case `v` in the figures (protocol/README.md, "result":
  /// figures) and moves on what the step after it needs: the same counters as the live
  /// aggregates, each on the day of its step, worked out from the steps alone, so that a
  /// recovered case counts exactly as it did live.
  void step(case_view& v, const step_view& e) {
    count_step(v, e);
    v.last_unit = e.unit;
    if (v.steps == 0 || (e.action != case_action::remind && e.action != case_action::supervise))
      v.handed_at = e.at;
    ++v.steps;
  }

  void count_step(case_view& v, const step_view& e) {
    const auto i = v.steps; // its index in the history
    const auto at = h().index_of(e.unit);
    if (at == hierarchy::no_unit || v.category >= h().categories.size())
      return; // not a unit or category of this city: nothing to count it at
    const auto& limits = h().categories[v.category].limits[static_cast<int>(v.s.level)];
    auto part_of = [&](unit_code d) {
      return std::find_if(v.parts.begin(), v.parts.end(),
                          [&](const case_view::part& p) { return p.department == d; });
    };
    const auto kind = h().units[at].kind;
    if (i == 0)
      v.level = kind == unit_kind::centre ? case_level::grid : level_of(kind);
    else if (e.unit != v.last_unit && kind != unit_kind::centre)
      v.level = std::max(v.level, level_of(kind));
    switch (e.action) {
      case case_action::report: book.count(at, e.at, &flows::reported); break;
      case case_action::sign: {
        // The case's response: its first sign within the sign limit of the step that handed
        // it over (reminders and supervision keep the clock).
        if (v.responded)
          break;
        const auto start = i > 0 ? v.handed_at : e.at;
        if (limits.sign == 0 || e.at <= start + timestamp_ms{limits.sign} * 1000) {
          v.responded = true;
          book.count(at, e.at, &flows::responded);
        }
        break;
      }
      case case_action::close:
        book.count(at, e.at, &flows::resolved);
        book.count_closed(at, e.at, static_cast<std::size_t>(v.level));
        break;
      case case_action::remind: // the hub's own reminder: the holder's deadline passed
        if (e.by == 0)
          book.count(at, e.at, &flows::overdue);
        break;
      case case_action::approve_whistle:
        v.level = case_level::department;
        for (auto d : e.departments) {
          const auto dept = h().index_of(d);
          auto p = part_of(d);
          if (p != v.parts.end() && !p->fed_back)
            add_stock(dept, deadline_colour::green, -1);
          if (p == v.parts.end())
            p = v.parts.insert(v.parts.end(), case_view::part{d, 0, false, false});
          *p = {d, e.at, false, false};
          book.count(dept, e.at, &flows::reported);
          add_stock(dept, deadline_colour::green, +1);
        }
        break;
      case case_action::report_in:
      case case_action::feedback: {
        if (e.departments.empty())
          break;
        auto p = part_of(e.departments.front());
        if (p == v.parts.end() || p->fed_back)
          break;
        const auto dept = h().index_of(p->department);
        if (!p->reported_in) { // a report-in within its limit (or a feedback that came first)
          p->reported_in = true;
          if (e.at <= p->summoned_at + timestamp_ms{limits.department_sign} * 1000)
            book.count(dept, e.at, &flows::responded);
        }
        if (e.action == case_action::feedback) {
          p->fed_back = true;
          book.count(dept, e.at, &flows::resolved);
          if (e.at > p->summoned_at + timestamp_ms{limits.whistle} * 1000)
            book.count(dept, e.at, &flows::overdue);
          add_stock(dept, deadline_colour::green, -1);
        }
        break;
      }
      case case_action::rate:
        if (!e.departments.empty() && e.score != 0) {
          const auto dept = h().index_of(e.departments.front());
          book.count(dept, e.at, &flows::rated);
          book.count(dept, e.at, &flows::score_sum, e.score);
          if (e.score >= 4)
            book.count(dept, e.at, &flows::satisfied);
        }
        break;
      default: break;
    }
  }

  /// This shard's part of a figures or ranking query: per unit of the job, its subtree's flows
  /// over the days and its stock now.
  void answer_figures_part(query_job& job, std::size_t slot) {
    advance(job.now);
    auto& out = job.parts[slot].figures;
    out.resize(job.units.size());
    for (std::size_t k = 0; k < job.units.size(); ++k) {
      const auto u = job.units[k];
      auto& row = out[k];
      row.unit = h().units[u].code;
      const auto f = book.sum(u, job.days);
      row.reported = f.reported;
      row.responded = f.responded;
      row.resolved = f.resolved;
      row.rated = f.rated;
      row.satisfied = f.satisfied;
      row.overdue = f.overdue;
      row.score_sum = f.score_sum;
      row.closed_at = f.closed_at;
      if (u < stocks.size()) {
        row.open = stocks[u].open;
        row.yellow = stocks[u].yellow;
        row.red = stocks[u].red;
      }
    }
  }

  void hold(case_view& v, unit_code unit) {
    if (v.held_by.empty() || v.held_by.back() != unit)
      v.held_by.push_back(unit);
    v.s.unit = unit;
    v.holder = h().index_of(unit);
  }

  /// Lists case `v` under its holder, with the open or the done cases as its state is.
  void relist(case_view& v) {
    const bool done = terminal(v.s.state);
    if (v.listed_at == v.holder && v.listed_done == done)
      return;
    unlist(v);
    auto& list = (done ? done_at : open_at)[v.holder];
    v.listed_at = v.holder;
    v.listed_done = done;
    v.listed_pos = static_cast<std::uint32_t>(list.size());
    list.push_back(&v);
  }

  /// Takes case `v` off its holder's list (before it is forgotten, or listed elsewhere).
  void unlist(case_view& v) {
    if (v.listed_at == hierarchy::no_unit)
      return;
    auto& lists = v.listed_done ? done_at : open_at;
    auto found = lists.find(v.listed_at);
    auto& list = found->second;
    list[v.listed_pos] = list.back();
    list[v.listed_pos]->listed_pos = v.listed_pos;
    list.pop_back();
    if (list.empty())
      lists.erase(found);
    v.listed_at = hierarchy::no_unit;
  }

  void summon(case_view& v, const std::vector<unit_code>& departments) {
    for (auto d : departments)
      if (std::find(v.summoned.begin(), v.summoned.end(), d) == v.summoned.end()) {
        v.summoned.push_back(d);
        summoned[d].push_back(v.s.id);
      }
  }

  /// A recovered case, as its holder keeps it.
  void adopt(const case_record& c) {
    auto& v = cases[c.id];
    v.s.id = c.id;
    v.s.title = c.title;
    v.s.category = h().categories[c.category].code;
    v.s.level = c.urgency;
    v.s.state = c.state;
    v.s.colour = c.colour;
    v.s.deadline = c.deadline;
    v.s.origin = c.origin;
    v.s.reached = c.level;
    v.s.hotline = c.hotline;
    v.s.reported_at = c.history.empty() ? 0 : c.history.front().at;
    v.s.changed_at = c.history.empty() ? 0 : c.history.back().at;
    v.clock_start = c.clock_start;
    v.category = c.category;
    hold(v, c.origin);
    for (const auto& e : c.history) {
      step(v, {e.at, e.action, e.unit, e.by, e.departments, e.score});
      if (e.unit != v.held_by.back())
        v.held_by.push_back(e.unit);
      if (e.action == case_action::approve_whistle)
        summon(v, e.departments);
    }
    std::vector<unit_code> whistled; // records stored before steps kept their departments
    for (const auto& w : c.whistle)
      whistled.push_back(w.department);
    summon(v, whistled);
    hold(v, c.holder);
    relist(v);
    restock(v);
    note_ended(v);
  }

  /// A directive issued (`answers`: those recovered, else none yet).
  void issue(directive_ptr info,
             const std::vector<std::pair<recipient, directive_action>>* answers = nullptr) {
    auto& v = directives[info->id];
    v.receipts = answers != nullptr
                     ? progress_list(h(), *answers)
                     : progress_list(h(), all_recipients(h(), *info, info->issuer_unit));
    const bool fresh = v.info == nullptr;
    v.info = std::move(info);
    v.signed_count = v.done = 0;
    for (std::size_t i = 0; i < v.receipts.size(); ++i) {
      const auto a = v.receipts.state(i);
      v.signed_count += a != directive_action::issue ? 1 : 0;
      v.done += a == directive_action::complete ? 1 : 0;
    }
    note_issued(v);
    if (!fresh)
      return;
    issued_by[v.info->issuer_unit].push_back(v.info->id);
    for (std::size_t i = 0; i < v.receipts.size(); ++i)
      if (i == 0 || v.receipts.unit_at(i) != v.receipts.unit_at(i - 1)) {
        auto& mine = inbox[h().units[v.receipts.unit_at(i)].code];
        if (mine.size() == mine.capacity()) // by an eighth, not double: 18,100 grids each grow
          mine.reserve(mine.size() + std::max<std::size_t>(8, mine.size() / 8));
        mine.push_back(v.info->id);
      }
  }

  /// A recipient signed or completed.
  void receipt(directive_id id, const recipient& r, directive_action a) {
    auto found = directives.find(id);
    if (found == directives.end())
      return;
    auto& v = found->second;
    const auto at = v.receipts.find(h(), r);
    if (at == progress_list::npos)
      return;
    const auto answer = v.receipts.state(at);
    if (a != directive_action::complete && answer != directive_action::issue)
      return;
    v.signed_count += answer == directive_action::issue ? 1 : 0;
    v.done += a == directive_action::complete && answer != directive_action::complete ? 1 : 0;
    v.receipts.set(at, a);
  }

  /// This shard's part of a list of directives: the unit's own (issued) or those addressed to
  /// it (inbox), its first `limit` after the cursor.
  void answer_directives_part(query_job& job, std::size_t slot) {
    auto& part = job.parts[slot];
    std::vector<std::pair<row_key, directive_row>> found;
    auto row_of = [](const directive_view& v) {
      const auto& d = *v.info;
      directive_row row;
      row.id = d.id;
      row.unit = d.issuer_unit;
      row.by = d.issuer;
      row.channel = d.what.channel;
      row.title = d.what.title;
      row.issued_at = d.issued_at;
      row.deadline = d.what.deadline;
      return row;
    };
    auto consider = [&](const directive_view& v, person_id person, auto&& finish_row) {
      ++part.matched;
      auto key = key_of(*v.info, person);
      if (job.after_row && !(*job.after_row < key))
        return;
      ++part.beyond;
      auto row = row_of(v);
      finish_row(row);
      found.emplace_back(key, std::move(row));
    };
    if (job.q.box == directive_box::issued) {
      if (auto mine = issued_by.find(job.q.unit); mine != issued_by.end())
        for (auto id : mine->second) {
          const auto& v = directives.at(id);
          consider(v, 0, [&](directive_row& row) {
            row.total = static_cast<std::uint32_t>(v.receipts.size());
            row.signed_count = v.signed_count;
            row.done = v.done;
          });
        }
    } else if (auto mine = inbox.find(job.q.unit); mine != inbox.end()) {
      const auto at = h().index_of(job.q.unit);
      for (auto id : mine->second) {
        const auto& v = directives.at(id);
        // The unit's recipients, together in recipient order: the unit itself first.
        for (auto i = v.receipts.lower_bound(h(), recipient{job.q.unit, 0});
             i < v.receipts.size() && v.receipts.unit_at(i) == at; ++i) {
          const auto person = v.receipts.who(h(), i).person;
          consider(v, person, [&](directive_row& row) {
            row.person = person;
            row.action = v.receipts.state(i);
          });
        }
      }
    }
    const auto n = std::min<std::size_t>(found.size(), job.limit);
    std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n), found.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    found.resize(n);
    part.rows = std::move(found);
  }

  void answer_directive(query_job& job) {
    auto found = directives.find(job.q.directive_ref);
    if (found == directives.end())
      return reply(job.reply_to, error{job.id, errc::unknown_directive,
                                       "no directive " + std::to_string(job.q.directive_ref)});
    const auto& v = found->second;
    const auto& d = *v.info;
    const auto scope = job.q.unit != 0 ? job.q.unit : d.issuer_unit;
    const auto scope_at = h().index_of(scope);
    auto any_in_scope = [&] {
      for (std::size_t i = 0; i < v.receipts.size(); ++i)
        if (h().within_at(v.receipts.unit_at(i), scope_at))
          return true;
      return false;
    };
    // Outside the issuer's unit, one sees a directive only where it has recipients.
    const bool watches_issuer = job.who.holds == post::hotline_operator
                                    ? d.issuer_unit == job.who.unit
                                    : may_watch(h(), job.who, d.issuer_unit);
    if (!h().within(scope, d.issuer_unit) || (!watches_issuer && !any_in_scope()))
      return reply(job.reply_to, error{job.id, errc::forbidden,
                                       "you may not see directive " +
                                           std::to_string(job.q.directive_ref) + " there"});
    std::optional<recipient> after;
    if (!job.q.cursor.empty()) {
      order_key k;
      if (!parse_cursor(job.q.cursor, k))
        return reply(job.reply_to, error{job.id, errc::invalid_argument,
                                         "field 'cursor': not a cursor of this directive"});
      after = recipient{k.first, k.second};
    }
    result r;
    r.id = job.id;
    r.seq = job.seq;
    r.what = query_kind::directive;
    auto& out = r.directive;
    out.id = d.id;
    out.unit = d.issuer_unit;
    out.by = d.issuer;
    out.channel = d.what.channel;
    out.title = d.what.title;
    out.body = d.what.body;
    out.issued_at = d.issued_at;
    out.deadline = d.what.deadline;
    out.scope.unit = scope;
    std::map<unit_code, receipt_count> children;
    auto count = [](receipt_count& c, directive_action a) {
      c.total += 1;
      c.signed_count += a != directive_action::issue ? 1 : 0;
      c.done += a == directive_action::complete ? 1 : 0;
    };
    const auto limit = job.q.limit != 0 ? job.q.limit : limits::default_page;
    std::string cursor;
    for (std::size_t i = 0; i < v.receipts.size(); ++i) {
      auto at = v.receipts.unit_at(i);
      if (!h().within_at(at, scope_at))
        continue;
      const auto a = v.receipts.state(i);
      count(out.scope, a);
      auto child = at; // the child of the scope on the way up (or the scope itself)
      while (child != scope_at && sh->parent[child] != scope_at)
        child = sh->parent[child];
      auto& c = children[h().units[child].code];
      c.unit = h().units[child].code;
      count(c, a);
      const bool lags = job.q.lagging == directive_action::complete
                            ? a != directive_action::complete
                            : a == directive_action::issue;
      if (!lags)
        continue;
      ++r.total;
      const auto who = v.receipts.who(h(), i);
      if (after && !(*after < who))
        continue;
      if (out.laggards.size() < limit)
        out.laggards.push_back({who.unit, who.person, a});
      else if (cursor.empty())
        cursor = "more";
    }
    for (auto& [code, c] : children)
      out.children.push_back(c);
    auto next = [&] {
      const auto& last = out.laggards.back();
      return std::to_string(last.unit) + "." + std::to_string(last.person);
    };
    if (!cursor.empty())
      r.cursor = next();
    fit(r, out.laggards, next);
    reply(job.reply_to, std::move(r));
  }

  /// A holder's step, in sequence order.
  void apply(const case_event& ev, const case_facts& f) {
    if (f.before && !cases.contains(ev.id))
      readopt(*f.before);
    advance(ev.at);
    auto [at, fresh] = cases.try_emplace(ev.id);
    auto& v = at->second;
    if (fresh) {
      if (auto* c = h().find_category(ev.category))
        v.category = static_cast<std::uint16_t>(c - h().categories.data());
      v.s.id = ev.id;
      v.s.origin = ev.unit;
      v.s.reported_at = ev.at;
      v.s.title = f.title;
      v.s.hotline = f.hotline;
    }
    v.s.category = ev.category;
    v.s.level = ev.level;
    v.s.state = ev.state;
    v.s.colour = ev.colour;
    v.s.deadline = ev.deadline;
    v.s.reached = f.reached;
    v.s.changed_at = ev.at;
    v.clock_start = f.clock_start;
    if (ev.action == case_action::approve_whistle)
      summon(v, ev.departments);
    if (fresh || ev.unit != v.s.unit)
      hold(v, ev.unit);
    relist(v);
    step(v, {ev.at, ev.action, ev.unit, ev.by, ev.departments, ev.score});
    restock(v);
    note_ended(v);
    applied_at = std::max(applied_at, ev.at);
  }

  // -- retention (archive.hpp): the read side lets ended cases go as their holders do --

  /// Remembers when directive `v` ends: at its deadline, or (recovered complete) from now.
  void note_issued(directive_view& v) {
    if (!sh->archive)
      return;
    if (v.info->what.deadline != 0)
      ended_directives.emplace(v.info->what.deadline, v.info->id);
    if (v.done == v.receipts.size() && v.ended == 0)
      ended_directives.emplace(v.ended = sh->now(), v.info->id);
  }

  /// A receipt at `at`: remembers when directive `id` was completed everywhere, if it was.
  void note_receipt(directive_id id, timestamp_ms at) {
    auto found = directives.find(id);
    if (!sh->archive || found == directives.end())
      return;
    auto& v = found->second;
    if (v.ended == 0 && v.done == v.receipts.size())
      ended_directives.emplace(v.ended = at, id);
  }

  /// Lets directive `id` go: its view and its places in the lists.
  void forget_directive(directive_id id) {
    auto found = directives.find(id);
    if (found == directives.end())
      return;
    const auto& v = found->second;
    if (auto i = issued_by.find(v.info->issuer_unit); i != issued_by.end()) {
      std::erase(i->second, id);
      if (i->second.empty())
        issued_by.erase(i);
    }
    for (std::size_t i = 0; i < v.receipts.size(); ++i)
      if (i == 0 || v.receipts.unit_at(i) != v.receipts.unit_at(i - 1))
        if (auto in = inbox.find(h().units[v.receipts.unit_at(i)].code); in != inbox.end()) {
          std::erase(in->second, id);
          if (in->second.empty())
            inbox.erase(in);
        }
    directives.erase(found);
  }

  /// Remembers when case `v` ended, if it did.
  void note_ended(const case_view& v) {
    if (sh->archive && terminal(v.s.state))
      ended.emplace(v.s.changed_at, v.s.id);
  }

  /// Lets go every case that ended more than the retention before `now` and has not changed
  /// since (a `case` query then reads it from the archive).
  void forget_ended(timestamp_ms now) {
    while (!ended.empty() && ended.top().first + sh->retain.cases.count() <= now) {
      const auto [at, id] = ended.top();
      ended.pop();
      if (auto c = cases.find(id);
          c != cases.end() && terminal(c->second.s.state) && c->second.s.changed_at == at)
        forget(id);
    }
    while (!ended_directives.empty() &&
           ended_directives.top().first + sh->retain.directives.count() <= now) {
      const auto [at, id] = ended_directives.top();
      ended_directives.pop();
      if (auto d = directives.find(id); d != directives.end()) {
        const auto& v = d->second;
        const auto end =
            v.done == v.receipts.size() && v.ended != 0 ? v.ended : v.info->what.deadline;
        if (end == at)
          forget_directive(id);
      }
    }
  }

  /// The one way a case leaves the shard: its view and its places in the indexes. What it
  /// counted in the figures stays (the book is per unit and day, not per case).
  void forget(case_id id) {
    auto found = cases.find(id);
    if (found == cases.end())
      return;
    auto& v = found->second;
    if (v.stock_at != hierarchy::no_unit)
      add_stock(v.stock_at, v.stock_colour, -1);
    unlist(v);
    for (auto d : v.summoned)
      if (auto s = summoned.find(d); s != summoned.end()) {
        std::erase(s->second, id);
        if (s->second.empty())
          summoned.erase(s);
      }
    cases.erase(found); // its colour points, if any, are skipped when they come due
  }

  /// Takes up again case `before`, let go earlier and now back from the archive, without
  /// counting its steps again in the figures (they were counted when it was first kept).
  void readopt(const case_record& before) {
    auto kept_book = std::move(book);
    auto kept_stocks = stocks;
    book = period_book(&sh->parent);
    adopt(before);
    book = std::move(kept_book);
    stocks = std::move(kept_stocks);
    cases[before.id].stock_at = hierarchy::no_unit;
  }

  /// Whether `who` may see case `v`: a unit that held it, or a department it summoned, is
  /// theirs to watch; the hotline's operators see the hotline's cases.
  bool visible(const principal& who, const case_view& v) const {
    if (who.holds == post::hotline_operator)
      return v.s.hotline;
    auto mine = [&](unit_code u) { return may_watch(h(), who, u); };
    return std::any_of(v.held_by.begin(), v.held_by.end(), mine) ||
           std::any_of(v.summoned.begin(), v.summoned.end(), mine);
  }

  /// The `case` query: checked and summarised here, at the cut; its steps up to the cut and
  /// what was reported come from the holder (history_request), which answers. A case this
  /// shard has let go (retention) takes the same way, and is checked and summarised from the
  /// record that comes back: its holder's, or the archive's once the holder let it go too.
  void answer_one(const std::shared_ptr<query_job>& job) {
    std::shared_ptr<history_answer> q;
    if (sh->archive && !cases.contains(job->q.case_ref)) {
      q = std::make_shared<history_answer>();
      q->r.id = job->id;
      q->r.one.summary.id = job->q.case_ref;
      q->reply_to = job->reply_to;
      q->archive = sh->archive;
      q->job = job;
      q->sh = sh;
    } else {
      q = summarise_one(*job);
    }
    if (q != nullptr)
      sh->ask_holder(job->q.case_ref, std::move(q));
  }

  /// The `case` query checked and summarised, waiting for the record that gives its steps;
  /// null when it was refused (answered already).
  std::shared_ptr<history_answer> summarise_one(query_job& job) {
    auto found = cases.find(job.q.case_ref);
    if (found == cases.end())
      return reply_null(job.reply_to, error{job.id, errc::unknown_case,
                                            "no case " + std::to_string(job.q.case_ref)});
    const auto& v = found->second;
    if (!visible(job.who, v))
      return reply_null(
          job.reply_to,
          error{job.id, errc::forbidden, "you may not see case " + std::to_string(job.q.case_ref)});
    std::uint64_t first = 0;
    if (!job.q.cursor.empty() &&
        (job.q.cursor[0] != 's' || !parse_uint(std::string_view(job.q.cursor).substr(1), first) ||
         first >= v.steps))
      return reply_null(job.reply_to, error{job.id, errc::invalid_argument,
                                            "field 'cursor': not a cursor of this case's steps"});
    auto q = std::make_shared<history_answer>();
    auto& r = q->r;
    r.id = job.id;
    r.seq = job.seq;
    r.what = query_kind::one_case;
    r.total = v.steps;
    auto& d = r.one;
    d.summary = v.s;
    d.summary.colour = colour_at(v, job.now);
    d.held_by = v.held_by;
    d.first = static_cast<std::uint32_t>(first);
    const auto limit = job.q.limit != 0 ? job.q.limit : limits::page;
    q->end = static_cast<std::uint32_t>(std::min<std::uint64_t>(v.steps, first + limit));
    q->reply_to = job.reply_to;
    q->archive = sh->archive;
    return q;
  }

  bool matches(const query_job& job, const case_view& v) const {
    const auto& q = job.q;
    const bool done = terminal(v.s.state);
    if ((q.status == case_status::open && done) || (q.status == case_status::done && !done))
      return false;
    if ((q.state && *q.state != v.s.state) || (q.level && *q.level != v.s.level))
      return false;
    if (!q.category.empty() && q.category != v.s.category)
      return false;
    if (q.held_at && *q.held_at != h().units[v.holder].kind)
      return false;
    if ((q.hotline && *q.hotline != v.s.hotline) || (job.hotline_only && !v.s.hotline))
      return false;
    if ((q.from != 0 && v.s.reported_at < q.from) || (q.to != 0 && v.s.reported_at >= q.to))
      return false;
    return !q.colour || *q.colour == colour_at(v, job.now);
  }

  /// This shard's part of a list of cases: its first `limit` after the cursor, selected as
  /// the matches go by (a heap of the best `limit`: nothing sorts every match), and counts.
  void answer_part(query_job& job, std::size_t slot) {
    auto& part = job.parts[slot];
    using entry = std::pair<order_key, const case_view*>;
    std::vector<entry> best; // a max-heap by key: the worst kept on top
    best.reserve(std::min<std::size_t>(job.limit, 1024));
    auto by_key = [](const entry& a, const entry& b) { return a.first < b.first; };
    auto consider = [&](const case_view& v) {
      if (!matches(job, v))
        return;
      ++part.matched;
      auto key = key_of(v, job.q.order);
      if (job.after && !(*job.after < key))
        return;
      ++part.beyond;
      if (best.size() < job.limit) {
        best.emplace_back(key, &v);
        std::push_heap(best.begin(), best.end(), by_key);
      } else if (key < best.front().first) {
        std::pop_heap(best.begin(), best.end(), by_key);
        best.back() = {key, &v};
        std::push_heap(best.begin(), best.end(), by_key);
      }
    };
    auto visit = [&](const case_lists& lists) {
      for (const auto& [unit, list] : lists)
        if (h().within_at(unit, job.root))
          for (const auto* v : list)
            consider(*v);
    };
    if (job.q.status != case_status::done)
      visit(open_at);
    if (job.q.status != case_status::open)
      visit(done_at);
    if (job.department) // and the whistles it was summoned to, held by their townships
      if (auto s = summoned.find(job.q.unit); s != summoned.end())
        for (auto id : s->second)
          if (auto c = cases.find(id); c != cases.end() && c->second.holder != job.root)
            consider(c->second);
    std::sort_heap(best.begin(), best.end(), by_key);
    part.items.reserve(best.size());
    for (const auto& [key, v] : best) {
      case_summary s = v->s;
      s.colour = colour_at(*v, job.now);
      part.items.emplace_back(key, std::move(s));
    }
  }
};

void history_answer::summarise_from(const case_record* c) {
  if (c == nullptr)
    return reply(reply_to,
                 error{job->id, errc::unknown_case, "no case " + std::to_string(job->q.case_ref)});
  shard_state scratch;
  scratch.sh = sh;
  scratch.book = period_book(&sh->parent);
  scratch.clock = job->now;
  scratch.adopt(*c);
  if (auto q = scratch.summarise_one(*job))
    q->answer(c); // the record at hand is the history: no holder to ask again
}

/// Answers `directive` for one no shard keeps from the archive, on the archive's thread: the
/// stored directive taken up by a scratch shard, which answers as the shard would have.
void answer_directive_from_archive(const std::shared_ptr<const read_model::shared>& sh,
                                   std::shared_ptr<query_job> job) {
  const auto id = job->q.directive_ref;
  const auto issuer = sh->h->units[maker_of(id)].code;
  sh->archive->fetch_directive(id, issuer, [sh, job = std::move(job)](directive_answer a) {
    if (a.is == archive_answer::status::unavailable)
      return reply(job->reply_to, error{job->id, errc::try_again,
                                        "the archive did not answer: ask again shortly"});
    if (a.is == archive_answer::status::absent)
      return reply(job->reply_to, error{job->id, errc::unknown_directive,
                                        "no directive " + std::to_string(job->q.directive_ref)});
    shard_state scratch;
    scratch.sh = sh;
    scratch.book = period_book(&sh->parent);
    scratch.issue(a.info);
    for (const auto& [who, action] : a.answers)
      scratch.receipt(a.info->id, who, action);
    scratch.answer_directive(*job);
  });
}

/// The last shard to finish a list query merges the parts (`items` of each) and answers with
/// the first `limit` in key order (into the result's `rows`), a cursor when more follow.
template <class Key, class Row>
void merge_pages(query_job& job, query_kind what,
                 std::vector<std::pair<Key, Row>> query_job::part::*items,
                 std::vector<Row> result::*rows) {
  std::vector<std::pair<Key, Row>> all;
  std::uint64_t matched = 0, beyond = 0;
  for (auto& p : job.parts) {
    matched += p.matched;
    beyond += p.beyond;
    std::move((p.*items).begin(), (p.*items).end(), std::back_inserter(all));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (all.size() > job.limit)
    all.resize(job.limit);
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = what;
  r.total = static_cast<std::uint32_t>(std::min<std::uint64_t>(matched, UINT32_MAX));
  auto& out = r.*rows;
  std::vector<Key> keys;
  for (auto& [key, row] : all) {
    keys.push_back(key);
    out.push_back(std::move(row));
  }
  auto next = [&] { return cursor_of(keys[out.size() - 1]); };
  if (beyond > all.size() && !all.empty())
    r.cursor = next();
  fit(r, out, next);
  reply(job.reply_to, std::move(r));
}

void finish(query_job& job) {
  merge_pages(job, query_kind::cases, &query_job::part::items, &result::cases);
}

void finish_directives(query_job& job) {
  merge_pages(job, query_kind::directives, &query_job::part::rows, &result::directives);
}

/// A row's rates (‰, and the average rating × 100), each when its denominator is not 0.
void rate(figure_row& r) {
  auto per = [](std::uint64_t n, std::uint64_t d, std::uint64_t scale) {
    return static_cast<std::uint32_t>((n * scale + d / 2) / d);
  };
  if (r.reported != 0) {
    r.resolution = per(r.resolved, r.reported, 1000);
    r.response = per(r.responded, r.reported, 1000);
    r.overdue_share = per(r.overdue, r.reported, 1000);
  }
  if (r.rated != 0) {
    r.satisfaction = per(r.satisfied, r.rated, 1000);
    r.rating = per(r.score_sum, r.rated, 100);
  }
}

/// The shards' counts of each unit of `job`, added up and rated.
std::vector<figure_row> sum_parts(query_job& job) {
  std::vector<figure_row> rows(job.units.size());
  for (auto& p : job.parts)
    for (std::size_t k = 0; k < p.figures.size() && k < rows.size(); ++k) {
      auto& r = rows[k];
      const auto& f = p.figures[k];
      r.unit = f.unit;
      for (auto m :
           {&figure_row::open, &figure_row::yellow, &figure_row::red, &figure_row::reported,
            &figure_row::responded, &figure_row::resolved, &figure_row::rated,
            &figure_row::satisfied, &figure_row::overdue, &figure_row::score_sum})
        r.*m += f.*m;
      for (std::size_t c = 0; c < r.closed_at.size(); ++c)
        r.closed_at[c] += f.closed_at[c];
    }
  for (auto& r : rows)
    rate(r);
  return rows;
}

/// The period's days as times (0, 0 for all time).
std::pair<timestamp_ms, timestamp_ms> bounds(const day_range& d) {
  if (d.all)
    return {0, 0};
  return {start_of_day(d.first), start_of_day(d.last + 1)};
}

/// The last shard to finish a figures query adds the parts up and answers.
void finish_figures(query_job& job) {
  auto rows = sum_parts(job);
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = query_kind::figures;
  std::tie(r.figures.from, r.figures.to) = bounds(job.days);
  r.figures.unit = std::move(rows.front());
  r.figures.children.assign(std::make_move_iterator(rows.begin() + 1),
                            std::make_move_iterator(rows.end()));
  reply(job.reply_to, std::move(r));
}

/// The figure a ranking orders by, as (numerator, denominator); denominator 0: none.
std::pair<std::uint64_t, std::uint64_t> figure_of(const figure_row& r, rank_by by) {
  switch (by) {
    case rank_by::resolution: return {r.resolved, r.reported};
    case rank_by::satisfaction: return {r.satisfied, r.rated};
    case rank_by::response: return {r.responded, r.reported};
    case rank_by::overdue: return {r.overdue, r.reported};
    case rank_by::answered: return {r.resolved, 1};
    case rank_by::rating: return {r.score_sum, r.rated};
  }
  return {0, 0};
}

/// A ranking's order: the best figure first (the lowest overdue share), units without the
/// figure last, equal figures by unit code.
bool ranks_before(const figure_row& a, const figure_row& b, rank_by by) {
  const auto [an, ad] = figure_of(a, by);
  const auto [bn, bd] = figure_of(b, by);
  if ((ad == 0) != (bd == 0))
    return ad != 0;
  if (ad != 0 && an * bd != bn * ad)
    return by == rank_by::overdue ? an * bd < bn * ad : an * bd > bn * ad;
  return a.unit < b.unit;
}

/// The last shard to finish a ranking adds the parts up, orders and answers.
void finish_ranking(query_job& job) {
  auto rows = sum_parts(job);
  const auto by = job.q.by;
  std::sort(rows.begin(), rows.end(),
            [by](const figure_row& a, const figure_row& b) { return ranks_before(a, b, by); });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // Equal figures share a place; a unit without the figure has none.
    const auto [n, d] = figure_of(rows[i], by);
    if (d == 0)
      continue;
    rows[i].rank = static_cast<std::uint32_t>(i + 1);
    if (i > 0 && rows[i - 1].rank != 0) {
      const auto [pn, pd] = figure_of(rows[i - 1], by);
      if (n * pd == pn * d)
        rows[i].rank = rows[i - 1].rank;
    }
  }
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = query_kind::ranking;
  r.ranking.unit = job.q.unit;
  r.ranking.level = *job.q.held_at;
  r.ranking.by = by;
  std::tie(r.ranking.from, r.ranking.to) = bounds(job.days);
  r.ranking.rows = std::move(rows);
  reply(job.reply_to, std::move(r));
}

/// Answers `m`'s part of its query from `state` (the last shard to finish a gathered query
/// replies).
void answer(shard_state& state, query_msg& m) {
  auto& job = *m.job;
  if (job.q.what != query_kind::figures && job.q.what != query_kind::ranking)
    state.forget_ended(job.now); // what ended `retain` ago is not in any answer
  if (job.q.what == query_kind::one_case)
    return state.answer_one(m.job);
  if (job.q.what == query_kind::directive) {
    if (state.sh->archive && !state.directives.contains(job.q.directive_ref))
      return answer_directive_from_archive(state.sh, m.job);
    return state.answer_directive(job);
  }
  switch (job.q.what) {
    case query_kind::directives: state.answer_directives_part(job, m.slot); break;
    case query_kind::figures:
    case query_kind::ranking: state.answer_figures_part(job, m.slot); break;
    default: state.answer_part(job, m.slot); break;
  }
  if (job.waiting.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  switch (job.q.what) {
    case query_kind::directives: return finish_directives(job);
    case query_kind::figures: return finish_figures(job);
    case query_kind::ranking: return finish_ranking(job);
    default: return finish(job);
  }
}

/// Applies one event the feed handed over.
void apply_event(shard_state& state, const pending_event& e) {
  const auto& msg = e.event->message();
  if (auto* c = std::get_if<case_event>(&msg))
    return state.apply(*c, *std::static_pointer_cast<const case_facts>(e.facts));
  auto& d = std::get<directive_event>(msg);
  if (d.action == directive_action::issue) {
    state.issue(std::static_pointer_cast<const directive_info>(e.facts));
  } else {
    state.receipt(d.id, *std::static_pointer_cast<const recipient>(e.facts), d.action);
    state.note_receipt(d.id, d.at);
  }
}

/// Hands the events of cases to the shard of their maker.
class tap final : public event_tap {
public:
  tap(std::shared_ptr<const read_model::shared> sh, std::vector<caf::actor> shards,
      std::vector<std::shared_ptr<shard_feed>> feeds)
    : sh_(std::move(sh))
    , shards_(std::move(shards))
    , feeds_(std::move(feeds)) {}

  void on_event(std::uint32_t, const outbound_ptr& event,
                const std::shared_ptr<const void>& facts) override {
    // Only the steps the read side keeps carry facts: a holder's step of a case (not a
    // department's reminder), a directive's issue at its issuer, a recipient's receipt.
    if (!facts)
      return;
    const auto& m = event->message();
    std::uint64_t id = 0;
    if (auto* c = std::get_if<case_event>(&m))
      id = c->id;
    else if (auto* d = std::get_if<directive_event>(&m))
      id = d->id;
    if (auto shard = sh_->shard_of_case(id))
      if (feeds_[*shard]->append({seq_of(m), event, facts}))
        caf::anon_send(shards_[*shard], drain_msg{});
  }

private:
  std::shared_ptr<const read_model::shared> sh_;
  std::vector<caf::actor> shards_;
  std::vector<std::shared_ptr<shard_feed>> feeds_;
};

} // namespace read_side
} // namespace hub::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::read_side::drain_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(hub::actors::read_side::query_msg)

namespace hub::actors {

using namespace read_side;

std::vector<figure_count> read_model::figures_of(const std::shared_ptr<const hierarchy>& h,
                                                 const case_record& c, int sign) {
  // A scratch shard counts the case as a shard would, into a book that keeps every count at
  // its own unit (no parents) and every day apart (no folding).
  thread_local std::shared_ptr<shared> sh;
  if (!sh || sh->h != h) {
    sh = std::make_shared<shared>();
    sh->h = h;
    sh->shard_of.assign(h->units.size(), 0);
    sh->parent.assign(h->units.size(), hierarchy::no_unit);
  }
  shard_state scratch;
  scratch.sh = sh;
  scratch.book = period_book(&sh->parent, std::numeric_limits<std::int32_t>::max() / 4);
  std::vector<figure_count> out;
  if (c.category >= h->categories.size())
    return out;
  scratch.adopt(c);
  scratch.book.each([&](std::uint32_t unit, std::int32_t day, const flows& f) {
    for (std::size_t k = 0; k < flows::count; ++k)
      if (f[k] != 0)
        out.push_back({unit, day, static_cast<std::uint8_t>(k), std::int64_t{sign} * f[k]});
  });
  return out;
}

read_model::read_model(caf::actor_system& sys, std::shared_ptr<const hierarchy> h,
                       const city_snapshot* snapshot, std::shared_ptr<case_archive> archive,
                       retention_times retain, std::function<timestamp_ms()> now,
                       std::function<void(case_id, std::shared_ptr<history_question>)> ask_holder) {
  auto sh = std::make_shared<shared>();
  sh->h = h;
  sh->now = std::move(now);
  sh->ask_holder = std::move(ask_holder);
  sh->archive = std::move(archive);
  sh->retain = retain;
  sh->shard_of.assign(h->units.size(), 0);
  std::unordered_map<unit_code, std::uint16_t> county_shard;
  for (const auto& u : h->units)
    if (u.kind == unit_kind::county)
      county_shard.emplace(u.code, static_cast<std::uint16_t>(county_shard.size() + 1));
  for (std::uint32_t i = 0; i < h->units.size(); ++i)
    if (auto* county = h->ancestor_of_kind(h->units[i].code, unit_kind::county))
      sh->shard_of[i] = county_shard.at(county->code);
  sh->shards = county_shard.size() + 1;
  sh->parent.reserve(h->units.size());
  for (const auto& u : h->units)
    sh->parent.push_back(u.parent != 0 ? h->index_of(u.parent) : hierarchy::no_unit);
  shared_ = sh;

  std::vector<std::shared_ptr<shard_state>> start(sh->shards);
  for (auto& s : start) {
    s = std::make_shared<shard_state>();
    s->sh = sh;
    s->book = period_book(&sh->parent, retain.figure_days);
  }
  // The archived cases' figures, each in its unit's shard: a query of any subtree holding the
  // unit asks that shard (ask, below), so it counts there as in the shard that counted it live.
  if (snapshot != nullptr)
    for (const auto& f : snapshot->archived_figures)
      if (f.unit < h->units.size() && f.n > 0 && f.k < flows::count)
        start[sh->shard_of[f.unit]]->book.count_day(f.unit, f.day, f.k,
                                                    static_cast<std::uint32_t>(f.n));
  if (snapshot != nullptr)
    for (const auto& unit : snapshot->units)
      for (const auto& c : unit.cases)
        if (auto shard = sh->shard_of_case(c.id))
          start[*shard]->adopt(c);
  if (snapshot != nullptr)
    for (const auto& unit : snapshot->units)
      for (const auto& d : unit.issued)
        if (auto shard = sh->shard_of_case(d.directive.info->id))
          start[*shard]->issue(d.directive.info, &d.progress);

  // The start state goes in as a spawn argument, not a capture: with no arguments CAF 0.17
  // dereferences its null argument tuple (UndefinedBehaviorSanitizer: reference binding to a
  // null pointer).
  for (auto& s : start) {
    auto feed = std::make_shared<shard_feed>();
    feeds_.push_back(feed);
    shards_.push_back(sys.spawn(
        [](caf::stateful_actor<shard_state>* self, std::shared_ptr<shard_state> from,
           std::shared_ptr<shard_feed> feed) {
          self->state = std::move(*from);
          // Applies what the feed holds now (up to the first fence), in sequence order.
          auto catch_up = [self, feed, batch = std::vector<pending_event>{}]() mutable {
            feed->take(batch);
            for (const auto& e : batch)
              apply_event(self->state, e);
            // Once a batch, not once an event: what ended the retention before its last
            // event is let go (and before any answer: answer() lets go up to the query's time).
            if (!batch.empty())
              self->state.forget_ended(self->state.applied_at);
            batch.clear();
          };
          return caf::behavior{
              [catch_up](drain_msg) mutable { catch_up(); },
              [self, feed, catch_up](query_msg& m) mutable {
                catch_up(); // everything up to this query's cut, nothing after
                answer(self->state, m);
                feed->pass_fence();
                catch_up(); // what came after the cut, which no message is on its way for
              },
          };
        },
        std::move(s), std::move(feed)));
  }
  tap_ = std::make_shared<read_side::tap>(sh, shards_, feeds_);
}

read_model::~read_model() {
  for (auto& s : shards_)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
}

void read_model::ask(bus& events, const principal& who, std::uint64_t id, query q,
                     sink_ptr reply_to) const {
  const auto& h = *shared_->h;
  auto refuse = [&](errc code, std::string why) {
    reply(reply_to, error{id, code, std::move(why)});
  };
  auto job = std::make_shared<query_job>();
  job->now = shared_->now();
  std::vector<std::uint16_t> targets;
  if (q.what == query_kind::one_case) {
    auto shard = shared_->shard_of_case(q.case_ref);
    if (!shard)
      return refuse(errc::unknown_case, "no case " + std::to_string(q.case_ref));
    targets.push_back(*shard);
  } else if (q.what == query_kind::directive) {
    auto shard = shared_->shard_of_case(q.directive_ref);
    if (!shard)
      return refuse(errc::unknown_directive, "no directive " + std::to_string(q.directive_ref));
    if (q.unit != 0 && h.find_unit(q.unit) == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // Whose receipts: the scope's (the issuer's unit, the maker of the id, by default), which
    // one must be allowed to watch; the shard checks that the directive reaches there.
    if (q.unit == 0)
      q.unit = h.units[maker_of(q.directive_ref)].code;
    // The 12345 operators see directives at their own centre only, as with `directives`.
    if (!may_watch(h, who, q.unit) || (who.holds == post::hotline_operator && q.unit != who.unit))
      return refuse(errc::forbidden,
                    "you may not see the receipts of unit " + std::to_string(q.unit));
    if (!q.cursor.empty()) {
      order_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a directive");
    }
    targets.push_back(*shard);
  } else if (q.what == query_kind::directives) {
    auto* unit = h.find_unit(q.unit);
    if (unit == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // The 12345 operators watch the city for its hotline cases; of directives they see their
    // own centre's only.
    if (!may_watch(h, who, q.unit) || (who.holds == post::hotline_operator && q.unit != who.unit))
      return refuse(errc::forbidden,
                    "you may not see the directives of unit " + std::to_string(q.unit));
    if (!q.cursor.empty()) {
      row_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a directive list");
      job->after_row = after;
    }
    job->limit = q.limit != 0 ? q.limit : static_cast<std::uint32_t>(limits::default_page);
    // A unit's own directives live in its shard; those addressed to it come from the issuers
    // above it: its county's shard and the city's.
    const auto own = shared_->shard_of[h.index_of(*unit)];
    if (q.box == directive_box::inbox && own != 0)
      targets.push_back(0);
    targets.push_back(own);
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  } else if (q.what == query_kind::figures || q.what == query_kind::ranking) {
    auto* root = h.find_unit(q.unit);
    if (root == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    // Figures count every case of a subtree: the 12345 operators, who see the hotline's
    // cases only, may not ask them.
    if (who.holds == post::hotline_operator || !may_watch(h, who, q.unit))
      return refuse(errc::forbidden,
                    "you may not see the figures of unit " + std::to_string(q.unit));
    job->root = h.index_of(*root);
    job->days = days_of(q.period, job->now, q.from, q.to);
    if (q.what == query_kind::figures) {
      job->units.push_back(job->root);
      for (auto c : h.children_at(job->root))
        job->units.push_back(c);
    } else {
      // The counties of the city; the townships (the default) or departments of a county.
      if (root->kind != unit_kind::city && root->kind != unit_kind::county)
        return refuse(errc::invalid_argument,
                      "field 'unit': a ranking is of the city's counties or of a county's "
                      "townships or departments");
      const bool city_level = root->kind == unit_kind::city;
      if (!q.held_at)
        q.held_at = city_level ? unit_kind::county : unit_kind::township;
      if (city_level ? *q.held_at != unit_kind::county
                     : *q.held_at != unit_kind::township && *q.held_at != unit_kind::department)
        return refuse(errc::invalid_argument,
                      city_level ? "field 'level': the city ranks its counties"
                                 : "field 'level': a county ranks its townships or departments");
      for (auto c : h.children_at(job->root))
        if (h.units[c].kind == *q.held_at)
          job->units.push_back(c);
    }
    if (root->kind == unit_kind::city) {
      for (std::uint16_t s = 0; s < shared_->shards; ++s)
        targets.push_back(s);
    } else {
      targets.push_back(0); // the city's shard: cases its centre dispatched into the county
      if (shared_->shard_of[job->root] != 0)
        targets.push_back(shared_->shard_of[job->root]);
    }
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  } else {
    auto* root = h.find_unit(q.unit);
    if (root == nullptr)
      return refuse(errc::unknown_unit, "no unit " + std::to_string(q.unit));
    if (!may_watch(h, who, q.unit))
      return refuse(errc::forbidden, "you may not see the cases of unit " + std::to_string(q.unit));
    if (who.holds == post::hotline_operator) {
      if (q.hotline && !*q.hotline)
        return refuse(errc::forbidden, "the hotline sees the hotline's cases only");
      job->hotline_only = true;
    }
    if (!q.category.empty() && h.find_category(q.category) == nullptr)
      return refuse(errc::invalid_argument, "field 'category': no category '" + q.category + "'");
    if (!q.cursor.empty()) {
      order_key after;
      if (!parse_cursor(q.cursor, after))
        return refuse(errc::invalid_argument, "field 'cursor': not a cursor of a case list");
      job->after = after;
    }
    job->root = h.index_of(*root);
    job->department = root->kind == unit_kind::department;
    job->limit = q.limit != 0 ? q.limit : static_cast<std::uint32_t>(limits::default_page);
    if (root->kind == unit_kind::city) {
      for (std::uint16_t s = 0; s < shared_->shards; ++s)
        targets.push_back(s);
    } else {
      targets.push_back(0); // the city's shard: cases its centre dispatched into the county
      if (shared_->shard_of[job->root] != 0)
        targets.push_back(shared_->shard_of[job->root]);
    }
    job->parts.resize(targets.size());
    job->waiting.store(targets.size(), std::memory_order_relaxed);
  }
  job->q = std::move(q);
  job->who = who;
  job->id = id;
  job->reply_to = std::move(reply_to);
  // The cut is fenced under the bus's lock (after every event up to it, before any later
  // one); the messages are sent after it, still in the fences' order (a shard answers the
  // first fence's query when its message comes): sending under the bus's lock had kept every
  // publisher waiting behind a query's sends and the scheduler's wake-ups.
  std::lock_guard order{shared_->send_order};
  events.at_cut([&](std::uint64_t seq) {
    job->seq = seq;
    for (auto t : targets)
      feeds_[t]->fence(seq);
  });
  for (std::size_t slot = 0; slot < targets.size(); ++slot)
    caf::anon_send(shards_[targets[slot]], query_msg{job, slot});
}

} // namespace hub::actors
