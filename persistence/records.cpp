#include "persistence/records.hpp"

#include "protocol/codec.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>

namespace hub::persistence {

using actors::case_record;
using actors::directive_record;
using actors::receipt_record;
using actors::task_record;
using actors::unit_record;

namespace keys {
std::string case_bucket(std::uint32_t b) { return "hub:cases:" + std::to_string(b); }
std::string case_hash(protocol::case_id id) {
  return case_bucket(static_cast<std::uint32_t>(id % case_buckets));
}
std::string archive_bucket(std::uint32_t b) { return "hub:archive:cases:" + std::to_string(b); }
std::string archive_hash(protocol::case_id id) {
  return archive_bucket(static_cast<std::uint32_t>(id % case_buckets));
}
std::string archive_directives(protocol::directive_id id) {
  return "hub:archive:directives:" + std::to_string(id % case_buckets);
}
std::string figure_day(std::int32_t day) { return "hub:figures:day:" + std::to_string(day); }
std::string figure_month(std::int32_t first) {
  return "hub:figures:month:" + std::to_string(first);
}
std::string legacy_figure_bucket(std::uint32_t b) { return figures_prefix + std::to_string(b); }
std::string tasks(protocol::unit_code d) { return "hub:tasks:" + std::to_string(d); }
std::string directives(protocol::unit_code i) { return "hub:directives:" + std::to_string(i); }
std::string receipts(protocol::directive_id id) { return "hub:receipts:" + std::to_string(id); }
} // namespace keys

std::string fingerprint(const protocol::hierarchy& h) {
  std::uint64_t f = 0xcbf29ce484222325ull; // FNV-1a over the shape
  auto mix = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      f ^= (v >> (8 * i)) & 0xff;
      f *= 0x100000001b3ull;
    }
  };
  mix(h.units.size());
  for (auto& u : h.units) {
    mix(u.code);
    mix(u.parent);
    mix(static_cast<std::uint64_t>(u.kind));
  }
  mix(h.categories.size());
  for (auto& c : h.categories)
    for (char ch : c.code)
      mix(static_cast<unsigned char>(ch));
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(f));
  return out;
}

record_place place_of(const actors::record& r) {
  return std::visit(
      [&](const auto& x) -> record_place {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, case_record>) {
          return {keys::case_hash(x.id), std::to_string(x.id), x.history.size()};
        } else if constexpr (std::is_same_v<T, actors::directive_archive>) {
          return {keys::archive_directives(x.info->id), std::to_string(x.info->id), 1};
        } else if constexpr (std::is_same_v<T, actors::case_move>) {
          return {x.to_archive ? keys::archive_hash(x.c.id) : keys::case_hash(x.c.id),
                  std::to_string(x.c.id), x.c.history.size()};
        } else if constexpr (std::is_same_v<T, task_record>) {
          // Stage, then reminders, then rated: each step of a task raises its version.
          auto v = (static_cast<std::uint64_t>(x.task.task.at) << 8) + x.task.reminders +
                   (x.task.task.score != 0 ? 1u << 16 : 0u);
          return {keys::tasks(x.department), std::to_string(x.id), v};
        } else if constexpr (std::is_same_v<T, directive_record>) {
          return {keys::directives(x.info->issuer_unit), std::to_string(x.info->id),
                  x.reminded ? 2u : 1u};
        } else if constexpr (std::is_same_v<T, receipt_record>) {
          return {keys::receipts(x.id),
                  std::to_string(x.who.unit) + ":" + std::to_string(x.who.person),
                  static_cast<std::uint64_t>(x.action)};
        } else {
          return {keys::units, std::to_string(x.unit), x.version};
        }
      },
      r);
}

