#include "sim/load/load_clients.hpp"

#include "gateway/net/token.hpp"
#include "sim/load/arrival_peek.hpp"
#include "sim/load/process_stats.hpp"

#include <thread>

namespace hub::sim::load {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using beast_error = boost::beast::error_code;

std::string text_of(const protocol::error& e) {
  return "error " + std::to_string(int(e.code)) + " " + std::string(protocol::to_string(e.code)) +
         ": " + e.message;
}

void run_state::launch(std::size_t i) {
  sim::ws_client::handlers h;
  h.opened = [this, i](beast_error ec, const sim::ws_client::response& res) {
    auto& b = bots[i];
    if (ec) {
      failed.fetch_add(1);
      note("grid " + std::to_string(b.grid) + ": " + sim::describe_failure(ec, res));
      return launch_next();
    }
    opened.fetch_add(1);
    protocol::subscribe sub{b.grid};
    sub.figures = opt.figures; // a grid app draws no figures
    b.client->send({subscribe_id, sub});
  };
  // A burst's arrivals are counted off the frame (arrival_peek.hpp): 200 city-wide directives
  // are 3.6 million frames, and building each message would take the client harness a good
  // share of the two cores the server it measures runs on. Everything else is decoded.
  h.frame = [this, i](bool binary, std::string_view payload) {
    if (!binary)
      return false;
    auto a = peek_directive_arrival(payload);
    if (!a || a->action != "issue" || a->recipient != bots[i].grid ||
        !a->title.starts_with(burst_title))
      return false;
    count_burst_arrival(now_ns());
    return true;
  };
  h.message = [this, i](protocol::server_message&& msg) { on_bot_message(i, std::move(msg)); };
  h.undecodable = [this](const protocol::decode_error& e) {
    note("undecodable frame: " + e.message);
  };
  h.closed = [this, i](beast_error ec) {
    closed.fetch_add(1);
    if (!closing.load())
      note("grid " + std::to_string(bots[i].grid) + " closed early: " + ec.message());
  };
  bots[i].launched = now_ns();
  open(i, bots[i].client, bots[i].token, std::move(h));
}

void run_state::on_bot_message(std::size_t i, protocol::server_message&& msg) {
  auto& b = bots[i];
  auto t = now_ns();
  if (auto* a = std::get_if<protocol::ack>(&msg)) {
    if (a->id == subscribe_id && b.subscribed == 0) {
      b.subscribed = t;
      subscribed.fetch_add(1);
      launch_next();
    } else if (a->id == sign_id && b.signed_at == 0) {
      b.signed_at = t;
      signed_ok.fetch_add(1);
    }
  } else if (auto* e = std::get_if<protocol::error>(&msg)) {
    note("grid " + std::to_string(b.grid) + ": " + text_of(*e));
    if (e->id == subscribe_id) {
      failed.fetch_add(1);
      launch_next();
    } else if (e->id == sign_id) {
      sign_failed.fetch_add(1);
    }
  } else if (auto* d = std::get_if<protocol::directive_event>(&msg)) {
    // The directive's arrival at this grid (published by the grid's own unit actor).
    if (d->action != protocol::directive_action::issue || d->recipient != b.grid)
      return;
    if (!burst_title.empty() && d->title.starts_with(burst_title))
      return count_burst_arrival(t);
    if (d->title == title && b.received == 0) {
      b.received = t;
      b.hub_at_ms = d->at;
      b.received_wall_us = wall_us();
      received.fetch_add(1);
      if (opt.sign())
        b.client->send(
            {sign_id, protocol::directive_act{d->id, protocol::directive_action::sign, {}}});
    }
  }
}

void run_state::count_burst_arrival(std::int64_t t) {
  burst_received.fetch_add(1, std::memory_order_relaxed);
  auto last = burst_last.load(std::memory_order_relaxed);
  while (last < t && !burst_last.compare_exchange_weak(last, t, std::memory_order_relaxed)) {}
}

void run_state::start_leader(const std::string& token) {
  sim::ws_client::handlers h;
  h.opened = [this](beast_error ec, const sim::ws_client::response& res) {
    if (ec) {
      note("leader: " + sim::describe_failure(ec, res));
      leader_failed = true;
    } else if (opt.watch() && !baseline) {
      leader->send({subscribe_id, protocol::subscribe{city}});
    } else {
      leader_ready = true;
    }
  };
  h.message = [this](protocol::server_message&& msg) { on_leader_message(std::move(msg)); };
  h.closed = [this](beast_error ec) {
    if (!closing.load())
      note("leader closed early: " + ec.message());
    closed.fetch_add(1);
  };
  open(bots.size(), leader, token, std::move(h));
}

void run_state::on_leader_message(protocol::server_message&& msg) {
  auto t = now_ns();
  if (auto* a = std::get_if<protocol::ack>(&msg)) {
    if (a->id >= burst_id && a->id <= burst_id + 200) {
      burst_acked.fetch_add(1);
    } else if (a->id == unsubscribe_id) {
      leader_unsubscribed = true;
    } else if (a->id == subscribe_id) {
      leader_ready = true;
    } else if (a->id == issue_id) {
      directive = a->directive_ref;
      leader_ack_at = t;
      leader_acked = true;
    }
  } else if (auto* e = std::get_if<protocol::error>(&msg)) {
    if (e->code == protocol::errc::overloaded && e->id == 0) {
      // The hub dropped our subscription: carry on live, as a dashboard that reloads would
      // (a replay with since= would hand it everything of the city it missed, in the middle
      // of the measured delivery).
      leader_overflows.fetch_add(1);
      if (leader_unsubscribed)
        return; // the burst has begun: the city's watch is over
      return leader->send({unsubscribe_id + leader_overflows, protocol::subscribe{city}});
    }
    if (e->id >= burst_id && e->id <= burst_id + 200) {
      burst_refused.fetch_add(1);
      return note("leader's burst: " + text_of(*e));
    }
    note("leader: " + text_of(*e));
    if (!leader_ready || e->id == issue_id)
      leader_failed = true;
  } else if (auto* d = std::get_if<protocol::directive_event>(&msg)) {
    if (d->title != title)
      return;
    leader_events.fetch_add(1);
    // The issuer's tally: receipts are published at the issuing unit with the counts.
    if (d->action == protocol::directive_action::sign && d->total > 0 &&
        d->signed_count == d->total && !all_signed) {
      total = d->total;
      all_signed_at = t;
      all_signed = true;
    }
  }
}

/// Waits (polling; the io threads do the work) until `done()` or `timeout`; false on timeout.
bool wait_for(const std::function<bool()>& done, std::chrono::seconds timeout) {
  auto deadline = steady::now() + timeout;
  while (!done()) {
    if (steady::now() >= deadline)
      return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// The people who act: one grid worker per grid (full-time 专职网格员 when there is one) with
/// a token, and the city leader. Returns the leader.
const protocol::person& enlist(run_state& s, const protocol::hierarchy& h,
                               const protocol::unit& city, const std::string& secret) {
  const protocol::person* leader = nullptr;
  for (auto i : h.people_at(city.code))
    if (h.people[i].holds == protocol::post::city_leader && leader == nullptr)
      leader = &h.people[i];
  if (leader == nullptr)
    throw std::runtime_error("no city_leader at " + std::to_string(city.code));
  s.city_grids = h.count(protocol::unit_kind::grid);
  for (auto& u : h.units) {
    if (u.kind != protocol::unit_kind::grid || (s.opt.grids && s.bots.size() == s.opt.grids))
      continue;
    const protocol::person* worker = nullptr;
    for (auto i : h.people_at(u.code))
      if (worker == nullptr || h.people[i].holds == protocol::post::grid_fulltime)
        worker = &h.people[i];
    if (worker == nullptr)
      continue;
    s.bots.push_back({u.code, gateway::token::issue(secret, *worker, 2h), {}});
  }
  return *leader;
}

/// The directive of this run: to every grid of the city, recognised by its title.
protocol::directive_issue directive_for(run_state& s, protocol::unit_code city) {
  auto wall = wall_us() / 1000;
  s.title = "hub-load " + std::to_string(wall);
  protocol::directive_issue d;
  d.channel = 0;
  d.title = s.title;
  d.body = "hub-load: sign on arrival";
  d.deadline = wall + 3'600'000; // the hub refuses a directive without a deadline
  d.target.kind = protocol::target_kind::level;
  d.target.units = {city};
  d.target.level = protocol::unit_kind::grid;
  return d;
}

} // namespace hub::sim::load
