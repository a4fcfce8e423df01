// hub-store-bench: the durable path's benchmarks (persistence/), beside Redis's own figure in
// the same run. Prints figures; never asserts on time.
//
//   hub-store-bench [--redis HOST:PORT (default: a private redis-server on a free port, AOF
//                   on, fsync every second, in a temporary directory)] [--cases N (36200)]
//                   [--rounds N (3)] [--recovery-cases N (1000000)] [--window N (20000)]
//                   [--threads N (2)]
//
// 1. baseline: redis-benchmark's pipelined SET (-P 16, 1,000,000 requests, 50 clients);
// 2. acknowledged case transitions through the whole path: hub-bench's transitions driver
//    (report, then sign → escalate → sign → escalate → sign → resolve → close per case, the
//    next step sent when the previous one's ack arrives), the city writing through the Redis
//    journal, so each ack comes after its batch is in Redis;
// 3. recovery: the store emptied, N cases reported through the journal, then the time to read
//    the store (persistence::recover) and to build the city from it (every unit actor adopting
//    its records and re-arming its deadlines).
// The store it uses is emptied (FLUSHALL) first: never point it at a Redis holding data.

#include "persistence/recovery.hpp"
#include "persistence/redis_journal.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_redis.hpp"
#include "sim/gen/xinyang.hpp"

#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

using namespace hub;
using namespace hub::bench;

int usage(const std::string& why) {
  std::fprintf(stderr,
               "hub-store-bench: %s\n"
               "usage: hub-store-bench [--redis HOST:PORT (a private redis-server)]\n"
               "                       [--cases N (36200)] [--rounds N (3)]\n"
               "                       [--recovery-cases N (1000000)] [--window N (20000)]\n"
               "                       [--threads N (2)]\n",
               why.c_str());
  return 2;
}

/// redis-benchmark's pipelined SET figure against `at`, requests per second (0 if it failed).
double redis_benchmark_set(const persistence::redis_address& at) {
  auto cmd = "redis-benchmark -h " + at.host + " -p " + std::to_string(at.port) +
             " -t set -P 16 -n 1000000 -q 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr)
    return 0;
  char line[512];
  double rate = 0;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    // "SET: 1234567.50 requests per second, p50=..." (the last \r-separated part of the line)
    const char* s = std::strstr(line, "SET: ");
    for (const char* next = s; next != nullptr; next = std::strstr(next + 1, "SET: "))
      s = next;
    if (s != nullptr)
      rate = std::strtod(s + 5, nullptr);
  }
  ::pclose(p);
  return rate;
}

} // namespace

