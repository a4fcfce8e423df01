#include "persistence/recovery.hpp"

#include "actors/unit_actor.hpp"

#include "persistence/records.hpp"
#include "persistence/redis_connection.hpp"
#include "protocol/codec.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <unordered_map>

namespace hub::persistence {

using actors::case_record;
using actors::whistle_task;

namespace {

struct failure {
  std::string why;
};

class loader {
public:
  loader(const protocol::hierarchy& h, const store_options& o, redis_connection& c)
    : h_(h)
    , o_(o)
    , conn_(c) {}

  recovered run();

private:
  /// HGETALL of each key, pipelined; `each(key index, field, value)`.
  template <class F>
  void hashes(const std::vector<std::string>& keys, F&& each);
  /// The entries of stream `key` from id `first` on, oldest first; `each(packed)`.
  template <class F>
  void stream_from(const std::string& key, std::uint64_t first, F&& each);
  reply_ptr must(reply_ptr r, const std::string& what);
  std::uint32_t index_of(protocol::unit_code code, const std::string& where) const;

  const protocol::hierarchy& h_;
  const store_options& o_;
  redis_connection& conn_;
};

reply_ptr loader::must(reply_ptr r, const std::string& what) {
  if (!r)
    throw failure{conn_.error() + " (while reading " + what + ")"};
  if (r->type == REDIS_REPLY_ERROR)
    throw failure{"Redis refused to read " + what + ": " + std::string(text_of(r.get()))};
  return r;
}

std::uint32_t loader::index_of(protocol::unit_code code, const std::string& where) const {
  auto* u = h_.find_unit(code);
  if (u == nullptr)
    throw failure{where + " names unit " + std::to_string(code) + ", which the hierarchy lacks"};
  return static_cast<std::uint32_t>(u - h_.units.data());
}

template <class F>
void loader::hashes(const std::vector<std::string>& keys, F&& each) {
  constexpr std::size_t window = 4096; // commands in flight
  std::size_t sent = 0;
  for (std::size_t got = 0; got < keys.size(); ++got) {
    while (sent < keys.size() && sent < got + window)
      conn_.append({"HGETALL", keys[sent++]});
    auto r = must(conn_.next_reply(), keys[got]);
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
      try {
        each(got, text_of(r->element[i]), text_of(r->element[i + 1]));
      } catch (const corrupt_record& e) {
        throw failure{keys[got] + " field " + std::string(text_of(r->element[i])) + ": " +
                      e.what()};
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

recovered loader::run() {
  auto start = std::chrono::steady_clock::now();
  recovered out;
  out.snapshot = std::make_shared<actors::city_snapshot>();
  auto& snap = *out.snapshot;
  snap.units.resize(h_.units.size());

  // -- the hierarchy this store belongs to --
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

  // -- units' counters --
  hashes({keys::units}, [&](std::size_t, std::string_view, std::string_view value) {
    auto u = decode_unit(value);
    snap.units[index_of(u.unit, keys::units)].own = u;
  });

  // -- department tasks --
  std::vector<std::string> keys;
  std::vector<std::uint32_t> departments;
  for (std::uint32_t i = 0; i < h_.units.size(); ++i)
    if (h_.units[i].kind == protocol::unit_kind::department) {
      keys.push_back(keys::tasks(h_.units[i].code));
      departments.push_back(i);
    }
  // (case, department) -> where the department's stored task is: (unit index, position in its
  // tasks), for reconciling it with the case's whistle entry
  std::map<std::pair<protocol::case_id, protocol::unit_code>, std::pair<std::uint32_t, std::size_t>>
      task_at;
  hashes(keys, [&](std::size_t k, std::string_view, std::string_view value) {
    auto t = decode_task(value);
    if (t.task.task.score != 0)
      return; // rated: the department's part is over
    auto& list = snap.units[departments[k]].tasks;
    task_at[{t.id, t.department}] = {departments[k], list.size()};
    list.push_back(t);
    out.tasks += 1;
  });

  // -- cases, kept by their maker, held by their holder --
  keys.clear();
  for (std::uint32_t b = 0; b < keys::case_buckets; ++b)
    keys.push_back(keys::case_bucket(b));
  hashes(keys, [&](std::size_t bucket, std::string_view, std::string_view value) {
    auto c = decode_case(value);
    auto holder = index_of(c.holder, keys[bucket]);
    auto maker = actors::maker_of(c.id);
    if (maker >= h_.units.size())
      throw failure{keys[bucket] + " holds case " + std::to_string(c.id) +
                    ", made by no unit of the hierarchy"};
    if (holder != maker)
      snap.units[maker].moved.emplace_back(c.id, c.holder);
    out.cases += 1;
    out.open_cases += c.terminal() ? 0 : 1;
    snap.units[holder].cases.push_back(std::move(c));
  });
  // A summoned department's step is stored twice: with the case by its township, then with
  // the department's task (stores written before that order was adopted have it the other way
  // round). A crash between the two leaves one behind, which is made good here: both take the
  // later stage, and the department's figures get what the steps it missed would have counted;
  // a department whose task was never stored gets it rebuilt from the case.
  for (auto& u : snap.units)
    for (auto& c : u.cases) {
      if (c.state != protocol::case_state::whistle_blown)
        continue;
      const auto& l = h_.categories.at(c.category).limits[static_cast<int>(c.urgency)];
      for (auto& w : c.whistle) {
        if (w.score != 0)
          continue;
        actors::task_record* task = nullptr;
        auto& dept = snap.units[index_of(w.department, "a whistle")];
        if (auto t = task_at.find({c.id, w.department}); t != task_at.end()) {
          task = &snap.units[t->second.first].tasks[t->second.second];
        } else {
          actors::task_record made;
          made.id = c.id;
          made.department = w.department;
          made.task.township = c.holder;
          made.task.task = {w.department, whistle_task::stage::summoned, 0};
          made.task.category = c.category;
          made.task.urgency = c.urgency;
          made.task.summoned_at = c.clock_start;
          for (auto& e : c.history)
            if (e.action == protocol::case_action::approve_whistle)
              made.task.summoned_at = e.at;
          made.task.next_check =
              made.task.summoned_at + protocol::timestamp_ms{l.department_sign} * 1000;
          dept.own.counters.reported += 1; // the summons, as on_summons counts it
          dept.tasks.push_back(made);
          task = &dept.tasks.back();
          out.tasks += 1;
        }
        auto& stage = task->task.task.at;
        if (stage < w.at) { // the department's figures, as on_task_update counts them
          auto& f = dept.own.counters;
          if (stage == whistle_task::stage::summoned) {
            const auto due =
                task->task.summoned_at + protocol::timestamp_ms{l.department_sign} * 1000;
            // the department's latest report-in is this whistle's (the case says it took one)
            for (auto e = c.history.rbegin(); e != c.history.rend(); ++e) {
              auto* by = h_.find_person(e->by);
              if (e->action == protocol::case_action::report_in && by != nullptr &&
                  by->unit == w.department) {
                f.responded += e->at <= due ? 1 : 0;
                break;
              }
            }
          }
          if (w.at == whistle_task::stage::fed_back)
            f.resolved += 1;
          stage = w.at;
        }
        w.at = stage;
      }
    }

  // -- directives and their receipts --
  keys.clear();
  for (auto& u : h_.units)
    keys.push_back(keys::directives(u.code));
  std::vector<actors::directive_record> directives;
  hashes(keys, [&](std::size_t, std::string_view, std::string_view value) {
    directives.push_back(decode_directive(value));
  });
  keys.clear();
  for (auto& d : directives)
    keys.push_back(keys::receipts(d.info->id));
  std::vector<std::map<actors::recipient, protocol::directive_action>> answers(directives.size());
  hashes(keys, [&](std::size_t k, std::string_view, std::string_view value) {
    auto r = decode_receipt(value);
    answers[k][r.who] = r.action;
    out.receipts += 1;
  });
  for (std::size_t k = 0; k < directives.size(); ++k) {
    auto& d = directives[k];
    auto issuer = index_of(d.info->issuer_unit, keys::directives(d.info->issuer_unit));
    actors::issued_restore issued{d, {}};
    std::unordered_map<protocol::unit_code, std::size_t> slot; // unit -> its received entry
    for (auto& r : actors::all_recipients(h_, *d.info, d.info->issuer_unit)) {
      auto a = answers[k].find(r);
      auto action = a != answers[k].end() ? a->second : protocol::directive_action::issue;
      issued.progress.emplace_back(r, action);
      auto& received = snap.units[index_of(r.unit, keys[k])].received;
      auto [it, fresh] = slot.try_emplace(r.unit, received.size());
      if (fresh)
        received.push_back({d.info, {}});
      received[it->second].progress.emplace_back(r, action);
    }
    snap.units[issuer].issued.push_back(std::move(issued));
    out.directives += 1;
  }

  // -- the event log's tail (resume) and the sequence --
  auto counter = [&](const char* field) -> std::uint64_t {
    auto r = must(conn_.command({"HGET", keys::meta, field}), keys::meta);
    return r->type == REDIS_REPLY_STRING ? number(text_of(r.get()), keys::meta + " " + field) : 0;
  };
  auto from = [](std::uint64_t last, std::size_t keep) { return last > keep ? last - keep : 0; };
  snap.last_seq = counter("seq");
  const auto first_event = from(snap.last_seq, o_.resume_window) + 1;
  stream_from(keys::events, first_event, [&](std::string_view packed) {
    read_events(packed, [&](actors::stored_event e) {
      if (e.seq >= first_event)
        snap.events.push_back(std::move(e));
    });
  });
  out.events = snap.events.size();

  // -- answered requests (retries after the restart) --
  const auto first_request = from(counter("requests"), o_.request_log) + 1;
  stream_from(keys::requests, first_request, [&](std::string_view packed) {
    read_requests(packed, [&](std::uint64_t n, actors::remembered_request r) {
      if (n >= first_request)
        snap.requests.push_back(std::move(r));
    });
  });
  out.requests = snap.requests.size();
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
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
