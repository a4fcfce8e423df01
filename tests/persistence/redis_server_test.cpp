// The tests' private redis-server does not outlive a test process that dies: a crashed test
// (a segfault, a SIGKILL) must not leave servers running on the machine.

#include "tests/support/limits.hpp"
#include "tests/support/redis_server.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

namespace hub::testing {
namespace {

/// Waits until `pid` (not necessarily a child of this process) has ended; true if it did
/// within `timeout`.
bool ended_within(pid_t pid, std::chrono::milliseconds timeout) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    return errno == ESRCH; // already gone and reaped
  pollfd p{fd, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  ::close(fd);
  return ready == 1;
}

TEST(redis_server_test, a_test_process_killed_takes_its_redis_server_with_it) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0); // redis-server must not hold it open
  pid_t test_process = ::fork();
  ASSERT_GE(test_process, 0);
  if (test_process == 0) {
    // The "test": starts its Redis, says which process it is, then dies without cleaning up.
    ::close(pipe_fds[0]);
    redis_server redis;
    pid_t server = redis.start() ? redis.pid() : -1;
    std::string dir = redis.dir().string();
    [[maybe_unused]] auto n = ::write(pipe_fds[1], &server, sizeof server);
    n = ::write(pipe_fds[1], dir.data(), dir.size());
    ::kill(::getpid(), SIGKILL);
  }
  ::close(pipe_fds[1]);
  pid_t server = -1;
  ASSERT_EQ(::read(pipe_fds[0], &server, sizeof server), static_cast<ssize_t>(sizeof server));
  std::string dir;
  char buf[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;)
    dir.append(buf, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  ASSERT_GT(server, 0) << "the forked test could not start redis-server";
  int status = 0;
  ASSERT_EQ(::waitpid(test_process, &status, 0), test_process);
  ASSERT_TRUE(WIFSIGNALED(status));

  EXPECT_TRUE(ended_within(server, wait_limit))
      << "redis-server " << server << " still runs after its test process was killed";
  if (::kill(server, 0) == 0)
    ::kill(server, SIGKILL); // do not leave it behind even when the test fails
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored); // the dead test could not remove its data
}

} // namespace
} // namespace hub::testing
