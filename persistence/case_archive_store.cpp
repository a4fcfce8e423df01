#include "persistence/case_archive_store.hpp"

#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>

namespace hub::persistence {

namespace {

// Both copies in one call: atomic against the journal's batches.
constexpr const char* both = "return {redis.call('HGET', KEYS[1], ARGV[1]), "
                             "redis.call('HGET', KEYS[2], ARGV[1])}";
// A directive: archived, else hot; with its receipts' hash (a directive archived at its
// deadline keeps its answers there until the retention folds them into the archived value).
constexpr const char* directive = "return {redis.call('HGET', KEYS[1], ARGV[1]), "
                                  "redis.call('HGET', KEYS[2], ARGV[1]), "
                                  "redis.call('HGETALL', KEYS[3])}";

} // namespace

struct case_archive_store::worker {
  explicit worker(store_options o)
    : options(std::move(o)) {}

  store_options options;
  std::unique_ptr<redis_connection> conn; // the thread's only
  std::mutex mutex;
  std::condition_variable wake, idle;
  std::deque<std::function<void()>> queue; // look-ups with their continuations
  std::uint64_t queued = 0, answered = 0, drained = 0;
  bool stopping = false;
  actors::archive_gauges counted; // under the mutex

  void count();
  actors::archive_answer find(protocol::case_id id);
  actors::directive_answer find_directive(protocol::directive_id id, protocol::unit_code issuer);
  /// Runs `command` (EVAL ...), on a new connection a second time if needed: the reply, or
  /// null when Redis did not answer it.
  reply_ptr eval(const std::vector<std::string_view>& command);
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
    w_->queue.emplace_back([w = w_.get(), id, then = std::move(then)] { then(w->find(id)); });
    ++w_->queued;
  }
  w_->wake.notify_one();
}

