// hub-load: the WebSocket benchmark of a running hub (figures for the README; not a test).
// One client per grid (a grid worker's token, subscribed to its own grid, without figures as a
// grid app), all connected at once; the city leader issues one directive to every grid; each
// grid's client times the directive.event announcing it at its grid and signs it; then the
// leader issues a burst of city-wide directives back to back. Prints connect time, delivery
// latency, the sign round trip, the issuer's tally, the burst's deliveries a second, the
// server's CPU per delivered frame and its memory beside the targets. With --baseline it does
// the same against hub-wsbase (baseline_main.cpp) in the same run and prints the two side by
// side. Starts nothing: the servers run separately. `hub-load --help`; sim/README.md has the
// figures.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/ws_client.hpp"
#include "sim/load/command_line.hpp"
#include "sim/load/load_clients.hpp"
#include "sim/load/process_stats.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace hub;
using namespace hub::sim::load;
using hub::sim::cpu_of;
using hub::sim::cpu_time;
using hub::sim::now_ns;
using hub::sim::status_mib;
using hub::sim::wall_us;
using namespace std::chrono_literals;
namespace net = boost::asio;
using steady = std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: hub-load --url ws://HOST:PORT/ --secret-file F --hierarchy FILE [options]\n"
    "  --hub-pid PID   the hub's process, for its resident memory (/proc/PID/status)\n"
    "  --grids N       clients, one per grid in file order (default: every grid)\n"
    "  --threads T     io threads, each with its own io_context (default 2)\n"
    "  --parallel K    connections being opened at a time (default 1000; 0: all at once)\n"
    "  --json          JSON text frames instead of MessagePack\n"
    "  --no-sign       grid clients do not sign the directive\n"
    "  --no-watch      the leader does not watch the city (no issuer-tally figure)\n"
    "  --burst N       then N city-wide directives back to back (default 200; 0: none)\n"
    "  --figures       grid clients subscribe with figures (aggregates) too\n"
    "  --baseline URL  then the same against hub-wsbase at URL (ws://HOST:PORT/), side by side\n"
    "  --baseline-pid PID  hub-wsbase's process, for its CPU and memory\n"
    "  --settle-s S    after the burst, wait S seconds before the memory is read again, so that\n"
    "                  the allocator has returned what the burst's queues took (default 15)\n"
    "  --timeout-s S   give up on a phase after S seconds (default 60)\n";

options parse_args(int argc, char** argv) {
  options o;
  sim::parse_options(argc, argv,
                     {.texts = {{"--url", &o.url},
                                {"--secret-file", &o.secret_file},
                                {"--hierarchy", &o.hierarchy_file},
                                {"--baseline", &o.baseline}},
                      .numbers = {{"--hub-pid", &o.hub_pid},
                                  {"--grids", &o.grids},
                                  {"--threads", &o.threads},
                                  {"--parallel", &o.parallel},
                                  {"--burst", &o.burst},
                                  {"--baseline-pid", &o.baseline_pid},
                                  {"--settle-s", &o.settle_s},
                                  {"--timeout-s", &o.timeout_s}},
                      .flags = {{"--json", &o.json},
                                {"--no-sign", &o.no_sign},
                                {"--no-watch", &o.no_watch},
                                {"--figures", &o.figures},
                                {"--help", &o.help},
                                {"-h", &o.help}}});
  if (!o.help)
    sim::require_hub_options(o.url, o.secret_file, o.hierarchy_file);
  o.threads = std::clamp<std::uint64_t>(o.threads, 1, 64);
  if (o.burst > 200)
    throw std::invalid_argument("--burst is at most 200 (a connection's burst of requests)");
  return o;
}

