#pragma once

// The city's live figures (protocol/README.md, "aggregate"): every unit's own counters as its
// actor last reported them, and every unit's subtree total. A report adds the change of one
// unit's own counters to its total and to every ancestor's at once, so a change reaches the
// city in the same pass as it reaches the unit's parent (summing level by level took one
// flush interval per level: about five seconds from a grid to the city). Plain data, owned by
// the flush ticker (ticker.hpp), which collects the reports of one wave and then publishes.

#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"

#include <cstdint>
#include <vector>

namespace hub::actors {

class figure_book {
public:
  explicit figure_book(const protocol::hierarchy& h);

  /// Unit `i` (an index into the hierarchy's units) reports its own counters.
  void report(std::uint32_t i, const protocol::unit_figures& own);

  /// Calls `publish(i, total)` once for every unit whose subtree total a report touched since
  /// the last call, when the total differs from what was last published for it (or nothing
  /// was yet).
  template <class Publish>
  void publish_changed(Publish&& publish) {
    for (auto i : touched_) {
      touched_flag_[i] = false;
      if (ever_published_[i] && total_[i] == published_[i])
        continue;
      ever_published_[i] = true;
      published_[i] = total_[i];
      publish(i, total_[i]);
    }
    touched_.clear();
  }

  /// The subtree total of unit `i`.
  const protocol::unit_figures& total(std::uint32_t i) const { return total_[i]; }

private:
  std::vector<std::uint32_t> parent_; // index of each unit's parent, or no_unit
  std::vector<protocol::unit_figures> own_, total_, published_;
  std::vector<bool> ever_published_, touched_flag_;
  std::vector<std::uint32_t> touched_;
};

} // namespace hub::actors
