#pragma once

// Open311's two formats from one description of a document: a list of records, each an
// ordered list of named values. XML (the standard's default): `<list><item><name>value</name>
// ...</item></list>` with the XML declaration, UTF-8, `& < >` escaped (element text only: no
// attributes are written). JSON (by the
// `.json` suffix): an array of objects, in the same order. A list is a list even with one entry
// or none. Datetimes are ISO 8601 in Xinyang's time zone (+08:00).

#include "protocol/types.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hub::open311 {

enum class format { xml, json };

struct document;

struct value {
  enum class kind { text, number, boolean, list } is = kind::text;
  std::string text;                      // the value as written (a number's or boolean's JSON)
  std::shared_ptr<const document> items; // kind::list: a nested list
};

inline value text(std::string s) { return {value::kind::text, std::move(s), nullptr}; }
value number(double d);
value number(std::uint64_t n);
inline value boolean(bool b) { return {value::kind::boolean, b ? "true" : "false", nullptr}; }

struct field {
  std::string name;
  value v;
};
using record = std::vector<field>;

struct document {
  std::string list;            // XML: the root element, e.g. "services"
  std::string item;            // XML: each record's element, e.g. "service"
  std::vector<record> records; // JSON: the array
};

/// A nested list (e.g. a service definition's `attributes`).
value list(document d);

/// The document in `f`.
std::string render(format f, const document& d);

/// One record as a document of its own: `<root>...</root>`, a JSON object (not an array).
std::string render_object(format f, std::string_view root, const record& r);

/// Open311's error body: `[{"code":N,"description":"..."}]`, `<errors><error><code>N</code>
/// <description>...</description></error></errors>` in XML.
std::string render_error(format f, int code, std::string_view description);

/// The content type of `f`: `text/xml; charset=utf-8`, `application/json; charset=utf-8`.
const char* content_type(format f);

/// `t` (Unix milliseconds) as ISO 8601 at +08:00, to the second: 2026-11-25T10:00:00+08:00.
std::string iso_time(protocol::timestamp_ms t);

/// An ISO 8601 datetime with a zone (`Z` or `±HH:MM`), seconds optional fractions allowed
/// (`2026-11-25T10:00:00+08:00`, `2026-11-25T02:00:00.5Z`), as Unix milliseconds; nullopt for
/// anything else (a date alone, no zone, a field out of range).
std::optional<protocol::timestamp_ms> parse_iso_time(std::string_view s);

} // namespace hub::open311