struct spread {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

spread spread_of(std::vector<double> v) {
  spread s;
  s.n = v.size();
  if (v.empty())
    return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.max = v.back();
  return s;
}

void print_spread(const char* what, const spread& s) {
  std::printf("  %-34s n=%zu  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", what, s.n, s.p50, s.p99,
              s.max);
}

/// For printf's %llu.
unsigned long long ull(std::uint64_t n) { return n; }

struct memory {
  double idle = -1, connected = -1, after = -1, peak = -1, own = -1;
  // CPU time (user + system, all threads) from the issue to the last delivery, in ms;
  // -1 unread. With the wall time it tells how many cores the delivery needed.
  double hub_cpu = -1, own_cpu = -1, wall = -1;
  cpu_time server; // the server's, user and kernel, over the same window
};

struct phases {
  std::int64_t connect = 0, issue = 0, issue_wall_us = 0;
  bool connected = false, delivered = false, all_signed = false;
};

/// The burst: N city-wide directives sent back to back, every grid's client counting arrivals.
struct burst_result {
  std::uint64_t directives = 0, expected = 0, delivered = 0, refused = 0;
  double rss_before = -1, rss_after = -1; // the server's, MiB: before the burst, after it
  double rss_settled = -1;                // and --settle-s later
  double last_ms = -1;                    // first issue sent -> the last delivery
  cpu_time server;                        // over the same window
  cpu_time own;                           // hub-load's own, over the same window
  bool complete = false;
};

/// What one server gave, for the side-by-side table.
struct outcome {
  std::string name;
  std::size_t clients = 0, delivered = 0;
  double connect_s = -1, last_ms = -1;
  cpu_time server; // over the one directive's delivery
  double rss_connected = -1, rss_after = -1;
  burst_result burst;
  bool ok = false;
};

void report(const run_state& s, const phases& p, const memory& m, protocol::unit_code city,
            const burst_result& burst, std::uint64_t pid) {
  std::vector<double> connect_ms, deliver_ms, sign_ms, in_hub_ms, out_ms;
  std::int64_t last = p.connect;
  for (auto& b : s.bots) {
    if (b.subscribed)
      connect_ms.push_back(ms(b.launched, b.subscribed));
    last = std::max(last, b.subscribed);
    if (b.received)
      deliver_ms.push_back(ms(p.issue, b.received));
    if (b.received)
      in_hub_ms.push_back(static_cast<double>(b.hub_at_ms) - p.issue_wall_us / 1e3);
    if (b.received)
      out_ms.push_back(b.received_wall_us / 1e3 - static_cast<double>(b.hub_at_ms));
    if (b.received && b.signed_at)
      sign_ms.push_back(ms(b.received, b.signed_at));
  }
  auto subscribed = s.subscribed.load();
  double connect_s = ms(p.connect, last) / 1000.0;
  std::printf("\nconnect: %zu of %zu grid clients connected and subscribed in %.2f s (%.0f/s)%s\n",
              subscribed, s.bots.size(), connect_s,
              connect_s > 0 ? static_cast<double>(subscribed) / connect_s : 0.0,
              p.connected ? "" : "  [timed out]");
  print_spread("each: TCP + upgrade + subscribe ack", spread_of(connect_ms));
  if (s.failed)
    std::printf("  %zu failed\n", s.failed.load());
  if (s.leader_acked)
    std::printf("directive %llu (level=grid under %llu): the leader's ack after %.2f ms\n",
                ull(s.directive), ull(city), ms(p.issue, s.leader_ack_at));
  auto d = spread_of(deliver_ms);
  std::printf("delivery, issue sent -> the grid's client has its directive.event: %zu of %zu%s\n",
              d.n, subscribed, p.delivered ? "" : "  [timed out]");
  print_spread("latency", d);
  print_spread("of which: to the grid's actor", spread_of(in_hub_ms));
  print_spread("then: its event to the client", spread_of(out_ms));
  std::printf("  target p99 <= 100 ms: %s\n",
              d.n == 0 ? "no data" : (d.p99 <= 100 ? "met" : "MISSED"));
  if (m.wall > 0)
    std::printf(
        "  CPU from the issue to the last delivery (%.0f ms wall, %ld cores): server %.0f ms "
        "(user %.0f, kernel %.0f), hub-load %.0f ms\n",
        m.wall, sysconf(_SC_NPROCESSORS_ONLN), m.hub_cpu, m.server.user, m.server.kernel,
        m.own_cpu);
  if (!deliver_ms.empty()) // steady_clock is CLOCK_MONOTONIC: `perf record -k mono`'s clock
    std::printf("  on CLOCK_MONOTONIC: issued at %.6f s, last delivery at %.6f s (perf --time)\n",
                static_cast<double>(p.issue) / 1e9,
                static_cast<double>(p.issue) / 1e9 + d.max / 1e3);
  if (s.opt.sign()) {
    if (s.baseline)
      std::printf("  (hub-wsbase acks a sign and keeps no tally)\n");
    print_spread("sign round trip (receive -> ack)", spread_of(sign_ms));
    if (s.sign_failed)
      std::printf("  %zu signs refused\n", s.sign_failed.load());
    if (p.all_signed)
      std::printf("issuer tally: all %llu signed %.2f ms after the issue (the leader's city "
                  "watch saw %llu events of this directive)\n",
                  ull(s.total), ms(p.issue, s.all_signed_at), ull(s.leader_events));
    else if (!s.baseline && s.opt.watch() && s.bots.size() < s.city_grids)
      std::printf("issuer tally: n/a (only %zu of the city's grids sign)\n", s.bots.size());
    else if (!s.baseline && s.opt.watch())
      std::printf("issuer tally: not complete within the wait (%llu events seen)\n",
                  ull(s.leader_events));
    if (s.leader_overflows)
      std::printf("  the leader's city watch overflowed its send queue %llu times (resubscribed "
                  "live each time)\n",
                  ull(s.leader_overflows));
  }
  if (burst.directives > 0) {
    std::printf("burst: %llu city-wide directives back to back (%llu acked, %llu refused): %llu of "
                "%llu deliveries%s\n",
                ull(burst.directives), ull(s.burst_acked.load()), ull(burst.refused),
                ull(burst.delivered), ull(burst.expected), burst.complete ? "" : "  [timed out]");
    if (burst.last_ms > 0)
      std::printf("  last delivery %.1f ms after the first issue: %.0f deliveries/s (target for "
                  "the hub >= 600,000)\n",
                  burst.last_ms, static_cast<double>(burst.delivered) * 1e3 / burst.last_ms);
    if (pid && burst.delivered > 0)
      std::printf("  server CPU %.0f ms (user %.0f, kernel %.0f): %.2f us per delivered frame\n",
                  burst.server.total(), burst.server.user, burst.server.kernel,
                  burst.server.total() * 1e3 / static_cast<double>(burst.delivered));
    if (burst.delivered > 0) {
      // Both processes share the machine's cores: together they bound the rate.
      const auto own_us = burst.own.total() * 1e3 / static_cast<double>(burst.delivered);
      std::printf("  hub-load's own CPU %.0f ms (user %.0f, kernel %.0f): %.2f us a delivered "
                  "frame\n",
                  burst.own.total(), burst.own.user, burst.own.kernel, own_us);
      if (pid) {
        const auto both =
            own_us + burst.server.total() * 1e3 / static_cast<double>(burst.delivered);
        const auto cores = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
        std::printf("  server and hub-load together %.2f us per frame: at most %.0f deliveries/s "
                    "on %.0f cores at this CPU cost\n",
                    both, cores * 1e6 / both, cores);
      }
    }
    if (pid && burst.rss_before > 0 && burst.rss_after > 0)
      std::printf("  server RSS %.1f MiB before the burst, %.1f MiB with its %llu directives open: "
                  "%.2f MiB per open city-wide directive (an upper bound: what the burst's "
                  "mailboxes and queues took and freed counts too)\n",
                  burst.rss_before, burst.rss_after, ull(burst.directives),
                  (burst.rss_after - burst.rss_before) / static_cast<double>(burst.directives));
    if (pid && burst.rss_before > 0 && burst.rss_settled > 0)
      std::printf("  %llu s later %.1f MiB: %.2f MiB per open city-wide directive (target for the "
                  "hub <= 1 MB; the bus's 65,536 kept events fill up in it too)\n",
                  ull(s.opt.settle_s), burst.rss_settled,
                  (burst.rss_settled - burst.rss_before) / static_cast<double>(burst.directives));
  }
  if (pid) {
    std::printf("server RSS: idle %.1f MiB; with %zu clients %.1f MiB (%.1f KiB per connection); "
                "at the end (%s) %.1f MiB; peak (VmHWM) %.1f MiB\n",
                m.idle, subscribed, m.connected,
                subscribed ? (m.connected - m.idle) * 1024.0 / static_cast<double>(subscribed)
                           : 0.0,
                burst.directives > 0 ? "the burst's directives open" : "after the directive",
                m.after, m.peak);
    std::printf("  target RSS <= 1 GiB: %s\n", m.peak <= 1024.0 ? "met" : "MISSED");
  } else {
    std::printf("server RSS: pass --hub-pid (--baseline-pid) PID to read it (target <= 1 GiB)\n");
  }
  std::printf("hub-load's own RSS: %.1f MiB\n", m.own);
  if (s.note_count)
    std::printf("problems: %zu; the first:\n", s.note_count);
  for (auto& note : s.notes)
    std::printf("  %s\n", note.c_str());
}

} // namespace

