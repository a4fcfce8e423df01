#include "persistence/event_cursor.hpp"

#include "persistence/records.hpp"

#include <charconv>

namespace hub::persistence {

namespace {

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return n;
}

} // namespace

event_cursor::event_cursor(store_options options, std::string name)
  : options_(std::move(options))
  , key_("hub:cursor:" + std::move(name)) {}

event_cursor::~event_cursor() = default;

redis_connection* event_cursor::connection() {
  if (!conn_ || !conn_->ok())
    conn_ = std::make_unique<redis_connection>(options_.address, options_.timeout);
  return conn_->ok() ? conn_.get() : nullptr;
}

std::optional<std::uint64_t> event_cursor::load() {
  auto* c = connection();
  if (c == nullptr)
    return std::nullopt;
  auto r = c->command({"GET", key_});
  if (!r || r->type == REDIS_REPLY_ERROR)
    return std::nullopt;
  if (r->type == REDIS_REPLY_STRING) {
    if (auto n = number(text_of(r.get())))
      return n;
    throw corrupt_record(key_ + ": not a sequence number");
  }
  // None yet: start at the log's end, and say so in the store (SET NX: a concurrent start
  // that stored one first wins, and is read back).
  auto seq = c->command({"HGET", keys::meta, "seq"});
  if (!seq || seq->type == REDIS_REPLY_ERROR)
    return std::nullopt;
  std::string start = seq->type == REDIS_REPLY_STRING ? std::string(text_of(seq.get())) : "0";
  if (!number(start))
    throw corrupt_record(keys::meta + " field seq: not a number");
  auto set = c->command({"SET", key_, start, "NX"});
  if (!set || set->type == REDIS_REPLY_ERROR)
    return std::nullopt;
  return load();
}

bool event_cursor::save(std::uint64_t seq) {
  auto* c = connection();
  if (c == nullptr)
    return false;
  auto text = std::to_string(seq);
  auto r = c->command({"SET", key_, text});
  return r && r->type != REDIS_REPLY_ERROR;
}

std::optional<event_cursor::batch> event_cursor::read(std::uint64_t after, std::size_t entries) {
  auto* c = connection();
  if (c == nullptr)
    return std::nullopt;
  // An entry's id is the last sequence number of its batch: the first entry holding an event
  // after `after` has an id of at least after + 1.
  auto from = std::to_string(after + 1);
  auto count = std::to_string(entries);
  auto r = c->command({"XRANGE", keys::events, from, "+", "COUNT", count});
  if (!r || r->type != REDIS_REPLY_ARRAY)
    return std::nullopt;
  batch out;
  for (std::size_t i = 0; i < r->elements; ++i) {
    const auto* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[1]->type != REDIS_REPLY_ARRAY)
      throw corrupt_record(keys::events + ": an entry that is not [id, fields]");
    const auto* fields = entry->element[1];
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
      if (text_of(fields->element[f]) == "m")
        read_events(text_of(fields->element[f + 1]), [&](actors::stored_event e) {
          if (e.seq > after)
            out.events.push_back(std::move(e));
        });
  }
  out.gap = !out.events.empty() && out.events.front().seq > after + 1;
  return out;
}

} // namespace hub::persistence
