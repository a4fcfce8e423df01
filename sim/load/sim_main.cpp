// hub-sim: the simulated city against a running hub, acting only as its clients do: over
// WebSocket as its people (one connection per person, with a token minted from the hub's
// secret file), and over Open311 HTTP as the 12345 feed. What the people do, how often and how
// fast comes from a scenario file (sim/README.md, "Scenario files"). Prints a progress line
// every 2 s; SIGINT or SIGTERM stops it (exit 0). `hub-sim --help`; `./dev.sh run` starts it
// beside the hub with sim/scenarios/small.scn.

#include "gateway/net/secret_file.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/person_pool.hpp"
#include "sim/load/check.hpp"
#include "sim/load/command_line.hpp"
#include "sim/load/live_workload.hpp"
#include "sim/load/open311_feed.hpp"
#include "sim/load/sim_report.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

extern char** environ;

namespace {

using namespace hub;
using namespace std::chrono_literals;
namespace net = boost::asio;

constexpr std::string_view usage =
    "usage: hub-sim --url ws://HOST:PORT/ --secret-file F --hierarchy FILE [options]\n"
    "  --scenario FILE       what the city does (sim/README.md, \"Scenario files\"; default: the\n"
    "                        built-in one: steady 20 reports a second, speed 600)\n"
    "  --rate R              steady: R reports a wall second, no hours of the day (overrides\n"
    "                        the scenario's [reports] rate and [run] steady)\n"
    "  --speed N             simulated seconds per wall second (overrides [run] speed)\n"
    "  --seed N              the workload's random seed (default 20261125)\n"
    "  --per-grid            one standing connection per grid (its 网格长), opened at the start\n"
    "  --per-person          one standing connection per grid staff member, opened at the start\n"
    "  --shard I/N           act for the townships whose index is I mod N (N processes share the\n"
    "                        city; shard 0 also runs the dashboards, campaigns and 12345 feed)\n"
    "  --open311-keys FILE   the hub's Open311 keys file: its first key posts the 12345 feed\n"
    "                        (without it there is no 12345 feed)\n"
    "  --restart-cmd CMD     run by sh -c at each of the scenario's restarts\n"
    "  --report PREFIX       at the end, write PREFIX.json and PREFIX.html (sim/README.md)\n"
    "  --check               at the end, wait for the answers in flight, then ask the hub for\n"
    "                        every case and directive it acknowledged; exit 3 when any is lost,\n"
    "                        duplicated or wrong\n"
    "  --inject drop:N|duplicate:N  a fault on purpose, for the check to catch: every Nth report\n"
    "                        is not sent but counted as acknowledged, or is sent twice\n"
    "  --max-connections N   people connected at once besides the standing connections; idle\n"
    "                        ones beyond are closed (default 256)\n"
    "  --json                JSON text frames instead of MessagePack\n"
    "  --until-closed N      exit 0 once N cases were closed (1 if the hub went away first)\n"
    "  --timeout-s S         with --until-closed: exit 1 after S seconds (default 60)\n";

struct options {
  std::string url, secret_file, hierarchy_file, scenario_file, shard, keys_file, restart_cmd;
  std::string report, inject;
  sim::fault_injection faults;
  bool check = false;
  std::uint64_t rate = 0, speed = 0, seed = 20261125, max_connections = 256;
  std::uint64_t until_closed = 0, timeout_s = 60;
  bool json = false, help = false, per_grid = false, per_person = false;
  int shard_no = 0, shards = 1;
};

options parse_args(int argc, char** argv) {
  options o;
  sim::parse_options(argc, argv,
                     {.texts = {{"--url", &o.url},
                                {"--secret-file", &o.secret_file},
                                {"--hierarchy", &o.hierarchy_file},
                                {"--scenario", &o.scenario_file},
                                {"--shard", &o.shard},
                                {"--open311-keys", &o.keys_file},
                                {"--restart-cmd", &o.restart_cmd},
                                {"--report", &o.report},
                                {"--inject", &o.inject}},
                      .numbers = {{"--rate", &o.rate},
                                  {"--speed", &o.speed},
                                  {"--seed", &o.seed},
                                  {"--max-connections", &o.max_connections},
                                  {"--until-closed", &o.until_closed},
                                  {"--timeout-s", &o.timeout_s}},
                      .flags = {{"--json", &o.json},
                                {"--per-grid", &o.per_grid},
                                {"--per-person", &o.per_person},
                                {"--check", &o.check},
                                {"--help", &o.help},
                                {"-h", &o.help}}});
  if (o.help)
    return o;
  sim::require_hub_options(o.url, o.secret_file, o.hierarchy_file);
  if (o.max_connections == 0)
    throw std::invalid_argument("--max-connections must be at least 1");
  if (o.per_grid && o.per_person)
    throw std::invalid_argument("--per-grid and --per-person exclude each other");
  if (!o.shard.empty()) {
    auto slash = o.shard.find('/');
    std::uint64_t i = 0, n = 0;
    auto num = [](std::string_view s, std::uint64_t& v) {
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
    };
    if (slash == std::string::npos || !num(std::string_view(o.shard).substr(0, slash), i) ||
        !num(std::string_view(o.shard).substr(slash + 1), n) || n == 0 || i >= n || n > 1000)
      throw std::invalid_argument("--shard needs I/N with 0 <= I < N <= 1000, e.g. 0/4");
    o.shard_no = static_cast<int>(i);
    o.shards = static_cast<int>(n);
  }
  if (!o.inject.empty()) {
    auto colon = o.inject.find(':');
    std::uint64_t n = 0;
    auto what = o.inject.substr(0, colon);
    auto count = colon == std::string::npos ? std::string_view{}
                                            : std::string_view(o.inject).substr(colon + 1);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (count.empty() || ec != std::errc{} || end != count.data() + count.size() || n == 0 ||
        (what != "drop" && what != "duplicate"))
      throw std::invalid_argument("--inject needs drop:N or duplicate:N, N >= 1");
    (what == "drop" ? o.faults.drop_every : o.faults.duplicate_every) = n;
  }
  return o;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The first key of an Open311 keys file and the person it acts as; false when none.
bool read_key(const std::string& path, std::string& key, protocol::person_id& person) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos)
      return false;
    key = line.substr(0, tab);
    auto rest = std::string_view(line).substr(tab + 1);
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), person);
    return ec == std::errc{} && person != 0;
  }
  return false;
}