void prepare_writes(const actors::record& r, std::vector<std::string>& out) {
  auto place = place_of(r);
  if (const auto* move = std::get_if<actors::case_move>(&r)) {
    // Deleted where it leaves, written where it goes, in the same batch (one Lua call).
    out.push_back(move->to_archive ? keys::case_hash(move->c.id) : keys::archive_hash(move->c.id));
    out.push_back(place.field);
    out.emplace_back();
    out.push_back(std::move(place.key));
    out.push_back(std::move(place.field));
    out.push_back(encode_value(move->c, place.version));
    // Added to, not set (the batch script), one write per unit and day with every counter.
    std::vector<std::pair<std::pair<std::int32_t, std::uint32_t>, figure_counts>> sums;
    std::int32_t newest = std::numeric_limits<std::int32_t>::min();
    for (const auto& f : move->figures) {
      auto at = std::find_if(sums.begin(), sums.end(), [&](const auto& s) {
        return s.first == std::pair{f.day, f.unit};
      });
      if (at == sums.end())
        at = sums.insert(sums.end(), {{f.day, f.unit}, figure_counts{}});
      at->second[f.k % actors::flows::count] += f.n;
      newest = std::max(newest, f.day);
    }
    for (const auto& [where, counts] : sums) {
      out.push_back(keys::figure_day(where.first));
      out.push_back(std::to_string(where.second));
      out.push_back(pack_counts(counts));
    }
    if (!sums.empty()) { // the read side folds as far once it counted these days
      out.push_back(keys::figure_fold);
      out.emplace_back();
      out.push_back(std::to_string(actors::period_book::cut_for(newest, move->figure_days)));
    }
    return;
  }
  if (const auto* t = std::get_if<task_record>(&r); t != nullptr && t->over) {
    out.push_back(std::move(place.key)); // deleted: a task over is never read again
    out.push_back(std::move(place.field));
    out.emplace_back();
    return;
  }
  if (const auto* gone = std::get_if<actors::directive_archive>(&r)) {
    out.push_back(keys::directives(gone->info->issuer_unit));
    out.push_back(place.field);
    out.emplace_back();
    out.push_back(keys::unfolded); // listed while its answers are in the receipts' hash
    out.push_back(place.field);
    out.push_back(gone->receipts_stay ? std::to_string(gone->info->what.deadline) : std::string());
    if (!gone->receipts_stay) {
      out.push_back(keys::receipts(gone->info->id)); // the whole hash
      out.emplace_back();
      out.emplace_back();
    }
  }
  out.push_back(std::move(place.key));
  out.push_back(std::move(place.field));
  out.push_back(encode_value(r, place.version));
}

std::string pack_counts(const figure_counts& c) {
  std::size_t last = c.size();
  while (last > 0 && c[last - 1] == 0)
    --last;
  std::string out;
  for (std::size_t k = 0; k < last; ++k) {
    if (k > 0)
      out.push_back(',');
    out += std::to_string(c[k]);
  }
  return out;
}

bool add_counts(std::string_view counts, figure_counts& into) {
  std::size_t k = 0;
  const char* p = counts.data();
  const char* const end = p + counts.size();
  while (p < end) {
    std::int64_t v = 0;
    auto [next, ec] = std::from_chars(p, end, v);
    if (ec != std::errc{} || k >= into.size() || (next != end && *next != ','))
      return false;
    into[k++] += v;
    p = next == end ? end : next + 1;
    if (p == end && next != end) // a trailing comma
      return false;
  }
  return true;
}

// -- encoding ---------------------------------------------------------------------------------