namespace {

/// Connects every grid's client to `url` (the hub, or the baseline), issues one directive and
/// then the burst, prints the figures; `pid`: the server's process (0: unknown).
outcome run_against(const options& opt, const std::string& url_text, std::uint64_t pid,
                    bool baseline, const protocol::hierarchy& h, const protocol::unit& city,
                    const std::string& secret) {
  outcome o;
  o.name = baseline ? "baseline (hub-wsbase)" : "hub";
  std::string why;
  auto url = sim::parse_ws_url(url_text, &why);
  if (!url)
    throw std::runtime_error(url_text + ": " + why);

  lanes io(opt.threads);
  run_state s(io);
  s.subscribe_id = static_cast<std::uint64_t>(wall_us()) * 4;
  s.sign_id = s.issue_id = s.subscribe_id + 1;
  s.unsubscribe_id = s.subscribe_id + 2;
  s.burst_id = s.subscribe_id + 1'000'000;
  s.opt = opt;
  s.url = *url;
  s.baseline = baseline;
  // Set before any client runs (they read it): the burst's directives are told by it.
  s.burst_title = "hub-load burst " + std::to_string(wall_us() / 1000) + " #";
  s.ws.format = opt.json ? sim::wire_format::json : sim::wire_format::msgpack;
  auto t_tokens = now_ns();
  auto& leader = enlist(s, h, city, secret);
  auto leader_token = gateway::token::issue(secret, leader, 2h);
  std::printf("\n== %s\ntokens: %zu minted in %.1f ms\n", o.name.c_str(), s.bots.size() + 1,
              ms(t_tokens, now_ns()));
  net::ip::tcp::resolver resolver(io.at(0));
  s.endpoint = *resolver.resolve(url->host, url->port).begin();
  std::printf("hub-load: %zu grid clients against %s (%s, %d io threads, %s)\n", s.bots.size(),
              url_text.c_str(), opt.json ? "JSON" : "MessagePack", static_cast<int>(opt.threads),
              opt.parallel == 0 ? "all connecting at once"
                                : (std::to_string(opt.parallel) + " connecting at a time").c_str());
  memory m;
  if (pid)
    m.idle = status_mib(static_cast<long>(pid), "VmRSS");
  std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
  std::vector<std::thread> threads;
  for (auto& ioc : io.contexts) {
    guards.push_back(net::make_work_guard(*ioc));
    threads.emplace_back([&ioc = *ioc] { ioc.run(); });
  }

  // -- phase 1: every grid connects and subscribes to itself --
  phases p;
  const std::chrono::seconds limit_s(opt.timeout_s);
  p.connect = now_ns();
  auto first = opt.parallel == 0 ? s.bots.size() : std::min(opt.parallel, s.bots.size());
  for (std::size_t i = 0; i < first; ++i)
    s.launch_next();
  p.connected =
      wait_for([&] { return s.subscribed.load() + s.failed.load() >= s.bots.size(); }, limit_s);
  std::this_thread::sleep_for(1s); // let the server settle before its memory is read
  if (pid)
    m.connected = status_mib(static_cast<long>(pid), "VmRSS");

  // -- phase 2: the leader issues one directive to every grid; each grid signs it --
  s.city = city.code;
  s.start_leader(leader_token);
  wait_for([&] { return s.leader_ready.load() || s.leader_failed.load(); }, limit_s);
  burst_result& burst = o.burst;
  if (s.leader_ready) {
    auto d = directive_for(s, city.code);
    auto want = s.subscribed.load();
    const auto server0 = pid ? cpu_of(static_cast<long>(pid)) : cpu_time{};
    const auto own0 = cpu_of(0);
    p.issue_wall_us = wall_us();
    p.issue = now_ns();
    s.leader->send({s.issue_id, d});
    p.delivered = wait_for([&] { return s.received.load() >= want || s.leader_failed; }, limit_s);
    m.wall = ms(p.issue, now_ns());
    if (pid) {
      m.server = cpu_of(static_cast<long>(pid)) - server0;
      m.hub_cpu = m.server.total();
    }
    m.own_cpu = (cpu_of(0) - own0).total();
    if (opt.sign())
      wait_for([&] { return s.signed_ok.load() + s.sign_failed.load() >= s.received.load(); },
               limit_s);
    if (opt.watch() && !baseline && opt.sign() && s.bots.size() == s.city_grids)
      p.all_signed = wait_for([&] { return s.all_signed.load(); }, 5s);

    // -- phase 3: the burst, every grid counting arrivals (no signing) --
    if (opt.burst > 0) {
      if (opt.watch() && !baseline) { // the city's watch would get every arrival as well
        s.leader->send({s.unsubscribe_id, protocol::unsubscribe{city.code}});
        wait_for([&] { return s.leader_unsubscribed.load(); }, limit_s);
      }
      std::this_thread::sleep_for(500ms); // the tail of the signs and tallies passes
      if (pid)
        burst.rss_before = status_mib(static_cast<long>(pid), "VmRSS");
      burst.directives = opt.burst;
      burst.expected = opt.burst * s.received.load();
      const auto server_b0 = pid ? cpu_of(static_cast<long>(pid)) : cpu_time{};
      const auto own_b0 = cpu_of(0);
      const auto t0 = now_ns();
      // On stderr at once, for a profiler to start on (the figures come at the end).
      std::fprintf(stderr, "hub-load: the burst begins at %.6f s (CLOCK_MONOTONIC)\n",
                   static_cast<double>(t0) / 1e9);
      for (std::uint64_t k = 0; k < opt.burst; ++k) {
        auto bd = d;
        bd.title = s.burst_title + std::to_string(k + 1);
        s.leader->send({s.burst_id + k, bd});
      }
      burst.complete = wait_for(
          [&] {
            return s.burst_received.load() >= burst.expected ||
                   s.burst_refused.load() >= opt.burst || s.leader_failed;
          },
          limit_s);
      if (pid)
        burst.server = cpu_of(static_cast<long>(pid)) - server_b0;
      burst.own = cpu_of(0) - own_b0;
      burst.delivered = s.burst_received.load();
      burst.refused = s.burst_refused.load();
      if (burst.delivered > 0)
        burst.last_ms = ms(t0, s.burst_last.load());
    }
  }
  std::this_thread::sleep_for(500ms);
  if (pid) {
    m.after = status_mib(static_cast<long>(pid), "VmRSS");
    burst.rss_after = m.after;
    if (burst.directives > 0 && opt.settle_s > 0) {
      // Freed memory goes back to the system a while after (jemalloc's decay, 10 s): what the
      // burst's mailboxes and queues held is then no longer counted.
      std::this_thread::sleep_for(std::chrono::seconds(opt.settle_s));
      burst.rss_settled = status_mib(static_cast<long>(pid), "VmRSS");
    }
    m.peak = status_mib(static_cast<long>(pid), "VmHWM");
  }
  m.own = status_mib(0, "VmRSS");

  // -- close everything; the figures are read once the io threads are gone --
  {
    std::lock_guard lock(s.launching); // no launch is half done, and none starts
    s.closing = true;
  }
  auto open_now = s.opened.load() + (s.leader_ready ? 1 : 0);
  for (auto& b : s.bots)
    if (b.client)
      b.client->close();
  if (s.leader)
    s.leader->close();
  wait_for([&] { return s.closed.load() >= open_now; }, 10s);
  guards.clear();
  for (auto& ioc : io.contexts)
    ioc->stop();
  for (auto& t : threads)
    t.join();
  report(s, p, m, city.code, burst, pid);

  o.clients = s.subscribed.load();
  o.delivered = s.received.load();
  std::int64_t last = p.connect, last_delivery = 0;
  for (auto& b : s.bots) {
    last = std::max(last, b.subscribed);
    last_delivery = std::max(last_delivery, b.received);
  }
  o.connect_s = ms(p.connect, last) / 1000.0;
  if (last_delivery != 0)
    o.last_ms = ms(p.issue, last_delivery);
  o.server = m.server;
  o.rss_connected = m.connected;
  o.rss_after = m.after;
  o.ok = p.connected && p.delivered;
  return o;
}

/// The two servers side by side, and hub / baseline.
void side_by_side(const outcome& hub, const outcome& base) {
  auto us_per = [](double cpu_ms, double frames) {
    return cpu_ms < 0 || frames <= 0 ? -1.0 : cpu_ms * 1e3 / frames;
  };
  auto rate = [](double n, double ms) { return ms <= 0 ? -1.0 : n * 1e3 / ms; };
  auto cell = [](double v, const char* f) {
    if (v < 0)
      return std::string("-");
    char b[48];
    std::snprintf(b, sizeof b, f, v);
    return std::string(b);
  };
  auto line = [&](const char* what, double a, double b, const char* f, bool ratio = true) {
    std::printf("  %-46s %16s %16s %10s\n", what, cell(a, f).c_str(), cell(b, f).c_str(),
                ratio && a >= 0 && b > 0 ? cell(a / b, "%.2fx").c_str() : "");
  };
  std::printf("\n== side by side, one run (%zu and %zu grid clients)\n", hub.clients, base.clients);
  std::printf("  %-46s %16s %16s %10s\n", "", "hub", "baseline", "hub/base");
  line("connect all clients (s)", hub.connect_s, base.connect_s, "%.2f");
  std::printf("  one city-wide directive\n");
  line("  last delivery (ms)", hub.last_ms, base.last_ms, "%.1f");
  line("  deliveries/s", rate(hub.delivered, hub.last_ms), rate(base.delivered, base.last_ms),
       "%.0f");
  line("  server CPU per delivered frame (us)", us_per(hub.server.total(), hub.delivered),
       us_per(base.server.total(), base.delivered), "%.2f");
  line("    of which user (us)", us_per(hub.server.user, hub.delivered),
       us_per(base.server.user, base.delivered), "%.2f");
  line("    of which kernel (us)", us_per(hub.server.kernel, hub.delivered),
       us_per(base.server.kernel, base.delivered), "%.2f");
  if (hub.burst.directives > 0 || base.burst.directives > 0) {
    std::printf("  a burst of %llu city-wide directives\n", ull(hub.burst.directives));
    line("  deliveries", hub.burst.delivered, base.burst.delivered, "%.0f", false);
    line("  last delivery (ms)", hub.burst.last_ms, base.burst.last_ms, "%.1f");
    line("  deliveries/s", rate(hub.burst.delivered, hub.burst.last_ms),
         rate(base.burst.delivered, base.burst.last_ms), "%.0f");
    line("  server CPU per delivered frame (us)",
         us_per(hub.burst.server.total(), hub.burst.delivered),
         us_per(base.burst.server.total(), base.burst.delivered), "%.2f");
    line("    of which user (us)", us_per(hub.burst.server.user, hub.burst.delivered),
         us_per(base.burst.server.user, base.burst.delivered), "%.2f");
    line("    of which kernel (us)", us_per(hub.burst.server.kernel, hub.burst.delivered),
         us_per(base.burst.server.kernel, base.burst.delivered), "%.2f");
    line("  hub-load's CPU per delivered frame (us)",
         us_per(hub.burst.own.total(), hub.burst.delivered),
         us_per(base.burst.own.total(), base.burst.delivered), "%.2f");
  }
  line("server RSS with the clients (MiB)", hub.rss_connected, base.rss_connected, "%.1f");
  line("server RSS at the end (MiB)", hub.rss_after, base.rss_after, "%.1f");
}

} // namespace

