// Unit actor: cases. A case lives at exactly one unit (its holder); other units that held it
// keep a forwarding entry, so a request addressed to the case's maker finds it.

#include "actors/unit_state.hpp"

#include <algorithm>

namespace hub::actors {

using protocol::case_action;
using protocol::case_state;
using protocol::deadline_colour;
using protocol::errc;
using protocol::timestamp_ms;
using protocol::unit_kind;

namespace {

std::size_t level_slot(case_level l) { return static_cast<std::size_t>(l); }

} // namespace

protocol::case_event unit_state::case_event_of(const case_record& c, protocol::unit_code from_unit,
                                               std::vector<protocol::unit_code> departments,
                                               std::uint8_t score,
                                               protocol::case_id duplicate_of) const {
  const auto& e = c.history.back();
  protocol::case_event ev;
  ev.at = e.at;
  ev.id = c.id;
  ev.action = e.action;
  ev.state = c.state;
  ev.unit = c.holder;
  ev.from_unit = from_unit;
  ev.by = e.by;
  ev.category = h().categories[c.category].code;
  ev.level = c.urgency;
  ev.colour = c.colour;
  ev.deadline = c.deadline;
  ev.note = e.note;
  ev.departments = std::move(departments);
  ev.score = score;
  ev.duplicate_of = duplicate_of;
  return ev;
}

// -- report ---------------------------------------------------------------------------------

void unit_state::on_report(command& cmd, const protocol::case_report& r) {
  if (auto no = decide_report(h(), cmd.who, r))
    return refuse(cmd, no->code, std::move(no->reason));
  auto t = now();
  case_record c;
  c.id = make_id(index_, ++next_seq_);
  c.origin = c.holder = unit_->code;
  c.category = static_cast<std::uint16_t>(h().find_category(r.category) - h().categories.data());
  c.urgency = r.level;
  c.hotline = unit_->kind == unit_kind::centre;
  c.level = c.hotline ? case_level::grid : level_of(unit_->kind);
  c.title = r.title;
  c.description = r.description;
  c.address = r.address;
  c.external_id = r.external_id;
  c.lat = r.lat;
  c.lon = r.lon;
  c.history.push_back(
      {t, case_action::report, case_state::reported, c.holder, cmd.who.id, {}, 0, {}, 0, 0});
  set_clock(c, case_clock::sign, unit_->kind, t);
  own_.open += 1;
  own_.reported += 1;
  auto& held = cases_.emplace(c.id, std::move(c)).first->second;
  watch(held);
  commit_case(held, case_event_of(held, 0), &cmd, held.id);
  figures_changed();
}

// -- actions on a held case -----------------------------------------------------------------

void unit_state::on_case_act(command& cmd, const protocol::case_act& act) {
  if (act.action == case_action::mark_duplicate && !cmd.duplicate_found)
    return check_duplicate(cmd, act);
  auto found = cases_.find(act.id);
  if (found == cases_.end()) {
    if (auto m = moved_.find(act.id); m != moved_.end())
      return self_->send(ctx_->actor_of(m->second), std::move(cmd));
    if (look_in_archive(cmd, act.id))
      return; // ended long ago: its maker brings it back from the archive (unit_archive.cpp)
    return refuse(cmd, errc::unknown_case, "no case " + std::to_string(act.id));
  }
  auto& c = found->second;
  auto decision = decide(h(), c, cmd.who, act);
  if (auto* no = std::get_if<refusal>(&decision))
    return refuse(cmd, no->code, std::move(no->reason));
  const auto step = std::get<case_step>(decision);
  const auto t = now();
  const bool was_open = !c.terminal();
  const bool was_closed = c.state == case_state::closed;
  std::vector<protocol::unit_code> departments;
  std::uint8_t score = 0;
  // Summonses leave after this step's commit, so that each department's summons event is
  // numbered after the township's approve_whistle (a department that ran first would
  // otherwise commit its summons before the approval it follows).
  std::vector<std::pair<protocol::unit_code, whistle_summons>> summonses;
  auto summon = [&] {
    for (auto& [d, s] : summonses)
      self_->send(ctx_->actor_of(d), std::move(s));
  };

  // Effects particular to the action, before the state moves.
  switch (act.action) {
    case case_action::report_in:
    case case_action::feedback: { // the summoned department's own step (decide checked it)
      auto task = std::find_if(c.whistle.begin(), c.whistle.end(),
                               [&](const whistle_task& w) { return w.department == cmd.who.unit; });
      task->at = act.action == case_action::report_in ? whistle_task::stage::reported_in
                                                      : whistle_task::stage::fed_back;
      self_->send(ctx_->actor_of(task->department),
                  task_update{c.id, task->department, task->at, t});
      departments = {task->department};
      break;
    }
    case case_action::sign: // a case responds once: its first signature within the limit
      if (!c.responded && (c.deadline == 0 || t <= c.deadline)) {
        c.responded = true;
        own_.responded += 1;
      }
      break;
    case case_action::propose_whistle:
      c.proposed = act.departments;
      departments = act.departments;
      break;
    case case_action::decline_whistle: c.proposed.clear(); break;
    case case_action::approve_whistle:
      c.whistle.clear();
      for (auto d : c.proposed) {
        c.whistle.push_back({d, whistle_task::stage::summoned, 0});
        summonses.emplace_back(d,
                               whistle_summons{c.id, unit_->code, c.category, c.urgency, c.title});
      }
      departments = std::move(c.proposed);
      c.proposed.clear();
      c.level = case_level::department;
      break;
    case case_action::rate: {
      auto task = std::find_if(c.whistle.begin(), c.whistle.end(),
                               [&](const whistle_task& w) { return w.department == act.unit; });
      task->score = act.score;
      self_->send(ctx_->actor_of(act.unit), task_rating{c.id, act.score});
      departments = {act.unit};
      score = act.score;
      break;
    }
    case case_action::close: // a close is not a rating: rated and satisfied count 评哨 only
      own_.resolved += 1;
      own_.closed_at[level_slot(c.level)] += 1;
      break;
    case case_action::reopen:
      c.reopened = true;
      c.whistle.clear();
      if (was_closed)
        own_.open += 1;
      break;
    case case_action::supervise: c.supervised = true; break;
    default: break;
  }

  c.state = step.next;
  c.history.push_back({t, act.action, step.next, step.holder, cmd.who.id, act.note, 0, {}, 0, 0});
  if (was_open && c.terminal()) {
    own_.open -= 1;
    count_colour(c.colour, -1);
    c.colour = deadline_colour::green;
  }

  if (step.holder != c.holder) { // the case moves on: escalate, dispatch, return
    auto* to = h().find_unit(step.holder);
    const auto from = c.holder;
    if (!c.terminal()) {
      own_.open -= 1;
      count_colour(c.colour, -1);
    }
    c.sender = from;
    c.holder = to->code;
    if (to->kind != unit_kind::centre)
      c.level = std::max(c.level, level_of(to->kind));
    set_clock(c, step.clock, to->kind, t);
    commit_case(c, case_event_of(c, from), &cmd, act.id);
    summon();
    moved_[c.id] = to->code;
    self_->send(ctx_->actor_of(to->code), case_transfer{std::move(c), act.action});
    cases_.erase(found);
    return figures_changed();
  }

  if (step.clock != case_clock::keep && !c.terminal()) {
    count_colour(c.colour, -1);
    set_clock(c, step.clock, unit_->kind, t);
  } else if (c.terminal()) {
    c.deadline = 0;
  }
  watch(c);
  commit_case(c,
              case_event_of(c, 0, std::move(departments), score,
                            act.action == case_action::mark_duplicate ? act.duplicate_of : 0),
              &cmd, act.id);
  summon();
  figures_changed();
}

void unit_state::check_duplicate(command& cmd, const protocol::case_act& act) {
  // Case ids carry their maker's index, and a maker keeps every case it made (held, or a
  // forwarding entry once it left), so the maker alone knows whether the case exists.
  // An archived one is brought back first (the request waits for the archive).
  if (maker_of(act.duplicate_of) == index_ && !cases_.contains(act.duplicate_of) &&
      !moved_.contains(act.duplicate_of) && look_in_archive(cmd, act.duplicate_of))
    return;
  if (maker_of(act.duplicate_of) != index_ ||
      (!cases_.contains(act.duplicate_of) && !moved_.contains(act.duplicate_of)))
    return refuse(cmd, errc::unknown_case,
                  "no case " + std::to_string(act.duplicate_of) + " to be a duplicate of");
  auto marked = ctx_->maker_of_id(act.id);
  if (!marked)
    return refuse(cmd, errc::unknown_case, "no case " + std::to_string(act.id));
  cmd.duplicate_found = true;
  self_->send(marked, std::move(cmd));
}

void unit_state::on_transfer(case_transfer& t) {
  auto& c = t.record;
  moved_.erase(c.id);
  if (!c.terminal())
    own_.open += 1;
  c.next_check = 0;
  auto& held = cases_.insert_or_assign(c.id, std::move(c)).first->second;
  watch(held);
  if (held.terminal()) // back from the archive: let go again unless a step follows
    archive_later(held);
  figures_changed();
}

void unit_state::on_history(history_request& r) {
  if (auto found = cases_.find(r.id); found != cases_.end())
    return r.question->answer(&found->second);
  if (auto m = moved_.find(r.id); m != moved_.end())
    return self_->send(ctx_->actor_of(m->second), std::move(r));
  r.question->answer(nullptr);
}

// -- deadlines ------------------------------------------------------------------------------

void unit_state::check_case(protocol::case_id id, timestamp_ms t) {
  auto found = cases_.find(id);
  if (found == cases_.end())
    return; // it left; its new holder watches it
  auto& c = found->second;
  if (c.deadline == 0 || c.terminal())
    return;
  bool changed = false;
  if (c.colour == deadline_colour::green &&
      t >= c.clock_start + (c.deadline - c.clock_start) * 4 / 5) {
    c.colour = deadline_colour::yellow;
    count_colour(c.colour, +1);
    changed = true;
  }
  if (c.colour != deadline_colour::red && t >= c.deadline) {
    count_colour(c.colour, -1);
    c.colour = deadline_colour::red;
    count_colour(c.colour, +1);
    c.history.push_back({t,
                         case_action::remind,
                         c.state,
                         c.holder,
                         0,
                         "overdue: automatic reminder (催办) to " + unit_->name,
                         0,
                         {},
                         0,
                         0});
    commit_case(c, case_event_of(c, 0));
    changed = true;
  }
  const auto& limits = h().categories[c.category].limits[static_cast<int>(c.urgency)];
  if (c.colour == deadline_colour::red && !c.supervised &&
      t >= c.deadline + timestamp_ms{limits.supervision} * 1000) {
    c.supervised = true;
    auto* parent = h().find_unit(unit_->parent);
    c.history.push_back({t,
                         case_action::supervise,
                         c.state,
                         c.holder,
                         0,
                         "supervision (督办) raised to " +
                             (parent != nullptr ? parent->name : std::string("the city")),
                         0,
                         {},
                         0,
                         0});
    commit_case(c, case_event_of(c, 0));
    changed = true;
  }
  watch(c);
  if (changed)
    figures_changed();
}

// -- whistles: the department's side --------------------------------------------------------

void unit_state::on_summons(whistle_summons& s) {
  auto t = now();
  department_task task;
  task.township = s.township;
  task.task = {unit_->code, whistle_task::stage::summoned, 0};
  task.category = s.category;
  task.urgency = s.urgency;
  task.summoned_at = t;
  const auto& l = h().categories[s.category].limits[static_cast<int>(s.urgency)];
  task.next_check = t + timestamp_ms{l.department_sign} * 1000;
  tasks_[s.id] = task;
  arm(task.next_check, timer_kind::task_deadline, s.id);
  own_.open += 1;
  own_.reported += 1;
  // The summons, for the department's own watchers (its console): the township's
  // approve_whistle is published at the township, which a department may not watch.
  const auto& cat = h().categories[s.category];
  protocol::case_event ev;
  ev.at = t;
  ev.id = s.id;
  ev.action = case_action::approve_whistle;
  ev.state = case_state::whistle_blown;
  ev.unit = unit_->code;
  ev.from_unit = s.township;
  ev.category = cat.code;
  ev.level = s.urgency;
  ev.deadline = task.next_check;
  ev.note = s.title;
  ev.departments = {unit_->code};
  commit(std::move(ev), reach::unit_watchers, keep(task_record{s.id, unit_->code, task}));
  figures_changed();
}

void unit_state::on_task_update(const task_update& u) {
  auto found = tasks_.find(u.id);
  if (found == tasks_.end())
    return; // rated and done with, or lost to a crash (recovery rebuilds it from the case)
  auto& task = found->second;
  if (u.stage <= task.task.at)
    return; // there already (recovery caught the task up with the case)
  const auto& l = h().categories[task.category].limits[static_cast<int>(task.urgency)];
  if (task.task.at == whistle_task::stage::summoned &&
      u.at <= task.summoned_at + timestamp_ms{l.department_sign} * 1000)
    own_.responded += 1;
  if (u.stage == whistle_task::stage::fed_back) {
    own_.open -= 1;
    own_.resolved += 1;
  }
  task.task.at = u.stage;
  commit(std::nullopt, reach::unit_watchers, keep(task_record{u.id, unit_->code, task}));
  figures_changed();
}

void unit_state::check_task(protocol::case_id id, timestamp_ms t) {
  auto found = tasks_.find(id);
  if (found == tasks_.end())
    return;
  auto& task = found->second;
  if (task.task.at == whistle_task::stage::fed_back || t < task.next_check)
    return;
  const auto& cat = h().categories[task.category];
  const auto& l = cat.limits[static_cast<int>(task.urgency)];
  protocol::case_event ev;
  ev.at = t;
  ev.id = id;
  ev.action = case_action::remind;
  ev.state = case_state::whistle_blown;
  ev.unit = unit_->code;
  ev.from_unit = task.township;
  ev.category = cat.code;
  ev.level = task.urgency;
  ev.colour = deadline_colour::red;
  ev.note = task.task.at == whistle_task::stage::summoned && task.reminders == 0
                ? "reminder (催办): report in to the whistle"
                : "reminder (催办): the whistle's time limit has passed";
  task.reminders += 1;
  auto whistle_due = task.summoned_at + timestamp_ms{l.whistle} * 1000;
  if (task.reminders == 1 && whistle_due > t) {
    task.next_check = whistle_due;
    arm(whistle_due, timer_kind::task_deadline, id);
  }
  commit(std::move(ev), reach::subtree_watchers, keep(task_record{id, unit_->code, task}));
}

void unit_state::on_task_rating(const task_rating& r) {
  auto found = tasks_.find(r.id);
  if (r.score == 0) { // the case ended without rating this department: its part is over
    if (found == tasks_.end())
      return;
    if (found->second.task.at != whistle_task::stage::fed_back)
      own_.open -= 1;
  } else {
    own_.rated += 1;
    own_.satisfied += r.score >= 4 ? 1 : 0;
    score_sum_ += r.score;
  }
  std::vector<record> records;
  if (found != tasks_.end()) {
    found->second.task.score = r.score;
    records = keep(task_record{r.id, unit_->code, found->second, true}); // deleted when stored
    tasks_.erase(found);
  }
  commit(std::nullopt, reach::unit_watchers, std::move(records));
  figures_changed();
}

} // namespace hub::actors
