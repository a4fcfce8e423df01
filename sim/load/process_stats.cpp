#include "sim/load/process_stats.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace hub::sim {

using steady = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

/// Microseconds since 1970: to set beside the hub's event times ("at", ms of the same clock).
std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// A field of /proc/PID/status in MiB ("VmRSS", "VmHWM"), or -1 when unreadable.
double status_mib(long pid, const char* field) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/status")
                            : "/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(in, line))
    if (line.compare(0, key.size(), key) == 0)
      return static_cast<double>(std::stoll(line.substr(key.size()))) / 1024.0;
  return -1;
}

/// Of process `pid`, or of this process when `pid` is 0; -1s when unreadable.
cpu_time cpu_of(long pid) {
  if (pid == 0) {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto ms_of = [](const timeval& t) {
      return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
    };
    return {ms_of(u.ru_utime), ms_of(u.ru_stime)};
  }
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')'); // the command name may hold spaces
  if (close == std::string::npos)
    return {};
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) { // fields 14 and 15: utime, stime
    if (i == 14)
      utime = std::stod(f);
    if (i == 15)
      stime = std::stod(f);
  }
  const auto tick = 1e3 / static_cast<double>(sysconf(_SC_CLK_TCK));
  return {utime * tick, stime * tick};
}

nofile_limits raise_nofile() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0)
    return {};
  nofile_limits n{r.rlim_cur, r.rlim_cur, r.rlim_max};
  r.rlim_cur = r.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &r) == 0)
    n.now = r.rlim_cur;
  return n;
}

} // namespace hub::sim
