#include "protocol/detail/reader.hpp"

#include <cassert>
#include <charconv>
#include <cmath>

namespace hub::protocol::detail {

namespace {

using msgpack::type::object_type;

/// Length of the well-formed UTF-8 sequence starting at `s[i]`, or 0 when there is none.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80)
    return 1;
  std::size_t len = 0;
  char32_t cp = 0;
  char32_t min = 0; // the smallest code point this length may carry (no overlong forms)
  if ((lead & 0xE0) == 0xC0) {
    len = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return 0; // a continuation byte or 0xF8..0xFF
  }
  if (s.size() - i < len)
    return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

std::string number_text(double value) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, res.ptr);
}

std::string_view key_of(const msgpack::object_kv& kv) {
  return {kv.key.via.str.ptr, kv.key.via.str.size};
}

} // namespace

// -- helpers ------------------------------------------------------------------------------------

bool valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const std::size_t len = utf8_sequence(bytes, i);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

std::string printable(std::string_view bytes) {
  constexpr std::size_t max_bytes = 40;
  std::string out;
  std::size_t i = 0;
  while (i < bytes.size() && i < max_bytes) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const std::size_t len = utf8_sequence(bytes, i);
    if (len == 0 || c < 0x20 || c == 0x7F) {
      constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      ++i;
    } else {
      out.append(bytes.substr(i, len));
      i += len;
    }
  }
  if (i < bytes.size())
    out += "...";
  return out;
}

std::string_view type_name(const msgpack::object& obj) {
  switch (obj.type) {
    case object_type::NIL: return "nil";
    case object_type::BOOLEAN: return "a boolean";
    case object_type::POSITIVE_INTEGER: return "an unsigned integer";
    case object_type::NEGATIVE_INTEGER: return "a negative integer";
    case object_type::FLOAT32:
    case object_type::FLOAT64: return "a floating-point number";
    case object_type::STR: return "a string";
    case object_type::BIN: return "binary data";
    case object_type::ARRAY: return "an array";
    case object_type::MAP: return "a map";
    case object_type::EXT: return "an extension value";
  }
  return "an unknown value";
}

void read_state::fail(errc code, std::string field, std::string message) {
  if (failed)
    return;
  failed = true;
  error.code = code; // error.id was set by read_header and stays
  error.field = std::move(field);
  error.message = std::move(message);
}

// -- the header ---------------------------------------------------------------------------------

std::uint64_t recover_id(const msgpack::object& obj) {
  if (obj.type != object_type::MAP)
    return 0;
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
    const msgpack::object_kv& kv = obj.via.map.ptr[i];
    if (kv.key.type == object_type::STR && key_of(kv) == "id")
      return kv.val.type == object_type::POSITIVE_INTEGER ? kv.val.via.u64 : 0;
  }
  return 0;
}

header read_header(read_state& state, const msgpack::object& obj,
                   std::span<const std::string_view> type_names) {
  header h;
  if (obj.type != object_type::MAP) {
    state.fail(errc::not_a_map, "", "a message must be a map, got " + std::string(type_name(obj)));
    return h;
  }
  h.id = recover_id(obj);
  state.error.id = h.id;

  // The first "t"; a second one is the map_reader's to refuse (malformed).
  const msgpack::object* type = nullptr;
  for (std::uint32_t i = 0; i < obj.via.map.size && type == nullptr; ++i) {
    const msgpack::object_kv& kv = obj.via.map.ptr[i];
    if (kv.key.type == object_type::STR && key_of(kv) == "t")
      type = &kv.val;
  }
  if (type == nullptr) {
    state.fail(errc::missing_field, "t", "field 't' (the message type) is required");
  } else if (type->type != object_type::STR) {
    state.fail(errc::wrong_type, "t",
               "field 't': expected a string, got " + std::string(type_name(*type)));
  } else {
    const std::string_view name(type->via.str.ptr, type->via.str.size);
    for (h.type = 0; h.type < type_names.size(); ++h.type)
      if (type_names[h.type] == name)
        return h;
    state.fail(errc::unknown_type, "t", "unknown message type '" + printable(name) + "'");
  }
  return h;
}

// -- map_reader: keys ---------------------------------------------------------------------------

