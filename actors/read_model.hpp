#pragma once

// The read side: what queries are answered from (protocol/README.md, "query"). Shards, one per
// county and one for the city's own units, each an actor keeping a view of the cases made in
// its part of the city, fed from the bus in sequence order (bus::set_tap, in batches through
// a feed per shard) with the facts the holder hands over beside each case event. A query is
// sent to the shards it needs under the bus's lock (bus::at_cut), its cut fenced in each
// shard's feed, so each shard answers after every event up to that sequence number and
// before any later one: every result is exactly "current to" its `seq`. A shard keeps a
// compact row per case; one case's history is asked of its holder (history_request). A query
// over several shards is gathered without waiting: each shard adds its part to the query and
// the last one to finish answers.
//
// A case stays in the shard of the unit that made it (its id names the maker): cases made in
// a county never leave it (escalation stops at the township, whistles stay in the county), and
// the few made at the city's centre and dispatched into a county are found by asking the city
// shard as well. So a county's shard can move to the county's own machine later with the
// county's unit actors: only the routing of queries (here) and of the tap's events changes.

#include "actors/archive.hpp"
#include "actors/bus.hpp"
#include "actors/case_record.hpp"
#include "actors/principal.hpp"
#include "actors/restore.hpp"

#include <caf/all.hpp>

#include <functional>
#include <memory>
#include <vector>

namespace hub::actors {

namespace read_side {
class shard_feed;
}

class read_model {
public:
  /// Spawns the shards, each starting from `snapshot` (a recovered city's cases; null: none).
  /// `now` is the hub's wall clock (for the colour of a deadline at the time of the answer);
  /// `ask_holder` hands a `case` query's question to the unit holding the case (by way of
  /// its maker: history_request, unit_actor.hpp), whose record holds the history. With an
  /// `archive`, a shard lets an ended case go `retain` after its last step, as its holder
  /// does, and answers `case` for one it does not keep, or its holder no longer does, from
  /// the archive.
  read_model(caf::actor_system& sys, std::shared_ptr<const protocol::hierarchy> h,
             const city_snapshot* snapshot, std::shared_ptr<case_archive> archive,
             retention_times retain, std::function<protocol::timestamp_ms()> now,
             std::function<void(protocol::case_id, std::shared_ptr<history_question>)> ask_holder);
  ~read_model();
  read_model(const read_model&) = delete;
  read_model& operator=(const read_model&) = delete;

  /// What the bus hands every event to (bus::set_tap).
  std::shared_ptr<event_tap> tap() const { return tap_; }

  /// Answers query `id` from `who` to `reply_to`: one `result`, or an `error` (forbidden,
  /// unknown_case, unknown_unit, invalid_argument). Never blocks.
  void ask(bus& events, const principal& who, std::uint64_t id, protocol::query q,
           sink_ptr reply_to) const;

  /// What case `c` counts in the figures, per unit it counted at (not its ancestors) and day,
  /// each count times `sign`: the read side's own counting of its steps (case_move::figures).
  static std::vector<figure_count> figures_of(const std::shared_ptr<const protocol::hierarchy>& h,
                                              const case_record& c, int sign);

  struct shared; // the hierarchy, the shard of every unit, the clock
  /// The shards' actors (each a caf::stateful_actor<read_side::shard_state>), for tests that
  /// look at what a shard keeps.
  const std::vector<caf::actor>& shards() const { return shards_; }

private:
  std::shared_ptr<const shared> shared_;
  std::vector<caf::actor> shards_;
  std::vector<std::shared_ptr<read_side::shard_feed>> feeds_; // per shard: events, query cuts
  std::shared_ptr<event_tap> tap_;
};

} // namespace hub::actors
