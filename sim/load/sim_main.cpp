// hub-sim: the simulated city against a running hub, acting only as its clients do: over
// WebSocket as its people (one connection per person, with a token minted from the hub's
// secret file), and over Open311 HTTP as the 12345 feed. What the people do, how often and how
// fast comes from a scenario file (sim/README.md, "Scenario files"). Prints a progress line
// every 2 s; SIGINT or SIGTERM stops it (exit 0). `hub-sim --help`; `./dev.sh run` starts it
// beside the hub with sim/scenarios/small.scn.

#include "gateway/net/secret_file.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/person_pool.hpp"
#include "sim/load/command_line.hpp"
#include "sim/load/live_workload.hpp"
#include "sim/load/open311_feed.hpp"

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
    "                        built-in one, 20 reports a second)\n"
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
    "  --max-connections N   people connected at once besides the standing connections; idle\n"
    "                        ones beyond are closed (default 256)\n"
    "  --json                JSON text frames instead of MessagePack\n"
    "  --until-closed N      exit 0 once N cases were closed (1 if the hub went away first)\n"
    "  --timeout-s S         with --until-closed: exit 1 after S seconds (default 60)\n";

struct options {
  std::string url, secret_file, hierarchy_file, scenario_file, shard, keys_file, restart_cmd;
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
                                {"--restart-cmd", &o.restart_cmd}},
                      .numbers = {{"--rate", &o.rate},
                                  {"--speed", &o.speed},
                                  {"--seed", &o.seed},
                                  {"--max-connections", &o.max_connections},
                                  {"--until-closed", &o.until_closed},
                                  {"--timeout-s", &o.timeout_s}},
                      .flags = {{"--json", &o.json},
                                {"--per-grid", &o.per_grid},
                                {"--per-person", &o.per_person},
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
  wo.first_request = static_cast<std::uint64_t>(wall_ms()) * 1000;
  wo.shard = o.shard_no;
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
  work.open_standing();
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec)
      stop(0);
  });

  auto print_line = [&](std::int64_t now) {
    std::printf("%s | connections %zu (standing %llu/%zu)\n", work.progress_line(now).c_str(),
                pool->open_connections(), static_cast<unsigned long long>(work.counts().standing),
                work.standing_total());
    std::fflush(stdout);
  };
  const auto start = wall_ms();
  auto next_print = start + 2000;
  std::int64_t next_resubscribe = 0;
  std::function<void()> on_tick = [&] {
    if (stopping)
      return; // the timer had fired already when stop() cancelled it
    auto now = wall_ms();
    work.run_until(now);
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
    if (work.finished(now))
      return stop(0);
    if (o.until_closed > 0 && work.counts().closed >= o.until_closed)
      return stop(0);
    if (o.until_closed > 0 && now - start > static_cast<std::int64_t>(o.timeout_s) * 1000) {
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
  const auto& c = work.counts();
  print_line(wall_ms()); // connections: 0 now that every one is closed
  if (c.refused > 0) {
    std::fprintf(stderr, "hub-sim: the hub refused %llu requests:",
                 static_cast<unsigned long long>(c.refused));
    for (auto& [code, n] : c.refused_by_code)
      std::fprintf(stderr, " %s %llu", code.c_str(), static_cast<unsigned long long>(n));
    std::fprintf(stderr, "\n");
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
  if (!o.scenario_file.empty()) {
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
