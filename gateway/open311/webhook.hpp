#pragma once

// The Open311 webhook (README.md beside this file, "The webhook"): every update of a hotline
// case POSTed to the hotline's URL, as servicerequestupdates.json writes it, from a durable
// outbox. The outbox is the hub's event log with a cursor (the last sequence number delivered)
// kept in the store; `gateway/main.cpp` gives it one over Redis. One thread reads forward from
// the cursor, posts, and moves the cursor on after a 2xx; a failed post is tried again, with a
// backoff doubling from `retry_min` to `retry_max`, for as long as it takes. At least once:
// a post answered but not recorded (the hub stopped in between) is sent again; the receiver
// dedupes on update_id.

#include "gateway/open311/service.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace hub::open311 {

/// The durable source of updates: the event log and the cursor. Called from the webhook's
/// thread only; each call may block (a store round trip). nullopt/false: the store did not
/// answer, try again later.
class outbox {
public:
  struct entry {
    std::uint64_t seq = 0;
    protocol::server_message message;
  };
  struct batch {
    std::vector<entry> entries; // seq ascending, all after the cursor asked for
    bool gap = false;           // the log no longer held the events right after it
  };
  virtual ~outbox() = default;
  /// The last sequence number delivered (a new outbox starts at the log's end).
  virtual std::optional<std::uint64_t> delivered() = 0;
  virtual bool mark_delivered(std::uint64_t seq) = 0;
  /// The next events after `seq` (a bounded number; none when there are none yet).
  virtual std::optional<batch> after(std::uint64_t seq) = 0;
};

struct webhook_options {
  std::string url; // http://host[:port]/path
  std::chrono::milliseconds retry_min{500};
  std::chrono::milliseconds retry_max{30'000};
  std::chrono::milliseconds poll{250};     // how often the log is read when caught up
  std::chrono::milliseconds timeout{5000}; // connect, write, read of one post
  std::size_t max_updates = 100;           // updates in one post at most
};

/// Where a webhook URL points. Only http:// (no TLS here).
struct webhook_target {
  std::string host;
  std::string port = "80";
  std::string path = "/";
  /// nullopt when `url` is not http://host[:port][/path] with a port in 1..65535.
  static std::optional<webhook_target> parse(std::string_view url);
};

class webhook {
public:
  /// Throws data_error when the URL is not a webhook_target.
  webhook(const protocol::hierarchy& h, std::unique_ptr<outbox> box, webhook_options options);
  ~webhook();
  webhook(const webhook&) = delete;
  webhook& operator=(const webhook&) = delete;

  void start();
  /// Stops after the post in progress (at most `timeout` per step); idempotent.
  void stop();

  struct counters {
    std::uint64_t delivered = 0; // updates in posts answered 2xx
    std::uint64_t posts = 0;     // posts answered 2xx
    std::uint64_t failures = 0;  // posts that failed (and were tried again)
    std::uint64_t cursor = 0;    // the last sequence number delivered
  };
  counters stats() const;

private:
  void run();
  /// Posts `body`; "" when answered 2xx, else why not.
  std::string post(const std::string& body);
  /// Waits `d` unless stopped; false when stopped.
  bool pause(std::chrono::milliseconds d);

  const protocol::hierarchy& h_;
  std::unique_ptr<outbox> box_;
  const webhook_options options_;
  const webhook_target target_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool loaded_ = false; // stats_.cursor was read from the outbox
  counters stats_;
  std::thread thread_;
};

} // namespace hub::open311
