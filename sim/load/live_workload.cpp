#include "sim/load/live_workload.hpp"

#include "protocol/errors.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

namespace hub::sim {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

// -- the workload -----------------------------------------------------------------------------

namespace {

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

} // namespace

live_workload::live_workload(std::shared_ptr<const protocol::hierarchy> h, workload_options options,
                             send_fn send)
  : h_(std::move(h))
  , options_(options)
  , send_(std::move(send))
  , rng_(options.seed)
  , next_request_(options.first_request) {
  for (std::uint32_t i = 0; i < h_->units.size(); ++i)
    if (h_->units[i].kind == unit_kind::grid)
      grids_.push_back(i);
  if (!h_->units.empty())
    watcher_ = person_with(*h_, h_->units.front().code, post::city_leader);
}

protocol::client_message live_workload::watch_request() {
  return {next_request_++, protocol::subscribe{h_->units.front().code}};
}

void live_workload::on_message(const protocol::server_message& msg) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, protocol::ack>) {
          acked_.push_back(m);
        } else if constexpr (std::is_same_v<T, protocol::error>) {
          // The scripts only do what the hub allows: a refusal is worth a line, up to a few.
          if (++counts_.refused <= 10)
            std::fprintf(stderr, "hub-sim: request %llu refused: %s: %s\n",
                         static_cast<unsigned long long>(m.id),
                         std::string(protocol::to_string(m.code)).c_str(), m.message.c_str());
          on_lost({m.id});
        } else if constexpr (std::is_same_v<T, protocol::case_event>) {
          ++counts_.events;
          counts_.reported += m.action == case_action::report;
          counts_.closed += m.action == case_action::close;
          counts_.whistles += m.action == case_action::approve_whistle;
        } else if constexpr (std::is_same_v<T, protocol::directive_event>) {
          ++counts_.events;
          counts_.directives += m.action == protocol::directive_action::issue;
          counts_.directive_receipts += m.action == protocol::directive_action::sign ||
                                        m.action == protocol::directive_action::complete;
        } else if constexpr (std::is_same_v<T, protocol::aggregate>) {
          if (!h_->units.empty() && m.unit == h_->units.front().code)
            counts_.city = m.figures;
        }
      },
      msg);
}

void live_workload::on_lost(const std::vector<std::uint64_t>& ids) {
  for (auto id : ids) {
    auto r = walk_of_request_.find(id);
    if (r == walk_of_request_.end())
      continue;
    walks_.erase(r->second);
    walk_of_request_.erase(r);
  }
}

live_counts live_workload::counts() const { return counts_; }

std::string live_workload::progress_line(std::int64_t elapsed_ms) const {
  auto c = counts();
  const auto& f = c.city;
  auto closed = f.closed_at[0] + f.closed_at[1] + f.closed_at[2] + f.closed_at[3];
  auto share = [&](int i) { return closed == 0 ? 0.0 : 100.0 * f.closed_at[i] / closed; };
  char line[512];
  std::snprintf(
      line, sizeof line,
      "t=%llds reported %llu closed %llu whistles %llu | city: open %u (yellow %u, "
      "red %u), closed at grid %.0f%% village %.0f%% township %.0f%% department "
      "%.0f%% | directives %llu | events %llu, refused %llu",
      static_cast<long long>(elapsed_ms / 1000), static_cast<unsigned long long>(c.reported),
      static_cast<unsigned long long>(c.closed), static_cast<unsigned long long>(c.whistles),
      f.open, f.yellow, f.red, share(0), share(1), share(2), share(3),
      static_cast<unsigned long long>(c.directives), static_cast<unsigned long long>(c.events),
      static_cast<unsigned long long>(c.refused));
  return line;
}

void live_workload::submit(std::uint64_t walk_no, const protocol::person* who,
                           protocol::client_body body) {
  if (who == nullptr)
    return;
  auto id = next_request_++;
  walk_of_request_[id] = walk_no;
  send_(*who, {id, std::move(body)});
}

