// hub-load: the WebSocket benchmark of a running hub (figures for the README; not a test).
// One client per grid (a grid worker's token, subscribed to its own grid), all connected at
// once; the city leader issues one directive to every grid; each grid's client times the
// directive.event announcing it at its grid and signs it. Prints connect time, delivery latency,
// the sign round trip, the issuer's tally and the hub's memory beside the targets. Starts
// nothing: the hub runs separately. `hub-load --help`; sim/README.md has the figures.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/ws_client.hpp"
#include "sim/load/command_line.hpp"

#include <boost/asio/executor_work_guard.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using namespace hub;
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
    "  --timeout-s S   give up on a phase after S seconds (default 60)\n";

struct options {
  std::string url, secret_file, hierarchy_file;
  std::uint64_t hub_pid = 0, grids = 0 /* 0: all */, threads = 2, parallel = 1000, timeout_s = 60;
  bool json = false, no_sign = false, no_watch = false, help = false;
  bool sign() const { return !no_sign; }
  bool watch() const { return !no_watch; }
};

options parse_args(int argc, char** argv) {
  options o;
  sim::parse_options(argc, argv,
                     {.texts = {{"--url", &o.url},
                                {"--secret-file", &o.secret_file},
                                {"--hierarchy", &o.hierarchy_file}},
                      .numbers = {{"--hub-pid", &o.hub_pid},
                                  {"--grids", &o.grids},
                                  {"--threads", &o.threads},
                                  {"--parallel", &o.parallel},
                                  {"--timeout-s", &o.timeout_s}},
                      .flags = {{"--json", &o.json},
                                {"--no-sign", &o.no_sign},
                                {"--no-watch", &o.no_watch},
                                {"--help", &o.help},
                                {"-h", &o.help}}});
  if (!o.help)
    sim::require_hub_options(o.url, o.secret_file, o.hierarchy_file);
  o.threads = std::clamp<std::uint64_t>(o.threads, 1, 64);
  return o;
}

// -- measuring ------------------------------------------------------------------------------

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

/// Microseconds since 1970: to set beside the hub's event times ("at", ms of the same clock).
std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A field of /proc/PID/status in MiB ("VmRSS", "VmHWM"), or -1 when unreadable.
double status_mib(long pid, const char* field) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status")
                            : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0)
      return static_cast<double>(std::stoll(line.substr(key.size()))) / 1024.0;
  return -1;
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

/// Raises the soft open-file limit to the hard one; returns the new soft limit.
rlim_t raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0)
    return 0;
  rlim_t before = r.rlim_cur;
  r.rlim_cur = r.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &r) != 0)
    r.rlim_cur = before;
  std::printf("open files: soft limit %llu -> %llu (hard %llu)\n", ull(before), ull(r.rlim_cur),
              ull(r.rlim_max));
  return r.rlim_cur;
}

// -- the clients ----------------------------------------------------------------------------

using beast_error = boost::beast::error_code;

// Message ids. The hub answers a (person, id) it has seen from memory without applying it, so
// each run numbers its requests afresh: from the wall clock at start (see main).
std::uint64_t subscribe_id = 1;
std::uint64_t sign_id = 2;
std::uint64_t issue_id = 2; // the leader's; its subscribe is subscribe_id

/// One grid's client. Written only on its client's thread; read by main after the threads
/// have joined (or through the counters, which are atomics).
struct bot {
  protocol::unit_code grid = 0;
  std::string token;
  std::shared_ptr<sim::ws_client> client;
  std::int64_t launched = 0, subscribed = 0, received = 0, signed_at = 0; // steady ns; 0: not yet
  std::int64_t hub_at_ms = 0, received_wall_us = 0; // the event's "at"; when it came, wall clock
};

/// The io threads: each runs an io_context of its own, and every client lives on one of them
/// (its handlers on that thread: no strand per client).
struct lanes {
  explicit lanes(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
      contexts.push_back(std::make_unique<net::io_context>(1));
  }
  net::io_context& at(std::size_t i) { return *contexts[i % contexts.size()]; }

  std::vector<std::unique_ptr<net::io_context>> contexts;
};

struct run_state {
  explicit run_state(lanes& l)
    : io(l) {}

  lanes& io;
  options opt;
  sim::ws_url url;
  net::ip::tcp::endpoint endpoint;
  sim::ws_options ws;
  std::vector<bot> bots;
  std::size_t city_grids = 0; // the directive reaches all of them, whatever --grids says
  std::string title;          // this run's directive, recognised by its title

  std::atomic<std::size_t> next{0}, opened{0}, subscribed{0}, failed{0}, received{0}, signed_ok{0},
      sign_failed{0}, closed{0};
  std::atomic<bool> closing{false};
  std::mutex launching;

  // the leader (city_leader at the city)
  std::shared_ptr<sim::ws_client> leader;
  std::atomic<bool> leader_ready{false}, leader_failed{false}, leader_acked{false},
      all_signed{false};
  std::atomic<std::int64_t> leader_ack_at{0}, all_signed_at{0};
  std::atomic<std::uint64_t> directive{0}, leader_events{0}, total{0}, leader_overflows{0};
  protocol::unit_code city = 0;

