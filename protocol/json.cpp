// JSON text frames: a strict RFC 8259 parser that builds a msgpack::object (so the MessagePack
// codec's validator does the rest), and a writer that renders an encoded message as JSON (so
// the field names and the choice of fields come from the one encoder).

#include "protocol/json.hpp"

#include "protocol/detail/object_codec.hpp"
#include "protocol/detail/reader.hpp"
#include "protocol/detail/writer.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <vector>

namespace hub::protocol {

namespace {

using msgpack::type::object_type;

// -- parsing --------------------------------------------------------------------------------

/// Parses one JSON text into a msgpack::object whose strings, arrays and maps live in `zone`.
/// Numbers without a fraction or exponent become integers (POSITIVE_INTEGER or
/// NEGATIVE_INTEGER) when they fit 64 bits, everything else FLOAT64 (±infinity beyond the
/// double range), so an integer field refuses 1.0, 1e3 and 2^64 as wrong_type. Errors are
/// `malformed` (not JSON) or `too_large` (string, array, object or nesting over the limits
/// of detail/reader.hpp, the same as for MessagePack).
///
/// `relaxed` lifts those limits (a nesting too deep is skipped, not recursed into): only to
/// read the `id` of a text already refused as too_large, so that the refusal can name it.
class json_parser {
public:
  json_parser(std::string_view text, msgpack::zone& zone, bool relaxed = false)
    : text_(text)
    , zone_(zone)
    , relaxed_(relaxed) {}

  /// Parses the whole text; false on failure, with error() telling why.
  bool parse(msgpack::object& out) {
    skip_space();
    if (!value(out, 0))
      return false;
    complete_ = true;
    skip_space();
    if (pos_ != text_.size())
      return fail(errc::malformed, "unexpected " + describe_here() + " after the JSON value");
    return true;
  }

  /// True when parse() read a whole JSON value into its `out` (it may still have failed on
  /// what follows the value).
  bool value_complete() const { return complete_; }

  decode_error error() const { return decode_error{code_, 0, "", message_}; }

private:
  bool value(msgpack::object& out, std::size_t depth) {
    if (pos_ == text_.size())
      return fail(errc::malformed, "the text ends where a value should start");
    switch (text_[pos_]) {
      case '{': return object(out, depth + 1);
      case '[': return array(out, depth + 1);
      case '"': return string(out);
      case 't': return literal("true", out, true);
      case 'f': return literal("false", out, false);
      case 'n': return literal("null", out, std::nullopt);
      default:
        if (text_[pos_] == '-' || is_digit(text_[pos_]))
          return number(out);
        return fail(errc::malformed, "unexpected " + describe_here());
    }
  }

  bool object(msgpack::object& out, std::size_t depth) {
    if (depth > detail::max_depth)
      return relaxed_ ? skip_nested(out) : too_deep();
    ++pos_; // '{'
    std::vector<msgpack::object_kv> members;
    skip_space();
    if (take('}'))
      return finish_map(out, members);
    for (;;) {
      msgpack::object_kv kv;
      if (pos_ == text_.size() || text_[pos_] != '"')
        return fail(errc::malformed, "expected a string key, found " + describe_here());
      if (!string(kv.key))
        return false;
      skip_space();
      if (!take(':'))
        return fail(errc::malformed, "expected ':' after a key, found " + describe_here());
      skip_space();
      if (!value(kv.val, depth))
        return false;
      if (members.size() == detail::max_map && !relaxed_)
        return fail(errc::too_large,
                    "an object of more than " + std::to_string(detail::max_map) + " members");
      members.push_back(kv);
      skip_space();
      if (take('}'))
        return finish_map(out, members);
      if (!take(','))
        return fail(errc::malformed, "expected ',' or '}', found " + describe_here());
      skip_space();
    }
  }

  bool array(msgpack::object& out, std::size_t depth) {
    if (depth > detail::max_depth)
      return relaxed_ ? skip_nested(out) : too_deep();
    ++pos_; // '['
    std::vector<msgpack::object> items;
    skip_space();
    if (take(']'))
      return finish_array(out, items);
    for (;;) {
      msgpack::object item;
      if (!value(item, depth))
        return false;
      if (items.size() == detail::max_array && !relaxed_)
        return fail(errc::too_large,
                    "an array of more than " + std::to_string(detail::max_array) + " entries");
      items.push_back(item);
      skip_space();
      if (take(']'))
        return finish_array(out, items);
      if (!take(','))
        return fail(errc::malformed, "expected ',' or ']', found " + describe_here());
      skip_space();
    }
  }

