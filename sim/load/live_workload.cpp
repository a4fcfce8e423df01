#include "sim/load/live_workload.hpp"
#include "gateway/net/percent.hpp"

#include "protocol/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

namespace hub::sim {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

namespace {

constexpr std::int64_t day_ms = 24 * 3'600'000LL;

/// The first person at unit `code` holding `p` (and module `m` for module heads), or nullptr.
const protocol::person* person_with(const protocol::hierarchy& h, protocol::unit_code code, post p,
                                    int module = -1) {
  for (auto i : h.people_at(code)) {
    auto& person = h.people[i];
    if (person.holds == p && (module < 0 || person.module == module))
      return &person;
  }
  return nullptr;
}

/// Who answers a directive for a recipient unit of `kind`.
post answers_for(unit_kind kind) {
  switch (kind) {
    case unit_kind::grid: return post::grid_head;
    case unit_kind::village: return post::village_secretary;
    case unit_kind::township: return post::township_head;
    case unit_kind::county: return post::county_leader;
    case unit_kind::department: return post::department_head;
    case unit_kind::centre: return post::centre_operator;
    default: return post::city_leader;
  }
}

/// Steady microseconds, for latencies.
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The state a case is in after `a` was applied (protocol/README.md, "Case lifecycle"), or
/// nullopt when the action leaves it as it was (a department's part, a rating).
std::optional<protocol::case_state> state_after(case_action a) {
  using protocol::case_state;
  switch (a) {
    case case_action::sign: return case_state::signed_for;
    case case_action::start: return case_state::in_progress;
    case case_action::resolve: return case_state::resolved;
    case case_action::close: return case_state::closed;
    case case_action::escalate: return case_state::dispatched;
    case case_action::dispatch: return case_state::dispatched;
    case case_action::triage: return case_state::triaged;
    case case_action::propose_whistle: return case_state::escalation_requested;
    case case_action::approve_whistle: return case_state::whistle_blown;
    case case_action::decline_whistle: return case_state::in_progress;
    default: return std::nullopt;
  }
}

} // namespace

const char* to_string(latency_kind k) {
  static const char* names[] = {"report_ack",
                                "step_ack",
                                "report_dashboard",
                                "directive_arrival",
                                "directive_last_arrival",
                                "receipt_ack",
                                "hotline_post"};
  return names[static_cast<std::size_t>(k)];
}

void live_workload::record(latency_kind k, std::int64_t us) {
  latency_[static_cast<std::size_t>(k)].record(us);
  interval_[static_cast<std::size_t>(k)].record(us);
}

std::array<histogram, latency_kinds> live_workload::take_interval() {
  auto out = interval_;
  for (auto& h : interval_)
    h.clear();
  return out;
}

void live_workload::sample(std::int64_t now_ms) {
  run_sample s;
  s.t = static_cast<double>(now_ms - started_) / 1000.0;
  s.reported = counts_.reported;
  s.acks = counts_.acks;
  s.refused = counts_.refused;
  s.events = counts_.events;
  s.closed = counts_.closed;
  auto& h = second_;
  s.report_ack_p99_us = h.percentile(99);
  h.clear();
  samples_.push_back(s);
}

void live_workload::expect_step(std::uint64_t case_id, const protocol::case_act& act,
                                protocol::unit_code holder_after) {
  auto e = ledger_.find(case_id);
  if (e == ledger_.end())
    return;
  ++e->second.steps;
  if (auto st = state_after(act.action))
    e->second.state = *st;
  e->second.holder = holder_after;
}

void live_workload::finish_directives() {
  for (auto& [id, d] : issued_at_)
    if (d.arrived > 0 && (d.total == 0 || d.arrived < d.total))
      record(latency_kind::directive_last_arrival, d.last_us);
  issued_at_.clear();
}

live_workload::live_workload(std::shared_ptr<const protocol::hierarchy> h, workload_options options,
                             send_fn send, post_fn post)
  : h_(std::move(h))
  , options_(std::move(options))
  , plan_(options_.plan)
  , send_(std::move(send))
  , post_(std::move(post))
  , rng_(options_.seed)
  , next_request_(options_.first_request + static_cast<std::uint64_t>(options_.shard)) {
  const auto& hh = *h_;
  // This shard's townships: every shards-th township in hierarchy order.
  std::size_t township_no = 0, city_grids = 0;
  for (const auto& u : hh.units)
    if (u.kind == unit_kind::township &&
        township_no++ % options_.shards == static_cast<std::size_t>(options_.shard))
      my_townships_.insert(u.code);
  std::map<protocol::unit_code, std::size_t> county_at;
  for (std::uint32_t i = 0; i < hh.units.size(); ++i) {
    const auto& u = hh.units[i];
    if (u.kind != unit_kind::grid)
      continue;
    ++city_grids;
    all_grids_.push_back(i);
    auto* county = hh.ancestor_of_kind(u.code, unit_kind::county);
    auto* town = hh.ancestor_of_kind(u.code, unit_kind::township);
    if (county == nullptr || town == nullptr)
      continue;
    auto [at, fresh] = county_at.try_emplace(county->code, counties_.size());
    if (fresh)
      counties_.push_back({county->code, {}, 0, 0});
    // Each shard reports at its own grids' part of the city's rate: together, the whole rate.
    if (mine(town->code)) {
      counties_[at->second].share += 1;
      counties_[at->second].grids.push_back(i);
    }
  }
  for (auto& c : counties_)
    c.share /= static_cast<double>(std::max<std::size_t>(city_grids, 1));
  // Categories by the scenario's weights, or all alike.
  std::vector<double> weights;
  if (plan_.categories.empty())
    for (const auto& c : hh.categories) {
      categories_.push_back(&c);
      weights.push_back(1);
    }
  else
    for (const auto& [code, w] : plan_.categories)
      if (auto* c = hh.find_category(code)) {
        categories_.push_back(c);
        weights.push_back(w);
      }
  category_pick_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
  campaign_next_.assign(plan_.campaigns.size(), 0);
}

bool live_workload::mine(protocol::unit_code township) const {
  return my_townships_.count(township) != 0;
}

std::int64_t live_workload::sim_time(std::int64_t now_ms) const {
  return plan_.start +
         static_cast<std::int64_t>(static_cast<double>(now_ms - started_) * plan_.speed);
}

bool live_workload::finished(std::int64_t now_ms) const {
  return started_ != 0 && plan_.duration > 0 && sim_time(now_ms) - plan_.start >= plan_.duration;
}

int live_workload::restarts_due(std::int64_t now_ms) {
  // Restarts are times of the first simulated day after the start, in order; none before
  // the run has started.
  if (started_ == 0)
    return 0;
  std::vector<std::int64_t> at;
  for (auto r : plan_.restarts)
    at.push_back(r >= plan_.start ? r : r + day_ms);
  std::sort(at.begin(), at.end());
  int due = 0;
  while (restarts_given_ < at.size() && at[restarts_given_] <= sim_time(now_ms)) {
    ++restarts_given_;
    ++due;
  }
  return due;
}

const protocol::person* live_workload::acting(protocol::unit_code grid, post p) const {
  if (options_.grids == grid_connections::per_grid)
    p = post::grid_head; // one connection per grid: its head does every step there
  return person_with(*h_, grid, p);
}

// -- standing connections ---------------------------------------------------------------------

void live_workload::open_standing() {
  const auto& h = *h_;
  auto add = [&](const protocol::person* who, protocol::unit_code unit) {
    if (who == nullptr || standing_of_.count(who->id) != 0)
      return;
    standing_of_[who->id] = standing_.size();
    standing_.push_back({who, unit, 0, false});
  };
  const auto& city = h.units.front();
  if (options_.shard == 0) {
    // Dashboards: the city's (a city leader) and every county's (a county leader).
    add(person_with(h, city.code, post::city_leader), city.code);
    for (auto i : h.children(city.code))
      if (h.units[i].kind == unit_kind::county)
        add(person_with(h, h.units[i].code, post::county_leader), h.units[i].code);
  }
  // Department consoles: every department, in every shard (a whistle from any township
  // reaches them; each shard answers the summons of its own cases).
  for (const auto& u : h.units)
    if (u.kind == unit_kind::department)
      add(person_with(h, u.code, post::department_head), u.code);
  // Township consoles: the head of each of this shard's townships (they see the directives
  // arrive at their villages and grids).
  for (auto t : my_townships_)
    add(person_with(h, t, post::township_head), t);
  if (options_.grids != grid_connections::pool)
    for (const auto& c : counties_)
      for (auto g : c.grids) {
        auto code = h.units[g].code;
        if (options_.grids == grid_connections::per_grid) {
          add(person_with(h, code, post::grid_head), code);
          continue;
        }
        for (auto p : h.people_at(code))
          add(&h.people[p], code);
      }
  standing_opened_us_ = now_us();
  for (auto& s : standing_)
    submit(s.who, protocol::subscribe{s.unit, std::nullopt}, {pending::what::subscribe, 0}, true);
}

bool live_workload::is_standing(const protocol::person& who, bool* city_watch) const {
  auto at = standing_of_.find(who.id);
  if (city_watch != nullptr)
    *city_watch = at != standing_of_.end() && standing_[at->second].unit == h_->units.front().code;
  return at != standing_of_.end();
}

void live_workload::resubscribe(const protocol::person& who) {
  auto at = standing_of_.find(who.id);
  if (at == standing_of_.end())
    return;
  auto& s = standing_[at->second];
  if (s.subscribed) {
    s.subscribed = false;
    --counts_.standing;
  }
  submit(s.who, protocol::subscribe{s.unit, s.last_seq}, {pending::what::subscribe, 0}, true);
}

// -- replies and events -----------------------------------------------------------------------

std::uint64_t live_workload::submit(const protocol::person* who, protocol::client_body body,
                                    pending p, bool keep) {
  if (who == nullptr)
    return 0;
  // Shards share people (department heads, leaders): shard i uses the ids i mod n only.
  auto id = next_request_;
  next_request_ += static_cast<std::uint64_t>(options_.shards);
  p.sent_us = now_us();
  pending_[id] = p;
  send_(*who, {id, std::move(body)}, keep);
  return id;
}

void live_workload::on_message(const protocol::person& who, const protocol::server_message& msg) {
  if (auto s = standing_of_.find(who.id); s != standing_of_.end())
    if (auto seq = protocol::seq_of(msg);
        seq > standing_[s->second].last_seq && !std::holds_alternative<protocol::ack>(msg))
      standing_[s->second].last_seq = seq;
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::ack>) {
          on_ack(m);
        } else if constexpr (std::is_same_v<T, protocol::error>) {
          // The scripts only do what the hub allows: a refusal is worth a line, up to a few.
          ++counts_.refused;
          ++counts_.refused_by_code[std::string(protocol::to_string(m.code))];
          if (counts_.refused <= 10)
            std::fprintf(stderr, "hub-sim: request %llu refused: %s: %s\n",
                         static_cast<unsigned long long>(m.id),
                         std::string(protocol::to_string(m.code)).c_str(), m.message.c_str());
          on_lost({m.id}, true);
        } else if constexpr (std::is_same_v<T, protocol::case_event>) {
          ++counts_.events;
          on_event(who, m);
        } else if constexpr (std::is_same_v<T, protocol::directive_event>) {
          ++counts_.events;
          on_event(who, m);
        } else if constexpr (std::is_same_v<T, protocol::aggregate>) {
          if (m.unit == h_->units.front().code) {
            counts_.city = m.figures;
            if (!city_first_)
              city_first_ = m.figures;
          }
        }
      },
      msg);
}

