// live_workload (live_workload.hpp): the walks: the steps a case takes, planned from the
// scenario, started and taken in turn, and the directive campaigns.

#include "gateway/net/percent.hpp"
#include "sim/load/live_workload.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace hub::sim {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

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

} // namespace hub::sim
