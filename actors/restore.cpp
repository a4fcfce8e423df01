// Recovery's domain half: where each stored record lives, and what a crash left behind
// (restore.hpp). Runs on the starting thread, before the city exists.

#include "actors/restore.hpp"

#include "actors/directive.hpp"
#include "actors/ids.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace hub::actors {

snapshot_builder::snapshot_builder(const protocol::hierarchy& h, city_snapshot& into)
  : h_(h)
  , snap_(into) {
  snap_.units.resize(h_.units.size());
}

std::uint32_t snapshot_builder::index_of(protocol::unit_code code, const char* what,
                                         std::uint64_t id) const {
  auto i = h_.index_of(code);
  if (i == h_.no_unit)
    throw foreign_record(std::string(what) + " " + std::to_string(id) + " names unit " +
                         std::to_string(code) + ", which the hierarchy lacks");
  return i;
}

void snapshot_builder::add(const unit_record& u) {
  auto i = h_.index_of(u.unit);
  if (i == h_.no_unit)
    throw foreign_record("counters of unit " + std::to_string(u.unit) +
                         ", which the hierarchy lacks");
  snap_.units[i].own = u;
}

void snapshot_builder::add(task_record t) {
  if (t.task.task.score != 0)
    return; // rated: the department's part is over
  auto department = index_of(t.department, "the department task of case", t.id);
  snap_.units[department].tasks.push_back(std::move(t));
  counts_.tasks += 1;
}

void snapshot_builder::add(case_record c) {
  auto holder = index_of(c.holder, "case", c.id);
  auto maker = maker_of(c.id);
  if (maker >= h_.units.size())
    throw foreign_record("case " + std::to_string(c.id) + " was made by no unit of the hierarchy");
  if (holder != maker)
    snap_.units[maker].moved.emplace_back(c.id, c.holder);
  counts_.cases += 1;
  counts_.open_cases += c.terminal() ? 0 : 1;
  snap_.units[holder].cases.push_back(std::move(c));
}

void snapshot_builder::add(directive_record d, const std::vector<receipt_record>& answers) {
  std::map<recipient, protocol::directive_action> answered;
  for (auto& a : answers)
    answered[a.who] = a.action;
  counts_.receipts += answers.size();
  const auto issuer = index_of(d.info->issuer_unit, "directive", d.info->id);
  issued_restore issued{d, {}};
  std::unordered_map<protocol::unit_code, std::size_t> slot; // unit -> its received entry
  for (auto& r : all_recipients(h_, *d.info, d.info->issuer_unit)) {
    auto a = answered.find(r);
    auto action = a != answered.end() ? a->second : protocol::directive_action::issue;
    issued.progress.emplace_back(r, action);
    auto& received = snap_.units[index_of(r.unit, "directive", d.info->id)].received;
    auto [it, fresh] = slot.try_emplace(r.unit, received.size());
    if (fresh)
      received.push_back({d.info, {}});
    received[it->second].progress.emplace_back(r, action);
  }
  snap_.units[issuer].issued.push_back(std::move(issued));
  counts_.directives += 1;
}

void snapshot_builder::add_unfolded(protocol::directive_id id, protocol::timestamp_ms deadline) {
  auto issuer = maker_of(id);
  if (issuer >= h_.units.size())
    throw foreign_record("directive " + std::to_string(id) +
                         " was issued by no unit of the hierarchy");
  snap_.units[issuer].unfolded.emplace_back(id, deadline);
}

void snapshot_builder::finish() {
  // (case, department) -> where the department's stored task is: (unit index, position in its
  // tasks), for reconciling it with the case's whistle entry (positions, not pointers: tasks
  // made good below are appended to the same lists)
  std::map<std::pair<protocol::case_id, protocol::unit_code>, std::pair<std::uint32_t, std::size_t>>
      task_at;
  for (std::uint32_t i = 0; i < snap_.units.size(); ++i)
    for (std::size_t k = 0; k < snap_.units[i].tasks.size(); ++k)
      task_at[{snap_.units[i].tasks[k].id, snap_.units[i].tasks[k].department}] = {i, k};
  // A summoned department's step is stored twice: with the case by its township, then with
  // the department's task (stores written before that order was adopted have it the other way
  // round). A crash between the two leaves one behind, which is made good here: both take the
  // later stage, and the department's figures get what the steps it missed would have counted;
  // a department whose task was never stored gets it rebuilt from the case.
  for (auto& u : snap_.units)
    for (auto& c : u.cases) {
      if (c.state != protocol::case_state::whistle_blown)
        continue;
      if (c.category >= h_.categories.size())
        throw foreign_record("case " + std::to_string(c.id) + " names category " +
                             std::to_string(c.category) + ", which the hierarchy lacks");
      const auto& l = h_.categories[c.category].limits[static_cast<int>(c.urgency)];
      for (auto& w : c.whistle) {
        if (w.score != 0)
          continue;
        auto& dept = snap_.units[index_of(w.department, "the whistle of case", c.id)];
        task_record* task = nullptr;
        if (auto t = task_at.find({c.id, w.department}); t != task_at.end()) {
          task = &snap_.units[t->second.first].tasks[t->second.second];
        } else {
          task_record made;
          made.id = c.id;
          made.department = w.department;
          made.task.township = c.holder;
          made.task.task = {w.department, whistle_task::stage::summoned, 0};
          made.task.category = c.category;
          made.task.urgency = c.urgency;
          made.task.summoned_at = c.clock_start;
          for (auto& e : c.history)
            if (e.action == protocol::case_action::approve_whistle)
              made.task.summoned_at = e.at;
          made.task.next_check =
              made.task.summoned_at + protocol::timestamp_ms{l.department_sign} * 1000;
          dept.own.counters.reported += 1; // the summons, as on_summons counts it
          dept.tasks.push_back(made);
          task = &dept.tasks.back();
          counts_.tasks += 1;
        }
        auto& stage = task->task.task.at;
        if (stage < w.at) { // the department's figures, as on_task_update counts them
          auto& f = dept.own.counters;
          if (stage == whistle_task::stage::summoned) {
            const auto due =
                task->task.summoned_at + protocol::timestamp_ms{l.department_sign} * 1000;
            // the department's latest report-in is this whistle's (the case says it took one)
            for (auto e = c.history.rbegin(); e != c.history.rend(); ++e) {
              auto* by = h_.find_person(e->by);
              if (e->action == protocol::case_action::report_in && by != nullptr &&
                  by->unit == w.department) {
                f.responded += e->at <= due ? 1 : 0;
                break;
              }
            }
          }
          if (w.at == whistle_task::stage::fed_back)
            f.resolved += 1;
          stage = w.at;
        }
        w.at = stage;
      }
    }
  // A department whose part is over (its whistle rated in the stored case, or the case ended)
  // but whose task's deletion was not stored before a crash: the task ends here.
  std::set<std::pair<protocol::case_id, protocol::unit_code>> over;
  for (const auto& u : snap_.units)
    for (const auto& c : u.cases)
      for (const auto& w : c.whistle)
        if (w.score != 0 || c.terminal())
          over.emplace(c.id, w.department);
  if (!over.empty())
    for (auto& u : snap_.units)
      counts_.tasks -= std::erase_if(u.tasks, [&](const task_record& t) {
        return over.contains({t.id, t.department});
      });
}

} // namespace hub::actors