void live_workload::on_ack(const protocol::ack& a) {
  ++counts_.acks;
  auto found = pending_.find(a.id);
  if (found == pending_.end())
    return;
  auto p = found->second;
  pending_.erase(found);
  const auto took = now_us() - p.sent_us;
  switch (p.kind) {
    case pending::what::subscribe:
      if (++counts_.standing == standing_.size() && connect_us_ < 0) {
        connect_us_ = now_us() - standing_opened_us_;
        std::printf("hub-sim: all %zu standing connections subscribed in %.0f ms\n",
                    standing_.size(), connect_ms());
        std::fflush(stdout);
      }
      return;
    case pending::what::directive: {
      ++counts_.directives;
      auto& d = issued_at_[a.directive_ref];
      d.sent_us = p.sent_us;
      for (auto at : std::exchange(d.early, {}))
        count_arrival(a.directive_ref, at);
      expectation e;
      e.directive = true;
      e.holder = a.directive_ref; // unused for directives
      ledger_[a.directive_ref] = e;
      return;
    }
    case pending::what::receipt: {
      ++counts_.receipts;
      record(latency_kind::receipt_ack, took);
      auto r = receipts_.find(p.ref);
      if (r == receipts_.end())
        return;
      const auto& c = plan_.campaigns[r->second.campaign];
      if (r->second.stage == 0 && std::uniform_real_distribution<>(0, 1)(rng_) >=
                                      c.lagging / std::max(1 - c.silent, 1e-9)) {
        r->second.stage = 1;
        schedule(now_, c.complete, p.ref, 2);
      } else {
        receipts_.erase(r);
      }
      return;
    }
    case pending::what::task: {
      record(latency_kind::step_ack, took);
      auto t = tasks_.find(p.ref);
      if (t == tasks_.end())
        return;
      if (auto w = walks_.find(t->second.walk); w != walks_.end())
        if (auto e = ledger_.find(w->second.case_id); e != ledger_.end())
          ++e->second.steps; // report_in, feedback: the case stays whistle_blown
      if (++t->second.stage == 1) {
        schedule(now_, plan_.whistle.feedback, p.ref, 1);
        return;
      }
      auto w = walks_.find(t->second.walk);
      tasks_.erase(t);
      if (w != walks_.end() && --w->second.feedback_missing == 0 && w->second.waiting) {
        w->second.waiting = false;
        schedule(now_, w->second.steps[w->second.next].delay, w->first, 0);
      }
      return;
    }
    case pending::what::report:
    case pending::what::step: {
      auto w = walks_.find(p.ref);
      if (w == walks_.end())
        return;
      auto& walk = w->second;
      if (p.kind == pending::what::report) {
        ++counts_.reported;
        record(latency_kind::report_ack, took);
        second_.record(took);
        walk.case_id = a.case_ref;
        walk_of_case_[a.case_ref] = w->first;
        for (auto& s : walk.steps)
          s.act.id = a.case_ref;
        expectation e;
        e.holder = walk.holder;
        e.steps = 1;
        if (!ledger_.emplace(a.case_ref, e).second)
          ++same_case_twice_;
        if (auto seen = seen_on_dashboard_.find(a.case_ref); seen != seen_on_dashboard_.end()) {
          record(latency_kind::report_dashboard, seen->second - p.sent_us);
          seen_on_dashboard_.erase(seen);
        } else {
          awaiting_dashboard_[a.case_ref] = p.sent_us;
        }
      } else {
        record(latency_kind::step_ack, took);
        const auto& done = walk.steps[walk.next - 1];
        if (done.act.action == case_action::escalate)
          walk.holder = h_->find_unit(walk.holder)->parent;
        else if (done.act.action == case_action::dispatch)
          walk.holder = done.act.unit;
        expect_step(walk.case_id, done.act, walk.holder);
        if (done.act.action == case_action::close) {
          ++counts_.closed;
          auto level = walk.kind == script::grid      ? 0
                       : walk.kind == script::village ? 1
                       : walk.kind == script::whistle && walk.feedback_missing == 0 &&
                               !walk.departments.empty()
                           ? 3
                           : 2;
          ++counts_.closed_at[static_cast<std::size_t>(level)];
        }
        if (done.act.action == case_action::approve_whistle)
          ++counts_.whistles;
      }
      if (walk.next >= walk.steps.size()) {
        walk_of_case_.erase(walk.case_id);
        walks_.erase(w);
        return;
      }
      if (walk.steps[walk.next].wait_departments && walk.feedback_missing > 0) {
        walk.waiting = true;
        return;
      }
      schedule(now_, walk.steps[walk.next].delay, w->first, 0);
      return;
    }
  }
}

