// Hub messages to and from msgpack::object / MessagePack, in the same shape as
// codec_client.cpp: one `fields<Message>` specialisation per message with its key table,
// reader and writer. The hub never decodes these; clients, the simulator and tests do, and
// they are held to the same strictness so that a hub bug shows up in tests.

#include "protocol/detail/object_codec.hpp"
#include "protocol/detail/reader.hpp"
#include "protocol/detail/writer.hpp"
#include "protocol/size_bound.hpp"

namespace hub::protocol::detail {

namespace {

using sv = std::string_view;
constexpr auto required = presence::required;
constexpr auto optional = presence::optional;

template <class Message>
struct fields; // keys, read and write of one message (write: to a map_writer, or a
               // size_writer that counts what it would write)

template <>
struct fields<ack> {
  static constexpr std::array<sv, 5> keys{"t", "id", "case", "directive", "seq"};

  static void read(map_reader& r, ack& m) {
    r.read_uint("id", m.id, required, 1);
    r.read_uint("case", m.case_ref, optional);
    r.read_uint("directive", m.directive_ref, optional);
    r.read_uint("seq", m.seq, optional);
  }

  template <class W>
  static void write(W& w, const ack& m) {
    w.put("id", m.id);
    if (m.case_ref != 0)
      w.put("case", m.case_ref);
    if (m.directive_ref != 0)
      w.put("directive", m.directive_ref);
    if (m.seq != 0)
      w.put("seq", m.seq);
  }
};

template <>
struct fields<error> {
  static constexpr std::array<sv, 4> keys{"t", "id", "code", "message"};

  static void read(map_reader& r, error& m) {
    r.read_uint("id", m.id, required); // 0 when the request's id could not be read
    std::uint16_t code = 0;
    r.read_uint("code", code, required, 1);
    if (r.ok()) {
      if (to_string(static_cast<errc>(code)) == "?") // a number errors.hpp does not name
        r.fail(errc::out_of_range, "code", "unknown error code " + std::to_string(code));
      else
        m.code = static_cast<errc>(code);
    }
    r.read_text("message", m.message, optional, limits::text_bytes);
  }

  template <class W>
  static void write(W& w, const error& m) {
    w.put("id", m.id);
    w.put("code", static_cast<std::uint16_t>(m.code));
    if (!m.message.empty())
      w.put("message", m.message);
  }
};

template <>
struct fields<case_event> {
  static constexpr std::array<sv, 17> keys{
      "t",        "seq",       "at",          "case",     "action",      "state",
      "unit",     "from_unit", "by",          "category", "urgency",     "colour",
      "deadline", "note",      "departments", "score",    "duplicate_of"};

  static void read(map_reader& r, case_event& m) {
    r.read_uint("seq", m.seq, required, 1);
    r.read_timestamp("at", m.at, required);
    r.read_uint("case", m.id, required, 1);
    r.read_enum("action", m.action, required);
    r.read_enum("state", m.state, required);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("from_unit", m.from_unit, optional);
    r.read_uint("by", m.by, optional);
    r.read_text("category", m.category, optional, limits::short_text);
    r.read_enum("urgency", m.level, optional);
    r.read_enum("colour", m.colour, optional);
    r.read_timestamp("deadline", m.deadline, optional);
    r.read_text("note", m.note, optional, limits::text_bytes);
    r.read_ids("departments", m.departments, optional, limits::departments);
    r.read_uint("score", m.score, optional, 0, 5);
    r.read_uint("duplicate_of", m.duplicate_of, optional);
  }

  template <class W>
  static void write(W& w, const case_event& m) {
    w.put("seq", m.seq);
    w.put("at", m.at);
    w.put("case", m.id);
    w.put("action", m.action);
    w.put("state", m.state);
    w.put("unit", m.unit);
    if (m.from_unit != 0)
      w.put("from_unit", m.from_unit);
    if (m.by != 0)
      w.put("by", m.by);
    if (!m.category.empty())
      w.put("category", m.category);
    if (m.level != urgency::normal)
      w.put("urgency", m.level);
    if (m.colour != deadline_colour::green)
      w.put("colour", m.colour);
    if (m.deadline != 0)
      w.put("deadline", m.deadline);
    if (!m.note.empty())
      w.put("note", m.note);
    if (!m.departments.empty())
      w.put("departments", m.departments);
    if (m.score != 0)
      w.put("score", m.score);
    if (m.duplicate_of != 0)
      w.put("duplicate_of", m.duplicate_of);
  }
};

template <>
struct fields<directive_event> {
  // "signed" for signed_count: `signed` is a C++ keyword, not a problem on the wire.
  static constexpr std::array<sv, 13> keys{"t",      "seq",  "at",       "directive", "action",
                                           "unit",   "by",   "channel",  "title",     "total",
                                           "signed", "done", "recipient"};

