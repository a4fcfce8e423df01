// Recovery's domain half: where each stored record lives, and what a crash left behind
// (restore.hpp). Runs on the starting thread, before the city exists.

#include "actors/restore.hpp"

#include "actors/directive.hpp"
#include "actors/ids.hpp"

#include <algorithm>
#include <map>
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

void snapshot_builder::finish() {
  // (case, department) -> the stored task's stage (a copy: tasks made good below are appended
  // to the same lists)
  std::map<std::pair<protocol::case_id, protocol::unit_code>, whistle_task::stage> stage_of;
  for (auto& u : snap_.units)
    for (auto& t : u.tasks)
      stage_of[{t.id, t.department}] = t.task.task.at;
  for (auto& u : snap_.units)
    for (auto& c : u.cases) {
      if (c.state != protocol::case_state::whistle_blown)
        continue;
      for (auto& w : c.whistle) {
        if (w.score != 0)
          continue;
        if (auto t = stage_of.find({c.id, w.department}); t != stage_of.end()) {
          w.at = std::max(w.at, t->second);
          continue;
        }
        task_record t;
        t.id = c.id;
        t.department = w.department;
        t.task.township = c.holder;
        t.task.task = w;
        t.task.category = c.category;
        t.task.urgency = c.urgency;
        t.task.summoned_at = c.clock_start;
        for (auto& e : c.history)
          if (e.action == protocol::case_action::approve_whistle)
            t.task.summoned_at = e.at;
        if (c.category >= h_.categories.size())
          throw foreign_record("case " + std::to_string(c.id) + " names category " +
                               std::to_string(c.category) + ", which the hierarchy lacks");
        const auto& l = h_.categories[c.category].limits[static_cast<int>(c.urgency)];
        t.task.next_check = t.task.summoned_at + protocol::timestamp_ms{l.department_sign} * 1000;
        snap_.units[index_of(w.department, "the whistle of case", c.id)].tasks.push_back(t);
        counts_.tasks += 1;
      }
    }
}

} // namespace hub::actors
