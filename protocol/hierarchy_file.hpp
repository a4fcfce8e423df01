#pragma once

// The hierarchy file: a UTF-8, tab-separated, line-per-record text format, specified in
// protocol/hierarchy-file.md. The loader checks every field and every reference and names the
// line and field at fault. It reads the file in one pass, so a unit must come after its parent
// and a person after their unit.

#include "protocol/hierarchy.hpp"

#include <iosfwd>
#include <string>
#include <variant>

namespace hub::protocol {

/// Why a hierarchy file was rejected: 1-based line (0 when the fault is the file as a whole,
/// e.g. a missing record), the field name at fault, and a sentence for people.
struct hierarchy_error {
  std::size_t line = 0;
  std::string field;
  std::string message;
  /// "line 12, field lat: not a number" (or without line/field where they are unknown).
  std::string to_string() const;
};

/// Parses a whole file's text into an indexed hierarchy.
std::variant<hierarchy, hierarchy_error> parse_hierarchy(std::string_view text);

/// Reads and parses the file at `path` (a missing or unreadable file is a hierarchy_error).
std::variant<hierarchy, hierarchy_error> load_hierarchy(const std::string& path);

/// Writes `h` in the file format; parse_hierarchy(write) gives back an equal hierarchy.
/// Units keep their order when every parent precedes its children (as the loader and the
/// generator guarantee); otherwise they are written level by level, keeping their order
/// within a level. Precondition: `h` is valid (what the loader accepts); names hold no tab or
/// line break.
void write_hierarchy(std::ostream& out, const hierarchy& h);

} // namespace hub::protocol
