#pragma once

// Percent-decoding (RFC 3986 2.1) for what arrives in URLs and HTML forms: the static files'
// paths, a token in a query string, Open311's form fields. The one decoder of the tree.

#include <string>
#include <string_view>

namespace hub::gateway {

/// The value of the hexadecimal digit `c` (either case), or -1.
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Decodes every `%XX` of `in` into `out` (replacing what `out` held), and with
/// `plus_is_space` (application/x-www-form-urlencoded) every `+` into a space. False when an
/// escape is cut short or not hexadecimal; `out` then holds a part.
inline bool percent_decode(std::string_view in, std::string& out, bool plus_is_space = false) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      if (i + 2 >= in.size())
        return false;
      const int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0)
        return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return true;
}

} // namespace hub::gateway
