#pragma once

// How long a test waits for one thing before it fails. Tests never sleep: they wait on a
// condition (a condition variable, a socket operation with a timeout) bounded by one of these,
// so that a hang becomes a failure saying what did not arrive.

#include <chrono>

namespace hub::testing {

/// One answer from the hub: a reply, an event or a close over a socket, or a number of
/// replies from the city in process.
inline constexpr std::chrono::milliseconds patience{10000};

/// One thing a child process does: redis-server becoming ready, a line printed, an exit.
/// Longer than `patience`, as starting a process is slower on a loaded machine.
inline constexpr std::chrono::milliseconds wait_limit{15000};

} // namespace hub::testing
