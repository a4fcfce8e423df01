#pragma once

// What the load tools read of a process: the clocks, /proc/PID/status, CPU time (user and
// kernel), and the open-file limit raised to the hard one.

#include <sys/resource.h>

#include <cstdint>

namespace hub::sim {

/// Steady nanoseconds.
std::int64_t now_ns();

/// Microseconds since 1970: to set beside the hub's event times ("at", ms of the same clock).
std::int64_t wall_us();

/// A field of /proc/PID/status in MiB ("VmRSS", "VmHWM"; pid 0: this process), or -1 when
/// unreadable.
double status_mib(long pid, const char* field);

/// CPU time of a process (/proc/PID/stat, clock-tick resolution), user and kernel, in ms.
struct cpu_time {
  double user = -1, kernel = -1;
  double total() const { return user < 0 ? -1 : user + kernel; }
  cpu_time operator-(const cpu_time& o) const { return {user - o.user, kernel - o.kernel}; }
};

/// Of process `pid`, or of this process when `pid` is 0; -1s when unreadable.
cpu_time cpu_of(long pid);

/// The open-file limit, soft (before and after raise_nofile) and hard.
struct nofile_limits {
  rlim_t before = 0, now = 0, hard = 0;
};

/// Raises the soft open-file limit to the hard one (18,100 connections need more than the
/// usual 1,024).
nofile_limits raise_nofile();

} // namespace hub::sim