  static void read(map_reader& r, directive_event& m) {
    r.read_uint("seq", m.seq, required, 1);
    r.read_timestamp("at", m.at, required);
    r.read_uint("directive", m.id, required, 1);
    r.read_enum("action", m.action, required);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("by", m.by, optional);
    r.read_uint("channel", m.channel, optional, 0, channel_count - 1);
    r.read_text("title", m.title, optional, limits::title_bytes);
    r.read_uint("total", m.total, optional);
    r.read_uint("signed", m.signed_count, optional);
    r.read_uint("done", m.done, optional);
    r.read_uint("recipient", m.recipient, optional);
  }

  template <class W>
  static void write(W& w, const directive_event& m) {
    w.put("seq", m.seq);
    w.put("at", m.at);
    w.put("directive", m.id);
    w.put("action", m.action);
    w.put("unit", m.unit);
    if (m.by != 0)
      w.put("by", m.by);
    if (m.channel != 0)
      w.put("channel", m.channel);
    if (!m.title.empty())
      w.put("title", m.title);
    if (m.total != 0)
      w.put("total", m.total);
    if (m.signed_count != 0)
      w.put("signed", m.signed_count);
    if (m.done != 0)
      w.put("done", m.done);
    if (m.recipient != 0)
      w.put("recipient", m.recipient);
  }
};

template <>
struct fields<unit_figures> {
  static constexpr std::array<sv, 12> keys{
      "open",  "yellow",    "red",        "reported",          "responded",       "resolved",
      "rated", "satisfied", "directives", "directives_signed", "directives_done", "closed_at"};

  // The counters in key order, so read and write walk one list (closed_at aside).
  static constexpr std::array<std::pair<sv, std::uint32_t unit_figures::*>, 11> counters{{
      {"open", &unit_figures::open},
      {"yellow", &unit_figures::yellow},
      {"red", &unit_figures::red},
      {"reported", &unit_figures::reported},
      {"responded", &unit_figures::responded},
      {"resolved", &unit_figures::resolved},
      {"rated", &unit_figures::rated},
      {"satisfied", &unit_figures::satisfied},
      {"directives", &unit_figures::directives},
      {"directives_signed", &unit_figures::directives_signed},
      {"directives_done", &unit_figures::directives_done},
  }};

  static void read(map_reader& r, unit_figures& m) {
    for (const auto& [key, member] : counters)
      r.read_uint(key, m.*member, optional);
    r.read_counts("closed_at", m.closed_at, optional);
  }

  template <class W>
  static void write(W& w, const unit_figures& m) {
    for (const auto& [key, member] : counters)
      if (m.*member != 0)
        w.put(key, m.*member);
    if (m.closed_at != decltype(m.closed_at){})
      w.put("closed_at", m.closed_at);
  }
};

template <>
struct fields<aggregate> {
  static constexpr std::array<sv, 4> keys{"t", "unit", "at", "figures"};

  static void read(map_reader& r, aggregate& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_timestamp("at", m.at, required);
    if (auto figures = r.nested("figures", required, "figures", fields<unit_figures>::keys))
      fields<unit_figures>::read(*figures, m.figures);
  }

  template <class W>
  static void write(W& w, const aggregate& m) {
    w.put("unit", m.unit);
    w.put("at", m.at);
    W figures;
    fields<unit_figures>::write(figures, m.figures);
    w.put("figures", figures);
  }
};

template <>
struct fields<gap> {
  static constexpr std::array<sv, 4> keys{"t", "unit", "since", "next"};

  static void read(map_reader& r, gap& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("since", m.since, required);
    r.read_uint("next", m.next, required);
  }

