#include "sim/load/check.hpp"

#include "gateway/net/token.hpp"
#include "protocol/errors.hpp"

#include <chrono>
#include <deque>

namespace hub::sim {

using namespace std::chrono_literals;

namespace {

constexpr std::size_t window = 64; // queries in flight at once

std::string name_of(std::uint64_t id, const expectation& e) {
  return std::string(e.directive ? "directive " : "case ") + std::to_string(id);
}

} // namespace

check_result run_check(const protocol::hierarchy& h,
                       const std::unordered_map<std::uint64_t, expectation>& acknowledged,
                       const check_options& o) {
  check_result r;
  auto note = [&](std::string line) {
    if (r.examples.size() < 10)
      r.examples.push_back(std::move(line));
  };
  const protocol::person* leader = nullptr;
  for (auto i : h.people_at(h.units.front().code))
    if (h.people[i].holds == protocol::post::city_leader) {
      leader = &h.people[i];
      break;
    }
  if (leader == nullptr) {
    r.failure = "the hierarchy has no city leader to ask as";
    return r;
  }
  ws_options wo;
  wo.format = o.format;
  ws_blocking_client client{wo};
  auto why =
      client.connect(o.url, gateway::token::issue(o.secret, *leader, std::chrono::hours(1)), 10s);
  if (!why.empty()) {
    r.failure = "cannot connect to ask: " + why;
    return r;
  }

  // Each question: the id asked about, with the steps counted over its pages so far.
  struct question {
    std::uint64_t ref = 0;
    const expectation* e = nullptr;
    std::string cursor;
    std::uint32_t steps = 0;
    protocol::case_summary summary;
  };
  std::deque<question> todo;
  for (const auto& [id, e] : acknowledged)
    todo.push_back({id, &e, {}, 0, {}});
  std::unordered_map<std::uint64_t, question> asked; // by message id
  std::uint64_t next_id = o.first_request;
  std::uint64_t lost_cases = 0;

  auto ask = [&](question q) {
    protocol::query query;
    if (q.e->directive) {
      query.what = protocol::query_kind::directive;
      query.directive_ref = q.ref;
      query.limit = 1;
    } else {
      query.what = protocol::query_kind::one_case;
      query.case_ref = q.ref;
      query.cursor = q.cursor;
    }
    auto id = next_id++;
    client.send({id, query});
    asked.emplace(id, std::move(q));
  };
  auto finish_case = [&](const question& q) {
    const auto& e = *q.e;
    std::string wrong;
    if (q.summary.state != e.state)
      wrong += " state " + std::string(protocol::to_string(q.summary.state)) +
               " (acknowledged: " + std::string(protocol::to_string(e.state)) + ")";
    if (q.summary.unit != e.holder)
      wrong += " holder " + std::to_string(q.summary.unit) +
               " (acknowledged: " + std::to_string(e.holder) + ")";
    if (q.steps != e.steps)
      wrong += " " + std::to_string(q.steps) +
               " steps by people (acknowledged: " + std::to_string(e.steps) + ")";
    if (!wrong.empty()) {
      ++r.wrong;
      note(name_of(q.ref, e) + " is wrong:" + wrong);
    }
  };

  while (!todo.empty() || !asked.empty()) {
    while (!todo.empty() && asked.size() < window) {
      ask(std::move(todo.front()));
      todo.pop_front();
    }
    auto m = client.read(10s);
    if (!m) {
      r.failure = client.closed() ? "the connection closed: " + client.why_closed()
                                  : "no answer within 10 s";
      return r;
    }
    auto id = reply_id(*m);
    auto at = asked.find(id);
    if (at == asked.end())
      continue;
    auto q = std::move(at->second);
    asked.erase(at);
    if (auto* err = std::get_if<protocol::error>(&*m)) {
      if (err->code == protocol::errc::unknown_case ||
          err->code == protocol::errc::unknown_directive) {
        ++r.lost;
        (q.e->directive ? r.directives : r.cases) += 1;
        lost_cases += q.e->directive ? 0 : 1;
        note(name_of(q.ref, *q.e) + " was acknowledged and the hub does not know it");
      } else {
        r.failure = "the hub refused the check's query for " + name_of(q.ref, *q.e) + ": " +
                    std::string(protocol::to_string(err->code)) + ": " + err->message;
        return r;
      }
      continue;
    }
    auto* res = std::get_if<protocol::result>(&*m);
    if (res == nullptr)
      continue;
    if (q.e->directive) {
      ++r.directives;
      continue;
    }
    q.summary = res->one.summary;
    for (const auto& s : res->one.steps)
      q.steps += s.by != 0; // the hub's own remind and supervise have no `by`
    if (!res->cursor.empty()) {
      q.cursor = res->cursor;
      todo.push_front(std::move(q));
      continue;
    }
    ++r.cases;
    finish_case(q);
  }

  if (o.same_case_twice > 0) {
    r.duplicated += o.same_case_twice;
    note(std::to_string(o.same_case_twice) + " reports were answered with a case already "
                                             "answered to another report");
  }
  if (o.count_cases) {
    protocol::query q;
    q.what = protocol::query_kind::cases;
    q.unit = h.units.front().code;
    q.status = protocol::case_status::all;
    q.from = o.since_ms;
    q.limit = 1;
    auto reply = client.request({next_id++, q}, 10s);
    auto* res = reply ? std::get_if<protocol::result>(&*reply) : nullptr;
    if (res == nullptr) {
      r.failure = "the count of the city's cases was not answered";
      return r;
    }
    r.duplicates_checked = true;
    r.hub_cases = res->total;
    r.reports = o.reports;
    // Reports lost count once above; the count holds what the hub made.
    auto expected = o.reports - lost_cases;
    if (r.hub_cases > expected) {
      r.duplicated += r.hub_cases - expected;
      note("the hub holds " + std::to_string(r.hub_cases) + " cases reported since the start, " +
           std::to_string(expected) + " were acknowledged (and found)");
    }
  }
  client.close();
  return r;
}

} // namespace hub::sim