  /// A string; the text is known to be valid UTF-8 already, so only escapes need decoding.
  bool string(msgpack::object& out) {
    ++pos_; // '"'
    scratch_.clear();
    for (;;) {
      if (pos_ == text_.size())
        return fail(errc::malformed, "unterminated string");
      const char c = text_[pos_++];
      if (c == '"')
        break;
      if (static_cast<unsigned char>(c) < 0x20)
        return fail(errc::malformed, "control character in a string (escape it)");
      if (c != '\\') {
        scratch_ += c;
      } else if (!escape()) {
        return false;
      }
      if (scratch_.size() > detail::max_string && !relaxed_)
        return fail(errc::too_large,
                    "a string of more than " + std::to_string(detail::max_string) + " bytes");
    }
    out.type = object_type::STR;
    out.via.str.size = static_cast<std::uint32_t>(scratch_.size());
    out.via.str.ptr = copy_to_zone(scratch_.data(), scratch_.size());
    return true;
  }

  /// The escape after a backslash, appended to scratch_ as UTF-8.
  bool escape() {
    if (pos_ == text_.size())
      return fail(errc::malformed, "unterminated string");
    switch (const char c = text_[pos_++]) {
      case '"': scratch_ += '"'; return true;
      case '\\': scratch_ += '\\'; return true;
      case '/': scratch_ += '/'; return true;
      case 'b': scratch_ += '\b'; return true;
      case 'f': scratch_ += '\f'; return true;
      case 'n': scratch_ += '\n'; return true;
      case 'r': scratch_ += '\r'; return true;
      case 't': scratch_ += '\t'; return true;
      case 'u': break;
      default:
        return fail(errc::malformed, "unknown escape '\\" + detail::printable({&c, 1}) + "'");
    }
    char32_t cp = 0;
    if (!hex4(cp))
      return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
      return fail(errc::malformed, "a low surrogate escape without a high one");
    if (cp >= 0xD800 && cp <= 0xDBFF) { // a high surrogate: its low half must follow
      char32_t low = 0;
      if (!(take('\\') && take('u')) || !hex4(low) || low < 0xDC00 || low > 0xDFFF)
        return fail(errc::malformed, "a high surrogate escape without a low one");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(cp);
    return true;
  }

  bool hex4(char32_t& out) {
    if (text_.size() - pos_ < 4)
      return fail(errc::malformed, "\\u needs four hex digits");
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      int digit = 0;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail(errc::malformed, "\\u needs four hex digits");
      out = out * 16 + static_cast<char32_t>(digit);
    }
    return true;
  }