  template <class W>
  static void write(W& w, const gap& m) {
    w.put("unit", m.unit);
    w.put("since", m.since);
    w.put("next", m.next);
  }
};

template <>
struct fields<case_summary> {
  static constexpr std::array<sv, 13> keys{
      "case", "title",  "category", "urgency", "state",       "colour",    "deadline",
      "unit", "origin", "reached",  "hotline", "reported_at", "changed_at"};

  static void read(map_reader& r, case_summary& m) {
    r.read_uint("case", m.id, required, 1);
    r.read_text("title", m.title, optional, limits::title_bytes);
    r.read_text("category", m.category, optional, limits::short_text);
    r.read_enum("urgency", m.level, optional);
    r.read_enum("state", m.state, required);
    r.read_enum("colour", m.colour, optional);
    r.read_timestamp("deadline", m.deadline, optional);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("origin", m.origin, required, 1);
    r.read_enum("reached", m.reached, optional);
    std::uint8_t hotline = 0;
    r.read_uint("hotline", hotline, optional, 0, 1);
    m.hotline = hotline == 1;
    r.read_timestamp("reported_at", m.reported_at, required);
    r.read_timestamp("changed_at", m.changed_at, required);
  }

  template <class W>
  static void write(W& w, const case_summary& m) {
    w.put("case", m.id);
    if (!m.title.empty())
      w.put("title", m.title);
    if (!m.category.empty())
      w.put("category", m.category);
    if (m.level != urgency::normal)
      w.put("urgency", m.level);
    w.put("state", m.state);
    if (m.colour != deadline_colour::green)
      w.put("colour", m.colour);
    if (m.deadline != 0)
      w.put("deadline", m.deadline);
    w.put("unit", m.unit);
    w.put("origin", m.origin);
    if (m.reached != case_level::grid)
      w.put("reached", m.reached);
    if (m.hotline)
      w.put("hotline", std::uint8_t{1});
    w.put("reported_at", m.reported_at);
    w.put("changed_at", m.changed_at);
  }
};

template <>
struct fields<case_step> {
  static constexpr std::array<sv, 10> keys{"at", "action", "state",       "unit",  "from_unit",
                                           "by", "note",   "departments", "score", "duplicate_of"};

  static void read(map_reader& r, case_step& m) {
    r.read_timestamp("at", m.at, required);
    r.read_enum("action", m.action, required);
    r.read_enum("state", m.state, required);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("from_unit", m.from_unit, optional);
    r.read_uint("by", m.by, optional);
    r.read_text("note", m.note, optional, limits::text_bytes);
    r.read_ids("departments", m.departments, optional, limits::departments);
    r.read_uint("score", m.score, optional, 0, 5);
    r.read_uint("duplicate_of", m.duplicate_of, optional);
  }

  template <class W>
  static void write(W& w, const case_step& m) {
    w.put("at", m.at);
    w.put("action", m.action);
    w.put("state", m.state);
    w.put("unit", m.unit);
    if (m.from_unit != 0)
      w.put("from_unit", m.from_unit);
    if (m.by != 0)
      w.put("by", m.by);
    if (!m.note.empty())
      w.put("note", m.note);
    if (!m.departments.empty())
      w.put("departments", m.departments);
    if (m.score != 0)
      w.put("score", m.score);
    if (m.duplicate_of != 0)
      w.put("duplicate_of", m.duplicate_of);
  }
};

template <>
struct fields<case_detail> {
  // The summary's keys, then the detail's own.
  static constexpr std::array<sv, 21> keys{
      "case",    "title",       "category", "urgency", "state",       "colour",     "deadline",
      "unit",    "origin",      "reached",  "hotline", "reported_at", "changed_at", "description",
      "address", "external_id", "lat",      "lon",     "held_by",     "first",      "steps"};

  static void read(map_reader& r, case_detail& m) {
    fields<case_summary>::read(r, m.summary);
    r.read_text("description", m.description, optional, limits::text_bytes);
    r.read_text("address", m.address, optional, limits::address_bytes);
    r.read_text("external_id", m.external_id, optional, limits::short_text);
    r.read_coordinate("lat", m.lat, optional, 90);
    r.read_coordinate("lon", m.lon, optional, 180);
    r.read_ids("held_by", m.held_by, required, limits::target_units);
    r.read_uint("first", m.first, optional);
    r.read_maps("steps", optional, limits::page, "step", fields<case_step>::keys,
                [&](map_reader& e) {
                  case_step step;
                  fields<case_step>::read(e, step);
                  m.steps.push_back(std::move(step));
                });
  }

