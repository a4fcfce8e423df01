#include "gateway/net/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <map>
#include <optional>

namespace hub::gateway::token {

namespace {

constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})";

using digest = std::array<unsigned char, 32>;

digest hmac_sha256(std::string_view secret, std::string_view data) {
  digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

/// A flat JSON object whose values are unsigned integers or plain strings: all a token holds.
/// Strict: no escapes, no nesting, no duplicate keys; nullopt for anything else.
using flat_value = std::variant<std::uint64_t, std::string>;

std::optional<std::map<std::string, flat_value>> parse_flat_object(std::string_view s) {
  std::size_t i = 0;
  auto skip_ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
      ++i;
  };
  auto string = [&]() -> std::optional<std::string> {
    if (i >= s.size() || s[i] != '"')
      return std::nullopt;
    auto end = s.find('"', ++i);
    if (end == std::string_view::npos)
      return std::nullopt;
    std::string out{s.substr(i, end - i)};
    for (unsigned char c : out)
      if (c == '\\' || c < 0x20)
        return std::nullopt;
    i = end + 1;
    return out;
  };
  std::map<std::string, flat_value> out;
  skip_ws();
  if (i >= s.size() || s[i++] != '{')
    return std::nullopt;
  skip_ws();
  if (i < s.size() && s[i] == '}') {
    ++i;
  } else {
    for (;;) {
      skip_ws();
      auto key = string();
      skip_ws();
      if (!key || i >= s.size() || s[i++] != ':')
        return std::nullopt;
      skip_ws();
      flat_value value;
      if (i < s.size() && s[i] == '"') {
        auto text = string();
        if (!text)
          return std::nullopt;
        value = std::move(*text);
      } else {
        std::uint64_t n = 0;
        auto [end, ec] = std::from_chars(s.data() + i, s.data() + s.size(), n);
        if (ec != std::errc{} || end == s.data() + i || (s[i] == '0' && end - (s.data() + i) > 1))
          return std::nullopt;
        i = static_cast<std::size_t>(end - s.data());
        value = n;
      }
      if (!out.emplace(std::move(*key), std::move(value)).second)
        return std::nullopt;
      skip_ws();
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      if (i < s.size() && s[i] == '}') {
        ++i;
        break;
      }
      return std::nullopt;
    }
  }
  skip_ws();
  if (i != s.size())
    return std::nullopt;
  return out;
}

template <class T>
const T* field(const std::map<std::string, flat_value>& obj, const char* key) {
  auto i = obj.find(key);
  return i == obj.end() ? nullptr : std::get_if<T>(&i->second);
}

} // namespace

std::string_view to_string(error e) {
  switch (e) {
    case error::malformed: return "malformed";
    case error::bad_signature: return "bad signature";
    case error::expired: return "expired";
  }
  return "?";
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  auto at = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
  };
  for (; i + 3 <= bytes.size(); i += 3) {
    auto v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6)
      out += alphabet[(v >> shift) & 63];
  }
  if (auto rest = bytes.size() - i; rest == 1) {
    auto v = at(i) << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
  } else if (rest == 2) {
    auto v = (at(i) << 16) | (at(i + 1) << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
  }
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1)
    return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    auto pos = alphabet.find(c);
    if (pos == std::string_view::npos)
      return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // The unused low bits of the last character must be zero (one encoding per byte string).
  return (acc & ((1u << bits) - 1)) == 0;
}

std::string issue(std::string_view secret, const protocol::person& who, std::chrono::seconds ttl,
                  std::int64_t now) {
  auto payload = "{\"sub\":" + std::to_string(who.id) + ",\"post\":\"" +
                 std::string(protocol::to_string(who.holds)) +
                 "\",\"unit\":" + std::to_string(who.unit) +
                 ",\"exp\":" + std::to_string(now + ttl.count()) + "}";
  auto signing_input = base64url_encode(header_json) + "." + base64url_encode(payload);
  auto sig = hmac_sha256(secret, signing_input);
  return signing_input + "." +
         base64url_encode({reinterpret_cast<const char*>(sig.data()), sig.size()});
}

std::variant<claims, error> verify(std::string_view secret, std::string_view token,
                                   std::int64_t now) {
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return error::malformed;
  std::string header, payload, sig;
  if (!base64url_decode(token.substr(0, first), header) ||
      !base64url_decode(token.substr(first + 1, second - first - 1), payload) ||
      !base64url_decode(token.substr(second + 1), sig) || sig.size() != 32)
    return error::malformed;
  auto h = parse_flat_object(header);
  if (!h)
    return error::malformed;
  auto* alg = field<std::string>(*h, "alg");
  if (alg == nullptr || *alg != "HS256")
    return error::malformed; // never "none", never another algorithm
  auto expected = hmac_sha256(secret, token.substr(0, second));
  if (CRYPTO_memcmp(expected.data(), sig.data(), expected.size()) != 0)
    return error::bad_signature;
  auto p = parse_flat_object(payload);
  if (!p || p->size() != 4)
    return error::malformed;
  auto* sub = field<std::uint64_t>(*p, "sub");
  auto* post_name = field<std::string>(*p, "post");
  auto* unit = field<std::uint64_t>(*p, "unit");
  auto* exp = field<std::uint64_t>(*p, "exp");
  if (sub == nullptr || post_name == nullptr || unit == nullptr || exp == nullptr)
    return error::malformed;
  auto holds = protocol::parse<protocol::post>(*post_name);
  if (!holds || *exp > static_cast<std::uint64_t>(INT64_MAX))
    return error::malformed;
  claims c{*sub, *holds, *unit, static_cast<std::int64_t>(*exp)};
  if (c.expires <= now)
    return error::expired;
  return c;
}

} // namespace hub::gateway::token