  void append_utf8(char32_t cp) {
    if (cp < 0x80) {
      scratch_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
      scratch_ += static_cast<char>(0xC0 | (cp >> 6));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      scratch_ += static_cast<char>(0xE0 | (cp >> 12));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      scratch_ += static_cast<char>(0xF0 | (cp >> 18));
      scratch_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  /// RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number(msgpack::object& out) {
    const std::size_t start = pos_;
    const bool negative = take('-');
    if (take('0')) {
      // a leading zero stands alone
    } else if (pos_ < text_.size() && is_digit(text_[pos_])) {
      skip_digits();
    } else {
      return fail(errc::malformed, "a number needs digits after '-'");
    }
    bool integral = true;
    if (take('.')) {
      integral = false;
      if (!skip_digits())
        return fail(errc::malformed, "a number needs digits after '.'");
    }
    if (take('e') || take('E')) {
      integral = false;
      if (!take('+'))
        take('-');
      if (!skip_digits())
        return fail(errc::malformed, "a number needs digits in its exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral && !negative) {
      std::uint64_t u = 0;
      if (std::from_chars(first, last, u).ec == std::errc{}) {
        out.type = object_type::POSITIVE_INTEGER;
        out.via.u64 = u;
        return true;
      }
    } else if (integral) {
      std::int64_t i = 0;
      if (std::from_chars(first, last, i).ec == std::errc{}) {
        // "-0" is zero, which MessagePack only has as an unsigned integer
        out.type = i == 0 ? object_type::POSITIVE_INTEGER : object_type::NEGATIVE_INTEGER;
        out.via.i64 = i;
        return true;
      }
    }
    double d = 0;
    if (std::from_chars(first, last, d).ec != std::errc{}) // only out of range can fail here
      d = negative ? -std::numeric_limits<double>::infinity()
                   : std::numeric_limits<double>::infinity();
    out.type = object_type::FLOAT64;
    out.via.f64 = d;
    return true;
  }

  bool literal(std::string_view word, msgpack::object& out, std::optional<bool> boolean) {
    if (text_.substr(pos_, word.size()) != word)
      return fail(errc::malformed, "unexpected " + describe_here());
    pos_ += word.size();
    if (boolean) {
      out.type = object_type::BOOLEAN;
      out.via.boolean = *boolean;
    } else {
      out.type = object_type::NIL;
    }
    return true;
  }

  // -- building objects in the zone --

  bool finish_map(msgpack::object& out, const std::vector<msgpack::object_kv>& members) {
    out.type = object_type::MAP;
    out.via.map.size = static_cast<std::uint32_t>(members.size());
    out.via.map.ptr = copy_to_zone(members);
    return true;
  }

  bool finish_array(msgpack::object& out, const std::vector<msgpack::object>& items) {
    out.type = object_type::ARRAY;
    out.via.array.size = static_cast<std::uint32_t>(items.size());
    out.via.array.ptr = copy_to_zone(items);
    return true;
  }

  template <class T>
  T* copy_to_zone(const std::vector<T>& items) {
    if (items.empty())
      return nullptr;
    void* p = zone_.allocate_align(items.size() * sizeof(T), alignof(T));
    std::memcpy(p, items.data(), items.size() * sizeof(T));
    return static_cast<T*>(p);
  }

  const char* copy_to_zone(const char* data, std::size_t size) {
    if (size == 0)
      return nullptr;
    char* p = static_cast<char*>(zone_.allocate_no_align(size));
    std::memcpy(p, data, size);
    return p;
  }

  // -- scanning --

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  bool take(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  /// Skips [0-9]*; true when there was at least one digit.
  bool skip_digits() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_digit(text_[pos_]))
      ++pos_;
    return pos_ > start;
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }

  std::string describe_here() const {
    if (pos_ >= text_.size())
      return "end of text";
    // Appended piecewise: `"'" + std::string` trips GCC 12's false -Wrestrict (bug 105329).
    std::string quoted = "'";
    quoted += detail::printable(text_.substr(pos_, 1));
    quoted += '\'';
    return quoted;
  }

  /// Skips the array or object starting at pos_ without recursing (relaxed mode: the
  /// nesting is over the limit already); `out` becomes nil.
  bool skip_nested(msgpack::object& out) {
    std::size_t open = 0;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        while (pos_ < text_.size() && text_[pos_] != '"')
          pos_ += text_[pos_] == '\\' ? 2 : 1;
        if (pos_ >= text_.size())
          break;
        ++pos_;
      } else if (c == '[' || c == '{') {
        ++open;
      } else if ((c == ']' || c == '}') && --open == 0) {
        out.type = object_type::NIL;
        return true;
      }
    }
    pos_ = text_.size();
    return fail(errc::malformed, "unterminated array or object");
  }

  bool too_deep() {
    return fail(errc::too_large,
                "nested deeper than " + std::to_string(detail::max_depth) + " levels");
  }

