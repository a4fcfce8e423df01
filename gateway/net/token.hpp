#pragma once

// Session tokens: HMAC-SHA256, JWT-shaped (`base64url(header).base64url(payload).base64url(sig)`,
// header {"alg":"HS256","typ":"JWT"}, payload {"sub":<person>,"post":"<post>","unit":<unit>,
// "exp":<unix seconds>}). The secret is the hub's (gateway/secret_file.hpp). A token says who
// the bearer is and which post and unit the issuer saw; the gateway checks both against the
// hierarchy it serves (gateway/authenticate.hpp), so a token outlives no change of post.

#include "protocol/hierarchy.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace hub::gateway::token {

/// What a valid token asserts.
struct claims {
  protocol::person_id person = 0;
  protocol::post holds = protocol::post::grid_parttime;
  protocol::unit_code unit = 0;
  std::int64_t expires = 0; // unix seconds
  friend bool operator==(const claims&, const claims&) = default;
};

/// Why a token was refused, in the order the checks run.
enum class error : std::uint8_t {
  malformed,     // not three base64url parts, not HS256, or a payload that is not our JSON
  bad_signature, // signed with another secret, or altered
  expired,       // `exp` is not after now
};

/// "malformed", "bad signature", "expired": the reason a refused upgrade's body gives.
std::string_view to_string(error e);

/// Seconds since the Unix epoch, now.
std::int64_t unix_now();

/// A token for `who`, valid for `ttl` from `now` (unix seconds).
std::string issue(std::string_view secret, const protocol::person& who, std::chrono::seconds ttl,
                  std::int64_t now = unix_now());

/// The claims of `token` if it is well formed, signed with `secret` (compared in constant
/// time) and `exp` > `now`; otherwise the first check that failed.
std::variant<claims, error> verify(std::string_view secret, std::string_view token,
                                   std::int64_t now = unix_now());

// -- building blocks (exposed for tests) ----------------------------------------------------

/// RFC 4648 section 5, without padding.
std::string base64url_encode(std::string_view bytes);
/// Refuses padding, characters outside the alphabet and impossible lengths (nullopt-like:
/// returns false and leaves `out` unspecified).
bool base64url_decode(std::string_view text, std::string& out);

} // namespace hub::gateway::token
