#pragma once

// Who is opening a WebSocket: the token on the upgrade request (`Authorization: Bearer ...`,
// else the `token` query parameter, which browsers can send), verified with the hub's secret
// and checked against the hierarchy: the person must exist and still hold the post at the
// unit the token names. Anything else is refused with a reason for the 401's body.

#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace hub::gateway {

struct auth_failure {
  std::string_view metric; // hub_auth_refused_total's reason label
  std::string reason;      // one line for people, the body of the 401
};

/// The token carried by an upgrade request, percent-decoded; empty when there is none.
std::string token_of(std::string_view target, std::string_view authorization);

/// The principal the request's token names, or why it is refused. `now`: unix seconds.
std::variant<actors::principal, auth_failure>
authenticate(std::string_view target, std::string_view authorization, std::string_view secret,
             const protocol::hierarchy& h, std::int64_t now);

} // namespace hub::gateway
