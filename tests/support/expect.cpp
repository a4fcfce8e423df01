#include "tests/support/expect.hpp"

#include "protocol/json.hpp"

namespace hub::testing {

std::string describe(const protocol::server_message& m) {
  if (auto* e = std::get_if<protocol::error>(&m))
    return "error " + std::string(protocol::to_string(e->code)) + " (id " + std::to_string(e->id) +
           "): " + e->message;
  if (auto* a = std::get_if<protocol::ack>(&m))
    return "ack " + std::to_string(a->id);
  return protocol::to_json(m);
}

} // namespace hub::testing