  template <class W>
  static void write(W& w, const case_detail& m) {
    fields<case_summary>::write(w, m.summary);
    if (!m.description.empty())
      w.put("description", m.description);
    if (!m.address.empty())
      w.put("address", m.address);
    if (!m.external_id.empty())
      w.put("external_id", m.external_id);
    if (m.lat != 0 || m.lon != 0) {
      w.put("lat", m.lat);
      w.put("lon", m.lon);
    }
    w.put("held_by", m.held_by);
    if (m.first != 0)
      w.put("first", m.first);
    if (!m.steps.empty())
      w.put_maps("steps", m.steps.size(),
                 [&](std::size_t i, auto& e) { fields<case_step>::write(e, m.steps[i]); });
  }
};

template <>
struct fields<receipt_count> {
  static constexpr std::array<sv, 4> keys{"unit", "total", "signed", "done"};

  static void read(map_reader& r, receipt_count& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("total", m.total, optional);
    r.read_uint("signed", m.signed_count, optional);
    r.read_uint("done", m.done, optional);
  }

  template <class W>
  static void write(W& w, const receipt_count& m) {
    w.put("unit", m.unit);
    if (m.total != 0)
      w.put("total", m.total);
    if (m.signed_count != 0)
      w.put("signed", m.signed_count);
    if (m.done != 0)
      w.put("done", m.done);
  }
};

template <>
struct fields<laggard> {
  static constexpr std::array<sv, 3> keys{"unit", "person", "action"};

  static void read(map_reader& r, laggard& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("person", m.person, optional);
    r.read_enum("action", m.action, optional);
  }

  template <class W>
  static void write(W& w, const laggard& m) {
    w.put("unit", m.unit);
    if (m.person != 0)
      w.put("person", m.person);
    if (m.action != directive_action::issue)
      w.put("action", m.action);
  }
};

template <>
struct fields<directive_detail> {
  static constexpr std::array<sv, 14> keys{"directive", "unit",      "by",       "channel", "title",
                                           "body",      "issued_at", "deadline", "scope",   "total",
                                           "signed",    "done",      "children", "laggards"};

  /// Reads a list's entries of type T into `out`.
  template <class T>
  static auto into(std::vector<T>& out) {
    return [&out](map_reader& e) {
      T x;
      fields<T>::read(e, x);
      out.push_back(std::move(x));
    };
  }

  static void read(map_reader& r, directive_detail& m) {
    r.read_uint("directive", m.id, required, 1);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("by", m.by, optional);
    r.read_uint("channel", m.channel, optional, 0, channel_count - 1);
    r.read_text("title", m.title, optional, limits::title_bytes);
    r.read_text("body", m.body, optional, limits::text_bytes);
    r.read_timestamp("issued_at", m.issued_at, required);
    r.read_timestamp("deadline", m.deadline, optional);
    r.read_uint("scope", m.scope.unit, required, 1);
    r.read_uint("total", m.scope.total, optional);
    r.read_uint("signed", m.scope.signed_count, optional);
    r.read_uint("done", m.scope.done, optional);
    r.read_maps("children", optional, limits::target_units, "child", fields<receipt_count>::keys,
                into(m.children));
    r.read_maps("laggards", optional, limits::page, "laggard", fields<laggard>::keys,
                into(m.laggards));
  }

  template <class W>
  static void write(W& w, const directive_detail& m) {
    w.put("directive", m.id);
    w.put("unit", m.unit);
    if (m.by != 0)
      w.put("by", m.by);
    if (m.channel != 0)
      w.put("channel", m.channel);
    if (!m.title.empty())
      w.put("title", m.title);
    if (!m.body.empty())
      w.put("body", m.body);
    w.put("issued_at", m.issued_at);
    if (m.deadline != 0)
      w.put("deadline", m.deadline);
    w.put("scope", m.scope.unit);
    if (m.scope.total != 0)
      w.put("total", m.scope.total);
    if (m.scope.signed_count != 0)
      w.put("signed", m.scope.signed_count);
    if (m.scope.done != 0)
      w.put("done", m.scope.done);
    if (!m.children.empty())
      w.put_maps("children", m.children.size(),
                 [&](std::size_t i, auto& e) { fields<receipt_count>::write(e, m.children[i]); });
    if (!m.laggards.empty())
      w.put_maps("laggards", m.laggards.size(),
                 [&](std::size_t i, auto& e) { fields<laggard>::write(e, m.laggards[i]); });
  }
};

template <>
struct fields<directive_row> {
  static constexpr std::array<sv, 12> keys{"directive", "unit",      "by",       "channel",
                                           "title",     "issued_at", "deadline", "total",
                                           "signed",    "done",      "person",   "action"};