namespace {

/// Packs straight into the stored string (msgpack's sbuffer starts at 8 KiB: one per record
/// would be one large allocation per record).
struct string_buffer {
  std::string& out;
  void write(const char* data, std::size_t n) { out.append(data, n); }
};
using packer = msgpack::packer<string_buffer>;

template <class E>
std::uint64_t raw(E e) {
  return static_cast<std::uint64_t>(e);
}

void pack_figures(packer& p, const protocol::unit_figures& f) {
  p.pack_array(15);
  for (auto v : {f.open, f.yellow, f.red, f.reported, f.responded, f.resolved, f.rated, f.satisfied,
                 f.closed_at[0], f.closed_at[1], f.closed_at[2], f.closed_at[3], f.directives,
                 f.directives_signed, f.directives_done})
    p.pack(v);
}

void pack(packer& p, const case_record& c) {
  p.pack_array(22);
  p.pack(c.id), p.pack(c.origin), p.pack(c.holder), p.pack(c.sender);
  p.pack(raw(c.state)), p.pack(raw(c.level)), p.pack(c.category), p.pack(raw(c.urgency));
  p.pack(unsigned{c.hotline} | unsigned{c.reopened} << 1 | unsigned{c.responded} << 2 |
         unsigned{c.supervised} << 3);
  p.pack(raw(c.colour)), p.pack(c.clock_start), p.pack(c.deadline);
  p.pack(c.proposed);
  p.pack_array(static_cast<std::uint32_t>(c.whistle.size()));
  for (auto& w : c.whistle) {
    p.pack_array(3);
    p.pack(w.department), p.pack(raw(w.at)), p.pack(w.score);
  }
  p.pack(c.title), p.pack(c.description), p.pack(c.address), p.pack(c.external_id);
  p.pack(c.lat), p.pack(c.lon);
  p.pack_array(static_cast<std::uint32_t>(c.history.size()));
  for (auto& e : c.history) {
    p.pack_array(10);
    p.pack(e.at), p.pack(raw(e.action)), p.pack(raw(e.state)), p.pack(e.unit), p.pack(e.by);
    p.pack(e.note);
    p.pack(e.from_unit), p.pack(e.departments), p.pack(e.score), p.pack(e.duplicate_of);
  }
  p.pack(c.next_check);
}

void pack(packer& p, const task_record& t) {
  p.pack_array(10);
  p.pack(t.id), p.pack(t.department), p.pack(t.task.township), p.pack(raw(t.task.task.at));
  p.pack(t.task.task.score), p.pack(t.task.category), p.pack(raw(t.task.urgency));
  p.pack(t.task.summoned_at), p.pack(t.task.reminders), p.pack(t.task.next_check);
}

void pack(packer& p, const directive_record& d) {
  p.pack_array(6);
  p.pack(d.info->id), p.pack(d.info->issuer_unit), p.pack(d.info->issuer);
  p.pack(d.info->issued_at);
  auto what = protocol::encode(protocol::client_message{1, d.info->what});
  p.pack_bin(static_cast<std::uint32_t>(what.size()));
  p.pack_bin_body(what.data(), static_cast<std::uint32_t>(what.size()));
  p.pack(d.reminded);
}

void pack(packer& p, const receipt_record& r) {
  p.pack_array(4);
  p.pack(r.id), p.pack(r.who.unit), p.pack(r.who.person), p.pack(raw(r.action));
}

void pack(packer& p, const actors::directive_archive& d) {
  p.pack_array(2);
  pack(p, directive_record{d.info, d.reminded});
  p.pack_array(static_cast<std::uint32_t>(d.answers.size()));
  for (const auto& a : d.answers) {
    p.pack_array(3);
    p.pack(a.who.unit), p.pack(a.who.person), p.pack(raw(a.action));
  }
}

void pack(packer& p, const unit_record& u) {
  p.pack_array(5);
  p.pack(u.unit), p.pack(u.version), p.pack(u.next_id), p.pack(u.score_sum);
  pack_figures(p, u.counters);
}

} // namespace

std::string encode_value(const actors::record& r, std::uint64_t version) {
  std::string out;
  out.reserve(256);
  out.resize(16);
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i)
    out[15 - i] = hex[(version >> (4 * i)) & 15];
  string_buffer buf{out};
  packer p{buf};
  std::visit(
      [&](const auto& x) {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, actors::case_move>)
          pack(p, x.c); // archived in the hot form: one decoder for both
        else
          pack(p, x);
      },
      r);
  return out;
}

// -- decoding ---------------------------------------------------------------------------------

