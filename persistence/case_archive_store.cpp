#include "persistence/case_archive_store.hpp"

#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>

namespace hub::persistence {

namespace {

// Both copies in one call: atomic against the journal's batches.
constexpr const char* both = "return {redis.call('HGET', KEYS[1], ARGV[1]), "
                             "redis.call('HGET', KEYS[2], ARGV[1])}";

} // namespace

struct case_archive_store::worker {
  explicit worker(store_options o)
    : options(std::move(o)) {}

  store_options options;
  std::unique_ptr<redis_connection> conn; // the thread's only
  std::mutex mutex;
  std::condition_variable wake, idle;
  std::deque<std::pair<protocol::case_id, std::function<void(actors::archive_answer)>>> queue;
  std::uint64_t queued = 0, answered = 0, drained = 0;
  bool stopping = false;

  actors::archive_answer find(protocol::case_id id);
  void run();
};

case_archive_store::case_archive_store(store_options options)
  : w_(std::make_shared<worker>(std::move(options))) {
  thread_ = std::thread([w = w_] { w->run(); });
}

case_archive_store::~case_archive_store() {
  {
    std::lock_guard<std::mutex> guard{w_->mutex};
    w_->stopping = true;
  }
  w_->wake.notify_all();
  if (thread_.get_id() == std::this_thread::get_id())
    thread_.detach(); // dropped by a continuation: the thread finishes the queue and ends
  else
    thread_.join();
}

void case_archive_store::fetch(protocol::case_id id,
                               std::function<void(actors::archive_answer)> then) {
  {
    std::lock_guard<std::mutex> guard{w_->mutex};
    w_->queue.emplace_back(id, std::move(then));
    ++w_->queued;
  }
  w_->wake.notify_one();
}

bool case_archive_store::drain() {
  std::unique_lock<std::mutex> lock{w_->mutex};
  const auto target = w_->queued;
  w_->idle.wait(lock, [&] { return w_->answered >= target; });
  const bool any = w_->answered != w_->drained;
  w_->drained = w_->answered;
  return any;
}

actors::archive_answer case_archive_store::find(protocol::case_id id) { return w_->find(id); }

actors::archive_answer case_archive_store::worker::find(protocol::case_id id) {
  using status = actors::archive_answer::status;
  actors::archive_answer out;
  out.is = status::unavailable;
  const auto field = std::to_string(id);
  const auto hot = keys::case_hash(id), archived = keys::archive_hash(id);
  for (int attempt = 0; attempt < 2; ++attempt) { // a second time on a new connection
    if (!conn || !conn->ok())
      conn = std::make_unique<redis_connection>(options.address, options.timeout);
    auto r = conn->command({"EVAL", both, "2", hot, archived, field});
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
      if (r)
        std::fprintf(stderr, "store: an archive look-up failed: %.*s\n",
                     static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
      conn.reset();
      continue;
    }
    for (std::size_t k = 0; k < 2; ++k) {
      const auto* e = r->element[k];
      if (e->type != REDIS_REPLY_STRING)
        continue;
      try {
        out.record = decode_case(std::string_view(e->str, e->len));
        out.archived = k == 1;
        out.is = status::found;
      } catch (const corrupt_record& x) {
        std::fprintf(stderr, "store: %s field %s: %s\n", (k == 0 ? hot : archived).c_str(),
                     field.c_str(), x.what());
      }
      return out;
    }
    out.is = status::absent;
    return out;
  }
  return out;
}

void case_archive_store::worker::run() {
  for (;;) {
    std::pair<protocol::case_id, std::function<void(actors::archive_answer)>> next;
    {
      std::unique_lock<std::mutex> lock{mutex};
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty())
        return;
      next = std::move(queue.front());
      queue.pop_front();
    }
    next.second(find(next.first));
    next = {}; // what the continuation held goes here, outside the lock
    {
      std::lock_guard<std::mutex> guard{mutex};
      ++answered;
    }
    idle.notify_all();
  }
}

} // namespace hub::persistence