/// Runs the workload until a signal, the scenario's end, or `until_closed` cases closed.
int run(const options& o, std::shared_ptr<const protocol::hierarchy> h, std::string secret,
        sim::scenario plan) {
  net::io_context ioc{1};
  std::string why;
  auto url = sim::parse_ws_url(o.url, &why);
  if (!url) {
    std::fprintf(stderr, "hub-sim: --url: %s\n", why.c_str());
    return 2;
  }
  sim::person_pool::settings settings;
  settings.url = *url;
  settings.secret = std::move(secret);
  settings.ws.format = o.json ? sim::wire_format::json : sim::wire_format::msgpack;
  settings.max_open = o.max_connections;
  try {
    net::ip::tcp::resolver resolver{ioc};
    settings.endpoint = *resolver.resolve(url->host, url->port).begin();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub-sim: cannot resolve %s: %s\n", url->host.c_str(), e.what());
    return 1;
  }

  sim::workload_options wo;
  wo.plan = std::move(plan);
  wo.seed = o.seed;
  // Message ids from the start time: the hub remembers (person, id) across restarts.
  wo.first_request =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  wo.shard = o.shard_no;
  wo.faults = o.faults;
  wo.shards = o.shards;
  wo.grids = o.per_grid     ? sim::grid_connections::per_grid
             : o.per_person ? sim::grid_connections::per_person
                            : sim::grid_connections::pool;
  std::string api_key;
  if (!o.keys_file.empty() && !read_key(o.keys_file, api_key, wo.hotline_operator)) {
    std::fprintf(stderr, "hub-sim: %s: no KEY<TAB>PERSON line\n", o.keys_file.c_str());
    return 1;
  }
  if (wo.hotline_operator != 0 && h->find_person(wo.hotline_operator) == nullptr) {
    std::fprintf(stderr, "hub-sim: %s: person %llu is not in the hierarchy\n", o.keys_file.c_str(),
                 static_cast<unsigned long long>(wo.hotline_operator));
    return 1;
  }

  std::unique_ptr<sim::person_pool> pool;
  std::unique_ptr<sim::open311_feed> feed;
  sim::live_workload work{
      h, wo,
      [&](const protocol::person& who, protocol::client_message m, bool keep) {
        pool->send(who, m, keep);
      },
      [&](std::uint64_t post, std::string form) { feed->post(post, std::move(form)); }};
  int exit_code = 0;
  bool stopping = false;
  net::steady_timer tick{ioc};
  net::signal_set signals{ioc, SIGINT, SIGTERM};
  auto stop = [&](int code) {
    if (stopping)
      return;
    stopping = true;
    exit_code = code;
    tick.cancel();
    signals.cancel();
    pool->close_all();
    if (feed)
      feed->stop();
  };
  // A restart the scenario asked for: the command's process, and until when connections lost
  // are expected (standing ones are subscribed again, from the last event they saw).
  pid_t restarting = 0;
  std::int64_t restart_window_until = 0;
  std::vector<const protocol::person*> to_resubscribe;
  pool = std::make_unique<sim::person_pool>(
      ioc, settings,
      [&](const protocol::person& who, protocol::server_message&& m) { work.on_message(who, m); },
      [&](const protocol::person& who, std::vector<std::uint64_t> ids, const std::string& why) {
        work.on_lost(ids);
        bool city = false;
        if (!work.is_standing(who, &city))
          return;
        if (restarting != 0 || wall_ms() < restart_window_until) {
          to_resubscribe.push_back(&who);
          return;
        }
        // A standing connection carries the counts and the summons: without it the run is blind.
        if (city)
          std::fprintf(stderr, "hub-sim: lost the city's watch: %s\n", why.c_str());
        else
          std::fprintf(stderr, "hub-sim: lost the standing connection of %llu: %s\n",
                       static_cast<unsigned long long>(who.id), why.c_str());
        stop(1);
      });
  if (!api_key.empty())
    feed = std::make_unique<sim::open311_feed>(
        ioc, settings.endpoint, url->host + ":" + url->port, api_key, 4,
        [&](std::uint64_t post, std::uint64_t case_id, const std::string& why) {
          work.on_posted(post, case_id, why);
        });
  // The end of the run: with --check, first wait (at most 10 s) for the answers in flight, so
  // that the check compares what the hub acknowledged with what it holds.
  std::int64_t draining_until = 0;
  auto end_run = [&](int code) {
    if (!o.check || code != 0)
      return stop(code);
    if (draining_until == 0)
      draining_until = wall_ms() + 10'000;
  };
  work.open_standing();
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec,
                                                                      int) {
    if (ec)
      return;
    if (draining_until != 0)
      return stop(0); // a second signal: stop at once
    end_run(0);
    if (!stopping) // draining for the check: a second signal stops at once
      signals.async_wait(on_signal);
  };
  signals.async_wait(on_signal);

  // The progress line: the totals, then the last interval's rates, errors and p99.
  std::int64_t last_print = 0;
  sim::live_counts last{};
  auto print_line = [&](std::int64_t now) {
    const auto& c = work.counts();
    auto interval = work.take_interval();
    double dt = last_print == 0 ? 0 : static_cast<double>(now - last_print) / 1000.0;
    auto rate = [&](std::uint64_t a, std::uint64_t b) { return dt <= 0 ? 0.0 : (a - b) / dt; };
    std::string errors;
    for (auto& [code, n] : c.refused_by_code)
      if (auto was = last.refused_by_code[code]; n > was)
        errors += " " + code + " " + std::to_string(n - was);
    const auto& acks = interval[static_cast<std::size_t>(sim::latency_kind::report_ack)];
    std::printf("%s | connections %zu (standing %llu/%zu) | last %.0fs: %.0f reports/s, %.0f "
                "acks/s, errors%s, p99 report->ack %.1f ms\n",
                work.progress_line(now).c_str(), pool->open_connections(),
                static_cast<unsigned long long>(c.standing), work.standing_total(), dt,
                rate(c.reported, last.reported), rate(c.acks, last.acks),
                errors.empty() ? " 0" : errors.c_str(),
                static_cast<double>(acks.percentile(99)) / 1000.0);
    std::fflush(stdout);
    last = c;
    last_print = now;
  };
  const auto start = wall_ms();
  last_print = start;
  auto next_print = start + 2000, next_sample = start + 1000;
  std::int64_t next_resubscribe = 0;
  constexpr std::int64_t warm_up_limit_ms = 120'000;
  bool warm = false;
  std::function<void()> on_tick = [&] {
    if (stopping)
      return; // the timer had fired already when stop() cancelled it
    auto now = wall_ms();
    // The scenario's clock starts once every standing connection is subscribed (or after
    // `warm_up_limit_ms`): reports owed while 18,100 handshakes held the loop would otherwise
    // arrive as one burst at the start and measure the catch-up, not the rate.
    if (!warm &&
        (work.counts().standing >= work.standing_total() || now - start >= warm_up_limit_ms)) {
      warm = true;
      if (work.counts().standing < work.standing_total())
        std::printf("hub-sim: starting with %llu of %zu standing connections subscribed\n",
                    static_cast<unsigned long long>(work.counts().standing), work.standing_total());
    }
    if (draining_until == 0) {
      if (warm)
        work.run_until(now);
    } else if (work.in_flight() == 0 || now >= draining_until) {
      return stop(0);
    }
    if (now >= next_sample) {
      work.sample(now);
      next_sample += 1000;
    }
    for (int r = work.restarts_due(now); r > 0; --r) {
      if (o.restart_cmd.empty()) {
        std::fprintf(stderr, "hub-sim: the scenario restarts the hub now, but no --restart-cmd "
                             "was given: nothing done\n");
        continue;
      }
      std::printf("hub-sim: restart: running %s\n", o.restart_cmd.c_str());
      std::fflush(stdout);
      const char* argv_[] = {"sh", "-c", o.restart_cmd.c_str(), nullptr};
      if (posix_spawn(&restarting, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv_),
                      environ) != 0) {
        std::fprintf(stderr, "hub-sim: cannot run --restart-cmd\n");
        restarting = 0;
      }
    }
    if (restarting != 0) {
      int status = 0;
      if (waitpid(restarting, &status, WNOHANG) == restarting) {
        std::printf("hub-sim: restart: the command exited with %d\n",
                    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        std::fflush(stdout);
        restarting = 0;
        restart_window_until = now + 30'000;
      }
    }
    if (!to_resubscribe.empty() && restarting == 0 && now >= next_resubscribe) {
      for (auto* who : std::exchange(to_resubscribe, {}))
        work.resubscribe(*who);
      next_resubscribe = now + 500;
    }
    if (now >= next_print) {
      print_line(now);
      next_print += 2000;
    }
    if (work.finished(now) || (o.until_closed > 0 && work.counts().closed >= o.until_closed))
      end_run(0);
    else if (draining_until == 0 && o.until_closed > 0 &&
             now - start > static_cast<std::int64_t>(o.timeout_s) * 1000) {
      std::fprintf(stderr, "hub-sim: %llu of %llu cases closed after %llu s\n",
                   static_cast<unsigned long long>(work.counts().closed),
                   static_cast<unsigned long long>(o.until_closed),
                   static_cast<unsigned long long>(o.timeout_s));
      return stop(1);
    }
    tick.expires_after(20ms); // the workload's pace
    tick.async_wait([&](boost::system::error_code ec) {
      if (!ec)
        on_tick();
    });
  };
  on_tick();
  ioc.run();
  if (restarting != 0)
    waitpid(restarting, nullptr, 0);
  const auto end = wall_ms();
  work.finish_directives();
  const auto& c = work.counts();
  print_line(end); // connections: 0 now that every one is closed
  if (c.overflows > 0)
    std::fprintf(stderr,
                 "hub-sim: the hub's send queue overflowed %llu times on standing connections "
                 "(each subscribed again from the last event it saw)\n",
                 static_cast<unsigned long long>(c.overflows));
  if (c.refused > 0) {
    std::fprintf(stderr, "hub-sim: the hub refused %llu requests:",
                 static_cast<unsigned long long>(c.refused));
    for (auto& [code, n] : c.refused_by_code)
      std::fprintf(stderr, " %s %llu", code.c_str(), static_cast<unsigned long long>(n));
    std::fprintf(stderr, "\n");
  }
  sim::run_report report;
  report.scenario = wo.plan.file;
  report.speed = wo.plan.speed;
  report.steady = wo.plan.steady;
  report.grids = o.per_grid ? "per_grid" : o.per_person ? "per_person" : "pool";
  report.shard = o.shard_no;
  report.shards = o.shards;
  report.wall_seconds = static_cast<double>(end - start) / 1000.0;
  report.sim_start = wo.plan.start;
  report.sim_end = work.sim_time(end);
  report.standing_total = work.standing_total();
  report.work = &work;
  if (o.check && exit_code == 0) {
    sim::check_options co;
    co.url = *url;
    co.secret = settings.secret;
    co.format = settings.ws.format;
    // The city-wide count finds duplicates only when this process is the city's one client.
    co.count_cases = o.shards == 1;
    co.since_ms = start;
    co.reports = c.reported;
    co.reports_unanswered = c.lost_reports;
    co.same_case_twice = work.same_case_twice();
    co.first_request = static_cast<std::uint64_t>(wall_ms()) * 1000;
    report.check = sim::run_check(*h, work.acknowledged(), co);
    const auto& k = *report.check;
    std::printf(
        "check: %s: %llu cases and %llu directives asked for: lost %llu, duplicated %llu, "
        "wrong %llu, unconfirmed %llu%s\n",
        k.passed() ? "passed" : "FAILED", static_cast<unsigned long long>(k.cases),
        static_cast<unsigned long long>(k.directives), static_cast<unsigned long long>(k.lost),
        static_cast<unsigned long long>(k.duplicated), static_cast<unsigned long long>(k.wrong),
        static_cast<unsigned long long>(k.unconfirmed),
        k.duplicates_checked ? "" : " (duplicates not counted: several shards)");
    if (!k.failure.empty())
      std::printf("check: could not run: %s\n", k.failure.c_str());
    for (const auto& e : k.examples)
      std::printf("check: %s\n", e.c_str());
    std::fflush(stdout);
    if (!k.passed())
      exit_code = 3;
  }
  if (!o.report.empty()) {
    for (auto [ext, text] :
         {std::pair{".json", sim::to_json(report)}, std::pair{".html", sim::to_html(report)}}) {
      std::ofstream out(o.report + ext, std::ios::binary);
      out << text;
      if (!out) {
        std::fprintf(stderr, "hub-sim: cannot write %s%s\n", o.report.c_str(), ext);
        exit_code = exit_code == 0 ? 1 : exit_code;
      }
    }
  }
  return exit_code;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub-sim: %s\n%.*s", e.what(), static_cast<int>(usage.size()),
                 usage.data());
    return 2;
  }
  if (o.help) {
    std::printf("%.*s", static_cast<int>(usage.size()), usage.data());
    return 0;
  }
  auto loaded = protocol::load_hierarchy(o.hierarchy_file);
  if (auto* err = std::get_if<protocol::hierarchy_error>(&loaded)) {
    std::fprintf(stderr, "hub-sim: %s: %s\n", o.hierarchy_file.c_str(), err->to_string().c_str());
    return 1;
  }
  auto h =
      std::make_shared<const protocol::hierarchy>(std::move(std::get<protocol::hierarchy>(loaded)));
  sim::scenario plan;
  if (o.scenario_file.empty()) {
    // The built-in scenario: hub-sim's old pace, 20 reports a wall second whose walks take
    // seconds (the table's delays at 600 times real speed).
    plan.steady = true;
    plan.speed = 600;
  } else {
    auto read = sim::load_scenario(o.scenario_file);
    if (auto* err = std::get_if<sim::scenario_error>(&read)) {
      std::fprintf(stderr, "hub-sim: %s\n", err->to_string().c_str());
      return 2;
    }
    plan = std::move(std::get<sim::scenario>(read));
  }
  if (auto err = sim::check(plan, *h)) {
    std::fprintf(stderr, "hub-sim: %s\n", err->to_string().c_str());
    return 2;
  }
  if (o.rate > 0) {
    plan.rate = static_cast<double>(o.rate);
    plan.steady = true;
  }
  if (o.speed > 0)
    plan.speed = static_cast<double>(o.speed);
  std::string secret, why;
  if (!gateway::read_secret(o.secret_file, secret, why)) {
    std::fprintf(stderr, "hub-sim: %s\n", why.c_str());
    return 1;
  }
  return run(o, std::move(h), std::move(secret), std::move(plan));
}
