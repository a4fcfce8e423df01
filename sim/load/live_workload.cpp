// live_workload (live_workload.hpp): its clock, figures and standing connections, and the
// loop that runs the scenario; the replies and events are in live_workload_replies.cpp, the
// walks of cases and the campaigns in live_workload_walks.cpp.

#include "sim/load/live_workload.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

namespace hub::sim {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

namespace {

constexpr std::int64_t day_ms = 24 * 3'600'000LL;

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

const protocol::person* live_workload::person_with(const protocol::hierarchy& h,
                                                   protocol::unit_code code, post p, int module) {
  for (auto i : h.people_at(code)) {
    auto& person = h.people[i];
    if (person.holds == p && (module < 0 || person.module == module))
      return &person;
  }
  return nullptr;
}

std::int64_t live_workload::now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
  auto add = [&](const protocol::person* who, protocol::unit_code unit, bool figures = true) {
    if (who == nullptr || standing_of_.count(who->id) != 0)
      return;
    standing_of_[who->id] = standing_.size();
    standing_.push_back({who, unit, 0, false, figures});
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
          add(person_with(h, code, post::grid_head), code, false);
          continue;
        }
        for (auto p : h.people_at(code))
          add(&h.people[p], code, false);
      }
  standing_opened_us_ = now_us();
  for (std::size_t i = 0; i < standing_.size(); ++i) {
    const auto& s = standing_[i];
    submit(s.who, protocol::subscribe{s.unit, std::nullopt, s.figures},
           {pending::what::subscribe, i}, true);
  }
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
  submit(s.who, protocol::subscribe{s.unit, s.last_seq, s.figures},
         {pending::what::subscribe, at->second}, true);
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
