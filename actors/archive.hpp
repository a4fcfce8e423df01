#pragma once

// The archive of ended cases, as the actors see it (persistence/README.md, "Retention and the
// archive"). A case that ended (closed, rejected, a duplicate) more than the retention time ago
// leaves its holder's memory and the read side's, and its stored copy moves from the hot keys
// recovery reads to the archive (journal.hpp, case_move). Asking for it again (a `case` query,
// a reopen) reads the store: that is blocking work, so it never runs on an actor's thread:
// `fetch` queues the look-up and calls its continuation on the archive's own thread, which
// must only hand the answer on (a message to an actor, a reply to a sink). CAF-free.

#include "actors/case_record.hpp"
#include "actors/directive.hpp"

#include <chrono>
#include <functional>
#include <optional>

namespace hub::actors {

/// What a look-up found.
struct archive_answer {
  enum class status : std::uint8_t {
    found,       // `record` is the case as stored (hot or archived: it is exactly one of them)
    absent,      // the store holds no such case
    unavailable, // the store did not answer
  };
  status is = status::absent;
  std::optional<case_record> record;
  bool archived = false; // found in the archive (false: among the hot cases)
};

/// What the store holds, counted by the archive's thread every few seconds (for /metrics and
/// /healthz): `known` once counted.
struct archive_gauges {
  bool known = false;
  std::uint64_t hot_cases = 0;           // in the keys recovery reads
  std::uint64_t archived_cases = 0;      // in the archive
  std::uint64_t archived_directives = 0; // in the archive
  std::uint64_t bytes = 0;               // the archive's hashes, as Redis's MEMORY USAGE says
  std::uint64_t redis_used = 0;          // Redis's used_memory
  std::uint64_t redis_max = 0;           // its maxmemory (0: no limit)
};

/// What a directive look-up found.
struct directive_answer {
  archive_answer::status is = archive_answer::status::absent;
  directive_ptr info;
  bool reminded = false;
  std::vector<std::pair<recipient, protocol::directive_action>> answers; // those given
};

class case_archive {
public:
  virtual ~case_archive() = default;
  /// Looks case `id` up in the store (its hot copy, else its archived one, read at once) and
  /// calls `then` with the answer on the archive's thread. Never blocks the caller.
  virtual void fetch(protocol::case_id id, std::function<void(archive_answer)> then) = 0;
  /// The same for directive `id` issued at unit `issuer` (its hot record and receipts, else
  /// its archived form).
  virtual void fetch_directive(protocol::directive_id id, protocol::unit_code issuer,
                               std::function<void(directive_answer)> then) = 0;
  /// The latest counts (never blocks).
  virtual archive_gauges gauges() const { return {}; }
};

/// How long an ended case stays in memory (and hot in the store) after its last step; a
/// directive, after its last receipt completed it everywhere or after its deadline.
struct retention_times {
  std::chrono::milliseconds cases{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds directives{std::chrono::hours(24 * 30)};
  /// How many days the read side's figures keep day by day before folding them into months
  /// (period_book; `hub serve --figure-days`).
  std::int32_t figure_days = 92;
};

} // namespace hub::actors