map_reader::map_reader(read_state& state, const msgpack::object& obj, std::string path,
                       std::string_view what, key_table keys)
  : state_(state)
  , path_(std::move(path))
  , keys_(keys) {
  assert(keys_.size() <= values_.size());
  if (!ok())
    return;
  if (obj.type != object_type::MAP) {
    state_.fail(errc::wrong_type, path_,
                "field '" + path_ + "': expected a map, got " + std::string(type_name(obj)));
    return;
  }
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
    const msgpack::object_kv& kv = obj.via.map.ptr[i];
    if (kv.key.type != object_type::STR) {
      state_.fail(errc::wrong_type, path_,
                  "keys of " + std::string(what) + " must be strings, got " +
                      std::string(type_name(kv.key)));
      return;
    }
    const std::string_view key = key_of(kv);
    std::size_t slot = 0;
    while (slot < keys_.size() && keys_[slot] != key)
      ++slot;
    if (slot == keys_.size()) {
      // Named by its path, as every other field is: 'target.extra', not 'extra'.
      const std::string path = path_of(printable(key));
      state_.fail(errc::unknown_field, path,
                  "unknown field '" + path + "' in " + std::string(what));
      return;
    }
    if (values_[slot] != nullptr) {
      state_.fail(errc::malformed, path_of(key), "field '" + path_of(key) + "' appears twice");
      return;
    }
    values_[slot] = &kv.val;
  }
}

std::size_t map_reader::slot_of(std::string_view key) const {
  std::size_t slot = 0;
  while (slot < keys_.size() && keys_[slot] != key)
    ++slot;
  assert(slot < keys_.size() && "a message reader asked for a key missing from its table");
  return slot;
}

const msgpack::object* map_reader::find(std::string_view key) const {
  const std::size_t slot = slot_of(key);
  return slot < keys_.size() ? values_[slot] : nullptr;
}

const msgpack::object* map_reader::get(std::string_view key, presence p) {
  if (!ok())
    return nullptr;
  const msgpack::object* value = find(key);
  if (value == nullptr && p == presence::required)
    state_.fail(errc::missing_field, path_of(key), "field '" + path_of(key) + "' is required");
  return value;
}

std::optional<map_reader> map_reader::nested(std::string_view key, presence p,
                                             std::string_view what, key_table keys) {
  const msgpack::object* value = get(key, p);
  if (value == nullptr)
    return std::nullopt;
  return map_reader(state_, *value, path_of(key), what, keys);
}

std::string map_reader::path_of(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void map_reader::fail(errc code, std::string_view key, std::string message) {
  const std::string path = path_of(key);
  state_.fail(code, path, "field '" + path + "': " + message);
}

void map_reader::check_rule(std::span<const std::string_view> keys, unsigned required,
                            unsigned allowed, std::string_view context) {
  for (std::size_t i = 0; i < keys.size() && ok(); ++i) {
    const unsigned bit = 1u << i;
    const bool present = has(keys[i]);
    if ((required & bit) != 0 && !present)
      state_.fail(errc::missing_field, path_of(keys[i]),
                  "field '" + path_of(keys[i]) + "' is required for " + std::string(context));
    else if (present && (allowed & bit) == 0)
      state_.fail(errc::unknown_field, path_of(keys[i]),
                  "field '" + path_of(keys[i]) + "' is not used by " + std::string(context));
  }
}

// -- map_reader: values -------------------------------------------------------------------------

namespace {

/// Checks one unsigned integer value and returns the failure as (code, message), or
/// (errc{}, "") when the value is fine (errc has no code 0). Shared by fields and list entries.
std::pair<errc, std::string> check_unsigned(const msgpack::object& v, std::uint64_t min,
                                            std::uint64_t max) {
  if (v.type != object_type::POSITIVE_INTEGER)
    return {errc::wrong_type, "expected an unsigned integer, got " + std::string(type_name(v))};
  const std::uint64_t u = v.via.u64;
  if (u >= min && u <= max)
    return {errc{}, {}};
  if (max == std::numeric_limits<std::uint64_t>::max())
    return {errc::out_of_range,
            "must be at least " + std::to_string(min) + ", got " + std::to_string(u)};
  return {errc::out_of_range, "must be " + std::to_string(min) + ".." + std::to_string(max) +
                                  ", got " + std::to_string(u)};
}

} // namespace

bool map_reader::read_unsigned(std::string_view key, presence p, std::uint64_t min,
                               std::uint64_t max, std::uint64_t& out) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return false;
  auto [code, message] = check_unsigned(*v, min, max);
  if (code != errc{}) {
    fail(code, key, std::move(message));
    return false;
  }
  out = v->via.u64;
  return true;
}

void map_reader::read_timestamp(std::string_view key, timestamp_ms& out, presence p) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return;
  if (v->type == object_type::NEGATIVE_INTEGER)
    fail(errc::out_of_range, key, "must not be negative, got " + std::to_string(v->via.i64));
  else if (v->type != object_type::POSITIVE_INTEGER)
    fail(errc::wrong_type, key, "expected an integer, got " + std::string(type_name(*v)));
  else if (v->via.u64 > static_cast<std::uint64_t>(std::numeric_limits<timestamp_ms>::max()))
    fail(errc::out_of_range, key, "more than 2^63-1: " + std::to_string(v->via.u64));
  else
    out = static_cast<timestamp_ms>(v->via.u64);
}

