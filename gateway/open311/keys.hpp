#pragma once

// The Open311 api_keys (`--open311-keys FILE`): each key bound to a hotline operator of the
// hierarchy, who is the principal of every request made with it, so the usual permissions
// apply. File: one `KEY<TAB>PERSON_ID` a line, `#` comments and empty lines ignored; a key is
// 16..128 of `A-Z a-z 0-9 _ -`. Read-only after loading; thread-safe.

#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hub::open311 {

class key_table {
public:
  key_table() = default;
  /// Throws data_error (data_file.hpp) naming the line: a malformed key, a key given twice,
  /// a person the hierarchy lacks or who is not a hotline_operator.
  static key_table load(const protocol::hierarchy& h, const std::string& path);
  static key_table parse(const protocol::hierarchy& h, std::string_view content);

  /// The operator bound to `key`, or nullopt.
  std::optional<actors::principal> find(std::string_view key) const;
  std::size_t size() const { return keys_.size(); }

private:
  std::unordered_map<std::string, actors::principal> keys_;
};

} // namespace hub::open311
