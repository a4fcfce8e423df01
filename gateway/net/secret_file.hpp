#pragma once

// The hub's token secret lives in a file of raw bytes (default data/hub.secret). `hub serve`
// creates it on first start with 32 bytes from /dev/urandom, readable by its owner only;
// `hub token` reads the same file, so tokens it prints are accepted by the running hub.

#include <string>

namespace hub::gateway {

/// The secret in `path`, created (with its directory) from 32 bytes of /dev/urandom, mode
/// 0600, when the file does not exist. Returns false and sets `why` when the file cannot be
/// read or created, or is empty.
bool load_or_create_secret(const std::string& path, std::string& secret, std::string& why);

/// The secret in `path`, which must exist and be non-empty (false and `why` otherwise).
bool read_secret(const std::string& path, std::string& secret, std::string& why);

} // namespace hub::gateway
