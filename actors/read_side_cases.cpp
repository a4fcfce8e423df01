// A shard's cases: their rows, lists and stock, and the answers about them (read_side_shard.hpp).

#include "actors/read_side_shard.hpp"

namespace hub::actors::read_side {

/// Refuses a `case` query: replies `e`, and leaves no question for a holder.
std::shared_ptr<history_answer> reply_null(const sink_ptr& to, protocol::server_message e) {
  reply(to, std::move(e));
  return nullptr;
}

void shard_state::add_stock(std::uint32_t unit, deadline_colour c, std::int32_t d) {
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
void shard_state::restock(case_view& v) {
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
void shard_state::advance(timestamp_ms t) {
  clock = std::max(clock, t);
  while (!points.empty() && points.top().at <= clock) {
    auto p = points.top();
    points.pop();
    if (auto c = cases.find(p.id); c != cases.end() && c->second.stock_version == p.version)
      restock(c->second);
  }
}

void shard_state::hold(case_view& v, unit_code unit) {
  if (v.held_by.empty() || v.held_by.back() != unit)
    v.held_by.push_back(unit);
  v.s.unit = unit;
  v.holder = h().index_of(unit);
}

/// Lists case `v` under its holder, with the open or the done cases as its state is.
void shard_state::relist(case_view& v) {
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
void shard_state::unlist(case_view& v) {
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

void shard_state::summon(case_view& v, const std::vector<unit_code>& departments) {
  for (auto d : departments)
    if (std::find(v.summoned.begin(), v.summoned.end(), d) == v.summoned.end()) {
      v.summoned.push_back(d);
      summoned[d].push_back(v.s.id);
    }
}

/// A recovered case, as its holder keeps it.
void shard_state::adopt(const case_record& c) {
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

/// A holder's step, in sequence order.
void shard_state::apply(const case_event& ev, const case_facts& f) {
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

/// Whether `who` may see case `v`: a unit that held it, or a department it summoned, is
/// theirs to watch; the hotline's operators see the hotline's cases.
bool shard_state::visible(const principal& who, const case_view& v) const {
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
void shard_state::answer_one(const std::shared_ptr<query_job>& job) {
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
std::shared_ptr<history_answer> shard_state::summarise_one(query_job& job) {
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

bool shard_state::matches(const query_job& job, const case_view& v) const {
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
void shard_state::answer_part(query_job& job, std::size_t slot) {
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
  // A county's or the city's subtree is most of a shard: its lists are walked, each holder's
  // tried against the root. A smaller one (a township: about a hundred units of a shard's two
  // thousand holders) is walked down from the root and its units' lists looked up, so that a
  // page touches only its own part of the shard's memory, not every list's, which evicted
  // what the write path's threads were using. The same lists either way; the page is
  // selected by key, so their order does not matter.
  const auto root_kind = h().units[job.root].kind;
  const bool walk_lists = root_kind == unit_kind::city || root_kind == unit_kind::county;
  std::vector<std::uint32_t> below;
  auto visit = [&](const case_lists& lists) {
    if (walk_lists) {
      for (const auto& [unit, list] : lists)
        if (h().within_at(unit, job.root))
          for (const auto* v : list)
            consider(*v);
      return;
    }
    below.assign(1, job.root);
    while (!below.empty()) {
      const auto unit = below.back();
      below.pop_back();
      if (auto found = lists.find(unit); found != lists.end())
        for (const auto* v : found->second)
          consider(*v);
      const auto& children = h().children_at(unit);
      below.insert(below.end(), children.begin(), children.end());
    }
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

void history_answer::answer(const case_record* c) {
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

} // namespace hub::actors::read_side