  bool fail(errc code, std::string what) {
    code_ = code;
    message_ = "JSON: " + std::move(what) + " at byte " + std::to_string(pos_);
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  msgpack::zone& zone_;
  std::string scratch_; // the string being decoded (strings do not nest)
  bool relaxed_ = false;
  bool complete_ = false;
  errc code_ = errc::malformed;
  std::string message_;
};

template <class Message>
decoded<Message> decode_json(std::string_view text,
                             decoded<Message> (*decode)(const msgpack::object&)) {
  if (text.size() > limits::frame_bytes)
    return decode_error{errc::too_large, 0, "",
                        "frame of " + std::to_string(text.size()) + " bytes, the limit is " +
                            std::to_string(limits::frame_bytes)};
  try {
    // RFC 8259 §8.1: JSON text is UTF-8. Checked once here, so the parser copies bytes as is.
    if (!detail::valid_utf8(text))
      return decode_error{errc::malformed, 0, "", "JSON: the text is not valid UTF-8"};
    msgpack::zone zone;
    msgpack::object obj;
    json_parser parser(text, zone);
    if (!parser.parse(obj)) {
      // The refusal names the message's id when it can be read, as in MessagePack: after a
      // whole value (bytes follow it), or when only a container limit was exceeded.
      auto e = parser.error();
      if (parser.value_complete()) {
        e.id = detail::recover_id(obj);
      } else if (e.code == errc::too_large) {
        msgpack::zone again;
        json_parser relaxed(text, again, /*relaxed=*/true);
        if (relaxed.parse(obj) || relaxed.value_complete())
          e.id = detail::recover_id(obj);
      }
      return e;
    }
    return decode(obj);
  } catch (const std::bad_alloc&) {
    return decode_error{errc::internal, 0, "", "out of memory while decoding"};
  } catch (...) {
    return decode_error{errc::internal, 0, "", "unexpected failure while decoding"};
  }
}

// -- writing --------------------------------------------------------------------------------

template <class Number>
void write_number(std::string& out, Number n) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, n); // shortest form that reads back
  out.append(buf, res.ptr);
}

void write_value(std::string& out, const msgpack::object& obj) {
  switch (obj.type) {
    case object_type::BOOLEAN: out += obj.via.boolean ? "true" : "false"; break;
    case object_type::POSITIVE_INTEGER: write_number(out, obj.via.u64); break;
    case object_type::NEGATIVE_INTEGER: write_number(out, obj.via.i64); break;
    case object_type::FLOAT32:
    case object_type::FLOAT64:
      if (std::isfinite(obj.via.f64))
        write_number(out, obj.via.f64);
      else
        out += "null"; // JSON has no infinity or NaN; the receiver refuses null for a number
      break;
    case object_type::STR: write_json_string(out, {obj.via.str.ptr, obj.via.str.size}); break;
    case object_type::ARRAY:
      out += '[';
      for (std::uint32_t i = 0; i < obj.via.array.size; ++i) {
        if (i > 0)
          out += ',';
        write_value(out, obj.via.array.ptr[i]);
      }
      out += ']';
      break;
    case object_type::MAP:
      out += '{';
      for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
        if (i > 0)
          out += ',';
        write_value(out, obj.via.map.ptr[i].key);
        out += ':';
        write_value(out, obj.via.map.ptr[i].val);
      }
      out += '}';
      break;
    case object_type::NIL:
    case object_type::BIN:
    case object_type::EXT: out += "null"; break; // never produced by our encoder
  }
}

/// Renders a frame made by our own encoder as JSON: one encoder decides keys and fields.
std::string frame_to_json(const std::string& frame) {
  const msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  std::string out;
  out.reserve(frame.size() * 2);
  write_value(out, handle.get());
  return out;
}

} // namespace

std::string to_json(const client_message& msg) { return frame_to_json(detail::pack(msg)); }

std::string to_json(const server_message& msg) { return frame_to_json(detail::pack(msg)); }

decoded<client_message> decode_client_json(std::string_view text) {
  return decode_json<client_message>(text, &detail::decode_client);
}

decoded<server_message> decode_server_json(std::string_view text) {
  return decode_json<server_message>(text, &detail::decode_server);
}

std::size_t detail::json_string_size(std::string_view s) {
  // As write_json_string below writes it.
  const bool utf8 = detail::valid_utf8(s);
  std::size_t n = 2;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
      n += 2;
    else if (u < 0x20 || (u >= 0x80 && !utf8))
      n += 6;
    else
      n += 1;
  }
  return n;
}

void write_json_string(std::string& out, std::string_view s) {
  // Our encoder only carries strings the hub made or validated; should one still not be
  // UTF-8, its non-ASCII bytes become U+FFFD so that the output stays valid JSON.
  const bool utf8 = detail::valid_utf8(s);
  out += '"';
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xF];
        } else if (u >= 0x80 && !utf8) {
          out += "\\ufffd";
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

} // namespace hub::protocol
