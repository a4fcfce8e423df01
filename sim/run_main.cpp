// hub-sim: runs the whole city in process under a small live workload and prints progress.
// Until the gateway exists, this is what `./dev.sh run` starts.

#include "actors/city.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/live_workload.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int usage(const char* why) {
  std::fprintf(stderr,
               "hub-sim: %s\n"
               "usage: hub-sim --hierarchy FILE [--rate REPORTS_PER_SECOND (20)]\n"
               "               [--seconds N (0: until Ctrl-C)] [--threads N (2)]\n",
               why);
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::string file;
  double rate = 20;
  long seconds = 0;
  long threads = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--hierarchy" && (v = value()))
      file = v;
    else if (arg == "--rate" && (v = value()))
      rate = std::atof(v);
    else if (arg == "--seconds" && (v = value()))
      seconds = std::atol(v);
    else if (arg == "--threads" && (v = value()))
      threads = std::atol(v);
    else
      return usage(("unknown or incomplete argument: " + arg).c_str());
  }
  if (file.empty())
    return usage("--hierarchy is required");
  if (rate <= 0 || threads <= 0 || seconds < 0)
    return usage("--rate and --threads must be positive, --seconds not negative");

  auto t0 = std::chrono::steady_clock::now();
  auto loaded = hub::protocol::load_hierarchy(file);
  if (auto* err = std::get_if<hub::protocol::hierarchy_error>(&loaded)) {
    std::fprintf(stderr, "hub-sim: %s: %s\n", file.c_str(), err->to_string().c_str());
    return 1;
  }
  auto h = std::make_shared<const hub::protocol::hierarchy>(
      std::move(std::get<hub::protocol::hierarchy>(loaded)));
  auto load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  using hub::protocol::unit_kind;
  std::printf("hierarchy %s: %zu counties, %zu townships, %zu villages, %zu grids, %zu departments, "
              "%zu people (loaded in %.0f ms)\n",
              file.c_str(), h->count(unit_kind::county), h->count(unit_kind::township),
              h->count(unit_kind::village), h->count(unit_kind::grid),
              h->count(unit_kind::department), h->people.size(), load_ms.count());

  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  t0 = std::chrono::steady_clock::now();
  hub::actors::city city{sys, h};
  auto spawn_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  std::printf("city: %zu unit actors spawned in %.0f ms; workload %.0f reports/s (Ctrl-C stops)\n",
              h->units.size(), spawn_ms.count(), rate);
  std::fflush(stdout);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  hub::sim::live_workload work{city, {rate, 4, 20261125}};
  auto start = wall_ms();
  auto next_print = start + 1000;
  while (!stop_requested && (seconds == 0 || wall_ms() - start < seconds * 1000)) {
    auto now = wall_ms();
    work.run_until(now);
    if (now >= next_print) {
      auto c = work.counts();
      const auto& f = c.city;
      auto closed = f.closed_at[0] + f.closed_at[1] + f.closed_at[2] + f.closed_at[3];
      auto share = [&](int i) { return closed == 0 ? 0.0 : 100.0 * f.closed_at[i] / closed; };
      std::printf("t=%3llds reported %llu closed %llu whistles %llu | city: open %u (yellow %u red %u) "
                  "closed at grid %.0f%% village %.0f%% township %.0f%% dept %.0f%% | directives %llu "
                  "receipts %llu | events %llu refused %llu\n",
                  static_cast<long long>((now - start) / 1000),
                  static_cast<unsigned long long>(c.reported),
                  static_cast<unsigned long long>(c.closed),
                  static_cast<unsigned long long>(c.whistles), f.open, f.yellow, f.red, share(0),
                  share(1), share(2), share(3), static_cast<unsigned long long>(c.directives),
                  static_cast<unsigned long long>(c.directive_receipts),
                  static_cast<unsigned long long>(c.events),
                  static_cast<unsigned long long>(c.refused));
      std::fflush(stdout);
      next_print += 1000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // the workload's pace
  }
  std::printf("stopping\n");
  return 0;
}
