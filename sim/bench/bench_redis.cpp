#include "sim/bench/bench_redis.hpp"

#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace hub::bench {

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

} // namespace

private_redis::private_redis() {
  port_ = free_port();
  dir_ = std::filesystem::temp_directory_path() / ("hub-bench-redis-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir_);
  std::vector<std::string> args{"redis-server",
                                "--bind",
                                "127.0.0.1",
                                "--port",
                                std::to_string(port_),
                                "--dir",
                                dir_.string(),
                                "--appendonly",
                                "yes",
                                "--appendfsync",
                                "everysec",
                                "--save",
                                "",
                                "--logfile",
                                (dir_ / "redis.log").string()};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  // redis-server links the same jemalloc: the profiler settings meant for this process
  // (MALLOC_CONF=prof:true,...) would make it crash, so they are not passed on.
  std::vector<char*> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).substr(0, 12) != "MALLOC_CONF=")
      env.push_back(*e);
  env.push_back(nullptr);
  // Nor does it inherit this process's files past stderr: a lock the benchmark runs under
  // (flock) would otherwise be held by a redis-server left behind when the benchmark is killed.
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addclosefrom_np(&files, 3);
  const int spawned = posix_spawnp(&pid_, "redis-server", &files, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&files);
  if (spawned != 0)
    throw std::runtime_error("cannot start redis-server (apt-get install redis-server)");
  for (int i = 0; i < 200; ++i) { // up to 10 s for it to answer
    persistence::redis_connection c{{"127.0.0.1", port_}, std::chrono::milliseconds(500)};
    if (auto r = c.ok() ? c.command({"PING"}) : nullptr; r)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("redis-server did not answer: see " + (dir_ / "redis.log").string());
}

private_redis::~private_redis() {
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void flushall(const persistence::redis_address& at) {
  // Emptying a store of a year at the full size (4 GB, 10 million keys) takes Redis well over
  // ten seconds.
  persistence::redis_connection c{at, std::chrono::minutes(5)};
  auto r = c.command({"FLUSHALL"});
  if (!r || r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("FLUSHALL failed: " + c.error());
}

std::int64_t hot_key_bytes(const persistence::redis_address& at) {
  persistence::redis_connection c{at, std::chrono::seconds(30)};
  std::int64_t total = 0;
  std::string cursor = "0";
  do {
    auto r = c.command({"SCAN", cursor, "COUNT", "1000"});
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      return -1;
    cursor = persistence::text_of(r->element[0]);
    const auto* batch = r->element[1];
    for (std::size_t i = 0; i < batch->elements; ++i) {
      const auto key = persistence::text_of(batch->element[i]);
      if (key.starts_with("hub:archive:cases:") || key.starts_with("hub:archive:directives:"))
        continue;
      auto n = c.command({"MEMORY", "USAGE", key, "SAMPLES", "0"});
      if (n && n->type == REDIS_REPLY_INTEGER)
        total += n->integer;
    }
  } while (cursor != "0");
  return total;
}

std::int64_t redis_info_number(persistence::redis_connection& c, const std::string& field) {
  auto r = c.command({"INFO", "memory"});
  if (!r || r->type != REDIS_REPLY_STRING)
    return -1;
  std::string text(r->str, r->len);
  auto at = text.find(field + ":");
  if (at == std::string::npos)
    return -1;
  return std::strtoll(text.c_str() + at + field.size() + 1, nullptr, 10);
}

} // namespace hub::bench