std::uint64_t version_of(std::string_view value) {
  if (value.size() < 16)
    throw corrupt_record("a stored value is shorter than its version");
  std::uint64_t v = 0;
  for (char ch : value.substr(0, 16)) {
    int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
    if (d < 0)
      throw corrupt_record("a stored value's version is not hexadecimal");
    v = v << 4 | static_cast<unsigned>(d);
  }
  return v;
}

namespace {

/// Reads the fields of one MessagePack array in order, checking each.
class fields {
public:
  fields(const msgpack::object& o, std::uint32_t n, const char* what)
    : what_(what) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != n)
      fail("is not an array of " + std::to_string(n));
    arr_ = o.via.array;
  }
  template <class T>
  T next() {
    const auto& o = item();
    try {
      return o.as<T>();
    } catch (const std::exception&) {
      fail("field " + std::to_string(i_) + " has the wrong type");
    }
  }
  template <class E>
  E next_enum(std::uint64_t max) {
    auto v = next<std::uint64_t>();
    if (v > max)
      fail("field " + std::to_string(i_) + " is out of range");
    return static_cast<E>(v);
  }
  const msgpack::object& item() {
    if (i_ >= arr_.size)
      fail("is too short");
    return arr_.ptr[i_++];
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw corrupt_record(std::string("a stored ") + what_ + " " + why);
  }

private:
  const char* what_;
  msgpack::object_array arr_{};
  std::uint32_t i_ = 0;
};

msgpack::object_handle unpack_value(std::string_view value) {
  version_of(value);
  try {
    return msgpack::unpack(value.data() + 16, value.size() - 16);
  } catch (const std::exception& e) {
    throw corrupt_record(std::string("a stored value is not MessagePack: ") + e.what());
  }
}

} // namespace

case_record decode_case(std::string_view value) {
  auto h = unpack_value(value);
  fields f{h.get(), 22, "case"};
  using namespace protocol;
  case_record c;
  c.id = f.next<std::uint64_t>();
  c.origin = f.next<unit_code>();
  c.holder = f.next<unit_code>();
  c.sender = f.next<unit_code>();
  c.state = f.next_enum<case_state>(raw(case_state::duplicate));
  c.level = f.next_enum<actors::case_level>(raw(actors::case_level::department));
  c.category = f.next<std::uint16_t>();
  c.urgency = f.next_enum<urgency>(raw(urgency::urgent));
  auto flags = f.next<unsigned>();
  c.hotline = flags & 1, c.reopened = flags & 2, c.responded = flags & 4, c.supervised = flags & 8;
  c.colour = f.next_enum<deadline_colour>(raw(deadline_colour::red));
  c.clock_start = f.next<timestamp_ms>();
  c.deadline = f.next<timestamp_ms>();
  c.proposed = f.next<std::vector<unit_code>>();
  const auto& w = f.item();
  if (w.type != msgpack::type::ARRAY)
    f.fail("whistle is not an array");
  for (std::uint32_t i = 0; i < w.via.array.size; ++i) {
    fields t{w.via.array.ptr[i], 3, "whistle task"};
    actors::whistle_task task;
    task.department = t.next<unit_code>();
    task.at = t.next_enum<actors::whistle_task::stage>(raw(actors::whistle_task::stage::fed_back));
    task.score = t.next<std::uint8_t>();
    c.whistle.push_back(task);
  }
  c.title = f.next<std::string>();
  c.description = f.next<std::string>();
  c.address = f.next<std::string>();
  c.external_id = f.next<std::string>();
  c.lat = f.next<double>();
  c.lon = f.next<double>();
  const auto& hist = f.item();
  if (hist.type != msgpack::type::ARRAY)
    f.fail("history is not an array");
  for (std::uint32_t i = 0; i < hist.via.array.size; ++i) {
    // 6 fields as stored before the read side, 10 since (the step's event's own fields).
    const auto& item = hist.via.array.ptr[i];
    const bool longer = item.type == msgpack::type::ARRAY && item.via.array.size == 10;
    fields e{item, longer ? 10u : 6u, "history entry"};
    actors::history_entry entry;
    entry.at = e.next<timestamp_ms>();
    entry.action = e.next_enum<case_action>(raw(case_action::supervise));
    entry.state = e.next_enum<case_state>(raw(case_state::duplicate));
    entry.unit = e.next<unit_code>();
    entry.by = e.next<person_id>();
    entry.note = e.next<std::string>();
    if (longer) {
      entry.from_unit = e.next<unit_code>();
      entry.departments = e.next<std::vector<unit_code>>();
      entry.score = e.next<std::uint8_t>();
      entry.duplicate_of = e.next<std::uint64_t>();
    }
    c.history.push_back(std::move(entry));
  }
  c.next_check = f.next<timestamp_ms>();
  return c;
}