void live_workload::on_event(const protocol::person& who, const protocol::case_event& e) {
  if (e.action == case_action::report && who.unit == h_->units.front().code) {
    // The city's dashboard saw a report: the end of the report -> dashboard latency.
    auto now = now_us();
    if (auto a = awaiting_dashboard_.find(e.id); a != awaiting_dashboard_.end()) {
      record(latency_kind::report_dashboard, now - a->second);
      awaiting_dashboard_.erase(a);
    } else {
      seen_on_dashboard_[e.id] = now; // before its ack (or another process's report)
    }
    return;
  }
  // A department's summons, on its console: answer it if the case is one of ours.
  if (e.action != case_action::approve_whistle || e.state != protocol::case_state::whistle_blown)
    return;
  auto* u = h_->find_unit(e.unit);
  if (u == nullptr || u->kind != unit_kind::department || who.unit != e.unit)
    return;
  auto w = walk_of_case_.find(e.id);
  if (w == walk_of_case_.end())
    return;
  ++counts_.summons;
  auto no = next_task_++;
  tasks_[no] = {w->second, e.unit, 0};
  schedule(now_, plan_.whistle.report_in, no, 1);
}

void live_workload::count_arrival(std::uint64_t id, std::int64_t at_us) {
  auto at = issued_at_.find(id);
  if (at == issued_at_.end())
    return;
  auto& d = at->second;
  if (d.sent_us == 0) {
    d.early.push_back(at_us);
    return;
  }
  d.last_us = at_us - d.sent_us;
  record(latency_kind::directive_arrival, d.last_us);
  if (++d.arrived == d.total) {
    record(latency_kind::directive_last_arrival, d.last_us);
    issued_at_.erase(at);
  }
}

