#include "sim/bench/bench_common.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace hub::bench {

using protocol::post;
using protocol::unit_kind;

std::int64_t proc_status_bytes(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0)
      return std::stoll(line.substr(key.size())) * 1024; // "VmRSS:   12345 kB"
  return 0;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  return "unknown";
}

void trim_heap() { malloc_trim(0); }

cpu_split cpu_split_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto ns = [](const timeval& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 +
           static_cast<std::int64_t>(t.tv_usec) * 1000;
  };
  cpu_split out{ns(u.ru_utime), ns(u.ru_stime), u.ru_minflt, u.ru_majflt, u.ru_nivcsw, 0, 0};
  // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks.
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::int64_t t[8] = {};
  if (in >> cpu && cpu == "cpu" &&
      (in >> t[0] >> t[1] >> t[2] >> t[3] >> t[4] >> t[5] >> t[6] >> t[7])) {
    const auto tick_ms = 1000 / std::max<long>(sysconf(_SC_CLK_TCK), 1);
    out.machine_busy_ms = (t[0] + t[1] + t[2] + t[5] + t[6]) * tick_ms;
    out.steal_ms = t[7] * tick_ms;
  }
  return out;
}

unsigned machine_cpus() { return std::max(1u, std::thread::hardware_concurrency()); }

runtime::runtime(const options& o) {
  cfg.set("scheduler.max-threads", o.threads);
  cfg.set("scheduler.policy", caf::atom_from_string(o.scheduler));
  cfg.set("logger.console", caf::atom("none"));
  for (const auto& [key, value] : o.caf) {
    char* end = nullptr;
    auto n = std::strtoll(value.c_str(), &end, 10);
    if (!value.empty() && *end == '\0')
      cfg.set(key, static_cast<std::int64_t>(n));
    else
      cfg.set(key, caf::atom_from_string(value));
  }
  sys.emplace(cfg);
}

runtime::~runtime() { sys.reset(); }

cast make_cast(const protocol::hierarchy& h) {
  cast c;
  auto first = [&](protocol::unit_code unit, post p) -> actors::principal {
    for (auto i : h.people_at(unit))
      if (h.people[i].holds == p)
        return actors::principal::of(h.people[i]);
    throw std::runtime_error("nobody holds " + std::string(protocol::to_string(p)) + " at " +
                             std::to_string(unit));
  };
  auto township_op = [&](protocol::unit_code unit) -> actors::principal {
    for (auto i : h.people_at(unit))
      if (h.people[i].holds == post::township_operator || h.people[i].holds == post::township_head)
        return actors::principal::of(h.people[i]);
    throw std::runtime_error("no township operator or head at " + std::to_string(unit));
  };
  c.city_leader = first(411500, post::city_leader);
  std::unordered_map<protocol::unit_code, actors::principal> secretaries, operators;
  for (std::uint32_t i = 0; i < h.units.size(); ++i) {
    const auto& u = h.units[i];
    if (u.kind != unit_kind::grid)
      continue;
    auto* village = h.find_unit(u.parent);
    if (village == nullptr || village->kind != unit_kind::village)
      throw std::runtime_error("grid " + std::to_string(u.code) + " has no village");
    auto* township = h.find_unit(village->parent);
    if (township == nullptr)
      throw std::runtime_error("village " + std::to_string(village->code) + " has no township");
    c.grids.push_back(i);
    c.worker.push_back(first(u.code, post::grid_fulltime));
    c.head.push_back(first(u.code, post::grid_head));
    auto s = secretaries.find(village->code);
    if (s == secretaries.end())
      s = secretaries.emplace(village->code, first(village->code, post::village_secretary)).first;
    c.village_secretary.push_back(s->second);
    auto o = operators.find(township->code);
    if (o == operators.end())
      o = operators.emplace(township->code, township_op(township->code)).first;
    c.township_operator.push_back(o->second);
  }
  if (h.categories.empty())
    throw std::runtime_error("the hierarchy has no case categories");
  c.category = h.categories[0].code;
  return c;
}

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

namespace {
const std::int64_t run_start = now_ns();
} // namespace

void progress(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  std::fprintf(stderr, "[%7.2f s] %s\n", ms_between(run_start, now_ns()) / 1000, buf);
}

} // namespace hub::bench
