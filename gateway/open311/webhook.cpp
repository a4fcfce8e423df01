#include "gateway/open311/webhook.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>
#include <cstdio>

namespace hub::open311 {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::optional<webhook_target> webhook_target::parse(std::string_view url) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme)
    return std::nullopt;
  url.remove_prefix(scheme.size());
  webhook_target t;
  auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  if (slash != std::string_view::npos)
    t.path = std::string(url.substr(slash));
  auto colon = authority.rfind(':');
  t.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto port = authority.substr(colon + 1);
    unsigned n = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc{} || p != port.data() + port.size() || n == 0 || n > 65535)
      return std::nullopt;
    t.port = std::to_string(n);
  }
  if (t.host.empty() || t.host.find_first_of("@ ") != std::string::npos)
    return std::nullopt;
  return t;
}

webhook::webhook(const protocol::hierarchy& h, std::unique_ptr<outbox> box, webhook_options options)
  : h_(h)
  , box_(std::move(box))
  , options_(std::move(options))
  , target_([&] {
    auto t = webhook_target::parse(options_.url);
    if (!t)
      throw data_error("--open311-webhook: not an http://host[:port]/path URL: " + options_.url);
    return *t;
  }()) {}

webhook::~webhook() { stop(); }

void webhook::start() {
  if (thread_.joinable())
    return;
  // The cursor first, before the hub takes requests: a new outbox starts at the log's end,
  // and whatever comes after it is delivered (run() tries again when the store is away).
  if (auto c = box_->delivered()) {
    std::lock_guard lock(mutex_);
    stats_.cursor = *c;
    loaded_ = true;
  }
  thread_ = std::thread([this] { run(); });
}

void webhook::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

webhook::counters webhook::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool webhook::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void webhook::run() {
  auto retry = options_.retry_min;
  // Waits after a failure, longer each time; false when stopped.
  auto back_off = [&] {
    auto d = retry;
    retry = std::min(retry * 2, options_.retry_max);
    return pause(d);
  };
  std::optional<std::uint64_t> cursor;
  {
    std::lock_guard lock(mutex_);
    if (loaded_)
      cursor = stats_.cursor;
  }
  while (!cursor && !(cursor = box_->delivered()))
    if (!back_off())
      return;
  {
    std::lock_guard lock(mutex_);
    stats_.cursor = *cursor;
  }
  retry = options_.retry_min;
  bool failing = false;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
    }
    auto batch = box_->after(*cursor);
    if (!batch) {
      if (!back_off())
        return;
      continue;
    }
    if (batch->entries.empty()) {
      if (!pause(options_.poll))
        return;
      continue;
    }
    if (batch->gap)
      std::fprintf(stderr,
                   "hub: open311 webhook: the event log no longer holds the events after %llu: "
                   "the hotline misses them (read servicerequestupdates)\n",
                   static_cast<unsigned long long>(*cursor));
    // Post the hotline cases' updates of this batch, at most max_updates at a time, each post
    // until it is answered 2xx; then move the cursor past the whole batch.
    std::vector<update> updates;
    for (const auto& e : batch->entries)
      if (const auto* ev = std::get_if<protocol::case_event>(&e.message))
        if (auto u = update_of(h_, *ev))
          updates.push_back(std::move(*u));
    for (std::size_t i = 0; i < updates.size(); i += options_.max_updates) {
      std::vector<update> part(updates.begin() + static_cast<std::ptrdiff_t>(i),
                               updates.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                     updates.size(), i + options_.max_updates)));
      auto body = render_updates(format::json, part);
      while (true) {
        auto why = post(body);
        if (why.empty())
          break;
        {
          std::lock_guard lock(mutex_);
          ++stats_.failures;
        }
        if (!failing)
          std::fprintf(stderr, "hub: open311 webhook: POST %s failed: %s (trying again)\n",
                       options_.url.c_str(), why.c_str());
        failing = true;
        if (!back_off())
          return;
      }
      if (failing)
        std::fprintf(stderr, "hub: open311 webhook: POST %s answered again\n",
                     options_.url.c_str());
      failing = false;
      retry = options_.retry_min;
      std::lock_guard lock(mutex_);
      ++stats_.posts;
      stats_.delivered += part.size();
    }
    auto last = batch->entries.back().seq;
    while (!box_->mark_delivered(last))
      if (!back_off())
        return;
    cursor = last;
    std::lock_guard lock(mutex_);
    stats_.cursor = last;
  }
}

std::string webhook::post(const std::string& body) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  std::string why;
  tcp::resolver resolver(ioc);
  http::request<http::string_body> req{http::verb::post, target_.path, 11};
  req.set(http::field::host, target_.host);
  req.set(http::field::user_agent, "hub-open311-webhook");
  req.set(http::field::content_type, "application/json; charset=utf-8");
  req.set(http::field::connection, "close");
  req.body() = body;
  req.prepare_payload();
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  auto fail = [&](const char* what, beast::error_code ec) {
    why = std::string(what) + ": " + ec.message();
  };
  resolver.async_resolve(
      target_.host, target_.port, [&](beast::error_code ec, tcp::resolver::results_type found) {
        if (ec)
          return fail("resolve", ec);
        stream.expires_after(options_.timeout);
        stream.async_connect(found, [&](beast::error_code ec, const tcp::endpoint&) {
          if (ec)
            return fail("connect", ec);
          stream.expires_after(options_.timeout);
          http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
            if (ec)
              return fail("write", ec);
            stream.expires_after(options_.timeout);
            http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
              if (ec)
                return fail("read", ec);
              if (res.result_int() / 100 != 2)
                why = "answered " + std::to_string(res.result_int());
            });
          });
        });
      });
  ioc.run();
  return why;
}

} // namespace hub::open311