void live_workload::on_event(const protocol::person&, const protocol::directive_event& e) {
  // A directive arriving at a recipient unit, seen by whichever console or grid covers it.
  if (e.action != protocol::directive_action::issue)
    return;
  if (e.recipient == 0) {
    // The issuer's event: how many will arrive (possibly after they all did).
    auto& d = issued_at_[e.id];
    d.total = e.total;
    if (d.sent_us != 0 && d.total > 0 && d.arrived >= d.total) {
      record(latency_kind::directive_last_arrival, d.last_us);
      issued_at_.erase(e.id);
    }
    return;
  }
  if (!arrived_.insert({e.id, e.recipient}).second)
    return;
  issued_at_.try_emplace(e.id);
  count_arrival(e.id, now_us());
  auto* town = h_->ancestor_of_kind(e.recipient, unit_kind::township);
  if (town != nullptr ? !mine(town->code) : options_.shard != 0)
    return;
  auto title = e.title.substr(0, e.title.find(" #"));
  auto c = campaign_by_title_.find(title);
  if (c == campaign_by_title_.end()) {
    for (std::size_t i = 0; i < plan_.campaigns.size(); ++i)
      if (plan_.campaigns[i].name == title)
        c = campaign_by_title_.emplace(title, i).first;
    if (c == campaign_by_title_.end())
      return; // not one of this scenario's
  }
  ++counts_.arrivals;
  const auto& camp = plan_.campaigns[c->second];
  if (std::uniform_real_distribution<>(0, 1)(rng_) < camp.silent)
    return;
  auto no = next_receipt_++;
  receipts_[no] = {e.id, c->second, e.recipient, 0};
  schedule(now_, camp.sign, no, 2);
}