task_record decode_task(std::string_view value) {
  auto h = unpack_value(value);
  fields f{h.get(), 10, "task"};
  task_record t;
  t.id = f.next<std::uint64_t>();
  t.department = f.next<protocol::unit_code>();
  t.task.township = f.next<protocol::unit_code>();
  t.task.task.department = t.department;
  t.task.task.at =
      f.next_enum<actors::whistle_task::stage>(raw(actors::whistle_task::stage::fed_back));
  t.task.task.score = f.next<std::uint8_t>();
  t.task.category = f.next<std::uint16_t>();
  t.task.urgency = f.next_enum<protocol::urgency>(raw(protocol::urgency::urgent));
  t.task.summoned_at = f.next<protocol::timestamp_ms>();
  t.task.reminders = f.next<std::uint8_t>();
  t.task.next_check = f.next<protocol::timestamp_ms>();
  return t;
}

namespace {

directive_record directive_from(const msgpack::object& o) {
  fields f{o, 6, "directive"};
  auto info = actors::make_directive();
  info->id = f.next<std::uint64_t>();
  info->issuer_unit = f.next<protocol::unit_code>();
  info->issuer = f.next<protocol::person_id>();
  info->issued_at = f.next<protocol::timestamp_ms>();
  const auto& what = f.item();
  if (what.type != msgpack::type::BIN)
    f.fail("content is not binary");
  auto decoded = protocol::decode_client({what.via.bin.ptr, what.via.bin.size});
  auto* msg = std::get_if<protocol::client_message>(&decoded);
  auto* issue = msg ? std::get_if<protocol::directive_issue>(&msg->body) : nullptr;
  if (issue == nullptr)
    f.fail("content is not a directive.issue");
  info->what = std::move(*issue);
  directive_record d;
  d.reminded = f.next<bool>();
  d.info = std::move(info);
  return d;
}

} // namespace

directive_record decode_directive(std::string_view value) {
  auto h = unpack_value(value);
  return directive_from(h.get());
}

actors::directive_archive decode_archived_directive(std::string_view value) {
  auto h = unpack_value(value);
  fields f{h.get(), 2, "archived directive"};
  auto d = directive_from(f.item());
  actors::directive_archive out{d.info, d.reminded, {}};
  const auto& answers = f.item();
  if (answers.type != msgpack::type::ARRAY)
    f.fail("answers are not an array");
  for (std::uint32_t i = 0; i < answers.via.array.size; ++i) {
    fields a{answers.via.array.ptr[i], 3, "answer"};
    receipt_record r;
    r.id = out.info->id;
    r.who.unit = a.next<protocol::unit_code>();
    r.who.person = a.next<protocol::person_id>();
    r.action = a.next_enum<protocol::directive_action>(raw(protocol::directive_action::remind));
    out.answers.push_back(r);
  }
  return out;
}

receipt_record decode_receipt(std::string_view value) {
  auto h = unpack_value(value);
  fields f{h.get(), 4, "receipt"};
  receipt_record r;
  r.id = f.next<std::uint64_t>();
  r.who.unit = f.next<protocol::unit_code>();
  r.who.person = f.next<protocol::person_id>();
  r.action = f.next_enum<protocol::directive_action>(raw(protocol::directive_action::remind));
  return r;
}