  static void read(map_reader& r, directive_row& m) {
    r.read_uint("directive", m.id, required, 1);
    r.read_uint("unit", m.unit, required, 1);
    r.read_uint("by", m.by, optional);
    r.read_uint("channel", m.channel, optional, 0, channel_count - 1);
    r.read_text("title", m.title, optional, limits::title_bytes);
    r.read_timestamp("issued_at", m.issued_at, required);
    r.read_timestamp("deadline", m.deadline, optional);
    r.read_uint("total", m.total, optional);
    r.read_uint("signed", m.signed_count, optional);
    r.read_uint("done", m.done, optional);
    r.read_uint("person", m.person, optional);
    r.read_enum("action", m.action, optional);
  }

  template <class W>
  static void write(W& w, const directive_row& m) {
    w.put("directive", m.id);
    w.put("unit", m.unit);
    if (m.by != 0)
      w.put("by", m.by);
    if (m.channel != 0)
      w.put("channel", m.channel);
    if (!m.title.empty())
      w.put("title", m.title);
    w.put("issued_at", m.issued_at);
    if (m.deadline != 0)
      w.put("deadline", m.deadline);
    if (m.total != 0)
      w.put("total", m.total);
    if (m.signed_count != 0)
      w.put("signed", m.signed_count);
    if (m.done != 0)
      w.put("done", m.done);
    if (m.person != 0)
      w.put("person", m.person);
    if (m.action != directive_action::issue)
      w.put("action", m.action);
  }
};

template <>
struct fields<figure_row> {
  static constexpr std::array<sv, 18> keys{
      "unit",       "open",         "yellow",    "red",           "reported",  "responded",
      "resolved",   "rated",        "satisfied", "overdue",       "score_sum", "closed_at",
      "resolution", "satisfaction", "response",  "overdue_share", "rating",    "rank"};

  static constexpr std::array<std::pair<sv, std::uint32_t figure_row::*>, 11> counters{{
      {"open", &figure_row::open},
      {"yellow", &figure_row::yellow},
      {"red", &figure_row::red},
      {"reported", &figure_row::reported},
      {"responded", &figure_row::responded},
      {"resolved", &figure_row::resolved},
      {"rated", &figure_row::rated},
      {"satisfied", &figure_row::satisfied},
      {"overdue", &figure_row::overdue},
      {"score_sum", &figure_row::score_sum},
      {"rank", &figure_row::rank},
  }};
  static constexpr std::array<std::pair<sv, std::optional<std::uint32_t> figure_row::*>, 5> rates{{
      {"resolution", &figure_row::resolution},
      {"satisfaction", &figure_row::satisfaction},
      {"response", &figure_row::response},
      {"overdue_share", &figure_row::overdue_share},
      {"rating", &figure_row::rating},
  }};

  static void read(map_reader& r, figure_row& m) {
    r.read_uint("unit", m.unit, required, 1);
    for (const auto& [key, member] : counters)
      r.read_uint(key, m.*member, optional);
    r.read_counts("closed_at", m.closed_at, optional);
    for (const auto& [key, member] : rates)
      if (r.has(key)) {
        std::uint32_t value = 0;
        r.read_uint(key, value, optional);
        m.*member = value;
      }
  }

