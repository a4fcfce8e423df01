// Unit actor: adopting what the store held (recovery). Open, yellow and red are recounted
// from the records; every deadline is armed again from its stored time, so one that passed
// while the hub was down fires at once; the figures flow up the tree again.

#include "actors/ids.hpp"
#include "actors/unit_state.hpp"

namespace hub::actors {

using protocol::directive_action;

void unit_state::restore(unit_restore& r) {
  version_ = r.own.version;
  stored_ = r.own;
  stored_.counters.open = stored_.counters.yellow = stored_.counters.red = 0;
  next_seq_ = r.own.next_id;
  score_sum_ = r.own.score_sum;
  own_ = r.own.counters;
  own_.open = own_.yellow = own_.red = 0;
  auto made_here = [&](std::uint64_t id) {
    if (maker_of(id) == index_)
      next_seq_ = std::max(next_seq_, serial_of(id));
  };

  for (auto& c : r.cases) {
    made_here(c.id);
    auto& held = cases_.insert_or_assign(c.id, std::move(c)).first->second;
    if (held.terminal()) {
      archive_later(held); // its retention goes on from its last step
      continue;
    }
    own_.open += 1;
    count_colour(held.colour, +1);
    held.next_check = 0;
    watch(held);
  }
  for (auto& [id, holder] : r.moved) {
    made_here(id);
    moved_[id] = holder;
  }
  for (auto& t : r.tasks) {
    if (t.task.task.at != whistle_task::stage::fed_back) {
      own_.open += 1;
      arm(t.task.next_check, timer_kind::task_deadline, t.id);
    }
    tasks_[t.id] = t.task;
  }
  for (auto& i : r.issued) {
    const auto& info = i.directive.info;
    made_here(info->id);
    auto& d = issued_[info->id];
    d.info = info;
    d.reminded = i.directive.reminded;
    d.progress = progress_list(h(), i.progress);
    for (std::size_t k = 0; k < d.progress.size(); ++k) {
      d.signed_count += d.progress.state(k) != directive_action::issue ? 1 : 0;
      d.done += d.progress.state(k) == directive_action::complete ? 1 : 0;
    }
    if (info->what.deadline != 0) // reminded or not: it ends (and is archived) then
      arm(info->what.deadline, timer_kind::directive_deadline, info->id);
    if (d.done == d.progress.size()) { // when it ended is not stored: from now
      d.ended = now();
      directive_later(info->id, d.ended);
    } else {
      directive_later(info->id, info->what.deadline);
    }
  }
  for (auto [id, deadline] : r.unfolded) {
    unfolded_[id] = deadline;
    directive_later(id, deadline);
  }
  for (auto& rd : r.received) {
    auto& d = received_.add(rd.info);
    if (rd.progress.size() == 1) {
      d.person = static_cast<std::uint32_t>(recipient_key(h(), rd.progress[0].first).value_or(0));
      d.state = rd.progress[0].second;
    } else {
      d.crowd = true;
      crowd_[rd.info->id] = progress_list(h(), rd.progress);
    }
  }
  r = {}; // the snapshot's slot is no longer needed
  figures_changed();
}

} // namespace hub::actors