unit_record decode_unit(std::string_view value) {
  auto h = unpack_value(value);
  fields f{h.get(), 5, "unit"};
  unit_record u;
  u.unit = f.next<protocol::unit_code>();
  u.version = f.next<std::uint64_t>();
  u.next_id = f.next<std::uint64_t>();
  u.score_sum = f.next<std::uint64_t>();
  auto v = f.next<std::vector<std::uint32_t>>();
  if (v.size() != 15)
    f.fail("counters are not 15 numbers");
  auto& c = u.counters;
  c.open = v[0], c.yellow = v[1], c.red = v[2], c.reported = v[3], c.responded = v[4];
  c.resolved = v[5], c.rated = v[6], c.satisfied = v[7];
  for (int i = 0; i < 4; ++i)
    c.closed_at[i] = v[8 + i];
  c.directives = v[12], c.directives_signed = v[13], c.directives_done = v[14];
  return u;
}

// -- the streams' entries ---------------------------------------------------------------------

namespace {

void pack_message(packer& p, const std::string& encoded) {
  p.pack_bin(static_cast<std::uint32_t>(encoded.size()));
  p.pack_bin_body(encoded.data(), static_cast<std::uint32_t>(encoded.size()));
}

protocol::server_message unpack_message(fields& f) {
  const auto& o = f.item();
  if (o.type != msgpack::type::BIN)
    f.fail("message is not binary");
  auto m = protocol::decode_server({o.via.bin.ptr, o.via.bin.size});
  if (auto* err = std::get_if<protocol::decode_error>(&m))
    f.fail("message cannot be read: " + err->message);
  return std::move(std::get<protocol::server_message>(m));
}

template <class F>
void for_each_packed(std::string_view packed, F&& each) {
  std::size_t offset = 0;
  while (offset < packed.size()) {
    msgpack::object_handle h;
    try {
      h = msgpack::unpack(packed.data(), packed.size(), offset);
    } catch (const std::exception& e) {
      throw corrupt_record(std::string("a stream entry is not MessagePack: ") + e.what());
    }
    each(h.get());
  }
}

} // namespace

void append_event(std::string& packed, std::uint64_t seq, protocol::unit_code unit,
                  actors::reach to, const protocol::server_message& event) {
  string_buffer buf{packed};
  packer p{buf};
  p.pack_array(4);
  p.pack(seq), p.pack(unit), p.pack(raw(to));
  pack_message(p, protocol::encode(event));
}

void append_request(std::string& packed, std::uint64_t number, const actors::request_key& key,
                    const protocol::server_message& reply) {
  string_buffer buf{packed};
  packer p{buf};
  p.pack_array(5);
  p.pack(number), p.pack(key.person), p.pack(key.id), p.pack(std::uint64_t{key.digest});
  pack_message(p, protocol::encode(reply));
}

void read_events(std::string_view packed, const std::function<void(actors::stored_event)>& each) {
  for_each_packed(packed, [&](const msgpack::object& o) {
    fields f{o, 4, "event"};
    actors::stored_event e;
    e.seq = f.next<std::uint64_t>();
    e.unit = f.next<protocol::unit_code>();
    e.to = f.next_enum<actors::reach>(raw(actors::reach::unit_watchers));
    e.message = unpack_message(f);
    each(std::move(e));
  });
}

void read_requests(std::string_view packed,
                   const std::function<void(std::uint64_t, actors::remembered_request)>& each) {
  for_each_packed(packed, [&](const msgpack::object& o) {
    fields f{o, 5, "request"};
    auto number = f.next<std::uint64_t>();
    actors::remembered_request r;
    r.key.person = f.next<protocol::person_id>();
    r.key.id = f.next<std::uint64_t>();
    r.key.digest = static_cast<std::size_t>(f.next<std::uint64_t>());
    r.reply = unpack_message(f);
    each(number, std::move(r));
  });
}

} // namespace hub::persistence
