#pragma once

// The stored form of the journal's records (actors/journal.hpp): which Redis hash and field
// each lives in, its version, and its value — 16 hex digits of the version followed by the
// record as a MessagePack array. The key layout is in README.md.
//
// Decoding checks every type and size and throws corrupt_record, which recovery reports with
// the key and field at fault.

#include "actors/journal.hpp"
#include "actors/restore.hpp"
#include "protocol/hierarchy.hpp"

#include <array>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hub::persistence {

struct corrupt_record : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Where a record is stored and the version a newer write must not go below.
struct record_place {
  std::string key;
  std::string field;
  std::uint64_t version = 0;
};

record_place place_of(const actors::record& r);

/// Appends the writes of `r` to `out` as (key, field, value) triples, in order; an empty value
/// deletes the field, and an empty field and value the whole key (batch_script.hpp). Every
/// record is one write, but a case_move, which is two (its copy in the hash it leaves deleted,
/// its value in the one it goes to), and a directive_archive, three (its hot field and its
/// receipts' hash deleted, its archived form written).
void prepare_writes(const actors::record& r, std::vector<std::string>& out);

/// The stored value of `r` at `version`.
std::string encode_value(const actors::record& r, std::uint64_t version);

/// The version at the head of a stored value (throws corrupt_record when there is none).
std::uint64_t version_of(std::string_view value);

actors::case_record decode_case(std::string_view value);
actors::task_record decode_task(std::string_view value);
actors::directive_record decode_directive(std::string_view value);
actors::receipt_record decode_receipt(std::string_view value);
actors::unit_record decode_unit(std::string_view value);
/// An archived directive: the directive and the receipts stored with it.
actors::directive_archive decode_archived_directive(std::string_view value);

// -- the streams' entries ------------------------------------------------------------------------
// Each entry of hub:events (hub:requests) packs the events (answered requests) of one batch:
// MessagePack arrays one after another, [seq, unit, reach, message] ([number, person, id,
// digest, reply]), the message in the protocol's own encoding.

void append_event(std::string& packed, std::uint64_t seq, protocol::unit_code unit,
                  actors::reach to, const protocol::server_message& event);
void append_request(std::string& packed, std::uint64_t number, const actors::request_key& key,
                    const protocol::server_message& reply);

/// Calls `each` for every event (request) packed in `packed`; throws corrupt_record.
void read_events(std::string_view packed, const std::function<void(actors::stored_event)>& each);
void read_requests(std::string_view packed,
                   const std::function<void(std::uint64_t, actors::remembered_request)>& each);

// -- the archived cases' figures -------------------------------------------------------------
/// A unit's counters on a day (or in a month), in flows::operator[]'s order; negative while a
/// batch is summed (a case taken off).
using figure_counts = std::array<std::int64_t, actors::flows::count>;
/// "n0,n1,...": decimal, comma-separated, trailing zeros left out ("" when all are 0): cheap
/// to add to in Lua and to parse here.
std::string pack_counts(const figure_counts& c);
/// Adds the packed `counts` to `into`; false (nothing guaranteed of `into`) when `counts` is
/// not such a list: more than 11 numbers, or one that is not a decimal integer.
bool add_counts(std::string_view counts, figure_counts& into);

// -- keys -------------------------------------------------------------------------------------
namespace keys {
inline const std::string meta = "hub:meta";   // hash: hierarchy, writer, seq, requests, batch
inline const std::string units = "hub:units"; // hash: unit code -> unit_record
/// Streams of one entry per batch, field m: the packed events (id <last seq>-0) and the
/// packed answered requests (see above).
inline const std::string events = "hub:events";
inline const std::string requests = "hub:requests";
/// Cases live in `case_buckets` hashes by id (case id -> case_record): a batch writes each
/// bucket with one HSET of many fields, and recovery reads a few large hashes.
constexpr std::uint32_t case_buckets = 64;
std::string case_bucket(std::uint32_t bucket); // "hub:cases:<bucket>"
std::string case_hash(protocol::case_id id);   // the bucket holding case `id`
/// Ended cases let go of (actors/archive.hpp), in buckets like the hot ones, never read by
/// recovery: "hub:archive:cases:<bucket>", case id -> case_record.
std::string archive_bucket(std::uint32_t bucket);
std::string archive_hash(protocol::case_id id);
/// Directives let go of, with every answer given (actors::directive_archive), by id in 64
/// buckets: "hub:archive:directives:<bucket>", directive id -> the archived directive.
std::string archive_directives(protocol::directive_id id);
/// The directives archived at their deadline whose answers are still in their receipts' hash
/// (actors::directive_archive::receipts_stay): directive id -> its deadline, decimal; read by
/// recovery, so that their issuers fold the answers in when the retention runs out.
inline const std::string unfolded = "hub:archive:unfolded";
/// What the archived cases count in the figures (actors::case_move::figures): one hash per
/// day, "hub:figures:day:<day>", and per folded month, "hub:figures:month:<its first day>",
/// field "<unit index>" -> the unit's 11 counters packed (pack_counts); the days and months
/// held are listed in two sorted sets (score: the day), so that recovery reads them without
/// scanning the keyspace: `figure_days` (member "<day>:<first day of its month>") and
/// `figure_months` (member "<first day>"). hub:meta `folded`: the days before it are folded
/// into their months (a count for such a day is added to its month). Written only by the
/// batch script (batch_script.hpp), which adds, never sets.
inline const std::string figure_days = "hub:figures:days";
inline const std::string figure_months = "hub:figures:months";
std::string figure_day(std::int32_t day);     // "hub:figures:day:<day>"
std::string figure_month(std::int32_t first); // "hub:figures:month:<first day of the month>"
inline const std::string figures_prefix = "hub:figures:";
/// Not a Redis key: in a commit's prepared writes, the day the store may fold up to (the
/// value; the field is empty), the batch's largest going to the script.
inline const std::string figure_fold = "hub:figures:fold";
/// The layout written before the counts were packed (read and converted by recovery):
/// "hub:figures:<unit index % 16>", field "<unit index>:<day>:<counter>" -> a count.
constexpr std::uint32_t legacy_figure_buckets = 16;
std::string legacy_figure_bucket(std::uint32_t bucket);
std::string tasks(protocol::unit_code department);  // hash: case id -> task_record
std::string directives(protocol::unit_code issuer); // hash: directive id -> directive_record
std::string receipts(protocol::directive_id id);    // hash: "unit:person" -> receipt_record
} // namespace keys

/// A fingerprint of the hierarchy's shape (units, parents, kinds, categories): the store
/// refuses a hub started with another hierarchy, whose indexes would not match.
std::string fingerprint(const protocol::hierarchy& h);

} // namespace hub::persistence
