#pragma once

// What a unit actor starts from when the city is recovered from a store: the records it held
// when the hub stopped, grouped by unit (persistence/ builds it; the units adopt it in init).

#include "actors/journal.hpp"

#include <memory>
#include <vector>

namespace hub::actors {

/// A directive addressed to this unit's recipients, with their answers so far.
struct received_restore {
  directive_ptr info;
  std::vector<std::pair<recipient, protocol::directive_action>> progress;
};

/// A directive this unit issued, with every recipient's answer so far.
struct issued_restore {
  directive_record directive;
  std::vector<std::pair<recipient, protocol::directive_action>> progress;
};

struct unit_restore {
  std::vector<case_record> cases;                                       // held here
  std::vector<std::pair<protocol::case_id, protocol::unit_code>> moved; // made here, held there
  std::vector<task_record> tasks;                                       // a department's open tasks
  std::vector<issued_restore> issued;
  std::vector<received_restore> received;
  unit_record own; // version 0: nothing stored
};

/// A client's request and the reply it got (for retries after a restart).
struct remembered_request {
  request_key key;
  protocol::server_message reply;
};

struct city_snapshot {
  std::vector<unit_restore> units;          // indexed like hierarchy::units
  std::uint64_t last_seq = 0;               // the event sequence continues after it
  std::vector<stored_event> events;         // the latest events, oldest first (resume)
  std::vector<remembered_request> requests; // the latest answered requests, oldest first
};

} // namespace hub::actors
