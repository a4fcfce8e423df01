#include "sim/bench/heap_stats.hpp"

#include "sim/bench/bench_common.hpp"

#include <dlfcn.h>

#include <cstddef>

namespace hub::bench {

namespace {

using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

/// jemalloc's mallctl when the process runs on jemalloc (hub-bench links it; the bench
/// library does not, so it is looked up), else null.
mallctl_fn jemalloc_ctl() {
  static const auto f = reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"));
  return f;
}

} // namespace

void release_free_memory() {
  trim_heap();
  if (auto* f = jemalloc_ctl())
    f("arena.4096.purge", nullptr, nullptr, nullptr, 0); // 4096: MALLCTL_ARENAS_ALL
}

std::int64_t live_heap_bytes() {
  auto* f = jemalloc_ctl();
  if (f == nullptr)
    return -1;
  std::uint64_t epoch = 1;
  std::size_t len = sizeof(epoch);
  if (f("epoch", &epoch, &len, &epoch, len) != 0)
    return -1;
  std::size_t allocated = 0;
  len = sizeof(allocated);
  if (f("stats.allocated", &allocated, &len, nullptr, 0) != 0)
    return -1;
  return static_cast<std::int64_t>(allocated);
}

bool dump_heap_profile(const std::string& file) {
  auto* f = jemalloc_ctl();
  bool on = false;
  std::size_t len = sizeof(on);
  if (f == nullptr || f("opt.prof", &on, &len, nullptr, 0) != 0 || !on)
    return false;
  const char* name = file.c_str();
  return f("prof.dump", nullptr, nullptr, &name, sizeof(name)) == 0;
}

} // namespace hub::bench