  template <class W>
  static void write(W& w, const figure_row& m) {
    w.put("unit", m.unit);
    for (const auto& [key, member] : counters)
      if (m.*member != 0)
        w.put(key, m.*member);
    if (m.closed_at != decltype(m.closed_at){})
      w.put("closed_at", m.closed_at);
    for (const auto& [key, member] : rates)
      if (m.*member)
        w.put(key, *(m.*member));
  }
};

template <>
struct fields<figures_detail> {
  static constexpr auto keys = [] {
    std::array<sv, fields<figure_row>::keys.size() + 3> out{};
    std::size_t i = 0;
    for (auto k : fields<figure_row>::keys)
      out[i++] = k;
    out[i++] = "from";
    out[i++] = "to";
    out[i++] = "children";
    return out;
  }();

  static void read(map_reader& r, figures_detail& m) {
    r.read_timestamp("from", m.from, optional);
    r.read_timestamp("to", m.to, optional);
    fields<figure_row>::read(r, m.unit);
    r.read_maps("children", optional, limits::target_units, "child", fields<figure_row>::keys,
                fields<directive_detail>::into(m.children));
  }

  template <class W>
  static void write(W& w, const figures_detail& m) {
    if (m.from != 0)
      w.put("from", m.from);
    if (m.to != 0)
      w.put("to", m.to);
    fields<figure_row>::write(w, m.unit);
    if (!m.children.empty())
      w.put_maps("children", m.children.size(),
                 [&](std::size_t i, auto& e) { fields<figure_row>::write(e, m.children[i]); });
  }
};

template <>
struct fields<ranking_detail> {
  static constexpr std::array<sv, 6> keys{"unit", "level", "by", "from", "to", "rows"};

  static void read(map_reader& r, ranking_detail& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_enum("level", m.level, required);
    r.read_enum("by", m.by, required);
    r.read_timestamp("from", m.from, optional);
    r.read_timestamp("to", m.to, optional);
    r.read_maps("rows", optional, limits::target_units, "row", fields<figure_row>::keys,
                fields<directive_detail>::into(m.rows));
  }

  template <class W>
  static void write(W& w, const ranking_detail& m) {
    w.put("unit", m.unit);
    w.put("level", m.level);
    w.put("by", m.by);
    if (m.from != 0)
      w.put("from", m.from);
    if (m.to != 0)
      w.put("to", m.to);
    if (!m.rows.empty())
      w.put_maps("rows", m.rows.size(),
                 [&](std::size_t i, auto& e) { fields<figure_row>::write(e, m.rows[i]); });
  }
};

template <>
struct fields<result> {
  static constexpr std::array<sv, 12> keys{"t",       "id",      "seq",       "what",
                                           "case",    "cases",   "directive", "directives",
                                           "figures", "ranking", "total",     "cursor"};

  static void read(map_reader& r, result& m) {
    r.read_uint("id", m.id, required, 1);
    r.read_uint("seq", m.seq, optional);
    r.read_enum("what", m.what, required);
    if (!r.ok())
      return;
    const bool one = m.what == query_kind::one_case;
    const bool directive = m.what == query_kind::directive;
    const bool directives = m.what == query_kind::directives;
    const bool figures = m.what == query_kind::figures;
    const bool ranking = m.what == query_kind::ranking;
    // "case" for one case, "cases" for a list, "directive" for a directive, "directives" for a
    // list of directives, "figures" and "ranking" for theirs: only its own.
    const unsigned own = one          ? 1u
                         : directive  ? 4u
                         : directives ? 8u
                         : figures    ? 16u
                         : ranking    ? 32u
                                      : 2u;
    r.check_rule(
        std::array<sv, 6>{"case", "cases", "directive", "directives", "figures", "ranking"},
        own & 53u, own, "result '" + std::string(to_string(m.what)) + "'");
    if (figures) {
      if (auto f = r.nested("figures", required, "figures", fields<figures_detail>::keys))
        fields<figures_detail>::read(*f, m.figures);
    } else if (ranking) {
      if (auto k = r.nested("ranking", required, "ranking", fields<ranking_detail>::keys))
        fields<ranking_detail>::read(*k, m.ranking);
    } else if (directives) {
      r.read_maps("directives", optional, limits::page, "directive", fields<directive_row>::keys,
                  [&](map_reader& e) {
                    directive_row d;
                    fields<directive_row>::read(e, d);
                    m.directives.push_back(std::move(d));
                  });
    } else if (directive) {
      if (auto d = r.nested("directive", required, "directive", fields<directive_detail>::keys))
        fields<directive_detail>::read(*d, m.directive);
    } else if (one) {
      if (auto c = r.nested("case", required, "case", fields<case_detail>::keys))
        fields<case_detail>::read(*c, m.one);
    } else {
      r.read_maps("cases", optional, limits::page, "case", fields<case_summary>::keys,
                  [&](map_reader& e) {
                    case_summary c;
                    fields<case_summary>::read(e, c);
                    m.cases.push_back(std::move(c));
                  });
    }
    r.read_uint("total", m.total, optional);
    r.read_text("cursor", m.cursor, optional, limits::cursor_bytes);
  }

