// The MessagePack codec's boundary: bytes in, a message or a decode_error out. The work is
// done by the object layer (detail/object_codec.hpp); this file unpacks a frame into a
// msgpack::object under strict limits and turns every exception msgpack-cxx (or the
// allocator) can throw into an error code. Nothing escapes from here.

#include "protocol/codec.hpp"

#include "protocol/detail/object_codec.hpp"
#include "protocol/detail/reader.hpp"
#include "protocol/frame.hpp"
#include "protocol/json.hpp"

#include <new>

namespace hub::protocol {

namespace {

decode_error frame_error(errc code, std::string message, std::uint64_t id = 0) {
  return decode_error{code, id, "", std::move(message)};
}

/// Strings and binaries of the unpacked object point into the frame instead of being copied:
/// the object lives only while the frame is being decoded.
bool reference_frame(msgpack::type::object_type, std::size_t, void*) { return true; }

/// The `id` of a frame refused for a container limit, read again without those limits, or 0
/// when it still cannot be read. Only the refusal takes this path, and what a frame can hold is
/// bounded by its size anyway (msgpack-cxx parses iteratively, so depth costs no stack).
std::uint64_t id_despite_limits(std::string_view frame) {
  try {
    constexpr auto n = limits::frame_bytes;
    const msgpack::unpack_limit relaxed(n, n, n, n, n, n);
    std::size_t offset = 0;
    const msgpack::object_handle handle =
        msgpack::unpack(frame.data(), frame.size(), offset, &reference_frame, nullptr, relaxed);
    return detail::recover_id(handle.get());
  } catch (...) {
    return 0; // not readable after all: the refusal goes out with id 0
  }
}

/// Unpacks `frame` as exactly one MessagePack value and hands it to `decode`.
template <class Message>
decoded<Message> decode_frame(std::string_view frame,
                              decoded<Message> (*decode)(const msgpack::object&)) {
  if (frame.size() > limits::frame_bytes)
    return frame_error(errc::too_large, "frame of " + std::to_string(frame.size()) +
                                            " bytes, the limit is " +
                                            std::to_string(limits::frame_bytes));
  if (frame.empty())
    return frame_error(errc::malformed, "empty frame");
  // A container over its limit: the frame's id is still answered when it can be read.
  auto too_large = [frame](std::string message) {
    return frame_error(errc::too_large, std::move(message), id_despite_limits(frame));
  };
  try {
    // Binary and extension values are never valid fields; their limit is the frame's, so the
    // reader can name the field (wrong_type) rather than the unpacker refusing the frame.
    const msgpack::unpack_limit limit(detail::max_array, detail::max_map, detail::max_string,
                                      limits::frame_bytes, limits::frame_bytes, detail::max_depth);
    std::size_t offset = 0;
    const msgpack::object_handle handle =
        msgpack::unpack(frame.data(), frame.size(), offset, &reference_frame, nullptr, limit);
    if (offset != frame.size())
      return frame_error(errc::malformed,
                         std::to_string(frame.size() - offset) +
                             " bytes after the message: a frame holds exactly one message",
                         detail::recover_id(handle.get()));
    return decode(handle.get());
  } catch (const msgpack::insufficient_bytes&) {
    return frame_error(errc::malformed, "truncated: the frame ends inside the message");
  } catch (const msgpack::depth_size_overflow&) {
    return too_large("nested deeper than " + std::to_string(detail::max_depth) + " levels");
  } catch (const msgpack::array_size_overflow&) {
    return too_large("an array of more than " + std::to_string(detail::max_array) + " entries");
  } catch (const msgpack::map_size_overflow&) {
    return too_large("a map of more than " + std::to_string(detail::max_map) + " entries");
  } catch (const msgpack::str_size_overflow&) {
    return too_large("a string of more than " + std::to_string(detail::max_string) + " bytes");
  } catch (const msgpack::size_overflow&) {
    return too_large("a value over its size limit");
  } catch (const msgpack::unpack_error&) { // parse_error and anything else the parser refuses
    return frame_error(errc::malformed, "not MessagePack");
  } catch (const std::bad_alloc&) {
    return frame_error(errc::internal, "out of memory while decoding");
  } catch (...) {
    // Nothing else is known to be thrown; if something is, it is our bug, not the client's.
    return frame_error(errc::internal, "unexpected failure while decoding");
  }
}

} // namespace

std::string encode(const client_message& msg) { return detail::pack(msg); }

std::string encode(const server_message& msg) { return detail::pack(msg); }

std::string encode_frame(const server_message& msg, bool text) {
  if (!text)
    return detail::pack_frame(msg);
  auto body = to_json(msg);
  char header[10];
  auto n = frame_header(true, body.size(), header);
  std::string framed;
  framed.reserve(n + body.size());
  framed.append(header, n);
  framed += body;
  return framed;
}

decoded<client_message> decode_client(std::string_view frame) {
  return decode_frame<client_message>(frame, &detail::decode_client);
}

decoded<server_message> decode_server(std::string_view frame) {
  return decode_frame<server_message>(frame, &detail::decode_server);
}

} // namespace hub::protocol
