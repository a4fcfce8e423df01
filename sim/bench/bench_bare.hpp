#pragma once

// The baselines: bare CAF actors with no domain logic, to show what the city's logic costs.
//
// bare_tree: one minimal event_based actor per unit of the tree (city, counties, townships,
// villages, grids: same shape and counts as the hierarchy; departments and centres left out,
// since a grid directive never reaches them). A fan-out message goes down level by level; each
// grid either replies a receipt straight to the root at once (auto) or waits for a client's
// sign message (sign), and the root counts receipts up to the number of grids.
//
// bare_pingers: one minimal actor per grid that answers every request straight to a listener.

#include "protocol/hierarchy.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <memory>
#include <vector>

namespace hub::bench {

using bfanout_atom = caf::atom_constant<caf::atom("bfanout")>;
using breceipt_atom = caf::atom_constant<caf::atom("breceipt")>;
using bsign_atom = caf::atom_constant<caf::atom("bsign")>;
using bstep_atom = caf::atom_constant<caf::atom("bstep")>;

/// Called on scheduler threads; must be cheap and thread-safe.
class bare_listener {
public:
  virtual ~bare_listener() = default;
  /// The fan-out reached grid position `grid` (sign mode only).
  virtual void registered(std::uint32_t grid) = 0;
  /// A grid took a client's sign (`grid` is the grid's position).
  virtual void sign_accepted(std::uint32_t grid) = 0;
  /// A client's sign reached a grid before the fan-out did.
  virtual void sign_refused(std::uint32_t grid) = 0;
  /// The root counted every grid's receipt of `round`.
  virtual void tally_done(std::uint64_t round) = 0;
  /// A pinger answered request `request`.
  virtual void pong(std::uint64_t request) = 0;
};

class bare_tree {
public:
  bare_tree(caf::actor_system& sys, const protocol::hierarchy& h, bare_listener* listener);
  ~bare_tree();
  bare_tree(const bare_tree&) = delete;
  bare_tree& operator=(const bare_tree&) = delete;

  /// Starts round `round` (> every earlier round): fan-out from the root; with `auto_receipt`
  /// each grid replies at once, else it waits for sign(grid, round).
  void fanout(std::uint64_t round, bool auto_receipt);
  /// A client signs for grid position `grid` (positions follow the hierarchy's grid order).
  void sign(std::uint32_t grid, std::uint64_t round);

  std::size_t grids() const { return grid_actor_.size(); }
  std::size_t actors() const { return dir_->size(); }

private:
  std::shared_ptr<std::vector<caf::actor>> dir_; // index 0: the root
  std::vector<std::uint32_t> grid_actor_;        // grid position → index into dir_
};

class bare_pingers {
public:
  bare_pingers(caf::actor_system& sys, std::size_t n, bare_listener* listener);
  ~bare_pingers();
  void ping(std::size_t who, std::uint64_t request) {
    caf::anon_send(actors_[who], bstep_atom::value, request);
  }
  std::size_t size() const { return actors_.size(); }

private:
  std::vector<caf::actor> actors_;
};

} // namespace hub::bench
