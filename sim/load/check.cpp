#include "sim/load/check.hpp"

#include "gateway/net/token.hpp"
#include "protocol/errors.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace hub::sim {

using namespace std::chrono_literals;

namespace {

constexpr std::size_t window = 64; // queries in flight at once, per asker
/// Each asker's pace, under the hub's limits for one connection and one person
/// (gateway/README.md: 100 messages a second, a burst of 200; 200 a second per person).
constexpr double asks_per_second = 90;

std::string name_of(std::uint64_t id, const expectation& e) {
  return std::string(e.directive ? "directive " : "case ") + std::to_string(id);
}

/// What one asker found; merged into the check's result.
struct tally {
  std::uint64_t cases = 0, directives = 0, lost = 0, lost_cases = 0, wrong = 0, unconfirmed = 0;
  std::vector<std::string> examples;
  std::string failure;
};

/// The county `code` lies in, or 0 for the city's own units.
protocol::unit_code county_of(const protocol::hierarchy& h, protocol::unit_code code) {
  for (const auto* u = h.find_unit(code); u != nullptr; u = h.find_unit(u->parent))
    if (u->kind == protocol::unit_kind::county)
      return u->code;
  return 0;
}

/// Asks `who` about each of `todo` over one connection, at most `window` at a time and
/// `asks_per_second`; a `rate_limited` answer is asked again a second later.
tally ask_all(const protocol::person& who,
              std::deque<std::pair<std::uint64_t, const expectation*>> ids, const check_options& o,
              std::uint64_t first_id) {
  tally t;
  auto note = [&](std::string line) {
    if (t.examples.size() < 10)
      t.examples.push_back(std::move(line));
  };
  ws_options wo;
  wo.format = o.format;
  ws_blocking_client client{wo};
  auto why =
      client.connect(o.url, gateway::token::issue(o.secret, who, std::chrono::hours(1)), 10s);
  if (!why.empty()) {
    t.failure = "cannot connect to ask: " + why;
    return t;
  }

  // Each question: the id asked about, with the steps counted over its pages so far.
  struct question {
    std::uint64_t ref = 0;
    const expectation* e = nullptr;
    std::string cursor;
    std::uint32_t steps = 0;
    protocol::case_summary summary;
    std::chrono::steady_clock::time_point not_before{};
  };
  std::deque<question> todo;
  for (const auto& [id, e] : ids)
    todo.push_back({id, e, {}, 0, {}, {}});
  std::unordered_map<std::uint64_t, question> asked; // by message id
  std::uint64_t next_id = first_id;
  auto next_ask = std::chrono::steady_clock::now();
  const auto gap = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / asks_per_second));

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
    if (e.unanswered > 0) {
      // Steps whose answer was lost may each have been applied: any count between decides
      // the state and the holder, which are therefore not compared.
      if (q.steps >= e.steps && q.steps <= e.steps + e.unanswered) {
        ++t.unconfirmed;
        return;
      }
    }
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
      ++t.wrong;
      note(name_of(q.ref, e) + " is wrong:" + wrong);
    }
  };

  while (!todo.empty() || !asked.empty()) {
    auto now = std::chrono::steady_clock::now();
    while (!todo.empty() && asked.size() < window && now >= next_ask &&
           now >= todo.front().not_before) {
      ask(std::move(todo.front()));
      todo.pop_front();
      next_ask = std::max(next_ask + gap, now - 1s); // a burst of at most a second's worth
    }
    if (asked.empty()) {
      // Nothing to read: wait for the pace or for a question put back after `rate_limited`.
      std::this_thread::sleep_until(std::max(next_ask, todo.front().not_before));
      continue;
    }
    auto m = client.read(todo.empty() || asked.size() >= window ? 10s : 5ms);
    if (!m) {
      if (client.closed() || todo.empty() || asked.size() >= window) {
        t.failure = client.closed() ? "the connection closed: " + client.why_closed()
                                    : "no answer within 10 s";
        return t;
      }
      continue; // time to ask the next
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
        ++t.lost;
        (q.e->directive ? t.directives : t.cases) += 1;
        t.lost_cases += q.e->directive ? 0 : 1;
        note(name_of(q.ref, *q.e) + " was acknowledged and the hub does not know it");
      } else if (err->code == protocol::errc::rate_limited) {
        q.not_before = std::chrono::steady_clock::now() + 1s;
        todo.push_back(std::move(q));
      } else {
        t.failure = "the hub refused the check's query for " + name_of(q.ref, *q.e) + ": " +
                    std::string(protocol::to_string(err->code)) + ": " + err->message;
        return t;
      }
      continue;
    }
    auto* res = std::get_if<protocol::result>(&*m);
    if (res == nullptr)
      continue;
    if (q.e->directive) {
      ++t.directives;
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
    ++t.cases;
    finish_case(q);
  }
  client.close();
  return t;
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
  // Who asks: a county's cases its leaders (each at the pace of one connection, so the
  // check of a city-wide run takes a minute, not an hour at one connection's rate); the
  // city's own units' cases and every directive the city's leaders.
  std::map<protocol::unit_code, std::vector<const protocol::person*>> leaders; // by county
  for (const auto& p : h.people)
    if (p.holds == protocol::post::city_leader)
      leaders[0].push_back(&p);
    else if (p.holds == protocol::post::county_leader)
      leaders[p.unit].push_back(&p);
  if (leaders[0].empty()) {
    r.failure = "the hierarchy has no city leader to ask as";
    return r;
  }
  std::map<const protocol::person*, std::deque<std::pair<std::uint64_t, const expectation*>>> work;
  std::map<protocol::unit_code, std::size_t> turn;
  for (const auto& [id, e] : acknowledged) {
    auto county = e.directive ? 0 : county_of(h, e.holder);
    auto& askers = leaders[county].empty() ? leaders[0] : leaders[county];
    work[askers[turn[county]++ % askers.size()]].emplace_back(id, &e);
  }
  std::vector<tally> tallies(work.size());
  std::vector<std::thread> threads;
  std::size_t n = 0;
  for (auto& [who, ids] : work) {
    // Message ids apart per asker: a million apart is more than one asker ever uses.
    threads.emplace_back([&tallies, &o, who = who, ids = &ids, i = n] {
      tallies[i] = ask_all(*who, std::move(*ids), o, o.first_request + i * 1'000'000);
    });
    ++n;
  }
  for (auto& t : threads)
    t.join();
  std::uint64_t lost_cases = 0;
  for (auto& t : tallies) {
    r.cases += t.cases;
    r.directives += t.directives;
    r.lost += t.lost;
    r.wrong += t.wrong;
    r.unconfirmed += t.unconfirmed;
    lost_cases += t.lost_cases;
    for (auto& e : t.examples)
      note(std::move(e));
    if (r.failure.empty())
      r.failure = t.failure;
  }
  if (!r.failure.empty())
    return r;

  if (o.same_case_twice > 0) {
    r.duplicated += o.same_case_twice;
    note(std::to_string(o.same_case_twice) + " reports were answered with a case already "
                                             "answered to another report");
  }
  if (o.count_cases) {
    ws_options wo;
    wo.format = o.format;
    ws_blocking_client client{wo};
    auto why = client.connect(
        o.url, gateway::token::issue(o.secret, *leaders[0].front(), std::chrono::hours(1)), 10s);
    if (!why.empty()) {
      r.failure = "cannot connect to ask: " + why;
      return r;
    }
    protocol::query q;
    q.what = protocol::query_kind::cases;
    q.unit = h.units.front().code;
    q.status = protocol::case_status::all;
    q.from = o.since_ms;
    q.limit = 1;
    auto reply = client.request({o.first_request + n * 1'000'000, q}, 10s);
    auto* res = reply ? std::get_if<protocol::result>(&*reply) : nullptr;
    if (res == nullptr) {
      r.failure = "the count of the city's cases was not answered";
      return r;
    }
    r.duplicates_checked = true;
    r.hub_cases = res->total;
    r.reports = o.reports;
    // Reports lost count once above; the count holds what the hub made. A report whose answer
    // was lost with its connection may or may not have made a case.
    auto expected = o.reports - lost_cases;
    if (r.hub_cases > expected + o.reports_unanswered) {
      r.duplicated += r.hub_cases - expected - o.reports_unanswered;
      note("the hub holds " + std::to_string(r.hub_cases) + " cases reported since the start, " +
           std::to_string(expected) + " were acknowledged (and found)");
    }
    client.close();
  }
  return r;
}

} // namespace hub::sim
