#pragma once

// How long a test waits for one thing before it fails. Tests never sleep: they wait on a
// condition (a condition variable, a socket operation with a timeout) bounded by one of these,
// so that a hang becomes a failure saying what did not arrive.

#include <chrono>

// Set by tests/CMakeLists.txt: 3 in a sanitizer build, which runs that much slower.
#ifndef HUB_TEST_SLOWDOWN
#define HUB_TEST_SLOWDOWN 1
#endif

namespace hub::testing {

/// One answer from the hub: a reply, an event or a close over a socket, or a number of
/// replies from the city in process.
inline constexpr std::chrono::milliseconds patience{10000 * HUB_TEST_SLOWDOWN};

/// One thing a child process does: redis-server becoming ready, a line printed, an exit.
/// Longer than `patience`, as starting a process is slower on a loaded machine.
inline constexpr std::chrono::milliseconds wait_limit{15000 * HUB_TEST_SLOWDOWN};

} // namespace hub::testing
