#pragma once

// What the MessagePack codec's tests share (codec_test.cpp, codec_frames_test.cpp,
// codec_fields_test.cpp): frames written by hand for shapes the encoder never makes, a valid
// frame with one field set, removed or added twice, and three valid frames to edit.

#include "protocol/codec.hpp"

#include "decode_checks.hpp"
#include "samples.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace hub::protocol::frame_edits {

using packer = msgpack::packer<msgpack::sbuffer>;

using checks::accepted;
using checks::Refused;

template <class Message>
inline decode_error error_of(const decoded<Message>& result) {
  if (const decode_error* e = std::get_if<decode_error>(&result))
    return *e;
  ADD_FAILURE() << "accepted";
  return {};
}

/// A frame written by hand, for shapes the encoder never makes.
template <class F>
inline std::string packed(F&& write) {
  msgpack::sbuffer buf;
  packer pk(buf);
  write(pk);
  return {buf.data(), buf.size()};
}

enum class edit { set, remove, add }; // add appends even when the key is there: duplicates

/// Re-packs the map `obj` with the key at dotted `path` set, removed or added.
inline void repack(packer& pk, const msgpack::object& obj, std::string_view path, edit op,
                   const msgpack::object* value) {
  const std::size_t dot = path.find('.');
  const std::string_view head = path.substr(0, dot);
  const std::string_view tail = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  auto key_of = [](const msgpack::object_kv& kv) {
    return std::string_view(kv.key.via.str.ptr, kv.key.via.str.size);
  };
  bool found = false;
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i)
    found = found || key_of(obj.via.map.ptr[i]) == head;
  std::uint32_t size = obj.via.map.size;
  if (tail.empty() && op == edit::remove && found)
    --size;
  if (tail.empty() && (op == edit::add || (op == edit::set && !found)))
    ++size;
  pk.pack_map(size);
  for (std::uint32_t i = 0; i < obj.via.map.size; ++i) {
    const msgpack::object_kv& kv = obj.via.map.ptr[i];
    if (key_of(kv) != head) {
      pk.pack(kv.key);
      pk.pack(kv.val);
    } else if (!tail.empty()) {
      pk.pack(kv.key);
      repack(pk, kv.val, tail, op, value);
    } else if (op != edit::remove) {
      pk.pack(kv.key);
      pk.pack(op == edit::set ? *value : kv.val);
    }
  }
  if (tail.empty() && (op == edit::add || (op == edit::set && !found))) {
    pk.pack(std::string(head));
    pk.pack(*value);
  }
}

inline std::string edited(const std::string& frame, std::string_view path, edit op,
                          const msgpack::object* value) {
  const msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  return packed([&](packer& pk) { repack(pk, handle.get(), path, op, value); });
}

/// `frame` with the field at `path` set to `value` (any type msgpack-cxx can pack).
template <class T>
inline std::string with(const std::string& frame, std::string_view path, const T& value) {
  msgpack::zone zone;
  const msgpack::object v(value, zone);
  return edited(frame, path, edit::set, &v);
}

inline std::string without(const std::string& frame, std::string_view path) {
  return edited(frame, path, edit::remove, nullptr);
}

template <class T>
inline std::string with_duplicate(const std::string& frame, std::string_view path, const T& value) {
  msgpack::zone zone;
  const msgpack::object v(value, zone);
  return edited(frame, path, edit::add, &v);
}

/// The keys of the map at the top of `frame`, in order.
inline std::vector<std::string> keys_of(const std::string& frame) {
  const msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < handle.get().via.map.size; ++i)
    keys.push_back(handle.get().via.map.ptr[i].key.as<std::string>());
  return keys;
}

inline client_message message(std::uint64_t id, client_body body) { return {id, std::move(body)}; }

inline case_report noise_report() {
  case_report r;
  r.unit = 411502001001001, r.category = "enforce.noise", r.title = "noise";
  r.lat = 32.1, r.lon = 114.1;
  return r;
}

inline const std::string report_frame = encode(message(7, noise_report()));
inline const std::string act_frame = encode(message(8, samples::act_of(case_action::rate)));
inline const std::string issue_frame =
    encode(message(9, directive_issue{3, "t", "", 0, samples::target_of(target_kind::subtree)}));

} // namespace hub::protocol::frame_edits
