#include "gateway/authenticate.hpp"

#include "gateway/net/percent.hpp"
#include "gateway/net/token.hpp"

namespace hub::gateway {

std::string token_of(std::string_view target, std::string_view authorization) {
  constexpr std::string_view bearer = "Bearer ";
  if (authorization.size() > bearer.size()) {
    bool is_bearer = true;
    for (std::size_t i = 0; i < bearer.size() && is_bearer; ++i) // the scheme is case-insensitive
      is_bearer = (authorization[i] | 0x20) == (bearer[i] | 0x20);
    if (is_bearer) {
      auto t = authorization.substr(bearer.size());
      while (!t.empty() && t.front() == ' ')
        t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ')
        t.remove_suffix(1);
      return std::string(t);
    }
  }
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.substr(0, 6) == "token=") {
      std::string out;
      if (percent_decode(pair.substr(6), out))
        return out;
      return {};
    }
  }
  return {};
}

std::variant<actors::principal, auth_failure>
authenticate(std::string_view target, std::string_view authorization, std::string_view secret,
             const protocol::hierarchy& h, std::int64_t now) {
  auto text = token_of(target, authorization);
  if (text.empty())
    return auth_failure{"no_token",
                        "no token: send Authorization: Bearer <token> or ?token=<token>"};
  auto verified = token::verify(secret, text, now);
  if (auto* e = std::get_if<token::error>(&verified)) {
    switch (*e) {
      case token::error::malformed: return auth_failure{"malformed", "malformed token"};
      case token::error::bad_signature:
        return auth_failure{"bad_signature", "bad signature: the token was not issued by this hub"};
      case token::error::expired: return auth_failure{"expired", "token expired"};
    }
  }
  const auto& c = std::get<token::claims>(verified);
  const auto* p = h.find_person(c.person);
  if (p == nullptr)
    return auth_failure{"unknown_person", "unknown person " + std::to_string(c.person)};
  if (p->holds != c.holds || p->unit != c.unit)
    return auth_failure{"mismatch", "the token names " + std::string(protocol::to_string(c.holds)) +
                                        " at " + std::to_string(c.unit) + " but person " +
                                        std::to_string(p->id) + " is " +
                                        std::string(protocol::to_string(p->holds)) + " at " +
                                        std::to_string(p->unit) + ": get a new token"};
  return actors::principal::of(*p);
}

} // namespace hub::gateway
