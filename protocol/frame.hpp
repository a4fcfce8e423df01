#pragma once

// The header of a WebSocket frame as a server sends it (RFC 6455 5.2): final, no extension
// bits, unmasked, binary (MessagePack) or text (JSON), then the payload length in 7 bits, in
// 16 bits after 126, or in 64 bits after 127. What goes before an encoded message when it is
// written to a socket as a ready-made frame (actors::outbound, the load tools' baseline).

#include <cstddef>
#include <cstdint>

namespace hub::protocol {

/// Writes the header of a final unmasked frame of `size` payload bytes into `out`; returns
/// its length: 2, 4 or 10 bytes.
inline std::size_t frame_header(bool text, std::size_t size, char (&out)[10]) {
  out[0] = static_cast<char>(0x80 | (text ? 0x1 : 0x2)); // FIN, text or binary
  if (size < 126) {
    out[1] = static_cast<char>(size); // mask bit clear: a server's frames are unmasked
    return 2;
  }
  if (size <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<char>(size >> 8);
    out[3] = static_cast<char>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<char>(static_cast<std::uint64_t>(size) >> (8 * (7 - i)));
  return 10;
}

/// The length of the header that starts `frame` (a frame made by frame_header).
inline std::size_t frame_header_size(const char* frame) {
  auto second = static_cast<unsigned char>(frame[1]);
  return second < 126 ? 2 : second == 126 ? 4 : 10;
}

} // namespace hub::protocol
