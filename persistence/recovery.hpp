#pragma once

// Recovery: reads the records the store holds and hands them to actors::snapshot_builder,
// which makes the snapshot the city's units start from (actors/restore.hpp); the event and
// request logs' tails go into it as read. Runs before the city exists, on the starting thread.

#include "actors/restore.hpp"
#include "persistence/store_options.hpp"
#include "protocol/hierarchy.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <variant>

namespace hub::persistence {

struct recovered {
  std::shared_ptr<actors::city_snapshot> snapshot;
  std::size_t cases = 0, open_cases = 0, tasks = 0, directives = 0, receipts = 0, events = 0,
              requests = 0;
  std::size_t figure_counts = 0; // unit fields of the figures' day and month hashes read
  std::chrono::milliseconds took{0};
  /// How long each step took, in order (for the benchmark: what the restart's time is made of).
  std::vector<std::pair<const char*, std::chrono::milliseconds>> steps;
  bool fresh = false;      // the store was empty: it now carries this hierarchy's fingerprint
  std::uint64_t epoch = 0; // the writer epoch taken for this hub (redis_journal)
};

/// Loads the store at `options.address` for hierarchy `h`. Fails (with a sentence saying what
/// to do) when Redis cannot be reached, holds another hierarchy, or holds a corrupt record.
std::variant<recovered, std::string> recover(const protocol::hierarchy& h,
                                             const store_options& options);

} // namespace hub::persistence
