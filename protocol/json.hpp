#pragma once

// The protocol's JSON form, for text WebSocket frames (people, wscat, browser tools). Same
// messages, same keys and the same validation as the MessagePack form: the text is parsed
// into a msgpack::object and handed to the MessagePack codec's validator, so a frame is
// accepted or refused, with the same error code, whichever form it came in. The JSON parser
// is strict RFC 8259: one value, UTF-8, no comments, no trailing commas, depth and size
// limits. protocol/README.md lists what differs (how numbers map to integers and floats).

#include "protocol/codec.hpp"

#include <string>
#include <string_view>

namespace hub::protocol {

// -- encoding (never fails) -----------------------------------------------------------------

/// One message as compact JSON text, keys in the same order as the MessagePack form.
std::string to_json(const client_message& msg);
std::string to_json(const server_message& msg);

/// Appends `s` as a JSON string: quotes, backslash and control characters escaped; UTF-8 as it
/// is, and should `s` not be UTF-8, its non-ASCII bytes as U+FFFD, so the text stays valid
/// JSON. The one JSON string writer of the tree (the gateway's directory and Open311 use it).
void write_json_string(std::string& out, std::string_view s);

// -- decoding -------------------------------------------------------------------------------

/// Decodes one text frame from a client. The whole frame must be one JSON object.
decoded<client_message> decode_client_json(std::string_view text);

/// Decodes one text frame from the hub (for clients, the simulator and tests).
decoded<server_message> decode_server_json(std::string_view text);

} // namespace hub::protocol
