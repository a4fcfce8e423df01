#pragma once

// The hub's token secret lives in a file of raw bytes (default data/hub.secret). `hub serve`
// creates it on first start with 32 bytes from /dev/urandom, readable by its owner only;
// `hub token` reads the same file, so tokens it prints are accepted by the running hub.
// A secret shorter than 32 bytes is refused: the HMAC key is all that stands between a client
// and any person's token, and a short one is found by trying (a 1-byte secret falls to a few
// hundred guesses).

#include <cstddef>
#include <string>

namespace hub::gateway {

/// The fewest bytes a secret file may hold (what `hub serve` creates).
inline constexpr std::size_t min_secret_bytes = 32;

/// The secret in `path`, created (with its directory) from 32 bytes of /dev/urandom, mode
/// 0600, when the file does not exist. Returns false and sets `why` when the file cannot be
/// read or created, or holds fewer than `min_secret_bytes`.
bool load_or_create_secret(const std::string& path, std::string& secret, std::string& why);

/// The secret in `path`, which must exist and hold at least `min_secret_bytes` (false and
/// `why` otherwise).
bool read_secret(const std::string& path, std::string& secret, std::string& why);

} // namespace hub::gateway