void live_workload::start_case(std::int64_t) {
  if (grids_.empty())
    return;
  const auto& h = *h_;
  const auto& grid = h.units[grids_[rng_() % grids_.size()]];
  walk w;
  auto roll = rng_() % 100;
  w.script = roll < 60   ? walk::kind::grid_case
             : roll < 88 ? walk::kind::village_case
                         : walk::kind::whistle_case;
  w.grid = grid.code;
  w.village = grid.parent;
  w.township = h.find_unit(w.village)->parent;
  auto no = next_walk_++;
  walks_.emplace(no, std::move(w));
  protocol::case_report r;
  r.unit = grid.code;
  const auto& cat = h.categories[rng_() % h.categories.size()];
  r.category = cat.code;
  r.title = cat.name;
  r.lat = grid.lat;
  r.lon = grid.lon;
  submit(no, person_with(h, grid.code, post::grid_fulltime), r);
}

void live_workload::start_directive() {
  const auto& h = *h_;
  const auto& city = h.units.front();
  // Counties with a village below them: a directive to the villages of one without any
  // would reach nobody, and the hub refuses such a directive.
  std::vector<protocol::unit_code> counties;
  auto has_villages = [&](protocol::unit_code county) {
    for (auto t : h.children(county))
      for (auto v : h.children(h.units[t].code))
        if (h.units[v].kind == unit_kind::village)
          return true;
    return false;
  };
  for (auto i : h.children(city.code))
    if (h.units[i].kind == unit_kind::county && has_villages(h.units[i].code))
      counties.push_back(h.units[i].code);
  if (counties.empty())
    return;
  protocol::directive_issue d;
  d.channel = static_cast<std::uint8_t>(rng_() % protocol::channel_count);
  d.title = h.channels[d.channel].name + " 工作部署";
  d.body = "请各村(社区)签收并按时反馈";
  d.deadline = 0; // set by the caller's clock below
  d.target.kind = protocol::target_kind::level;
  d.target.level = unit_kind::village;
  d.target.units = {counties[rng_() % counties.size()]};
  walk w;
  w.script = walk::kind::directive_receipt;
  w.unit = d.target.units.front();
  auto no = next_walk_++;
  walks_.emplace(no, std::move(w));
  d.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count() +
               3600 * 1000;
  submit(no, person_with(h, city.code, post::city_leader), d);
}

