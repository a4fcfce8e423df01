#include "persistence/recovery.hpp"

#include "persistence/batch_script.hpp"
#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <charconv>
#include <exception>
#include <limits>
#include <map>
#include <thread>

namespace hub::persistence {

namespace {

struct failure {
  std::string why;
};

/// Reads the store, step by step, and hands every record to the snapshot builder, which
/// knows what they mean (actors/restore.hpp): this side reads and checks records only.
class loader {
public:
  loader(const protocol::hierarchy& h, const store_options& o, redis_connection& c)
    : h_(h)
    , o_(o)
    , conn_(c) {}

  recovered run();

  // -- the figures' steps, which run() has a figures_reader take on a connection of its own --
  /// A store written before the figures were packed: its hub:figures:<bucket> hashes moved
  /// into the day hashes, in pieces (convert_piece).
  void convert_figures();
  /// What the archived cases count in the figures (hub:figures:day:*, hub:figures:month:*).
  void read_figures(actors::city_snapshot& snap, recovered& out);

private:
  // -- the steps of run(), in order --
  /// Checks the hierarchy fingerprint (writes it into an empty store) and takes a new writer
  /// epoch.
  void claim_store(recovered& out);
  void read_units(actors::snapshot_builder& city);
  void read_tasks(actors::snapshot_builder& city);
  void read_cases(actors::snapshot_builder& city);
  void read_directives(actors::snapshot_builder& city);
  /// The directives archived at their deadline with their answers still to fold in.
  void read_unfolded(actors::snapshot_builder& city);
  void convert_piece(const std::string& key, const std::vector<std::string>& fields,
                     const std::vector<std::string>& values);
  /// The event log's tail (for resume) and the last sequence number.
  void read_event_log(actors::city_snapshot& snap);
  /// The request log's tail (answers to retries after the restart).
  void read_request_log(actors::city_snapshot& snap);

  /// HGETALL of each key, at most `window` in flight; `each(key index, field, value)`.
  template <class F>
  void hashes(const std::vector<std::string>& keys, F&& each, std::size_t window = 4096);
  /// The entries of stream `key` from id `first` on, oldest first; `each(packed)`.
  template <class F>
  void stream_from(const std::string& key, std::uint64_t first, F&& each);
  /// A counter of hub:meta (0 when it is not there).
  std::uint64_t meta_counter(const char* field);
  reply_ptr must(reply_ptr r, const std::string& what);

  const protocol::hierarchy& h_;
  const store_options& o_;
  redis_connection& conn_;
};

/// The figures' steps (loader::convert_figures, read_figures) on a connection and a thread of
/// their own, started once the store is claimed. In a store that has run for months the
/// figures are the largest read (a field per unit and day of the figures' window: two million
/// at the full city after a year), so the restart waits for the longer of the two readings
/// rather than their sum. Nothing else writes the store meanwhile: the claim fenced every
/// other writer, and the figures' keys are read by this reader alone.
class figures_reader {
public:
  figures_reader(const protocol::hierarchy& h, const store_options& o)
    : conn_(o.address, o.timeout)
    , thread_([this, &h, &o] { read(h, o); }) {}
  ~figures_reader() {
    if (thread_.joinable())
      thread_.join();
  }
  figures_reader(const figures_reader&) = delete;
  figures_reader& operator=(const figures_reader&) = delete;

  /// Waits for the reading, then moves what it read into `snap` and `out`, or throws what
  /// stopped it (as the loader's own steps do).
  void join_into(actors::city_snapshot& snap, recovered& out) {
    thread_.join();
    if (error_)
      std::rethrow_exception(error_);
    snap.figures_folded_before = part_.figures_folded_before;
    snap.archived_figures = std::move(part_.archived_figures);
    out.figure_counts = counted_.figure_counts;
    out.steps.emplace_back("figures on their own connection", took_);
  }

private:
  void read(const protocol::hierarchy& h, const store_options& o) {
    const auto start = std::chrono::steady_clock::now();
    try {
      if (!conn_.ok())
        throw failure{"cannot reach the store to read the figures: " + conn_.error()};
      loader figures{h, o, conn_};
      figures.convert_figures();
      figures.read_figures(part_, counted_);
    } catch (...) {
      error_ = std::current_exception();
    }
    took_ = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  }

