#pragma once

// The archive of ended cases on Redis (actors/archive.hpp; key layout in README.md): look-ups
// run on a thread of their own with a connection of their own, one after another, so that a
// `case` query or a reopen of an archived case never blocks an actor's thread. What a look-up
// reads, the hot copy and the archived one, it reads in one atomic call: a case is always
// exactly one of the two, and one moving between them (a batch of the journal) is never seen
// half-way. The writes are the journal's (actors::case_move).

#include "actors/archive.hpp"
#include "persistence/store_options.hpp"

#include <chrono>
#include <memory>
#include <thread>

namespace hub::persistence {

class case_archive_store final : public actors::case_archive {
public:
  explicit case_archive_store(store_options options);
  /// Answers what is queued, then stops the thread.
  ~case_archive_store() override;

  void fetch(protocol::case_id id, std::function<void(actors::archive_answer)> then) override;
  void fetch_directive(protocol::directive_id id, protocol::unit_code issuer,
                       std::function<void(actors::directive_answer)> then) override;

  /// Blocks until every look-up queued before the call has been answered; true when there
  /// was any (tests alternate it with running the actors).
  bool drain();

  /// The counts for /metrics and /healthz, made every `count_interval` (and after
  /// count_now()) on the archive's thread: HLEN of every case bucket, hot and archived, and of
  /// the archived directives' buckets; MEMORY USAGE of the archive's hashes; INFO memory.
  actors::archive_gauges gauges() const override;
  /// Queues a count now (drain() waits for it too).
  void count_now();
  static constexpr std::chrono::seconds count_interval{10};

private:
  // The thread shares its state rather than borrowing it: a continuation may hold the last
  // reference to this object (through an actor it names), and then the thread ends on its own.
  struct worker;
  std::shared_ptr<worker> w_;
  std::thread thread_;
};

} // namespace hub::persistence