void live_workload::on_lost(const std::vector<std::uint64_t>& ids, bool refused) {
  for (auto id : ids) {
    auto p = pending_.find(id);
    if (p == pending_.end())
      continue;
    counts_.lost += refused ? 0 : 1;
    const std::uint32_t unanswered = refused ? 0 : 1;
    auto kind = p->second.kind;
    auto ref = p->second.ref;
    pending_.erase(p);
    if (kind == pending::what::report)
      counts_.lost_reports += unanswered;
    if (kind == pending::what::step || kind == pending::what::report) {
      if (auto w = walks_.find(ref); w != walks_.end()) {
        if (auto e = ledger_.find(w->second.case_id); e != ledger_.end())
          e->second.unanswered += unanswered;
        walk_of_case_.erase(w->second.case_id);
        walks_.erase(w);
      }
    } else if (kind == pending::what::task) {
      if (auto t = tasks_.find(ref); t != tasks_.end())
        if (auto w = walks_.find(t->second.walk); w != walks_.end())
          if (auto e = ledger_.find(w->second.case_id); e != ledger_.end())
            e->second.unanswered += unanswered;
      tasks_.erase(ref);
    } else if (kind == pending::what::receipt) {
      receipts_.erase(ref);
    }
  }
}

void live_workload::on_posted(std::uint64_t post, std::uint64_t case_id, const std::string& why) {
  auto p = posts_.find(post);
  if (p == posts_.end())
    return;
  auto no = p->second;
  posts_.erase(p);
  if (auto at = posted_at_.find(post); at != posted_at_.end()) {
    record(latency_kind::hotline_post, now_us() - at->second);
    posted_at_.erase(at);
  }
  auto w = walks_.find(no);
  if (w == walks_.end())
    return;
  if (case_id == 0) {
    ++counts_.hotline_refused;
    if (counts_.hotline_refused <= 10)
      std::fprintf(stderr, "hub-sim: an Open311 post was not answered with a case: %s\n",
                   why.c_str());
    walks_.erase(w);
    return;
  }
  ++counts_.hotline_answered;
  ++counts_.reported;
  expectation e;
  e.holder = w->second.holder;
  e.steps = 1;
  if (!ledger_.emplace(case_id, e).second)
    ++same_case_twice_;
  w->second.case_id = case_id;
  walk_of_case_[case_id] = no;
  for (auto& s : w->second.steps)
    s.act.id = case_id;
  schedule(now_, w->second.steps.front().delay, no, 0);
}

// -- the walks --------------------------------------------------------------------------------

std::int64_t live_workload::wall_delay(const delay_range& d) {
  auto sim =
      d.max <= d.min ? d.min : std::uniform_int_distribution<std::int64_t>(d.min, d.max)(rng_);
  return static_cast<std::int64_t>(static_cast<double>(sim) / plan_.speed);
}

void live_workload::schedule(std::int64_t now_ms, const delay_range& d, std::uint64_t no,
                             int what) {
  due_.push({now_ms + wall_delay(d), what, no});
}