  redis_connection conn_;
  actors::city_snapshot part_;
  recovered counted_;
  std::exception_ptr error_;
  std::chrono::milliseconds took_{0};
  std::thread thread_; // last: starts once the rest is made
};

reply_ptr loader::must(reply_ptr r, const std::string& what) {
  if (!r)
    throw failure{conn_.error() + " (while reading " + what + ")"};
  if (r->type == REDIS_REPLY_ERROR)
    throw failure{"Redis refused to read " + what + ": " + std::string(text_of(r.get()))};
  return r;
}

template <class F>
void loader::hashes(const std::vector<std::string>& keys, F&& each, std::size_t window) {
  std::size_t sent = 0;
  for (std::size_t got = 0; got < keys.size(); ++got) {
    while (sent < keys.size() && sent < got + window)
      conn_.append({"HGETALL", keys[sent++]});
    auto r = must(conn_.next_reply(), keys[got]);
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
      auto at = [&] { return keys[got] + " field " + std::string(text_of(r->element[i])) + ": "; };
      try {
        each(got, text_of(r->element[i]), text_of(r->element[i + 1]));
      } catch (const corrupt_record& e) {
        throw failure{at() + e.what()};
      } catch (const actors::foreign_record& e) {
        throw failure{at() + e.what()};
      }
    }
  }
}

template <class F>
void loader::stream_from(const std::string& key, std::uint64_t first, F&& each) {
  auto r = must(conn_.command({"XRANGE", key, std::to_string(first), "+"}), key);
  for (std::size_t i = 0; i < r->elements; ++i) {
    auto* entry = r->element[i];
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        entry->element[1]->elements != 2 || text_of(entry->element[1]->element[0]) != "m")
      throw failure{key + " holds an entry that is not [id, [m, packed]]"};
    try {
      each(text_of(entry->element[1]->element[1]));
    } catch (const corrupt_record& e) {
      throw failure{key + " entry " + std::string(text_of(entry->element[0])) + ": " + e.what()};
    }
  }
}

std::uint64_t number(std::string_view s, const std::string& what) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size())
    throw failure{what + " is not a number: '" + std::string(s) + "'"};
  return v;
}

std::uint64_t loader::meta_counter(const char* field) {
  auto r = must(conn_.command({"HGET", keys::meta, field}), keys::meta);
  return r->type == REDIS_REPLY_STRING ? number(text_of(r.get()), keys::meta + " " + field) : 0;
}

/// The first of the last `keep` numbers up to `last`.
std::uint64_t first_of_last(std::uint64_t last, std::size_t keep) {
  return (last > keep ? last - keep : 0) + 1;
}