  std::mutex mutex; // guards the notes
  std::vector<std::string> notes;
  std::size_t note_count = 0;

  /// Keeps the first few problems for the report, and counts them all.
  void note(std::string what) {
    std::lock_guard lock(mutex);
    if (++note_count <= 8)
      notes.push_back(std::move(what));
  }

  /// Opens the next grid's connection, if any is left (keeps `parallel` in flight).
  /// Handlers on every io thread launch; the main thread stops them (under `launching`).
  void launch_next() {
    std::lock_guard lock(launching);
    auto i = next.fetch_add(1);
    if (i < bots.size() && !closing)
      launch(i);
  }

  /// Starts a session on lane `i` into `c` (set before it runs: the handlers use it).
  void open(std::size_t i, std::shared_ptr<sim::ws_client>& c, const std::string& token,
            sim::ws_client::handlers h) {
    c = std::make_shared<sim::ws_client>(io.at(i).get_executor(), ws);
    c->set_handlers(std::move(h));
    c->run(endpoint, url, token);
  }

  void launch(std::size_t i);
  void on_bot_message(std::size_t i, protocol::server_message&& msg);
  void start_leader(const std::string& token);
  void on_leader_message(protocol::server_message&& msg);
};

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
    b.client->send({subscribe_id, protocol::subscribe{b.grid}});
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
    if (d->action == protocol::directive_action::issue && d->unit == b.grid && d->title == title &&
        b.received == 0) {
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

void run_state::start_leader(const std::string& token) {
  sim::ws_client::handlers h;
  h.opened = [this](beast_error ec, const sim::ws_client::response& res) {
    if (ec) {
      note("leader: " + sim::describe_failure(ec, res));
      leader_failed = true;
    } else if (opt.watch()) {
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
    if (a->id == subscribe_id) {
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
      return leader->send({issue_id + leader_overflows, protocol::subscribe{city}});
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

double ms(std::int64_t from, std::int64_t to) { return static_cast<double>(to - from) / 1e6; }

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

struct memory {
  double idle = -1, connected = -1, after = -1, peak = -1, own = -1;
  // CPU time (user + system, all threads) from the issue to the last delivery, in ms;
  // -1 unread. With the wall time it tells how many cores the delivery needed.
  double hub_cpu = -1, own_cpu = -1, wall = -1;
};

/// CPU time (user + system) of process `pid` in ms (/proc/PID/stat, clock-tick resolution),
/// or of this process when `pid` is 0; -1 when unreadable.
double cpu_ms(long pid) {
  if (pid == 0) {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos)
    return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) { // fields 14 and 15: utime, stime
    if (i == 14)
      utime = std::stod(f);
    if (i == 15)
      stime = std::stod(f);
  }
  return (utime + stime) * 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct phases {
  std::int64_t connect = 0, issue = 0, issue_wall_us = 0;
  bool connected = false, delivered = false, all_signed = false;
};

void report(const run_state& s, const phases& p, const memory& m, protocol::unit_code city) {
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
    std::printf("  CPU from the issue to the last delivery (%.0f ms wall, %ld cores): hub %.0f ms, "
                "hub-load %.0f ms\n",
                m.wall, sysconf(_SC_NPROCESSORS_ONLN), m.hub_cpu, m.own_cpu);
  if (!deliver_ms.empty()) // steady_clock is CLOCK_MONOTONIC: `perf record -k mono`'s clock
    std::printf("  on CLOCK_MONOTONIC: issued at %.6f s, last delivery at %.6f s (perf --time)\n",
                static_cast<double>(p.issue) / 1e9,
                static_cast<double>(p.issue) / 1e9 + d.max / 1e3);
  if (s.opt.sign()) {
    print_spread("sign round trip (receive -> ack)", spread_of(sign_ms));
    if (s.sign_failed)
      std::printf("  %zu signs refused\n", s.sign_failed.load());
    if (p.all_signed)
      std::printf("issuer tally: all %llu signed %.2f ms after the issue (the leader's city "
                  "watch saw %llu events of this directive)\n",
                  ull(s.total), ms(p.issue, s.all_signed_at), ull(s.leader_events));
    else if (s.opt.watch() && s.bots.size() < s.city_grids)
      std::printf("issuer tally: n/a (only %zu of the city's grids sign)\n", s.bots.size());
    else if (s.opt.watch())
      std::printf("issuer tally: not complete within the wait (%llu events seen)\n",
                  ull(s.leader_events));
    if (s.leader_overflows)
      std::printf("  the leader's city watch overflowed its send queue %llu times (resubscribed "
                  "live each time)\n",
                  ull(s.leader_overflows));
  }
  if (s.opt.hub_pid) {
    std::printf("hub RSS: idle %.1f MiB; with %zu clients %.1f MiB (%.1f KiB per connection); "
                "after the directive %.1f MiB; peak (VmHWM) %.1f MiB\n",
                m.idle, subscribed, m.connected,
                subscribed ? (m.connected - m.idle) * 1024.0 / static_cast<double>(subscribed)
                           : 0.0,
                m.after, m.peak);
    std::printf("  target RSS <= 1 GiB: %s\n", m.peak <= 1024.0 ? "met" : "MISSED");
  } else {
    std::printf("hub RSS: pass --hub-pid PID to read it (target <= 1 GiB)\n");
  }
  std::printf("hub-load's own RSS: %.1f MiB\n", m.own);
  if (s.note_count)
    std::printf("problems: %zu; the first:\n", s.note_count);
  for (auto& note : s.notes)
    std::printf("  %s\n", note.c_str());
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
    std::string why;
    auto url = sim::parse_ws_url(opt.url, &why);
    if (!url)
      throw std::runtime_error("--url: " + why);
    auto nofile = raise_nofile();
    auto loaded = protocol::load_hierarchy(opt.hierarchy_file);
    if (auto* e = std::get_if<protocol::hierarchy_error>(&loaded))
      throw std::runtime_error("cannot load " + opt.hierarchy_file + ": " + e->to_string());
    const auto& h = std::get<protocol::hierarchy>(loaded);
    auto city = std::find_if(h.units.begin(), h.units.end(),
                             [](auto& u) { return u.kind == protocol::unit_kind::city; });
    if (city == h.units.end())
      throw std::runtime_error("the hierarchy has no city");
    std::string secret;
    if (!gateway::read_secret(opt.secret_file, secret, why))
      throw std::runtime_error(why);

    subscribe_id = static_cast<std::uint64_t>(wall_us()) * 4;
    sign_id = issue_id = subscribe_id + 1;
    lanes io(opt.threads);
    run_state s(io);
    s.opt = opt;
    s.url = *url;
    s.ws.format = opt.json ? sim::wire_format::json : sim::wire_format::msgpack;
    auto t_tokens = now_ns();
    auto& leader = enlist(s, h, *city, secret);
    auto leader_token = gateway::token::issue(secret, leader, 2h);
    std::printf("tokens: %zu minted in %.1f ms\n", s.bots.size() + 1, ms(t_tokens, now_ns()));
    if (nofile != 0 && nofile < s.bots.size() + 64)
      std::printf("warning: %zu clients need about %zu open files; the limit is %llu\n",
                  s.bots.size(), s.bots.size() + 64, ull(nofile));
    net::ip::tcp::resolver resolver(io.at(0));
    s.endpoint = *resolver.resolve(url->host, url->port).begin();
    std::printf("hub-load: %zu grid clients against %s (%s, %d io threads, %s)\n", s.bots.size(),
                opt.url.c_str(), opt.json ? "JSON" : "MessagePack", static_cast<int>(opt.threads),
                opt.parallel == 0
                    ? "all connecting at once"
                    : (std::to_string(opt.parallel) + " connecting at a time").c_str());
    memory m;
    if (opt.hub_pid)
      m.idle = status_mib(opt.hub_pid, "VmRSS");
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
    std::this_thread::sleep_for(1s); // let the hub settle before its memory is read
    if (opt.hub_pid)
      m.connected = status_mib(opt.hub_pid, "VmRSS");

    // -- phase 2: the leader issues one directive to every grid; each grid signs it --
    s.city = city->code;
    s.start_leader(leader_token);
    wait_for([&] { return s.leader_ready.load() || s.leader_failed.load(); }, limit_s);
    if (s.leader_ready) {
      auto d = directive_for(s, city->code);
      auto want = s.subscribed.load();
      const double hub_cpu0 = opt.hub_pid ? cpu_ms(static_cast<long>(opt.hub_pid)) : -1;
      const double own_cpu0 = cpu_ms(0);
      p.issue_wall_us = wall_us();
      p.issue = now_ns();
      s.leader->send({issue_id, d});
      p.delivered = wait_for([&] { return s.received.load() >= want || s.leader_failed; }, limit_s);
      m.wall = ms(p.issue, now_ns());
      if (opt.hub_pid)
        m.hub_cpu = cpu_ms(static_cast<long>(opt.hub_pid)) - hub_cpu0;
      m.own_cpu = cpu_ms(0) - own_cpu0;
      if (opt.sign())
        wait_for([&] { return s.signed_ok.load() + s.sign_failed.load() >= s.received.load(); },
                 limit_s);
      if (opt.watch() && opt.sign() && s.bots.size() == s.city_grids)
        p.all_signed = wait_for([&] { return s.all_signed.load(); }, 5s);
    }
    std::this_thread::sleep_for(500ms);
    if (opt.hub_pid) {
      m.after = status_mib(opt.hub_pid, "VmRSS");
      m.peak = status_mib(opt.hub_pid, "VmHWM");
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
    report(s, p, m, city->code);
    return p.connected && p.delivered ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "hub-load: " << e.what() << "\n";
    return 1;
  }
}
