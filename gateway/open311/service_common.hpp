#pragma once

// What the Open311 service's two files share (service.cpp, service_read.cpp): its HTTP
// answers, the form's values, and the clock. Included by those two only.

#include "gateway/open311/form.hpp"
#include "gateway/open311/render.hpp"
#include "gateway/open311/service.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace hub::open311::service_detail {

namespace http = boost::beast::http;

using response = service::response;

inline protocol::timestamp_ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline response answer(http::status status, format f, std::string body) {
  response res{status, 11};
  res.set(http::field::content_type, content_type(f));
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  return res;
}

inline response error(http::status status, format f, std::string_view description) {
  return answer(status, f, render_error(f, static_cast<int>(status), description));
}

/// The value of `name` in `f` (the last one when repeated), or nullptr.
inline const std::string* get(const form& f, std::string_view name) {
  const std::string* out = nullptr;
  for (const auto& [k, v] : f)
    if (k == name)
      out = &v;
  return out;
}

inline bool is_closed(protocol::case_state s) {
  return s == protocol::case_state::closed || s == protocol::case_state::rejected ||
         s == protocol::case_state::duplicate;
}

/// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
inline std::string cut(std::string s, std::size_t n) {
  if (s.size() <= n)
    return s;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80)
    --n;
  s.resize(n);
  return s;
}

} // namespace hub::open311::service_detail
