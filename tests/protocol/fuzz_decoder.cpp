// libFuzzer target for the protocol's decoders, the gateway's first line against hostile
// input: every byte string must decode to a message or a decode_error, never crash, leak or
// trip a sanitizer; and whatever decodes must survive a round trip through its encoder.
// Built with clang++ -fsanitize=fuzzer,address,undefined by tests/gateway/CMakeLists.txt.

#include "protocol/codec.hpp"
#include "protocol/json.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace hub::protocol;

template <class Message>
void check_round_trip(const decoded<Message>& first, decoded<Message> (*decode)(std::string_view),
                      std::string (*encode)(const Message&)) {
  const auto* m = std::get_if<Message>(&first);
  if (m == nullptr)
    return;
  auto again = decode(encode(*m));
  const auto* n = std::get_if<Message>(&again);
  if (n == nullptr || !(*n == *m))
    std::abort(); // an accepted message that its own encoding does not reproduce
}

std::string encode_client(const client_message& m) { return encode(m); }
std::string encode_server(const server_message& m) { return encode(m); }
std::string json_client(const client_message& m) { return to_json(m); }
std::string json_server(const server_message& m) { return to_json(m); }

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_round_trip<client_message>(decode_client(input), &decode_client, &encode_client);
  check_round_trip<client_message>(decode_client_json(input), &decode_client_json, &json_client);
  check_round_trip<server_message>(decode_server(input), &decode_server, &encode_server);
  check_round_trip<server_message>(decode_server_json(input), &decode_server_json, &json_server);
  return 0;
}