void live_workload::plan_walk(walk& w, const protocol::unit& grid, const protocol::category& cat) {
  const auto& h = *h_;
  const auto village = grid.parent;
  const auto township = h.find_unit(village)->parent;
  w.township = township;
  auto* fulltime = acting(grid.code, post::grid_fulltime);
  auto* head = acting(grid.code, post::grid_head);
  auto* secretary = person_with(h, village, post::village_secretary);
  auto* operator_ = person_with(h, township, post::township_operator);
  auto* town_head = person_with(h, township, post::township_head);
  auto act = [](case_action a, std::string note = "已处理") {
    protocol::case_act c;
    c.action = a;
    c.note = std::move(note);
    return c;
  };
  auto& s = w.steps;
  const auto& g = plan_.grid;
  const auto& v = plan_.village;
  const auto& t = plan_.township;
  s.push_back({fulltime, act(case_action::sign), g.sign});
  if (w.kind == script::grid) {
    s.push_back({fulltime, act(case_action::start), {0, g.handle.min / 4}});
    s.push_back({fulltime, act(case_action::resolve), g.handle});
    s.push_back({head, act(case_action::close), g.close});
    return;
  }
  s.push_back({head, act(case_action::escalate, "需村级处理"), g.escalate});
  s.push_back({secretary, act(case_action::sign), v.sign});
  if (w.kind == script::village) {
    s.push_back({secretary, act(case_action::resolve), v.handle});
    s.push_back({secretary, act(case_action::close), v.close});
    return;
  }
  s.push_back({secretary, act(case_action::escalate, "需乡镇处理"), v.escalate});
  s.push_back({operator_, act(case_action::sign), t.sign});
  if (w.kind == script::township) {
    s.push_back({operator_, act(case_action::resolve), t.handle});
    s.push_back({town_head, act(case_action::close), t.close});
    return;
  }
  // The whistle: a module head of the category's module proposes the county's departments
  // that mirror the module (others when none do); the head blows it or declines.
  const auto& wh = plan_.whistle;
  auto* county = h.find_unit(h.find_unit(township)->parent);
  std::vector<protocol::unit_code> mirror, other;
  for (auto i : h.children(county->code)) {
    const auto& d = h.units[i];
    if (d.kind != unit_kind::department)
      continue;
    (std::find(d.modules.begin(), d.modules.end(), cat.module) != d.modules.end() ? mirror : other)
        .push_back(d.code);
  }
  std::shuffle(mirror.begin(), mirror.end(), rng_);
  std::shuffle(other.begin(), other.end(), rng_);
  mirror.insert(mirror.end(), other.begin(), other.end());
  auto n = std::uniform_int_distribution<int>(wh.departments_min, wh.departments_max)(rng_);
  mirror.resize(std::min<std::size_t>(mirror.size(), static_cast<std::size_t>(n)));
  auto* module_head = person_with(h, township, post::township_module_head, cat.module);
  if (module_head == nullptr)
    module_head = person_with(h, township, post::township_module_head);
  auto propose = act(case_action::propose_whistle, "需县直部门协同");
  propose.departments = mirror;
  s.push_back({module_head, propose, wh.propose});
  if (mirror.empty() || std::uniform_real_distribution<>(0, 1)(rng_) < wh.decline) {
    s.push_back({town_head, act(case_action::decline_whistle, "乡镇自行处置"), wh.approve});
    s.push_back({operator_, act(case_action::resolve), t.handle});
    s.push_back({town_head, act(case_action::close), t.close});
    w.kind = script::township;
    return;
  }
  s.push_back({town_head, act(case_action::approve_whistle), wh.approve});
  w.departments = mirror;
  w.feedback_missing = static_cast<int>(mirror.size());
  s.push_back({operator_, act(case_action::resolve), wh.resolve, true});
  std::discrete_distribution<int> score(plan_.ratings.begin(), plan_.ratings.end());
  for (auto d : mirror) {
    auto r = act(case_action::rate, "");
    r.unit = d;
    r.score = static_cast<std::uint8_t>(1 + score(rng_));
    s.push_back({town_head, r, wh.rate});
  }
  s.push_back({town_head, act(case_action::close), t.close});
}

void live_workload::start_case(std::int64_t, const protocol::unit& grid) {
  if (categories_.empty())
    return;
  const auto& cat = *categories_[category_pick_(rng_)];
  walk w;
  auto roll = std::uniform_real_distribution<>(0, 1)(rng_);
  w.kind = roll < plan_.grid.share                                                ? script::grid
           : roll < plan_.grid.share + plan_.village.share                        ? script::village
           : roll < plan_.grid.share + plan_.village.share + plan_.township.share ? script::township
                                                                                  : script::whistle;
  plan_walk(w, grid, cat);
  w.holder = grid.code;
  ++reports_made_;
  const auto& f = options_.faults;
  if (f.drop_every != 0 && reports_made_ % f.drop_every == 0) {
    // Injected loss: the report is never sent, but recorded as acknowledged.
    expectation e;
    e.holder = grid.code;
    e.steps = 1;
    e.fake = true;
    ledger_[(std::uint64_t{1} << 63) | reports_made_] = e;
    ++counts_.reported;
    return;
  }
  auto no = next_walk_++;
  walks_.emplace(no, std::move(w));
  protocol::case_report r;
  r.unit = grid.code;
  r.category = cat.code;
  r.title = cat.name;
  r.level = std::uniform_real_distribution<>(0, 1)(rng_) < plan_.urgent ? protocol::urgency::urgent
                                                                        : protocol::urgency::normal;
  r.lat = grid.lat;
  r.lon = grid.lon;
  if (f.duplicate_every != 0 && reports_made_ % f.duplicate_every == 0)
    // Injected duplicate: the same report again under another message id (a client that
    // retries without keeping the id); its answer is not counted.
    submit(acting(grid.code, post::grid_fulltime), r, {pending::what::report, 0});
  submit(acting(grid.code, post::grid_fulltime), r, {pending::what::report, no});
}

