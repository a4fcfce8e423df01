// Client messages to and from msgpack::object / MessagePack. Each message has one
// `fields<Body>` specialisation that holds everything about its wire form: the key table, the
// reader and the writer, side by side so that they cannot drift apart. protocol/README.md is
// the specification; keep the two in step.

#include "protocol/detail/object_codec.hpp"
#include "protocol/detail/reader.hpp"
#include "protocol/detail/writer.hpp"

namespace hub::protocol::detail {

namespace {

using sv = std::string_view;
constexpr auto required = presence::required;
constexpr auto optional = presence::optional;

/// Every field rule has the same shape: a field goes out when the receiver requires it or
/// when it differs from its default; the decoder fills absent fields with their defaults.
bool wanted(unsigned required_bits, unsigned bit, bool non_default) {
  return (required_bits & bit) != 0 || non_default;
}

// -- case.act: which action uses which field ----------------------------------------------------

// The action-dependent fields of case.act; bit i stands for act_keys[i].
constexpr std::array<sv, 5> act_keys{"note", "departments", "unit", "score", "duplicate_of"};
namespace act {
constexpr unsigned note = 1u << 0, departments = 1u << 1, unit = 1u << 2, score = 1u << 3,
                   duplicate_of = 1u << 4;
} // namespace act

struct act_rule {
  bool in_case_act = true; // false for report: a case is opened with case.report
  unsigned required = 0;
  unsigned allowed = act::note; // every action may carry a note
};

/// The table of protocol/README.md, "case.act: fields per action". A field an action does not
/// use is refused (unknown_field) rather than ignored, so that a client bug shows up at once.
constexpr act_rule rule_of(case_action action) {
  using enum case_action;
  switch (action) {
    case report: return {false, 0, 0};
    case dispatch: return {true, act::unit, act::note | act::unit};
    case propose_whistle: return {true, act::departments, act::note | act::departments};
    case rate: return {true, act::unit | act::score, act::note | act::unit | act::score};
    case mark_duplicate: return {true, act::duplicate_of, act::note | act::duplicate_of};
    // These must say why.
    case decline_whistle:
    case reopen:
    case return_case:
    case reject: return {true, act::note, act::note};
    // These need nothing but the case; a note is optional.
    case triage:
    case sign:
    case start:
    case resolve:
    case escalate:
    case approve_whistle:
    case report_in:
    case feedback:
    case close:
    case remind:
    case supervise: return {};
  }
  return {false, 0, 0};
}

// -- directive.issue: which target kind uses which field ----------------------------------------

// The kind-dependent fields of a directive target; bit i stands for target_keys[i].
constexpr std::array<sv, 5> target_keys{"units", "level", "module", "post", "people"};
namespace tgt {
constexpr unsigned units = 1u << 0, level = 1u << 1, module = 1u << 2, post = 1u << 3,
                   people = 1u << 4;
} // namespace tgt

/// A target kind needs exactly its own fields (README: "directive.issue").
constexpr unsigned fields_of(target_kind kind) {
  switch (kind) {
    case target_kind::subtree: return tgt::units;
    case target_kind::level: return tgt::units | tgt::level;
    case target_kind::module: return tgt::units | tgt::module;
    case target_kind::post: return tgt::units | tgt::post;
    case target_kind::people: return tgt::people;
  }
  return 0;
}

// -- the messages -------------------------------------------------------------------------------

template <class Body>
struct fields; // keys, read and write of one message body

template <>
struct fields<case_report> {
  static constexpr std::array<sv, 11> keys{"t",       "id",      "unit",        "category",
                                           "urgency", "title",   "description", "lat",
                                           "lon",     "address", "external_id"};

  static void read(map_reader& r, case_report& m) {
    r.read_uint("unit", m.unit, required, 1);
    r.read_text("category", m.category, required, limits::short_text);
    r.read_enum("urgency", m.level, optional);
    r.read_text("title", m.title, required, limits::title_bytes);
    r.read_text("description", m.description, optional, limits::text_bytes);
    // A location is both coordinates or neither: one alone is a client bug, not a place.
    if (r.ok() && r.has("lat") != r.has("lon"))
      r.fail(errc::missing_field, r.has("lat") ? "lon" : "lat", "lat and lon go together");
    r.read_coordinate("lat", m.lat, optional, 90);
    r.read_coordinate("lon", m.lon, optional, 180);
    r.read_text("address", m.address, optional, limits::address_bytes);
    r.read_text("external_id", m.external_id, optional, limits::short_text);
  }

