#pragma once

// Locks a std::mutex after spinning briefly on try_lock. The hub's shared locks (the bus, the
// tick schedules, the request ledger's shards) are held for a microsecond or two by scheduler
// threads; with a plain lock a contending thread sleeps in the kernel and is woken again (a
// futex round trip) far more often than it would have waited. Past the spin it blocks as
// usual, so a preempted holder costs no more than with std::mutex alone.

#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace hub::actors {

/// Takes `guard`'s mutex again (it is not held), spinning briefly first.
inline void relock_soon(std::unique_lock<std::mutex>& guard) {
  for (int i = 0; i < 64; ++i) {
    if (guard.try_lock())
      return;
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }
  guard.lock();
}

inline std::unique_lock<std::mutex> lock_soon(std::mutex& m) {
  std::unique_lock<std::mutex> guard{m, std::defer_lock};
  relock_soon(guard);
  return guard;
}

} // namespace hub::actors