bool map_reader::read_string(std::string_view key, presence p, std::size_t max_bytes,
                             std::string_view& out) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return false;
  if (v->type != object_type::STR) {
    fail(errc::wrong_type, key, "expected a string, got " + std::string(type_name(*v)));
    return false;
  }
  const std::string_view s(v->via.str.ptr, v->via.str.size);
  if (s.size() > max_bytes) {
    fail(errc::too_large, key,
         std::to_string(s.size()) + " bytes, the limit is " + std::to_string(max_bytes));
    return false;
  }
  if (!valid_utf8(s)) {
    fail(errc::wrong_type, key, "not valid UTF-8");
    return false;
  }
  out = s;
  return true;
}

void map_reader::read_text(std::string_view key, std::string& out, presence p,
                           std::size_t max_bytes) {
  std::string_view s;
  if (!read_string(key, p, max_bytes, s))
    return;
  if (s.empty() && p == presence::required)
    state_.fail(errc::missing_field, path_of(key),
                "field '" + path_of(key) + "' must not be empty");
  else
    out.assign(s);
}

void map_reader::read_coordinate(std::string_view key, double& out, presence p, double bound) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return;
  double d = 0;
  switch (v->type) {
    case object_type::POSITIVE_INTEGER: d = static_cast<double>(v->via.u64); break;
    case object_type::NEGATIVE_INTEGER: d = static_cast<double>(v->via.i64); break;
    case object_type::FLOAT32:
    case object_type::FLOAT64: d = v->via.f64; break; // msgpack-cxx widens float32 into f64
    default:
      fail(errc::wrong_type, key, "expected a number, got " + std::string(type_name(*v)));
      return;
  }
  if (!std::isfinite(d))
    fail(errc::wrong_type, key, "must be a finite number");
  else if (d < -bound || d > bound)
    fail(errc::out_of_range, key,
         "must be " + number_text(-bound) + ".." + number_text(bound) + ", got " + number_text(d));
  else
    out = d;
}

const msgpack::object_array* map_reader::read_array(std::string_view key, presence p,
                                                    std::size_t max_count) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return nullptr;
  if (v->type != object_type::ARRAY) {
    fail(errc::wrong_type, key, "expected an array, got " + std::string(type_name(*v)));
    return nullptr;
  }
  if (v->via.array.size > max_count) {
    fail(errc::too_large, key,
         std::to_string(v->via.array.size) + " entries, the limit is " + std::to_string(max_count));
    return nullptr;
  }
  return &v->via.array;
}

void map_reader::read_ids(std::string_view key, std::vector<std::uint64_t>& out, presence p,
                          std::size_t max_count) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return;
  if (v->type != object_type::ARRAY) {
    fail(errc::wrong_type, key, "expected an array, got " + std::string(type_name(*v)));
    return;
  }
  const msgpack::object_array& list = v->via.array;
  if (list.size > max_count) {
    fail(errc::too_large, key,
         std::to_string(list.size) + " entries, the limit is " + std::to_string(max_count));
    return;
  }
  if (list.size == 0 && p == presence::required) {
    state_.fail(errc::missing_field, path_of(key),
                "field '" + path_of(key) + "' must not be empty");
    return;
  }
  std::vector<std::uint64_t> ids;
  ids.reserve(list.size);
  for (std::uint32_t i = 0; i < list.size; ++i) {
    auto [code, message] =
        check_unsigned(list.ptr[i], 1, std::numeric_limits<std::uint64_t>::max());
    if (code != errc{}) {
      fail(code, std::string(key) + "[" + std::to_string(i) + "]", std::move(message));
      return;
    }
    ids.push_back(list.ptr[i].via.u64);
  }
  out = std::move(ids);
}

void map_reader::read_count_list(std::string_view key, presence p, std::span<std::uint32_t> out) {
  const msgpack::object* v = get(key, p);
  if (v == nullptr)
    return;
  if (v->type != object_type::ARRAY) {
    fail(errc::wrong_type, key, "expected an array, got " + std::string(type_name(*v)));
    return;
  }
  const msgpack::object_array& list = v->via.array;
  if (list.size != out.size()) {
    fail(errc::out_of_range, key,
         "must have exactly " + std::to_string(out.size()) + " entries, got " +
             std::to_string(list.size));
    return;
  }
  for (std::uint32_t i = 0; i < list.size; ++i) {
    auto [code, message] =
        check_unsigned(list.ptr[i], 0, std::numeric_limits<std::uint32_t>::max());
    if (code != errc{}) {
      fail(code, std::string(key) + "[" + std::to_string(i) + "]", std::move(message));
      return;
    }
  }
  for (std::uint32_t i = 0; i < list.size; ++i)
    out[i] = static_cast<std::uint32_t>(list.ptr[i].via.u64);
}

} // namespace hub::protocol::detail