int main(int argc, char** argv) {
  options opt;
  try {
    opt = parse_args(argc, argv);
    if (opt.help) {
      std::cout << usage;
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "hub-load: " << e.what() << "\n" << usage;
    return 2;
  }
  try {
    const auto limits = sim::raise_nofile();
    std::printf("open files: soft limit %llu -> %llu (hard %llu)\n", ull(limits.before),
                ull(limits.now), ull(limits.hard));
    const auto nofile = limits.now;
    auto loaded = protocol::load_hierarchy(opt.hierarchy_file);
    if (auto* e = std::get_if<protocol::hierarchy_error>(&loaded))
      throw std::runtime_error("cannot load " + opt.hierarchy_file + ": " + e->to_string());
    const auto& h = std::get<protocol::hierarchy>(loaded);
    auto city = std::find_if(h.units.begin(), h.units.end(),
                             [](auto& u) { return u.kind == protocol::unit_kind::city; });
    if (city == h.units.end())
      throw std::runtime_error("the hierarchy has no city");
    std::string secret, why;
    if (!gateway::read_secret(opt.secret_file, secret, why))
      throw std::runtime_error(why);
    const auto grids = opt.grids
                           ? std::min<std::size_t>(opt.grids, h.count(protocol::unit_kind::grid))
                           : h.count(protocol::unit_kind::grid);
    if (nofile != 0 && nofile < grids + 64)
      std::printf("warning: %zu clients need about %zu open files; the limit is %llu\n", grids,
                  grids + 64, ull(nofile));
    auto hub = run_against(opt, opt.url, opt.hub_pid, false, h, *city, secret);
    if (opt.baseline.empty())
      return hub.ok ? 0 : 1;
    auto base = run_against(opt, opt.baseline, opt.baseline_pid, true, h, *city, secret);
    side_by_side(hub, base);
    return hub.ok && base.ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "hub-load: " << e.what() << "\n";
    return 1;
  }
}
