#include "sim/load/arrival_peek.hpp"

namespace hub::sim::load {

namespace {

/// Reads the MessagePack values a directive.event's fields hold (unsigned integers, strings,
/// nil, booleans) off `in`. Any other kind (a container, a float, a signed integer, a binary)
/// ends the peek: the decoder then reads the frame as it reads any.
class scalar_reader {
public:
  explicit scalar_reader(std::string_view in)
    : in_(in) {}

  bool at_end() const { return pos_ == in_.size(); }

  /// The number of entries of a map header.
  std::optional<std::uint32_t> map_header() {
    auto b = byte();
    if (!b)
      return std::nullopt;
    if ((*b & 0xf0) == 0x80)
      return *b & 0x0f;
    if (*b == 0xde)
      return big_endian<std::uint32_t>(2);
    if (*b == 0xdf)
      return big_endian<std::uint32_t>(4);
    return std::nullopt;
  }

  struct value {
    std::string_view text; // a string's bytes
    std::uint64_t number = 0;
    bool is_text = false;
  };

  std::optional<value> scalar() {
    auto b = byte();
    if (!b)
      return std::nullopt;
    const std::uint8_t t = *b;
    if (t <= 0x7f)
      return value{{}, t, false};
    if ((t & 0xe0) == 0xa0)
      return text(t & 0x1f);
    switch (t) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        return value{};
      case 0xcc: return number(1);
      case 0xcd: return number(2);
      case 0xce: return number(4);
      case 0xcf: return number(8);
      case 0xd9: return sized_text(1);
      case 0xda: return sized_text(2);
      case 0xdb: return sized_text(4);
      default: return std::nullopt;
    }
  }

private:
  std::optional<std::uint8_t> byte() {
    if (pos_ >= in_.size())
      return std::nullopt;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  template <class T>
  std::optional<T> big_endian(std::size_t n) {
    if (in_.size() - pos_ < n)
      return std::nullopt;
    T v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = static_cast<T>((v << 8) | static_cast<std::uint8_t>(in_[pos_++]));
    return v;
  }
  std::optional<value> number(std::size_t n) {
    auto v = big_endian<std::uint64_t>(n);
    if (!v)
      return std::nullopt;
    return value{{}, *v, false};
  }
  std::optional<value> text(std::size_t n) {
    if (in_.size() - pos_ < n)
      return std::nullopt;
    value v{in_.substr(pos_, n), 0, true};
    pos_ += n;
    return v;
  }
  std::optional<value> sized_text(std::size_t n) {
    auto size = big_endian<std::uint32_t>(n);
    if (!size)
      return std::nullopt;
    return text(*size);
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

} // namespace

std::optional<directive_arrival> peek_directive_arrival(std::string_view payload) {
  scalar_reader r(payload);
  auto entries = r.map_header();
  if (!entries)
    return std::nullopt;
  directive_arrival out;
  bool is_event = false;
  for (std::uint32_t i = 0; i < *entries; ++i) {
    auto key = r.scalar();
    auto value = key && key->is_text ? r.scalar() : std::nullopt;
    if (!value)
      return std::nullopt;
    const auto k = key->text;
    if (k == "t")
      is_event = value->is_text && value->text == "directive.event";
    else if (k == "action" && value->is_text)
      out.action = value->text;
    else if (k == "title" && value->is_text)
      out.title = value->text;
    else if (k == "directive" && !value->is_text)
      out.directive = value->number;
    else if (k == "recipient" && !value->is_text)
      out.recipient = value->number;
  }
  if (!is_event || !r.at_end())
    return std::nullopt;
  return out;
}

} // namespace hub::sim::load
