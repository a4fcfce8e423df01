// hub-sim: the live workload against a running hub, over WebSocket as its clients act: grid
// workers report and walk cases to a close at the grid, the village or by a whistle; the city
// leader issues directives that villages sign and complete; the city leader watches the whole
// city. Each person acts on a connection of their own, with a token minted from the hub's
// secret file. Prints a progress line every 2 s; SIGINT or SIGTERM stops it (exit 0).
// `hub-sim --help`; `./dev.sh run` starts it beside the hub.

#include "gateway/net/secret_file.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/client/person_pool.hpp"
#include "sim/load/command_line.hpp"
#include "sim/load/live_workload.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

using namespace hub;
using namespace std::chrono_literals;
namespace net = boost::asio;

constexpr std::string_view usage =
    "usage: hub-sim --url ws://HOST:PORT/ --secret-file F --hierarchy FILE [options]\n"
    "  --rate R              reports a second (default 20)\n"
    "  --directives N        directives a minute, each to the villages of one county (default 4)\n"
    "  --seed N              the workload's random seed (default 20261125)\n"
    "  --max-connections N   people connected at once; idle ones beyond are closed (default 256)\n"
    "  --json                JSON text frames instead of MessagePack\n"
    "  --until-closed N      exit 0 once N cases were closed (1 if the hub went away first)\n"
    "  --timeout-s S         with --until-closed: exit 1 after S seconds (default 60)\n";

struct options {
  std::string url, secret_file, hierarchy_file;
  std::uint64_t rate = 20, directives = 4, seed = 20261125, max_connections = 256;
  std::uint64_t until_closed = 0, timeout_s = 60;
  bool json = false, help = false;
};

options parse_args(int argc, char** argv) {
  options o;
  sim::parse_options(argc, argv,
                     {.texts = {{"--url", &o.url},
                                {"--secret-file", &o.secret_file},
                                {"--hierarchy", &o.hierarchy_file}},
                      .numbers = {{"--rate", &o.rate},
                                  {"--directives", &o.directives},
                                  {"--seed", &o.seed},
                                  {"--max-connections", &o.max_connections},
                                  {"--until-closed", &o.until_closed},
                                  {"--timeout-s", &o.timeout_s}},
                      .flags = {{"--json", &o.json}, {"--help", &o.help}, {"-h", &o.help}}});
  if (o.help)
    return o;
  sim::require_hub_options(o.url, o.secret_file, o.hierarchy_file);
  if (o.max_connections == 0)
    throw std::invalid_argument("--max-connections must be at least 1");
  return o;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Runs the workload until a signal, or until `until_closed` cases were closed; the exit code.
int run(const options& o, std::shared_ptr<const protocol::hierarchy> h, std::string secret) {
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

  // Message ids from the start time: the hub remembers (person, id) across restarts.
  sim::workload_options wo;
  wo.reports_per_second = static_cast<double>(o.rate);
  wo.directives_per_minute = static_cast<double>(o.directives);
  wo.seed = o.seed;
  wo.first_request = static_cast<std::uint64_t>(wall_ms()) * 1000;

  std::unique_ptr<sim::person_pool> pool;
  sim::live_workload work{
      h, wo, [&](const protocol::person& who, protocol::client_message m) { pool->send(who, m); }};
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
  };
  pool = std::make_unique<sim::person_pool>(
      ioc, settings,
      [&](const protocol::person&, protocol::server_message&& m) { work.on_message(m); },
      [&](const protocol::person& who, std::vector<std::uint64_t> ids, const std::string& why) {
        work.on_lost(ids);
        if (&who == work.watcher()) {
          // The watcher's connection carries the counts: without it the run is blind.
          std::fprintf(stderr, "hub-sim: lost the city's watch: %s\n", why.c_str());
          stop(1);
        }
      });
  if (work.watcher() == nullptr) {
    std::fprintf(stderr, "hub-sim: the hierarchy has no city leader to watch the city\n");
    return 1;
  }
  pool->send(*work.watcher(), work.watch_request(), /*keep=*/true);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec)
      stop(0);
  });

  const auto start = wall_ms();
  auto next_print = start + 2000;
  std::function<void()> on_tick = [&] {
    auto now = wall_ms();
    work.run_until(now);
    if (now >= next_print) {
      std::printf("%s | connections %zu\n", work.progress_line(now - start).c_str(),
                  pool->open_connections());
      std::fflush(stdout);
      next_print += 2000;
    }
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
  auto c = work.counts();
  std::printf("%s\n", work.progress_line(wall_ms() - start).c_str());
  if (c.refused > 0)
    std::fprintf(stderr, "hub-sim: the hub refused %llu requests\n",
                 static_cast<unsigned long long>(c.refused));
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
  std::string secret, why;
  if (!gateway::read_secret(o.secret_file, secret, why)) {
    std::fprintf(stderr, "hub-sim: %s\n", why.c_str());
    return 1;
  }
  return run(
      o,
      std::make_shared<const protocol::hierarchy>(std::move(std::get<protocol::hierarchy>(loaded))),
      std::move(secret));
}