bool live_workload::next_step(std::uint64_t no) {
  auto found = walks_.find(no);
  if (found == walks_.end())
    return false;
  auto& w = found->second;
  const auto& h = *h_;
  auto act = [&](case_action a) {
    protocol::case_act c;
    c.id = w.ref;
    c.action = a;
    c.note = "已处理";
    return c;
  };
  auto grid_staff = person_with(h, w.grid, post::grid_fulltime);
  auto grid_head = person_with(h, w.grid, post::grid_head);
  auto secretary = person_with(h, w.village, post::village_secretary);
  auto operator_ = person_with(h, w.township, post::township_operator);
  auto head = person_with(h, w.township, post::township_head);
  const int s = w.step++;
  switch (w.script) {
    case walk::kind::grid_case: {
      static const case_action steps[] = {case_action::sign, case_action::start,
                                          case_action::resolve, case_action::close};
      if (s >= 4)
        return false;
      submit(no, s == 3 ? grid_head : grid_staff, act(steps[s]));
      return true;
    }
    case walk::kind::village_case: {
      static const case_action steps[] = {case_action::escalate, case_action::sign,
                                          case_action::resolve, case_action::close};
      if (s >= 4)
        return false;
      submit(no, s == 0 ? grid_head : secretary, act(steps[s]));
      return true;
    }
    case walk::kind::whistle_case: {
      // escalate, sign, escalate, sign, propose, approve, (report_in, feedback) per department,
      // the township's resolve, rate per department, close
      const int n = static_cast<int>(w.departments.size());
      if (s == 0)
        return submit(no, grid_head, act(case_action::escalate)), true;
      if (s == 1)
        return submit(no, secretary, act(case_action::sign)), true;
      if (s == 2)
        return submit(no, secretary, act(case_action::escalate)), true;
      if (s == 3)
        return submit(no, operator_, act(case_action::sign)), true;
      if (s == 4) {
        auto* town = h.find_unit(w.township);
        std::vector<protocol::unit_code> depts;
        for (auto i : h.children(town->parent))
          if (h.units[i].kind == unit_kind::department)
            depts.push_back(h.units[i].code);
        std::shuffle(depts.begin(), depts.end(), rng_);
        depts.resize(std::min<std::size_t>(depts.size(), 1 + rng_() % 2));
        w.departments = depts;
        auto c = act(case_action::propose_whistle);
        c.departments = depts;
        submit(no, person_with(h, w.township, post::township_module_head), c);
        return true;
      }
      if (s == 5)
        return submit(no, head, act(case_action::approve_whistle)), true;
      if (s < 6 + 2 * n) {
        auto dept = w.departments[(s - 6) / 2];
        auto a = (s - 6) % 2 == 0 ? case_action::report_in : case_action::feedback;
        submit(no, person_with(h, dept, post::department_staff), act(a));
        return true;
      }
      if (s == 6 + 2 * n)
        return submit(no, operator_, act(case_action::resolve)), true;
      if (s < 7 + 3 * n) {
        auto c = act(case_action::rate);
        c.unit = w.departments[s - 7 - 2 * n];
        c.score = static_cast<std::uint8_t>(3 + rng_() % 3);
        submit(no, head, c);
        return true;
      }
      if (s == 7 + 3 * n)
        return submit(no, head, act(case_action::close)), true;
      return false;
    }
    case walk::kind::directive_receipt: {
      // After the issue: every village of the county signs, then most complete.
      if (s > 0)
        return false;
      for (auto t : h.children(w.unit))
        for (auto v : h.children(h.units[t].code)) {
          if (h.units[v].kind != unit_kind::village || rng_() % 10 == 0)
            continue;
          auto* sec = person_with(h, h.units[v].code, post::village_secretary);
          auto a = rng_() % 4 == 0 ? protocol::directive_action::sign
                                   : protocol::directive_action::complete;
          if (sec != nullptr)
            send_(*sec, {next_request_++, protocol::directive_act{w.ref, a, ""}});
        }
      return false;
    }
  }
  return false;
}

void live_workload::run_until(std::int64_t now_ms) {
  if (next_report_ == 0)
    next_report_ = next_directive_ = now_ms;
  const auto report_gap =
      static_cast<std::int64_t>(1000.0 / std::max(options_.reports_per_second, 0.001));
  const auto directive_gap =
      static_cast<std::int64_t>(60000.0 / std::max(options_.directives_per_minute, 0.001));
  for (; next_report_ <= now_ms; next_report_ += report_gap)
    start_case(now_ms);
  for (; next_directive_ <= now_ms; next_directive_ += directive_gap)
    start_directive();
  // Each acknowledged step schedules the walk's next one a little later, like people do.
  for (auto& a : std::exchange(acked_, {})) {
    auto r = walk_of_request_.find(a.id);
    if (r == walk_of_request_.end())
      continue;
    auto no = r->second;
    walk_of_request_.erase(r);
    auto& w = walks_.at(no);
    if (w.ref == 0)
      w.ref = a.case_ref != 0 ? a.case_ref : a.directive_ref;
    due_.push({now_ms + 200 + static_cast<std::int64_t>(rng_() % 2800), no});
  }
  while (!due_.empty() && due_.top().first <= now_ms) {
    auto no = due_.top().second;
    due_.pop();
    if (!next_step(no))
      walks_.erase(no);
  }
}

} // namespace hub::sim
