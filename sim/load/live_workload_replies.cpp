// live_workload (live_workload.hpp): the hub's replies and events, what they tell the
// workload, and what it measures of them.

#include "sim/load/live_workload.hpp"

#include "protocol/errors.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace hub::sim {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

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
          if (m.id == 0 && m.code == protocol::errc::overloaded && is_standing(who)) {
            // The hub fell behind on this connection and ended its subscriptions (the events
            // queued before are still written): subscribe again from the last event seen, as
            // the browser's consoles do, so nothing is missed.
            ++counts_.overflows;
            ++counts_.refused_by_code[std::string(protocol::to_string(m.code))];
            resubscribe(who);
            return;
          }
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
      if (p.ref >= standing_.size() || std::exchange(standing_[p.ref].subscribed, true))
        return;
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

} // namespace hub::sim