  static void write(map_writer& w, const case_report& m) {
    w.put("unit", m.unit);
    w.put("category", m.category);
    if (m.level != urgency::normal)
      w.put("urgency", m.level);
    w.put("title", m.title);
    if (!m.description.empty())
      w.put("description", m.description);
    if (m.lat != 0 || m.lon != 0) {
      w.put("lat", m.lat);
      w.put("lon", m.lon);
    }
    if (!m.address.empty())
      w.put("address", m.address);
    if (!m.external_id.empty())
      w.put("external_id", m.external_id);
  }
};

template <>
struct fields<case_act> {
  // "case", not "id": the envelope's "id" is the client's message id.
  static constexpr std::array<sv, 9> keys{"t",           "id",   "case",  "action",      "note",
                                          "departments", "unit", "score", "duplicate_of"};

  static void read(map_reader& r, case_act& m) {
    r.read_uint("case", m.id, required, 1);
    r.read_enum("action", m.action, required);
    if (!r.ok())
      return;
    const act_rule rule = rule_of(m.action);
    if (!rule.in_case_act) {
      r.fail(errc::out_of_range, "action", "'report' is not a case.act action: send case.report");
      return;
    }
    r.check_rule(act_keys, rule.required, rule.allowed,
                 "action '" + std::string(to_string(m.action)) + "'");
    auto need = [&](unsigned bit) { return (rule.required & bit) != 0 ? required : optional; };
    r.read_text("note", m.note, need(act::note), limits::text_bytes);
    r.read_ids("departments", m.departments, need(act::departments), limits::departments);
    r.read_uint("unit", m.unit, need(act::unit), 1);
    r.read_uint("score", m.score, need(act::score), 1, 5);
    r.read_uint("duplicate_of", m.duplicate_of, need(act::duplicate_of), 1);
  }

  static void write(map_writer& w, const case_act& m) {
    const unsigned req = rule_of(m.action).required;
    w.put("case", m.id);
    w.put("action", m.action);
    if (wanted(req, act::note, !m.note.empty()))
      w.put("note", m.note);
    if (wanted(req, act::departments, !m.departments.empty()))
      w.put("departments", m.departments);
    if (wanted(req, act::unit, m.unit != 0))
      w.put("unit", m.unit);
    if (wanted(req, act::score, m.score != 0))
      w.put("score", m.score);
    if (wanted(req, act::duplicate_of, m.duplicate_of != 0))
      w.put("duplicate_of", m.duplicate_of);
  }
};

template <>
struct fields<directive_target> {
  static constexpr std::array<sv, 6> keys{"kind", "units", "level", "module", "post", "people"};

  static void read(map_reader& r, directive_target& m) {
    r.read_enum("kind", m.kind, required);
    if (!r.ok())
      return;
    const unsigned need_bits = fields_of(m.kind);
    r.check_rule(target_keys, need_bits, need_bits,
                 "target kind '" + std::string(to_string(m.kind)) + "'");
    auto need = [&](unsigned bit) { return (need_bits & bit) != 0 ? required : optional; };
    r.read_ids("units", m.units, need(tgt::units), limits::target_units);
    r.read_enum("level", m.level, need(tgt::level));
    r.read_uint("module", m.module, need(tgt::module), 0, module_count - 1);
    r.read_enum("post", m.holder, need(tgt::post));
    r.read_ids("people", m.people, need(tgt::people), limits::target_people);
  }

  static void write(map_writer& w, const directive_target& m) {
    const directive_target defaults;
    const unsigned req = fields_of(m.kind);
    w.put("kind", m.kind);
    if (wanted(req, tgt::units, !m.units.empty()))
      w.put("units", m.units);
    if (wanted(req, tgt::level, m.level != defaults.level))
      w.put("level", m.level);
    if (wanted(req, tgt::module, m.module != defaults.module))
      w.put("module", m.module);
    if (wanted(req, tgt::post, m.holder != defaults.holder))
      w.put("post", m.holder);
    if (wanted(req, tgt::people, !m.people.empty()))
      w.put("people", m.people);
  }
};

template <>
struct fields<directive_issue> {
  static constexpr std::array<sv, 7> keys{"t",    "id",       "channel", "title",
                                          "body", "deadline", "target"};

  static void read(map_reader& r, directive_issue& m) {
    r.read_uint("channel", m.channel, required, 0, channel_count - 1);
    r.read_text("title", m.title, required, limits::title_bytes);
    r.read_text("body", m.body, optional, limits::text_bytes);
    r.read_timestamp("deadline", m.deadline, optional);
    if (auto target = r.nested("target", required, "target", fields<directive_target>::keys))
      fields<directive_target>::read(*target, m.target);
  }

  static void write(map_writer& w, const directive_issue& m) {
    w.put("channel", m.channel);
    w.put("title", m.title);
    if (!m.body.empty())
      w.put("body", m.body);
    if (m.deadline != 0)
      w.put("deadline", m.deadline);
    map_writer target;
    fields<directive_target>::write(target, m.target);
    w.put("target", target);
  }
};

template <>
struct fields<directive_act> {
  static constexpr std::array<sv, 5> keys{"t", "id", "directive", "action", "note"};

