#include "actors/journal.hpp"

namespace hub::actors {

std::uint64_t deliver(bus& events, change& c) {
  std::uint64_t seq = 0;
  if (c.event) {
    const auto given = protocol::seq_of(*c.event);
    seq = events.publish(c.unit, std::move(*c.event), c.to, c.unit_index, given);
  }
  if (c.reply) {
    if (auto* a = std::get_if<protocol::ack>(&*c.reply); a != nullptr && seq != 0)
      a->seq = seq;
    reply(c.reply_to, std::move(*c.reply));
  }
  return seq;
}

void memory_journal::commit(change c) { deliver(*events_, c); }

} // namespace hub::actors