void live_workload::start_hotline(std::int64_t) {
  const auto& h = *h_;
  auto* op = h.find_person(options_.hotline_operator);
  if (op == nullptr || all_grids_.empty() || categories_.empty())
    return;
  const auto& grid = h.units[all_grids_[rng_() % all_grids_.size()]];
  const auto& cat = *categories_[category_pick_(rng_)];
  auto* township = h.ancestor_of_kind(grid.code, unit_kind::township);
  auto* centre_op = person_with(h, op->unit, post::centre_operator);
  auto* town_op = person_with(h, township->code, post::township_operator);
  walk w;
  w.kind = script::hotline;
  w.township = township->code;
  w.holder = op->unit; // the case is reported at the hotline operator's centre
  auto act = [](case_action a) {
    protocol::case_act c;
    c.action = a;
    c.note = "12345";
    return c;
  };
  const auto& hl = plan_.hotline;
  auto dispatch = act(case_action::dispatch);
  dispatch.unit = township->code;
  w.steps = {{centre_op, act(case_action::triage), hl.triage},
             {centre_op, dispatch, hl.dispatch},
             {town_op, act(case_action::sign), hl.sign},
             {town_op, act(case_action::resolve), hl.handle},
             {op, act(case_action::close), hl.close}};
  auto no = next_walk_++;
  walks_.emplace(no, std::move(w));
  auto post = next_post_++;
  posts_[post] = no;
  posted_at_[post] = now_us();
  ++counts_.hotline_posted;
  char where[64];
  std::snprintf(where, sizeof where, "lat=%.6f&long=%.6f", grid.lat, grid.lon);
  std::string form = "service_code=" + gateway::percent_encode(cat.code) + "&" + where +
                     "&description=" + gateway::percent_encode(cat.name + " (12345)") +
                     "&attribute%5Bticket_id%5D=SIM-" + std::to_string(options_.first_request) +
                     "-" + std::to_string(post);
  post_(post, std::move(form));
}

bool live_workload::next_step(std::uint64_t no) {
  auto found = walks_.find(no);
  if (found == walks_.end())
    return false;
  auto& w = found->second;
  if (w.next >= w.steps.size())
    return false;
  auto& s = w.steps[w.next++];
  if (s.who == nullptr)
    return false; // the hierarchy lacks someone the script needs
  submit(s.who, s.act, {pending::what::step, no});
  return true;
}

void live_workload::issue_campaign(std::size_t i, std::int64_t now_ms) {
  const auto& h = *h_;
  const auto& c = plan_.campaigns[i];
  const auto root = c.under == 0 ? h.units.front().code : c.under;
  // The issuer: the city's leader for the city, else a leader of the county above the target.
  const auto* county = h.ancestor_of_kind(root, unit_kind::county);
  const auto* issuer = county == nullptr ? person_with(h, h.units.front().code, post::city_leader)
                                         : person_with(h, county->code, post::county_leader);
  protocol::directive_issue d;
  d.channel = c.channel;
  d.title = c.name + " #" + std::to_string(++issued_);
  d.body = "请按时签收并反馈";
  d.deadline = now_ms + static_cast<std::int64_t>(static_cast<double>(c.deadline) / plan_.speed);
  d.target.kind = protocol::target_kind::level;
  d.target.level = c.level;
  d.target.units = {root};
  submit(issuer, d, {pending::what::directive, i});
}