  static void read(map_reader& r, directive_act& m) {
    r.read_uint("directive", m.id, required, 1);
    r.read_enum("action", m.action, required);
    if (r.ok() && m.action == directive_action::issue)
      r.fail(errc::out_of_range, "action",
             "'issue' is not a directive.act action: send directive.issue");
    r.read_text("note", m.note, optional, limits::text_bytes);
  }

  static void write(map_writer& w, const directive_act& m) {
    w.put("directive", m.id);
    w.put("action", m.action);
    if (!m.note.empty())
      w.put("note", m.note);
  }
};

template <>
struct fields<subscribe> {
  static constexpr std::array<sv, 5> keys{"t", "id", "unit", "since", "figures"};

  static void read(map_reader& r, subscribe& m) {
    r.read_uint("unit", m.unit, required, 1);
    // Present (0 included) asks for a replay; absent, live events only.
    if (r.has("since")) {
      std::uint64_t since = 0;
      r.read_uint("since", since, required);
      m.since = since;
    }
    std::uint8_t figures = 1;
    r.read_uint("figures", figures, optional, 0, 1);
    m.figures = figures != 0;
  }

  static void write(map_writer& w, const subscribe& m) {
    w.put("unit", m.unit);
    if (m.since)
      w.put("since", *m.since);
    if (!m.figures)
      w.put("figures", std::uint8_t{0});
  }
};

template <>
struct fields<unsubscribe> {
  static constexpr std::array<sv, 3> keys{"t", "id", "unit"};

  static void read(map_reader& r, unsubscribe& m) { r.read_uint("unit", m.unit, required, 1); }

  static void write(map_writer& w, const unsubscribe& m) { w.put("unit", m.unit); }
};

template <>
struct fields<query> {
  static constexpr std::array<sv, 22> keys{
      "t",        "id",      "what",   "case",    "unit",  "status", "state", "colour",
      "category", "urgency", "level",  "hotline", "from",  "to",     "sort",  "directive",
      "lagging",  "box",     "period", "by",      "limit", "cursor"};

  // The fields that depend on `what`; bit i stands for kind_keys[i] (limit and cursor are
  // every query's).
  static constexpr std::array<sv, 17> kind_keys{
      "case", "unit", "status", "state",     "colour",  "category", "urgency", "level", "hotline",
      "from", "to",   "sort",   "directive", "lagging", "box",      "period",  "by"};
  static constexpr unsigned case_bit = 1u << 0, unit_bit = 1u << 1, level_bit = 1u << 7,
                            from_bit = 1u << 9, to_bit = 1u << 10, directive_bit = 1u << 12,
                            lagging_bit = 1u << 13, box_bit = 1u << 14, period_bit = 1u << 15,
                            by_bit = 1u << 16;
  static constexpr unsigned filter_bits = ((1u << 12) - 1) & ~(case_bit | unit_bit);
  static constexpr unsigned period_bits = period_bit | from_bit | to_bit;

  /// (required, allowed) fields of `what` (protocol/README.md, "query": fields per what).
  static constexpr std::pair<unsigned, unsigned> rule_of(query_kind what) {
    switch (what) {
      case query_kind::one_case: return {case_bit, case_bit};
      case query_kind::cases: return {unit_bit, unit_bit | filter_bits};
      case query_kind::directive: return {directive_bit, directive_bit | unit_bit | lagging_bit};
      case query_kind::directives: return {unit_bit, unit_bit | box_bit};
      case query_kind::figures: return {unit_bit, unit_bit | period_bits};
      case query_kind::ranking: return {unit_bit, unit_bit | period_bits | level_bit | by_bit};
    }
    return {0, 0};
  }

