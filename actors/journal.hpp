#pragma once

// The journal: where a unit's step becomes durable before anyone hears of it.
//
// Every step a unit actor takes ends in one `commit`: the records the step changed, the event
// it produced and the reply to the client who asked. The journal stores the records (a
// durable journal: in Redis, see persistence/), and only then publishes the event on the bus
// and sends the reply — in commit order, so that "acknowledged" means "stored".
//
// Sequence numbers: the journal is their one owner. A durable journal numbers each event at
// commit, in commit order, stores it with its number and publishes it under that number (the
// bus keeps what it is given); after a restart it continues from the last stored number,
// which recovery also hands the bus. The memory journal stores nothing and publishes at once:
// its commit order is the bus's publish order, so it lets the bus number (bus::publish, seq 0).

#include "actors/bus.hpp"
#include "actors/case_record.hpp"
#include "actors/directive.hpp"
#include "actors/period_book.hpp"

#include <memory>
#include <optional>
#include <variant>
#include <vector>

namespace hub::actors {

/// A department's task, as stored (keyed by case and department).
struct task_record {
  protocol::case_id id = 0;
  protocol::unit_code department = 0;
  department_task task;
  /// The department's part is over (rated, or its case ended unrated): the stored task is
  /// deleted rather than written.
  bool over = false;
};

/// A directive as its issuer keeps it (the recipients follow from its target).
struct directive_record {
  directive_ptr info;
  bool reminded = false; // the laggards were reminded at the deadline
};

/// One recipient's latest answer to a directive.
struct receipt_record {
  protocol::directive_id id = 0;
  recipient who;
  protocol::directive_action action = protocol::directive_action::sign;
};

/// A unit's own counters: what cannot be recounted from the records it holds.
struct unit_record {
  protocol::unit_code unit = 0;
  std::uint64_t version = 0;       // one more each time the unit stores changed counters
  std::uint64_t next_id = 0;       // the sequence part of the last case or directive id it made
  std::uint64_t score_sum = 0;     // a department's sum of 评哨 ratings
  protocol::unit_figures counters; // open, yellow and red are recounted on recovery
};

/// A case moving between the hot keys recovery reads and the archive (persistence/README.md,
/// "Retention and the archive"), in one write so that it is stored exactly once, hot or
/// archived: `to_archive` removes its hot copy and archives `c`; else the archive's copy is
/// removed and `c` stored hot (a case brought back, e.g. reopened).
struct case_move {
  case_record c;
  bool to_archive = true;
  /// What the case counts in the read side's figures (figures_of, read_model.hpp): added to
  /// the archived cases' figures when it moves to the archive, taken off when it comes back,
  /// in the same batch, so that recovery's figures (those, plus the hot cases recounted) count
  /// every case exactly once (persistence/README.md, "hub:figures").
  std::vector<figure_count> figures;
  /// The read side's window (retention_times::figure_days): the store folds the days of its
  /// counts older than it into months as the read side does (persistence/README.md).
  std::int32_t figure_days = period_book::default_keep_days;
};

/// A directive leaving the hot keys for the archive when it ends (its receipts all complete, or
/// its deadline passed): the directive and every answer given, in one value; its hot field is
/// deleted in the same batch, and its receipts' hash too unless `receipts_stay`.
/// `receipts_stay`: ended at its deadline with laggards, who may still answer: the answers stay
/// in the receipts' hash (and `answers` is empty) until the retention folds them into the
/// archived value (written again then, whole, the hash deleted).
struct directive_archive {
  directive_ptr info;
  bool reminded = false;
  std::vector<receipt_record> answers; // the recipients that signed or completed
  bool receipts_stay = false;
};

using record = std::variant<case_record, task_record, directive_record, receipt_record, unit_record,
                            case_move, directive_archive>;

/// A client's request, remembered with its reply so that a retry after a restart is not
/// applied twice.
struct request_key {
  protocol::person_id person = 0; // 0: the step answers no client
  std::uint64_t id = 0;
  std::size_t digest = 0;
};

struct change {
  protocol::unit_code unit = 0; // the unit whose watchers (and ancestors') see the event
  std::uint32_t unit_index = bus::unknown_index; // its index in the hierarchy, when known
  std::optional<protocol::server_message> event;
  std::shared_ptr<const void> facts; // for the read side, beside the event (bus.hpp, event_tap)
  reach to = reach::subtree_watchers;
  std::vector<record> records;
  sink_ptr reply_to;
  /// Sent to reply_to once stored; an ack gets the event's sequence number.
  std::optional<protocol::server_message> reply;
  request_key request;
  /// A durable journal's own encoding of `records`, made on the committing thread (so that
  /// the work spreads over the actor threads rather than the store's one writer).
  std::vector<std::string> prepared;
};

/// Why a durable journal stopped taking writes for good. Either way this process can never
/// store anything again: its clients' writes are refused with `conflict`.
enum class fence : std::uint8_t {
  none,
  superseded, // another hub process took the store over (a newer writer epoch)
  emptied,    // the store lost its data under the running hub (no writer epoch at all)
};

/// One sentence for clients and the log: what happened and what to do.
const char* explain(fence f);

/// How the store behind a journal is doing (for /metrics and /healthz).
struct journal_status {
  bool durable = false;        // records are stored (Redis), not only kept in memory
  bool connected = true;       // the store answers
  bool accepting = true;       // clients' writes are taken (see accepting())
  fence fenced = fence::none;  // set for good once the store refused this hub
  std::size_t pending = 0;     // commits waiting to be stored
  std::uint64_t stored = 0;    // commits stored and delivered
  std::uint64_t failures = 0;  // round trips to the store that failed
  std::uint64_t conflicts = 0; // commits refused: another hub process owns the store
  std::size_t buffer = 0;      // pending commits past which writes are refused (0: none)
};

class journal {
public:
  virtual ~journal() = default;

  virtual journal_status status() const = 0;

  /// True when commits store records: units only build them then.
  virtual bool durable() const = 0;

  /// False while the store is unreachable and the journal's buffer is full: a unit then
  /// refuses a client's request with try_again before changing anything. Also false for good
  /// once fenced: then the refusal is conflict.
  virtual bool accepting() const = 0;

  /// Whether (and why) the store refused this process for good.
  virtual fence fenced() const { return fence::none; }

  /// Stores, then publishes and replies (see above). Never blocks; thread-safe.
  virtual void commit(change c) = 0;
};

/// Publishes and replies at once; stores nothing.
class memory_journal final : public journal {
public:
  explicit memory_journal(std::shared_ptr<bus> events)
    : events_(std::move(events)) {}
  bool durable() const override { return false; }
  bool accepting() const override { return true; }
  journal_status status() const override { return {}; }
  void commit(change c) override;

private:
  std::shared_ptr<bus> events_;
};

/// Publishes `c`'s event under the sequence number it carries (0: the bus's next) and sends
/// its reply (an ack with the event's sequence number): the second half of every commit.
/// Returns the sequence number (0 without an event).
std::uint64_t deliver(bus& events, change& c);

} // namespace hub::actors
