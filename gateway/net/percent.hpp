#pragma once

// Percent-encoding (RFC 3986 2.1) for what arrives in URLs and HTML forms: decoding the static
// files' paths, a token in a query string, Open311's form fields; encoding the simulator's and
// the load tool's Open311 posts. The one encoder and decoder of the tree.

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

/// `in` with every byte but ASCII letters, digits, `-`, `_` and `.` written as `%XX`: safe in
/// a query string and in an application/x-www-form-urlencoded body.
inline std::string percent_encode(std::string_view in) {
  constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (const char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
        c == '_' || c == '.') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace hub::gateway