  static void read(map_reader& r, query& m) {
    r.read_enum("what", m.what, required);
    if (!r.ok())
      return;
    const auto [need_bits, allowed] = rule_of(m.what);
    r.check_rule(kind_keys, need_bits, allowed, "query '" + std::string(to_string(m.what)) + "'");
    auto need = [&, bits = need_bits](unsigned bit) {
      return (bits & bit) != 0 ? required : optional;
    };
    r.read_uint("case", m.case_ref, need(case_bit), 1);
    r.read_uint("unit", m.unit, need(unit_bit), 1);
    r.read_enum("status", m.status, optional);
    read_optional(r, "state", m.state);
    read_optional(r, "colour", m.colour);
    r.read_text("category", m.category, optional, limits::short_text);
    read_optional(r, "urgency", m.level);
    read_optional(r, "level", m.held_at);
    if (r.has("hotline")) {
      std::uint8_t hotline = 0;
      r.read_uint("hotline", hotline, optional, 0, 1);
      m.hotline = hotline == 1;
    }
    r.read_timestamp("from", m.from, optional);
    r.read_timestamp("to", m.to, optional);
    r.read_enum("sort", m.order, optional);
    r.read_uint("directive", m.directive_ref, need(directive_bit), 1);
    r.read_enum("lagging", m.lagging, optional);
    if (r.ok() && m.lagging != directive_action::sign && m.lagging != directive_action::complete)
      r.fail(errc::out_of_range, "lagging", "must be 'sign' or 'complete'");
    r.read_enum("box", m.box, optional);
    r.read_enum("period", m.period, optional);
    r.read_enum("by", m.by, optional);
    if (r.ok() && m.what != query_kind::cases) {
      // figures and ranking: the days from `from` through `to`, both required, or neither
      const bool days = m.period == figure_period::days;
      if (days && (!r.has("from") || !r.has("to")))
        r.fail(errc::missing_field, r.has("from") ? "to" : "from",
               "period 'days' needs from and to");
      else if (!days && (r.has("from") || r.has("to")))
        r.fail(errc::unknown_field, r.has("from") ? "from" : "to", "only with period 'days'");
      else if (days && m.to < m.from)
        r.fail(errc::out_of_range, "to", "must not be before from");
    }
    r.read_uint("limit", m.limit, optional, 1, limits::page);
    r.read_text("cursor", m.cursor, optional, limits::cursor_bytes);
  }

  template <class Enum>
  static void read_optional(map_reader& r, sv key, std::optional<Enum>& out) {
    if (!r.has(key))
      return;
    Enum value{};
    r.read_enum(key, value, optional);
    out = value;
  }

  static void write(map_writer& w, const query& m) {
    w.put("what", m.what);
    if (m.case_ref != 0)
      w.put("case", m.case_ref);
    if (m.unit != 0)
      w.put("unit", m.unit);
    if (m.status != case_status::open)
      w.put("status", m.status);
    if (m.state)
      w.put("state", *m.state);
    if (m.colour)
      w.put("colour", *m.colour);
    if (!m.category.empty())
      w.put("category", m.category);
    if (m.level)
      w.put("urgency", *m.level);
    if (m.held_at)
      w.put("level", *m.held_at);
    if (m.hotline)
      w.put("hotline", static_cast<std::uint8_t>(*m.hotline ? 1 : 0));
    if (m.from != 0)
      w.put("from", m.from);
    if (m.to != 0)
      w.put("to", m.to);
    if (m.order != case_order::deadline)
      w.put("sort", m.order);
    if (m.directive_ref != 0)
      w.put("directive", m.directive_ref);
    if (m.lagging != directive_action::complete)
      w.put("lagging", m.lagging);
    if (m.box != directive_box::inbox)
      w.put("box", m.box);
    if (m.period != figure_period::today)
      w.put("period", m.period);
    if (m.by != rank_by::resolution)
      w.put("by", m.by);
    if (m.limit != 0)
      w.put("limit", m.limit);
    if (!m.cursor.empty())
      w.put("cursor", m.cursor);
  }
};

// -- dispatch -----------------------------------------------------------------------------------

/// Reads the message whose "t" is client_type_names[I]; every client message carries "id".
template <std::size_t I>
void read_message(read_state& state, const msgpack::object& obj, client_message& out) {
  using body_type = std::variant_alternative_t<I, client_body>;
  map_reader r(state, obj, "", client_type_names[I], fields<body_type>::keys);
  r.read_uint("id", out.id, required, 1);
  body_type body;
  fields<body_type>::read(r, body);
  if (r.ok())
    out.body = std::move(body);
}

/// Calls read_message<type>: a compile-time loop over client_body's alternatives, so that the
/// type table and the variant cannot disagree.
template <std::size_t I = 0>
void read_body(read_state& state, const msgpack::object& obj, std::size_t type,
               client_message& out) {
  if constexpr (I < std::variant_size_v<client_body>) {
    if (type == I)
      read_message<I>(state, obj, out);
    else
      read_body<I + 1>(state, obj, type, out);
  }
}

} // namespace

decoded<client_message> decode_client(const msgpack::object& obj) {
  read_state state;
  const header head = read_header(state, obj, client_type_names);
  client_message msg;
  if (!state.failed)
    read_body(state, obj, head.type, msg);
  if (state.failed)
    return std::move(state.error);
  return msg;
}

std::string pack(const client_message& msg) {
  map_writer w;
  w.put("t", client_type_names[msg.body.index()]);
  w.put("id", msg.id);
  std::visit([&](const auto& body) { fields<std::decay_t<decltype(body)>>::write(w, body); },
             msg.body);
  return w.finish();
}

} // namespace hub::protocol::detail