recovered loader::run() {
  auto start = std::chrono::steady_clock::now();
  recovered out;
  out.snapshot = std::make_shared<actors::city_snapshot>();
  actors::snapshot_builder city{h_, *out.snapshot};
  auto lap = start;
  auto timed = [&](const char* what, auto&& step) {
    step();
    auto t = std::chrono::steady_clock::now();
    out.steps.emplace_back(what, std::chrono::duration_cast<std::chrono::milliseconds>(t - lap));
    lap = t;
  };
  timed("claim", [&] { claim_store(out); });
  figures_reader figures{h_, o_};
  timed("units", [&] { read_units(city); });
  timed("tasks", [&] { read_tasks(city); });
  timed("cases", [&] { read_cases(city); });
  timed("directives", [&] {
    read_directives(city);
    read_unfolded(city);
  });
  timed("finish", [&] {
    try {
      city.finish();
    } catch (const actors::foreign_record& e) {
      throw failure{std::string("a stored record does not fit the hierarchy: ") + e.what()};
    }
  });
  timed("events", [&] { read_event_log(*out.snapshot); });
  timed("requests", [&] { read_request_log(*out.snapshot); });
  timed("waiting for the figures", [&] { figures.join_into(*out.snapshot, out); });
  const auto& n = city.counted();
  out.cases = n.cases;
  out.open_cases = n.open_cases;
  out.tasks = n.tasks;
  out.directives = n.directives;
  out.receipts = n.receipts;
  out.events = out.snapshot->events.size();
  out.requests = out.snapshot->requests.size();
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

void loader::claim_store(recovered& out) {
  auto mine = fingerprint(h_);
  auto stored = must(conn_.command({"HGET", keys::meta, "hierarchy"}), keys::meta);
  if (stored->type == REDIS_REPLY_NIL) {
    auto n = must(conn_.command({"EXISTS", keys::units, keys::events}), "the store");
    if (n->integer != 0)
      throw failure{"the store at " + o_.address.to_string() +
                    " holds hub data without a hierarchy fingerprint; clear it first"};
    must(conn_.command({"HSET", keys::meta, "hierarchy", mine}), keys::meta);
    out.fresh = true;
  } else if (text_of(stored.get()) != mine) {
    throw failure{"the store at " + o_.address.to_string() + " holds another hierarchy (" +
                  std::string(text_of(stored.get())) + ", this hub's is " + mine +
                  "): start the hub with the hierarchy file it was made with, or point it at "
                  "another Redis (--redis) or an empty one"};
  }
  // A new writer epoch before reading: from now on, a hub still running on this store cannot
  // write what this one would not see.
  auto epoch = must(conn_.command({"HINCRBY", keys::meta, "writer", "1"}), keys::meta);
  out.epoch = static_cast<std::uint64_t>(epoch->integer);
}

void loader::read_units(actors::snapshot_builder& city) {
  hashes({keys::units}, [&](std::size_t, std::string_view, std::string_view value) {
    city.add(decode_unit(value));
  });
}

void loader::read_tasks(actors::snapshot_builder& city) {
  std::vector<std::string> keys;
  for (auto& u : h_.units)
    if (u.kind == protocol::unit_kind::department)
      keys.push_back(keys::tasks(u.code));
  hashes(keys, [&](std::size_t, std::string_view, std::string_view value) {
    city.add(decode_task(value));
  });
}

void loader::read_cases(actors::snapshot_builder& city) {
  std::vector<std::string> keys;
  for (std::uint32_t b = 0; b < keys::case_buckets; ++b)
    keys.push_back(keys::case_bucket(b));
  hashes(
      keys,
      [&](std::size_t, std::string_view, std::string_view value) { city.add(decode_case(value)); },
      // Two in flight, as the figures: a store holding many open cases (800,000 in 64 buckets)
      // answered 64 pipelined HGETALLs only after the 2 s time-out.
      2);
}

void loader::read_directives(actors::snapshot_builder& city) {
  std::vector<std::string> keys;
  for (auto& u : h_.units)
    keys.push_back(keys::directives(u.code));
  std::vector<actors::directive_record> directives;
  hashes(keys, [&](std::size_t, std::string_view, std::string_view value) {
    directives.push_back(decode_directive(value));
  });
  keys.clear();
  for (auto& d : directives)
    keys.push_back(keys::receipts(d.info->id));
  std::vector<std::vector<actors::receipt_record>> answers(directives.size());
  hashes(keys, [&](std::size_t k, std::string_view, std::string_view value) {
    answers[k].push_back(decode_receipt(value));
  });
  for (std::size_t k = 0; k < directives.size(); ++k) {
    const auto issuer = directives[k].info->issuer_unit;
    const auto id = directives[k].info->id;
    try {
      city.add(std::move(directives[k]), answers[k]);
    } catch (const actors::foreign_record& e) {
      throw failure{keys::directives(issuer) + " field " + std::to_string(id) + ": " + e.what()};
    }
  }
}

void loader::read_unfolded(actors::snapshot_builder& city) {
  hashes({keys::unfolded}, [&](std::size_t, std::string_view field, std::string_view value) {
    const auto what = keys::unfolded + " field " + std::string(field);
    city.add_unfolded(number(field, what),
                      static_cast<protocol::timestamp_ms>(number(value, what)));
  });
}

/// The conversion of one piece of the earlier layout: adds the piece's counts (ARGV from 2 on,
/// as in the batch script) and deletes the fields they came from (ARGV after them), in one
/// call, so that a crash between pieces leaves each field counted once, converted or not.
const std::string convert_script = std::string(figure_functions) + R"lua(
local folded = tonumber(redis.call('HGET', 'hub:meta', 'folded') or '0')
local i = add_groups(ARGV, 2, folded)
local j = i
while j <= #ARGV do
  local m = math.min(#ARGV - j + 1, 1000)
  redis.call('HDEL', ARGV[1], unpack(ARGV, j, j + m - 1))
  j = j + m
end
return 1
)lua";

void loader::convert_piece(const std::string& key, const std::vector<std::string>& fields,
                           const std::vector<std::string>& values) {
  std::map<std::int32_t, std::map<std::uint32_t, figure_counts>> days;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    // "<unit index>:<day>:<counter>" -> count
    std::uint32_t unit = 0, k = 0;
    std::int32_t day = 0;
    std::int64_t n = 0;
    std::string_view rest = fields[f], count = values[f];
    auto parse = [](std::string_view& s, auto& x, bool last) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
      const auto* end = s.data() + s.size();
      const bool ok = ec == std::errc{} && (last ? p == end : p != end && *p == ':');
      s.remove_prefix(ok && !last ? p - s.data() + 1 : 0);
      return ok;
    };
    if (!parse(rest, unit, false) || !parse(rest, day, false) || !parse(rest, k, true) ||
        !parse(count, n, true) || unit >= h_.units.size() || k >= actors::flows::count || n < 0)
      throw failure{key + " field " + fields[f] + ": not a figure count: '" + fields[f] + "' -> '" +
                    values[f] + "'"};
    days[day][unit][k] += n;
  }
  std::vector<std::string> args{"EVAL", convert_script, "0", key, std::to_string(days.size())};
  for (const auto& [day, units] : days) {
    args.push_back(std::to_string(day));
    args.push_back(std::to_string(actors::first_of_month(day)));
    args.push_back(std::to_string(units.size()));
    for (const auto& [unit, counts] : units) {
      args.push_back(std::to_string(unit));
      args.push_back(pack_counts(counts));
    }
  }
  args.insert(args.end(), fields.begin(), fields.end());
  std::vector<std::string_view> argv(args.begin(), args.end());
  must(conn_.command(argv), "the conversion of " + key);
}