int main(int argc, char** argv) {
  options o;
  o.rounds = 3;
  std::size_t recovery_cases = 1'000'000;
  std::optional<persistence::redis_address> redis;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto number = [&](auto& into) {
      char* end = nullptr;
      auto x = v != nullptr ? std::strtoll(v, &end, 10) : 0;
      if (v == nullptr || end == v || *end != '\0' || x <= 0)
        return false;
      into = static_cast<std::remove_reference_t<decltype(into)>>(x);
      ++i;
      return true;
    };
    bool ok = true;
    if (arg == "--redis") {
      redis = v != nullptr ? persistence::redis_address::parse(v) : std::nullopt;
      ok = redis.has_value();
      ++i;
    } else if (arg == "--cases") {
      ok = number(o.cases);
    } else if (arg == "--rounds") {
      ok = number(o.rounds);
    } else if (arg == "--recovery-cases") {
      ok = number(recovery_cases);
    } else if (arg == "--window") {
      ok = number(o.window);
    } else if (arg == "--threads") {
      ok = number(o.threads);
    } else if (arg == "--help" || arg == "-h") {
      usage("benchmarks of the durable path");
      return 0;
    } else {
      return usage("unknown argument: " + arg);
    }
    if (!ok)
      return usage(arg + " needs a valid value");
  }

  std::optional<private_redis> own;
  persistence::store_options store;
  try {
    if (!redis) {
      own.emplace();
      redis = persistence::redis_address{"127.0.0.1", own->port()};
    }
    store.address = *redis;
    flushall(store.address);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub-store-bench: %s\n", e.what());
    return 1;
  }
  auto h = std::make_shared<const protocol::hierarchy>(sim::generate_xinyang(sim::default_seed));
  auto people = make_cast(*h);
  std::printf("hub-store-bench: Redis at %s; %s; %u CPUs online\n",
              store.address.to_string().c_str(), cpu_model().c_str(),
              std::thread::hardware_concurrency());

  // 1. Redis's own figure.
  progress("store: redis-benchmark -t set -P 16 -n 1000000");
  const double set_rate = redis_benchmark_set(store.address);
  flushall(store.address);

  // 2. Transitions through the journal.
  auto recover_into = [&](actors::city_options& c) {
    auto r = persistence::recover(*h, store);
    if (auto* why = std::get_if<std::string>(&r))
      throw std::runtime_error(*why);
    auto& got = std::get<persistence::recovered>(r);
    auto last = got.snapshot->last_seq;
    auto epoch = got.epoch;
    c.snapshot = got.snapshot;
    c.make_store = [h, store, last, epoch](std::shared_ptr<actors::bus> events) {
      return std::make_shared<persistence::redis_journal>(std::move(events), h, store, last, epoch);
    };
    return got;
  };
  o.make_store = [&](std::shared_ptr<actors::bus> events) {
    return std::make_shared<persistence::redis_journal>(std::move(events), h, store,
                                                        events ? events->last_seq() : 0);
  };
  actors::city_options unused;
  recover_into(unused); // marks the empty store as ours
  std::vector<row> rows;
  try {
    o.only = {"transitions"};
    auto t = run_transitions(o, h, people);
    for (auto& r : t) // the same driver as hub-bench: here every ack comes after Redis
      if (r.what.find("transitions acked") != std::string::npos)
        r.note = "7 per case, each stored in Redis before its ack; target >= 100,000/s";
    rows.insert(rows.end(), t.begin(), t.end());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hub-store-bench: %s\n", e.what());
    return 1;
  }
  rows.push_back({"Redis baseline, same server, same run", "redis-benchmark SET -P 16",
                  fmt("%.0f /s", set_rate), "", "1,000,000 requests, 50 clients"});

  // 3. Recovery of a city holding recovery_cases cases.
  flushall(store.address);
  recover_into(unused);
  o.memory_cases = recovery_cases;
  run_memory(o, h, people, 0); // reports them through the journal (and prints its memory)
  {
    runtime rt(o);
    actors::city_options c = city_opts(o);
    auto t0 = now_ns();
    auto got = recover_into(c);
    auto t1 = now_ns();
    auto city = std::make_unique<actors::city>(*rt.sys, h, c);
    while (!city->ready()) // every unit has adopted its records and armed its deadlines
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    auto t2 = now_ns();
    std::string sec = "recovery of the whole city holding " + std::to_string(got.cases) + " cases";
    rows.push_back(
        {sec, "read the store (recover)", fmt("%.0f ms", ms_between(t0, t1)), "",
         std::to_string(got.cases) + " cases, " + std::to_string(got.events) + " events"});
    rows.push_back({sec, "build the city from it (22,348 unit actors)",
                    fmt("%.0f ms", ms_between(t1, t2)), "", ""});
    rows.push_back({sec, "total", fmt("%.0f ms", ms_between(t0, t2)), "", "target <= 5,000 ms"});
  }

  std::string section;
  for (const auto& r : rows) {
    if (r.section != section) {
      section = r.section;
      std::printf("\n%s\n", section.c_str());
    }
    std::printf("  %-52s %14s %14s  %s\n", r.what.c_str(), r.median.c_str(), r.best.c_str(),
                r.note.c_str());
  }
  return 0;
}
