#pragma once

// application/x-www-form-urlencoded, as Open311 clients send bodies and query strings:
// `name=value` pairs joined by `&`, `+` for a space, `%XX` for any byte. Strict: a bad escape
// or a decoded value that is not UTF-8 refuses the whole form.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hub::open311 {

using form = std::vector<std::pair<std::string, std::string>>;

/// The pairs of `text` in order (a name without `=` has an empty value; empty pieces between
/// `&`s are skipped), or nullopt when an escape is malformed or a name or value is not UTF-8.
std::optional<form> parse_form(std::string_view text);

/// True when `s` is well-formed UTF-8 without control characters other than tab, CR and LF.
bool valid_text(std::string_view s);

} // namespace hub::open311