void case_archive_store::fetch_directive(protocol::directive_id id, protocol::unit_code issuer,
                                         std::function<void(actors::directive_answer)> then) {
  {
    std::lock_guard<std::mutex> guard{w_->mutex};
    w_->queue.emplace_back([w = w_.get(), id, issuer, then = std::move(then)] {
      then(w->find_directive(id, issuer));
    });
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

actors::archive_gauges case_archive_store::gauges() const {
  std::lock_guard<std::mutex> guard{w_->mutex};
  return w_->counted;
}

void case_archive_store::count_now() {
  {
    std::lock_guard<std::mutex> guard{w_->mutex};
    w_->queue.emplace_back([w = w_.get()] { w->count(); });
    ++w_->queued;
  }
  w_->wake.notify_one();
}

void case_archive_store::worker::count() {
  if (!conn || !conn->ok())
    conn = std::make_unique<redis_connection>(options.address, options.timeout);
  if (!conn->ok())
    return;
  for (std::uint32_t b = 0; b < keys::case_buckets; ++b) {
    conn->append({"HLEN", keys::case_bucket(b)});
    conn->append({"HLEN", keys::archive_bucket(b)});
    conn->append({"HLEN", keys::archive_directives(b)});
    conn->append({"MEMORY", "USAGE", keys::archive_bucket(b)});
    conn->append({"MEMORY", "USAGE", keys::archive_directives(b)});
  }
  conn->append({"INFO", "memory"});
  actors::archive_gauges g;
  g.known = true;
  for (std::uint32_t b = 0; b < keys::case_buckets; ++b)
    for (auto* into :
         {&g.hot_cases, &g.archived_cases, &g.archived_directives, &g.bytes, &g.bytes}) {
      auto r = conn->next_reply();
      if (!r) {
        conn.reset();
        return; // keep the last counts
      }
      if (r->type == REDIS_REPLY_INTEGER)
        *into += static_cast<std::uint64_t>(r->integer);
    }
  auto info = conn->next_reply();
  if (!info) {
    conn.reset();
    return;
  }
  const auto text = std::string(text_of(info.get()));
  auto number = [&](const std::string& name) -> std::uint64_t {
    auto at = text.find("\r\n" + name + ":");
    return at == std::string::npos
               ? 0
               : std::strtoull(text.c_str() + at + name.size() + 3, nullptr, 10);
  };
  g.redis_used = number("used_memory");
  g.redis_max = number("maxmemory");
  std::lock_guard<std::mutex> guard{mutex};
  counted = g;
}

reply_ptr case_archive_store::worker::eval(const std::vector<std::string_view>& command) {
  for (int attempt = 0; attempt < 2; ++attempt) { // a second time on a new connection
    if (!conn || !conn->ok())
      conn = std::make_unique<redis_connection>(options.address, options.timeout);
    auto r = conn->command(command);
    if (r && r->type == REDIS_REPLY_ARRAY)
      return r;
    if (r)
      std::fprintf(stderr, "store: an archive look-up failed: %.*s\n",
                   static_cast<int>(text_of(r.get()).size()), text_of(r.get()).data());
    conn.reset();
  }
  return nullptr;
}

actors::directive_answer case_archive_store::worker::find_directive(protocol::directive_id id,
                                                                    protocol::unit_code issuer) {
  using status = actors::archive_answer::status;
  actors::directive_answer out;
  out.is = status::unavailable;
  const auto field = std::to_string(id);
  const auto archived = keys::archive_directives(id), hot = keys::directives(issuer),
             receipts = keys::receipts(id);
  auto r = eval({"EVAL", directive, "3", archived, hot, receipts, field});
  if (!r || r->elements != 3)
    return out;
  try {
    if (r->element[0]->type == REDIS_REPLY_STRING) {
      auto d = decode_archived_directive(text_of(r->element[0]));
      out.info = d.info;
      out.reminded = d.reminded;
      for (const auto& a : d.answers)
        out.answers.emplace_back(a.who, a.action);
    } else if (r->element[1]->type == REDIS_REPLY_STRING) {
      auto d = decode_directive(text_of(r->element[1]));
      out.info = d.info;
      out.reminded = d.reminded;
    } else {
      out.is = status::absent;
      return out;
    }
    // The receipts' hash holds each recipient's latest answer: it wins over the archived one.
    // (Both are there only for a receipt that came as the retention folded the answers.)
    std::map<actors::recipient, std::size_t> at; // recipient -> its place in out.answers
    for (std::size_t i = 0; i < out.answers.size(); ++i)
      at.emplace(out.answers[i].first, i);
    const auto* all = r->element[2];
    for (std::size_t i = 0; all->type == REDIS_REPLY_ARRAY && i + 1 < all->elements; i += 2) {
      auto a = decode_receipt(text_of(all->element[i + 1]));
      auto same = at.empty() ? at.end() : at.find(a.who);
      if (same == at.end())
        out.answers.emplace_back(a.who, a.action);
      else if (a.action > out.answers[same->second].second)
        out.answers[same->second].second = a.action;
    }
    out.is = status::found;
  } catch (const corrupt_record& x) {
    std::fprintf(stderr, "store: directive %s: %s\n", field.c_str(), x.what());
  }
  return out;
}

actors::archive_answer case_archive_store::worker::find(protocol::case_id id) {
  using status = actors::archive_answer::status;
  actors::archive_answer out;
  out.is = status::unavailable;
  const auto field = std::to_string(id);
  const auto hot = keys::case_hash(id), archived = keys::archive_hash(id);
  auto r = eval({"EVAL", both, "2", hot, archived, field});
  if (!r || r->elements != 2)
    return out;
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

void case_archive_store::worker::run() {
  auto next_count = std::chrono::steady_clock::now();
  for (;;) {
    std::function<void()> next;
    {
      std::unique_lock<std::mutex> lock{mutex};
      wake.wait_until(lock, next_count, [&] { return stopping || !queue.empty(); });
      if (queue.empty() && stopping)
        return;
      if (!queue.empty()) {
        next = std::move(queue.front());
        queue.pop_front();
      }
    }
    if (!next || std::chrono::steady_clock::now() >= next_count) {
      count();
      next_count = std::chrono::steady_clock::now() + count_interval;
      if (!next)
        continue;
    }
    next();
    next = nullptr; // what the continuation held goes here, outside the lock
    {
      std::lock_guard<std::mutex> guard{mutex};
      ++answered;
    }
    idle.notify_all();
  }
}

} // namespace hub::persistence
