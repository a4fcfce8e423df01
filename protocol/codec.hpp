#pragma once

// MessagePack codec of the hub's protocol. Decoding validates strictly (sizes, types, enums,
// string lengths, unknown keys) and never throws: every failure is a decode_error. Limits are
// in protocol/README.md and in `limits` below.

#include "protocol/messages.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace hub::protocol {

namespace limits {
constexpr std::size_t frame_bytes = 64 * 1024;
constexpr std::size_t short_text = 64; // codes: category, external id
constexpr std::size_t title_bytes = 256;
constexpr std::size_t text_bytes = 8 * 1024; // description, body, note
constexpr std::size_t address_bytes = 512;
constexpr std::size_t departments = 16;
constexpr std::size_t target_units = 1024;
constexpr std::size_t target_people = 4096;
constexpr std::size_t page = 200;               // a query's largest page (cases or steps)
constexpr std::size_t default_page = 50;        // a page when the query names no limit
constexpr std::size_t cursor_bytes = 64;        // a result's cursor
constexpr std::size_t result_bytes = 60 * 1024; // a result's page ends before this, both forms
} // namespace limits

/// Why a frame was refused: the code, the field at fault (dotted path, may be empty) and a
/// sentence for people. `id` is the client's message id when it could be read, else 0.
struct decode_error {
  errc code = errc::malformed;
  std::uint64_t id = 0;
  std::string field;
  std::string message;
};

template <class T>
using decoded = std::variant<T, decode_error>;

// -- encoding (never fails) -----------------------------------------------------------------

std::string encode(const client_message& msg);
std::string encode(const server_message& msg);
/// `msg` as a whole WebSocket frame, ready to write to a socket (frame.hpp's header, then the
/// encoding): binary with the MessagePack encoding, made in one allocation, or with `text`,
/// text with the JSON one (json.hpp).
std::string encode_frame(const server_message& msg, bool text = false);

// -- decoding -------------------------------------------------------------------------------

/// Decodes one binary frame from a client. The whole frame must be one message.
decoded<client_message> decode_client(std::string_view frame);

/// Decodes one binary frame from the hub (for clients, the simulator and tests).
decoded<server_message> decode_server(std::string_view frame);

} // namespace hub::protocol
