#pragma once

// The codec's middle layer, between bytes and structs: messages to and from msgpack::object.
// The MessagePack codec (codec.cpp) unpacks a binary frame into an object; the JSON codec
// (json.cpp) parses a text frame into one; both then call decode_client / decode_server
// below, so the two wire forms share one validator and one set of field names.

#include "protocol/codec.hpp"

#include <msgpack.hpp>

#include <array>
#include <string>
#include <string_view>

namespace hub::protocol::detail {

/// The wire names of the message types ("t"), in the order of client_body's alternatives.
constexpr std::array<std::string_view, std::variant_size_v<client_body>> client_type_names{
    "case.report", "case.act", "directive.issue", "directive.act", "subscribe",
    "unsubscribe", "query"};

/// The wire names of the message types ("t"), in the order of server_message's alternatives.
constexpr std::array<std::string_view, std::variant_size_v<server_message>> server_type_names{
    "ack", "error", "case.event", "directive.event", "aggregate", "gap", "result"};

/// Validates `obj` and turns it into a message. Throws nothing but std::bad_alloc.
decoded<client_message> decode_client(const msgpack::object& obj);
decoded<server_message> decode_server(const msgpack::object& obj);

/// Packs `msg` as one MessagePack map (the binary frame). Throws nothing but std::bad_alloc.
std::string pack(const client_message& msg);
std::string pack(const server_message& msg);
/// The same as the payload of a whole binary WebSocket frame (codec.hpp, encode_frame).
std::string pack_frame(const server_message& msg);

} // namespace hub::protocol::detail
