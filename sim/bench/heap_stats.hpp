#pragma once
// The allocator's view of the process, for benchmarks that watch memory over a long run: give
// freed pages back before RSS is read, the bytes the program holds allocated, heap profiles.
// hub-bench links jemalloc; without it each call does what glibc allows (or nothing).

#include <cstdint>
#include <string>

namespace hub::bench {

/// Hands freed memory back to the system before RSS is read: glibc's malloc_trim, and
/// jemalloc's purge of every arena (it decays freed pages on a timer of its own otherwise).
void release_free_memory();

/// The bytes the program holds allocated now (jemalloc's `stats.allocated`, after an `epoch`
/// refresh of its statistics): live data, apart from the pages the allocator keeps. -1 when
/// the process does not run on jemalloc.
std::int64_t live_heap_bytes();

/// With jemalloc's profiler on (`MALLOC_CONF=prof:true,...`), dumps the heap profile to
/// `file` in the working folder, for `jeprof --base`. True when a profile was written.
bool dump_heap_profile(const std::string& file);

} // namespace hub::bench
