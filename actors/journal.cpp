#include "actors/journal.hpp"

namespace hub::actors {

const char* explain(fence f) {
  switch (f) {
    case fence::none: return "the store takes writes";
    case fence::superseded:
      return "another hub process took over the store, so this one's state is stale and it "
             "stores nothing more: reconnect to the hub that took over";
    case fence::emptied:
      return "the store lost its data (emptied, or restarted without persistence), so this hub "
             "stores nothing more: it must be restarted to recover from what the store holds";
  }
  return "";
}

std::uint64_t deliver(bus& events, change& c) {
  std::uint64_t seq = 0;
  if (c.event) {
    const auto given = protocol::seq_of(*c.event);
    seq =
        events.publish(c.unit, std::move(*c.event), c.to, c.unit_index, given, std::move(c.facts));
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
