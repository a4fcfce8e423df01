#pragma once

// One synchronous connection to Redis (hiredis), for the journal's writer thread and for
// recovery. Never used from an actor: every call may block for up to the time-out.

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::persistence {

/// Where Redis listens: "host:port" (default port 6379).
struct redis_address {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string to_string() const { return host + ":" + std::to_string(port); }
  /// Parses "host:port" or "host"; nullopt when the port is not a number in 1..65535.
  static std::optional<redis_address> parse(std::string_view text);
};

struct reply_deleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

class redis_connection {
public:
  /// Connects, with `timeout` for the connection and for every later command.
  redis_connection(const redis_address& at, std::chrono::milliseconds timeout);

  /// False once the connection failed (error() says why): make a new one.
  bool ok() const { return ctx_ && ctx_->err == 0; }
  std::string error() const;
  const redis_address& address() const { return at_; }

  /// Sends one command (binary-safe arguments) and waits for its reply; null on a broken
  /// connection. A Redis error reply is returned as a reply of type REDIS_REPLY_ERROR.
  reply_ptr command(const std::vector<std::string_view>& args);

  /// Pipelining: queue commands, then read their replies in order.
  void append(const std::vector<std::string_view>& args);
  reply_ptr next_reply();

private:
  struct context_deleter {
    void operator()(redisContext* c) const { redisFree(c); }
  };
  redis_address at_;
  std::unique_ptr<redisContext, context_deleter> ctx_;
};

/// The text of a string, status or error reply ("" for others).
std::string_view text_of(const redisReply* r);

} // namespace hub::persistence
