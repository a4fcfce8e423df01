#include "persistence/redis_connection.hpp"

#include <charconv>

namespace hub::persistence {

std::optional<redis_address> redis_address::parse(std::string_view text) {
  redis_address a;
  auto colon = text.rfind(':');
  a.host = std::string(text.substr(0, colon));
  if (a.host.empty())
    return std::nullopt;
  if (colon == std::string_view::npos)
    return a;
  auto port = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), a.port);
  if (ec != std::errc{} || end != port.data() + port.size() || a.port < 1 || a.port > 65535)
    return std::nullopt;
  return a;
}

namespace {

timeval to_timeval(std::chrono::milliseconds t) {
  return timeval{static_cast<time_t>(t.count() / 1000),
                 static_cast<suseconds_t>((t.count() % 1000) * 1000)};
}

} // namespace

redis_connection::redis_connection(const redis_address& at, std::chrono::milliseconds timeout)
  : at_(at) {
  auto tv = to_timeval(timeout);
  ctx_.reset(redisConnectWithTimeout(at.host.c_str(), at.port, tv));
  if (ctx_ && ctx_->err == 0)
    redisSetTimeout(ctx_.get(), tv);
}

std::string redis_connection::error() const {
  if (!ctx_)
    return "cannot allocate a Redis context";
  if (ctx_->err == 0)
    return {};
  return "Redis at " + at_.to_string() + ": " + ctx_->errstr;
}

namespace {

void argv_of(const std::vector<std::string_view>& args, std::vector<const char*>& argv,
             std::vector<size_t>& lens) {
  argv.resize(args.size());
  lens.resize(args.size());
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
}

} // namespace

reply_ptr redis_connection::command(const std::vector<std::string_view>& args) {
  if (!ok())
    return nullptr;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv_of(args, argv, lens);
  return reply_ptr{static_cast<redisReply*>(
      redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data()))};
}

void redis_connection::append(const std::vector<std::string_view>& args) {
  if (!ok())
    return;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv_of(args, argv, lens);
  redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(), lens.data());
}

reply_ptr redis_connection::next_reply() {
  if (!ok())
    return nullptr;
  void* r = nullptr;
  if (redisGetReply(ctx_.get(), &r) != REDIS_OK)
    return nullptr;
  return reply_ptr{static_cast<redisReply*>(r)};
}

std::string_view text_of(const redisReply* r) {
  if (r == nullptr)
    return {};
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR: return {r->str, r->len};
    default: return {};
  }
}

} // namespace hub::persistence