  template <class W>
  static void write(W& w, const result& m) {
    w.put("id", m.id);
    if (m.seq != 0)
      w.put("seq", m.seq);
    w.put("what", m.what);
    if (m.what == query_kind::one_case) {
      W c;
      fields<case_detail>::write(c, m.one);
      w.put("case", c);
    } else if (m.what == query_kind::directive) {
      W d;
      fields<directive_detail>::write(d, m.directive);
      w.put("directive", d);
    } else if (m.what == query_kind::figures) {
      W f;
      fields<figures_detail>::write(f, m.figures);
      w.put("figures", f);
    } else if (m.what == query_kind::ranking) {
      W k;
      fields<ranking_detail>::write(k, m.ranking);
      w.put("ranking", k);
    } else if (m.what == query_kind::directives) {
      if (!m.directives.empty())
        w.put_maps("directives", m.directives.size(), [&](std::size_t i, auto& e) {
          fields<directive_row>::write(e, m.directives[i]);
        });
    } else if (!m.cases.empty()) {
      w.put_maps("cases", m.cases.size(),
                 [&](std::size_t i, auto& e) { fields<case_summary>::write(e, m.cases[i]); });
    }
    if (m.total != 0)
      w.put("total", m.total);
    if (!m.cursor.empty())
      w.put("cursor", m.cursor);
  }
};

// -- dispatch -----------------------------------------------------------------------------------

/// Reads the message whose "t" is server_type_names[I].
template <std::size_t I>
void read_message(read_state& state, const msgpack::object& obj, server_message& out) {
  using message_type = std::variant_alternative_t<I, server_message>;
  map_reader r(state, obj, "", server_type_names[I], fields<message_type>::keys);
  message_type msg;
  fields<message_type>::read(r, msg);
  if (r.ok())
    out = std::move(msg);
}

/// Calls read_message<type>: a compile-time loop over server_message's alternatives.
template <std::size_t I = 0>
void read_any(read_state& state, const msgpack::object& obj, std::size_t type,
              server_message& out) {
  if constexpr (I < std::variant_size_v<server_message>) {
    if (type == I)
      read_message<I>(state, obj, out);
    else
      read_any<I + 1>(state, obj, type, out);
  }
}

} // namespace

decoded<server_message> decode_server(const msgpack::object& obj) {
  read_state state;
  const header head = read_header(state, obj, server_type_names);
  server_message msg;
  if (!state.failed)
    read_any(state, obj, head.type, msg);
  if (state.failed)
    return std::move(state.error);
  return msg;
}

namespace {

void write_message(map_writer& w, const server_message& msg) {
  w.put("t", server_type_names[msg.index()]);
  std::visit([&](const auto& m) { fields<std::decay_t<decltype(m)>>::write(w, m); }, msg);
}

} // namespace

std::string pack(const server_message& msg) {
  map_writer w;
  write_message(w, msg);
  return w.finish();
}

std::string pack_frame(const server_message& msg) {
  map_writer w;
  write_message(w, msg);
  return w.finish_frame();
}

} // namespace hub::protocol::detail

namespace hub::protocol {

namespace {

/// Message `m` of type M (the server_message alternative `index`) as both forms would write
/// it, counted.
template <class M>
std::size_t bound_of(const M& m, std::size_t index) {
  detail::size_writer w;
  w.put("t", detail::server_type_names[index]);
  detail::fields<M>::write(w, m);
  return std::max(w.msgpack(), w.json());
}

} // namespace

std::size_t size_bound(const server_message& msg) {
  return std::visit([&](const auto& m) { return bound_of(m, msg.index()); }, msg);
}

std::size_t size_bound(const result& r) {
  return bound_of(r, server_message(std::in_place_type<result>).index());
}

} // namespace hub::protocol