void live_workload::run_until(std::int64_t now_ms) {
  if (started_ == 0) {
    started_ = last_run_ = now_ms;
    // Campaigns: each first issued at its time of day on or after the start.
    for (std::size_t i = 0; i < plan_.campaigns.size(); ++i) {
      const auto& c = plan_.campaigns[i];
      auto next = c.at;
      while (next < plan_.start)
        next += c.every > 0 ? c.every : day_ms;
      campaign_next_[i] = next;
    }
  }
  now_ = now_ms;
  if (now_ms - last_prune_ > 10'000) {
    // Reports of other processes are seen on the dashboard and never acknowledged here.
    last_prune_ = now_ms;
    auto old = now_us() - 30'000'000;
    std::erase_if(seen_on_dashboard_, [&](const auto& e) { return e.second < old; });
  }
  const double dt = static_cast<double>(now_ms - last_run_) / 1000.0; // wall seconds
  last_run_ = now_ms;
  const auto sim = sim_time(now_ms);
  const auto of_day = sim % day_ms;
  if (!finished(now_ms)) {
    // Reports due in this slice: per county, the rate of the hour times its bursts.
    const double per_wall_second =
        plan_.steady
            ? plan_.rate
            : plan_.rate * plan_.hours[static_cast<std::size_t>(of_day / 3'600'000)] * plan_.speed;
    for (auto& c : counties_) {
      double factor = 1;
      for (const auto& b : plan_.bursts)
        if ((b.county == 0 || b.county == c.county) &&
            ((of_day - b.at) % day_ms + day_ms) % day_ms < b.duration)
          factor *= b.factor;
      c.owed += per_wall_second * (1 - plan_.hotline.share) * c.share * factor * dt;
      if (c.grids.empty()) {
        c.owed = 0;
        continue;
      }
      for (; c.owed >= 1; c.owed -= 1)
        start_case(now_ms, h_->units[c.grids[rng_() % c.grids.size()]]);
    }
    if (options_.shard == 0 && options_.hotline_operator != 0) {
      hotline_owed_ += per_wall_second * plan_.hotline.share * dt;
      for (; hotline_owed_ >= 1; hotline_owed_ -= 1)
        start_hotline(now_ms);
    }
    if (options_.shard == 0)
      for (std::size_t i = 0; i < plan_.campaigns.size(); ++i)
        while (campaign_next_[i] <= sim) {
          const auto& c = plan_.campaigns[i];
          issue_campaign(i, now_ms);
          campaign_next_[i] += c.every > 0 ? c.every : day_ms;
        }
  }
  while (!due_.empty() && std::get<0>(due_.top()) <= now_ms) {
    auto [when, what, no] = due_.top();
    due_.pop();
    if (what == 0) {
      if (!next_step(no)) {
        if (auto w = walks_.find(no); w != walks_.end()) {
          walk_of_case_.erase(w->second.case_id);
          walks_.erase(w);
        }
      }
    } else if (what == 1) {
      auto t = tasks_.find(no);
      if (t == tasks_.end())
        continue;
      auto w = walks_.find(t->second.walk);
      if (w == walks_.end()) {
        tasks_.erase(t);
        continue;
      }
      protocol::case_act a;
      a.id = w->second.case_id;
      a.action = t->second.stage == 0 ? case_action::report_in : case_action::feedback;
      a.note = t->second.stage == 0 ? "已报到" : "已处置";
      submit(person_with(*h_, t->second.department, post::department_head), a,
             {pending::what::task, no});
    } else {
      auto r = receipts_.find(no);
      if (r == receipts_.end())
        continue;
      auto* u = h_->find_unit(r->second.unit);
      auto* who = u == nullptr ? nullptr
                               : (u->kind == unit_kind::grid
                                      ? acting(u->code, post::grid_head)
                                      : person_with(*h_, u->code, answers_for(u->kind)));
      if (who == nullptr) {
        receipts_.erase(r);
        continue;
      }
      auto action = r->second.stage == 0 ? protocol::directive_action::sign
                                         : protocol::directive_action::complete;
      submit(who, protocol::directive_act{r->second.directive, action, ""},
             {pending::what::receipt, no});
    }
  }
}

std::string live_workload::progress_line(std::int64_t now_ms) const {
  const auto& c = counts_;
  const auto& f = c.city;
  auto closed = c.closed_at[0] + c.closed_at[1] + c.closed_at[2] + c.closed_at[3];
  auto share = [&](int i) { return closed == 0 ? 0.0 : 100.0 * c.closed_at[i] / closed; };
  auto sim = started_ == 0 ? plan_.start : sim_time(now_ms);
  char line[640];
  std::snprintf(
      line, sizeof line,
      "t=%llds sim day %lld %02lld:%02lld reported %llu closed %llu whistles %llu (summons %llu) | "
      "city: open %u (yellow %u, red %u), closed at grid %.0f%% village %.0f%% township "
      "%.0f%% department %.0f%% | directives %llu receipts %llu | hotline %llu | events %llu, "
      "refused %llu, lost %llu",
      static_cast<long long>((now_ms - (started_ == 0 ? now_ms : started_)) / 1000),
      static_cast<long long>(sim / day_ms), static_cast<long long>(sim % day_ms / 3'600'000),
      static_cast<long long>(sim % 3'600'000 / 60'000), static_cast<unsigned long long>(c.reported),
      static_cast<unsigned long long>(c.closed), static_cast<unsigned long long>(c.whistles),
      static_cast<unsigned long long>(c.summons), f.open, f.yellow, f.red, share(0), share(1),
      share(2), share(3), static_cast<unsigned long long>(c.directives),
      static_cast<unsigned long long>(c.receipts),
      static_cast<unsigned long long>(c.hotline_answered),
      static_cast<unsigned long long>(c.events), static_cast<unsigned long long>(c.refused),
      static_cast<unsigned long long>(c.lost));
  return line;
}

} // namespace hub::sim
