#pragma once

// The durable journal (actors/journal.hpp) on Redis. Units commit from their threads; one
// writer thread drains the queue in batches — one Lua call per batch, which checks every
// record's version, writes the records, appends the events to the event stream and the
// answered requests to the request stream, atomically — and then, in commit order, publishes
// the events on the bus and sends the replies. So an acknowledgement means the change is in
// Redis, and a crash at any moment leaves a prefix of the commits stored.
//
// Faults: a failed round trip marks the store disconnected (clients' writes are refused with
// try_again from then on), and the writer reconnects with backoff and writes the same batches
// again, which is harmless (same values; stream entries numbered). Buffered commits wait;
// nothing acknowledged is lost.
//
// Stale writers: each journal writes under an epoch (hub:meta writer), taken when its hub
// started; a hub started later on the same store takes a newer one, and from then on every
// batch of the older hub is refused whole: its clients are told `conflict`, and it accepts no
// more writes (fenced(): units answer every later write `conflict` too). Every stored value
// also carries its record's own version.

#include "actors/journal.hpp"
#include "persistence/store_options.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace hub::persistence {

class redis_journal final : public actors::journal {
public:
  /// Starts the writer. `last_seq`: the last stored event's sequence number, and `epoch`: the
  /// writer epoch recovery took (0: take one now).
  redis_journal(std::shared_ptr<actors::bus> events,
                std::shared_ptr<const protocol::hierarchy> hierarchy, store_options options,
                std::uint64_t last_seq, std::uint64_t epoch = 0);
  /// Writes what is queued (while Redis answers), then stops the writer.
  ~redis_journal() override;

  bool durable() const override { return true; }
  bool accepting() const override;
  actors::fence fenced() const override { return fenced_.load(std::memory_order_relaxed); }
  actors::journal_status status() const override;
  void commit(actors::change c) override;

  /// Blocks until every commit made before the call is stored and delivered, or the store
  /// is disconnected with commits waiting. Returns true when all are delivered.
  bool drain();

  struct statistics {
    std::uint64_t committed = 0; // commits received
    std::uint64_t delivered = 0; // stored, published, replied
    std::uint64_t batches = 0;   // Lua calls that succeeded
    std::uint64_t conflicts = 0; // commits refused: another writer owns the store
    std::uint64_t failures = 0;  // round trips that failed (Redis away)
    std::size_t pending = 0;     // commits waiting
    bool connected = false;
  };
  statistics stats() const;

private:
  struct batch;
  void run();
  bool connect();
  void send(batch& b);    // appends the batch's call to the connection
  bool receive(batch& b); // its reply; false when the connection failed or Redis refused it
  void deliver(batch& b);

  std::shared_ptr<actors::bus> events_;
  std::shared_ptr<const protocol::hierarchy> hierarchy_;
  store_options options_;
  std::unique_ptr<class redis_connection> conn_; // the writer thread's only
  std::string script_sha_;
  std::uint64_t request_counter_ = 0; // numbers the answered requests in hub:requests
  std::uint64_t batch_counter_ = 0;   // numbers the batches (hub:meta batch: the last stored)
  bool counters_read_ = false;        // both continued from the store's, on first connect
  bool lost_ = false;       // Redis went away since the last connection: say when it is back
  std::int32_t fold_ = 0;   // the day the store's figures may be folded up to (batch_script.hpp)
  std::uint64_t epoch_ = 0; // this writer's, in hub:meta writer
  std::atomic<actors::fence> fenced_{actors::fence::none}; // set once, by the writer
  std::atomic<bool> connected_{false};                     // read by accepting() without the lock
  std::atomic<std::size_t> queued_{0};

  mutable std::mutex mutex_;
  std::condition_variable wake_;    // the writer: work or stop
  std::condition_variable drained_; // drain(): progress
  std::deque<actors::change> queue_;
  std::uint64_t next_seq_; // the last sequence number given (actors/journal.hpp: the only count)
  bool stopping_ = false;
  statistics stats_;
  std::thread writer_;
};

} // namespace hub::persistence