void loader::convert_figures() {
  for (std::uint32_t b = 0; b < keys::legacy_figure_buckets; ++b) {
    const auto key = keys::legacy_figure_bucket(b);
    // In pieces of about `piece` fields (HSCAN), each converted and deleted atomically; the
    // fields converted are gone, so a piece never comes back, and the hash goes with its last.
    constexpr const char* piece = "20000";
    std::string cursor = "0";
    while (true) {
      auto r = must(conn_.command({"HSCAN", key, cursor, "COUNT", piece}), key);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
          r->element[1]->type != REDIS_REPLY_ARRAY)
        throw failure{"Redis answered HSCAN of " + key + " with something else than a page"};
      cursor.assign(text_of(r->element[0]));
      std::vector<std::string> fields, values;
      const auto* page = r->element[1];
      for (std::size_t i = 0; i + 1 < page->elements; i += 2) {
        fields.emplace_back(text_of(page->element[i]));
        values.emplace_back(text_of(page->element[i + 1]));
      }
      if (!fields.empty())
        convert_piece(key, fields, values);
      if (cursor == "0")
        break;
    }
  }
}

void loader::read_figures(actors::city_snapshot& snap, recovered& out) {
  snap.figures_folded_before = static_cast<std::int32_t>(meta_counter("folded"));
  // The day and month hashes listed in their sorted sets (a few hundred: one per day kept and
  // per month), each read whole: a day holds the units counting on it, a month every unit
  // that counted in it, at most the hierarchy's size.
  struct piece {
    std::string key;
    std::int32_t day = 0;
  };
  std::vector<piece> pieces;
  for (const auto* index : {&keys::figure_months, &keys::figure_days}) {
    auto r = must(conn_.command({"ZRANGE", *index, "0", "-1"}), *index);
    for (std::size_t i = 0; i < r->elements; ++i) {
      const auto member = text_of(r->element[i]);
      const auto what = *index + " member " + std::string(member);
      const auto day = static_cast<std::int32_t>(number(member.substr(0, member.find(':')), what));
      pieces.push_back(
          {index == &keys::figure_days ? keys::figure_day(day) : keys::figure_month(day), day});
    }
  }
  std::vector<std::string> names;
  for (const auto& p : pieces)
    names.push_back(p.key);
  hashes(
      names,
      [&](std::size_t k, std::string_view field, std::string_view value) {
        actors::figure_day f;
        f.day = pieces[k].day;
        figure_counts counts{};
        auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), f.unit);
        if (ec != std::errc{} || end != field.data() + field.size() || f.unit >= h_.units.size() ||
            !add_counts(value, counts) || std::any_of(counts.begin(), counts.end(), [](auto n) {
              return n < 0 || n > std::numeric_limits<std::uint32_t>::max();
            }))
          throw corrupt_record("not a unit's figure counts: '" + std::string(field) + "' -> '" +
                               std::string(value) + "'");
        for (std::size_t c = 0; c < counts.size(); ++c)
          f.f[c] = static_cast<std::uint32_t>(counts[c]);
        snap.archived_figures.push_back(f);
        ++out.figure_counts;
      },
      // Two in flight: Redis makes the next reply while this one is decoded, and no reply
      // waits behind many (Redis answers a pipeline's commands together).
      2);
}

void loader::read_event_log(actors::city_snapshot& snap) {
  snap.last_seq = meta_counter("seq");
  const auto first = first_of_last(snap.last_seq, o_.resume_window);
  stream_from(keys::events, first, [&](std::string_view packed) {
    read_events(packed, [&](actors::stored_event e) {
      if (e.seq >= first)
        snap.events.push_back(std::move(e));
    });
  });
}

void loader::read_request_log(actors::city_snapshot& snap) {
  const auto first = first_of_last(meta_counter("requests"), o_.request_log);
  stream_from(keys::requests, first, [&](std::string_view packed) {
    read_requests(packed, [&](std::uint64_t n, actors::remembered_request r) {
      if (n >= first)
        snap.requests.push_back(std::move(r));
    });
  });
}

} // namespace

std::variant<recovered, std::string> recover(const protocol::hierarchy& h,
                                             const store_options& options) {
  redis_connection conn{options.address, options.timeout};
  if (!conn.ok())
    return "cannot reach the store: " + conn.error() +
           " (start redis-server there, or point the hub at another with --redis)";
  try {
    return loader{h, options, conn}.run();
  } catch (const failure& f) {
    return f.why;
  } catch (const corrupt_record& e) {
    return std::string("the store holds a corrupt record: ") + e.what();
  }
}

} // namespace hub::persistence
