#include "gateway/open311/service.hpp"
#include "gateway/open311/service_common.hpp"

#include "actors/ids.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

namespace hub::open311 {

using namespace service_detail;
using protocol::unit_kind;

namespace {

/// Splits "name.json" into "name" and its format; no suffix (or another one) is XML with the
/// name as it stands, so "services" and "services.xml" are the same.
std::pair<std::string_view, format> resource_of(std::string_view path) {
  if (path.size() > 5 && path.substr(path.size() - 5) == ".json")
    return {path.substr(0, path.size() - 5), format::json};
  if (path.size() > 4 && path.substr(path.size() - 4) == ".xml")
    return {path.substr(0, path.size() - 4), format::xml};
  return {path, format::xml};
}

std::optional<double> to_number(const std::string& s) {
  if (s.empty() || s.size() > 32)
    return std::nullopt;
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(d))
    return std::nullopt;
  return d;
}

/// The message id of a post: the ticket's digest when it has one (the request ledger then
/// answers a repeat with the first answer and applies nothing), with the top bit set so it
/// never meets a WebSocket client's small ids; else a fresh number below that bit.
std::uint64_t ticket_id(std::string_view ticket) {
  std::uint64_t z = 0xcbf29ce484222325ull; // FNV-1a, then splitmix64's finaliser
  for (char c : ticket)
    z = (z ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return z | (1ull << 63);
}

// Form fields a POST may carry, and the longest value each may have (bytes).
struct field_limit {
  std::string_view name;
  std::size_t max;
};
constexpr field_limit post_fields[] = {
    {"api_key", 128},
    {"jurisdiction_id", 32},
    {"service_code", 64},
    {"lat", 32},
    {"long", 32},
    {"address_string", 512},
    {"address_id", 64},
    {"description", 4000},
    {"media_url", 1024},
    {"email", 256},
    {"device_id", 256},
    {"account_id", 256},
    {"first_name", 128},
    {"last_name", 128},
    {"phone", 64},
    {"attribute[ticket_id]", 64},
    {"attribute[urgent]", 5},
};

} // namespace

// -- the sinks ------------------------------------------------------------------------------

/// The subscription's sink: keeps each hotline case's event as an update.
class service::updates_sink : public actors::client_sink {
public:
  explicit updates_sink(service* s)
    : s_(s) {}
  void send(actors::outbound_ptr msg) override {
    std::lock_guard lock(mutex_);
    if (s_ == nullptr)
      return;
    if (auto* e = std::get_if<protocol::case_event>(&msg->message()))
      s_->record(*e);
  }
  void detach() {
    std::lock_guard lock(mutex_);
    s_ = nullptr;
  }

private:
  std::mutex mutex_;
  service* s_;
};

/// One post's reply: turns the city's ack or error into the HTTP answer.
class service::reply_sink : public actors::client_sink {
public:
  reply_sink(done_fn done, format f, std::string notice)
    : done_(std::move(done))
    , f_(f)
    , notice_(std::move(notice)) {}
  ~reply_sink() override {
    if (done_) // dropped unanswered: the actor died or the city went away
      done_(error(http::status::service_unavailable, f_, "the hub could not answer: try again"));
  }
  void send(actors::outbound_ptr msg) override {
    if (!done_)
      return;
    auto done = std::move(done_);
    done_ = nullptr;
    const auto& m = msg->message();
    if (const auto* a = std::get_if<protocol::ack>(&m)) {
      document d{"service_requests", "request", {}};
      d.records.push_back({{"service_request_id", text(std::to_string(a->case_ref))},
                           {"service_notice", text(notice_)}});
      return done(answer(http::status::ok, f_, render(f_, d)));
    }
    const auto* e = std::get_if<protocol::error>(&m);
    if (e == nullptr)
      return done(error(http::status::internal_server_error, f_, "unexpected answer"));
    switch (e->code) {
      case protocol::errc::forbidden: return done(error(http::status::forbidden, f_, e->message));
      case protocol::errc::invalid_argument:
        // The ledger's answer to a ticket posted before with other content, or a refusal.
        return done(error(http::status::bad_request, f_,
                          e->message.find("message id") != std::string::npos
                              ? "this ticket was posted before with other content"
                              : e->message));
      case protocol::errc::try_again:
      case protocol::errc::conflict:
        return done(error(http::status::service_unavailable, f_, e->message));
      default: return done(error(http::status::bad_request, f_, e->message));
    }
  }

private:
  done_fn done_;
  format f_;
  std::string notice_;
};

// -- service --------------------------------------------------------------------------------

service::service(actors::city_port& city, catalogue cat, key_table keys)
  : city_(city)
  , cat_(std::move(cat))
  , keys_(std::move(keys))
  , next_id_((static_cast<std::uint64_t>(now_ms()) << 16) & ((1ull << 63) - 1)) {}

service::~service() { stop(); }

void service::start() {
  if (sink_)
    return;
  // Any hotline operator may watch the whole city; the subscription acts as the first one.
  const protocol::person* op = nullptr;
  for (const auto& p : cat_.hierarchy().people)
    if (p.holds == protocol::post::hotline_operator) {
      op = &p;
      break;
    }
  auto city = cat_.jurisdiction("");
  if (op == nullptr || !city)
    return;
  sink_ = std::make_shared<updates_sink>(this);
  city_.submit(actors::principal::of(*op),
               protocol::client_message{1, protocol::subscribe{*city, 1}}, sink_);
}

void service::stop() {
  if (!sink_)
    return;
  city_.disconnect(sink_.get());
  sink_->detach();
  sink_.reset();
}

std::optional<update> update_of(const protocol::hierarchy& h, const protocol::case_event& e) {
  auto maker = actors::maker_of(e.id);
  if (maker >= h.units.size() || h.units[maker].kind != unit_kind::centre)
    return std::nullopt; // not a hotline case
  // A summoned department's own copy of the whistle (published for its console only) is not a
  // step of the case: the township's approve_whistle is.
  if (const auto* at = h.find_unit(e.unit); at != nullptr && at->kind == unit_kind::department &&
                                            e.action == protocol::case_action::approve_whistle)
    return std::nullopt;
  update u;
  u.id = e.seq;
  u.request = e.id;
  u.closed = is_closed(e.state);
  u.at = e.at;
  u.description = std::string(protocol::to_string(e.action));
  if (!e.note.empty())
    u.description += ": " + e.note;
  return u;
}

std::string render_updates(format f, const std::vector<update>& updates) {
  document d{"service_request_updates", "request_update", {}};
  for (const auto& u : updates)
    d.records.push_back({{"update_id", text(std::to_string(u.id))},
                         {"service_request_id", text(std::to_string(u.request))},
                         {"status", text(u.closed ? "closed" : "open")},
                         {"updated_datetime", text(iso_time(u.at))},
                         {"description", text(u.description)}});
  return render(f, d);
}

void service::record(const protocol::case_event& e) {
  auto u = update_of(cat_.hierarchy(), e);
  if (!u)
    return;
  std::lock_guard lock(mutex_);
  if (!updates_.empty() && updates_.back().id >= u->id)
    return; // a replayed event already recorded
  updates_.push_back(std::move(*u));
  if (updates_.size() > updates_kept)
    updates_.pop_front();
}

std::vector<update> service::updates(protocol::timestamp_ms from, protocol::timestamp_ms to) const {
  std::vector<update> out;
  std::lock_guard lock(mutex_);
  for (const auto& u : updates_) {
    if (u.at < from || u.at > to)
      continue;
    out.push_back(u);
    if (out.size() == max_records)
      break;
  }
  return out;
}

void service::handle(const request& req, done_fn done) {
  std::string_view target{req.target().data(), req.target().size()};
  auto q = target.find('?');
  auto path = target.substr(prefix.size(), q == std::string_view::npos ? q : q - prefix.size());
  auto query_text = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  auto [resource, f] = resource_of(path);
  auto query = parse_form(query_text);
  if (!query)
    return done(error(http::status::bad_request, f, "the query string is not valid form encoding"));

  const bool get_like = req.method() == http::verb::get || req.method() == http::verb::head;
  auto jurisdiction = cat_.jurisdiction(
      get(*query, "jurisdiction_id") != nullptr ? *get(*query, "jurisdiction_id") : std::string{});

  if (resource == "requests" && req.method() == http::verb::post)
    return create(req, done);
  if (!get_like) {
    auto res = error(http::status::method_not_allowed, f, "this resource answers GET only");
    res.set(http::field::allow, resource == "requests" ? "GET, HEAD, POST" : "GET, HEAD");
    return done(std::move(res));
  }
  if (!jurisdiction)
    return done(error(http::status::not_found, f,
                      "no jurisdiction '" + *get(*query, "jurisdiction_id") + "'"));
  const auto& h = cat_.hierarchy();

  if (resource == "services") {
    document d{"services", "service", {}};
    for (const auto& c : h.categories) {
      const auto& t = cat_.text_of(c.code);
      d.records.push_back({{"service_code", text(c.code)},
                           {"service_name", text(c.name)},
                           {"description", text(t.description)},
                           {"metadata", boolean(true)},
                           {"type", text("realtime")},
                           {"keywords", text(t.keywords)},
                           {"group", text(h.modules[c.module].name)}});
    }
    return done(answer(http::status::ok, f, render(f, d)));
  }
  if (resource.substr(0, 9) == "services/") {
    auto code = resource.substr(9);
    auto* c = h.find_category(code);
    if (c == nullptr)
      return done(error(http::status::not_found, f, "no service '" + std::string(code) + "'"));
    const auto& t = cat_.text_of(c->code);
    document departments{"departments", "department", {}};
    for (const auto* u : cat_.departments(c->module, *jurisdiction))
      departments.records.push_back({{"code", text(std::to_string(u->code))},
                                     {"name", text(u->name)},
                                     {"county", text(std::to_string(u->parent))}});
    document attributes{"attributes", "attribute", {}};
    attributes.records.push_back({{"variable", boolean(true)},
                                  {"code", text("ticket_id")},
                                  {"datatype", text("string")},
                                  {"required", boolean(false)},
                                  {"datatype_description", text("the hotline's own ticket id, "
                                                                "at most 64 bytes: posting it "
                                                                "again creates nothing")},
                                  {"order", number(std::uint64_t{1})},
                                  {"description", text("hotline ticket id")}});
    attributes.records.push_back({{"variable", boolean(true)},
                                  {"code", text("urgent")},
                                  {"datatype", text("string")},
                                  {"required", boolean(false)},
                                  {"datatype_description", text("true or false (default)")},
                                  {"order", number(std::uint64_t{2})},
                                  {"description", text("urgent: shorter time limits")}});
    open311::record r{{"service_code", text(c->code)},
                      {"service_name", text(c->name)},
                      {"description", text(t.description)},
                      {"keywords", text(t.keywords)},
                      {"group", text(h.modules[c->module].name)},
                      {"module", text(h.modules[c->module].code)},
                      {"departments", list(std::move(departments))},
                      {"attributes", list(std::move(attributes))}};
    return done(answer(http::status::ok, f, render_object(f, "service_definition", r)));
  }
  if (resource == "servicerequestupdates") {
    protocol::timestamp_ms to = now_ms();
    protocol::timestamp_ms from = to - std::int64_t{90} * 24 * 3600 * 1000;
    if (auto* s = get(*query, "start_date")) {
      auto t = parse_iso_time(*s);
      if (!t)
        return done(error(http::status::bad_request, f,
                          "start_date: not an ISO 8601 datetime with a time zone"));
      from = *t;
    }
    if (auto* s = get(*query, "end_date")) {
      auto t = parse_iso_time(*s);
      if (!t)
        return done(error(http::status::bad_request, f,
                          "end_date: not an ISO 8601 datetime with a time zone"));
      to = *t;
    }
    if (from > to)
      return done(error(http::status::bad_request, f, "start_date is after end_date"));
    return done(answer(http::status::ok, f, render_updates(f, updates(from, to))));
  }
  if (resource == "requests" || resource.substr(0, 9) == "requests/")
    return read(resource, f, *query, *jurisdiction, done);
  return done(error(http::status::not_found, f, "no resource '" + std::string(path) + "'"));
}

void service::create(const request& req, done_fn& done) {
  std::string_view target{req.target().data(), req.target().size()};
  auto q = target.find('?');
  auto f = resource_of(target.substr(0, q)).second;
  auto bad = [&](std::string_view why) { done(error(http::status::bad_request, f, why)); };

  auto type = req[http::field::content_type];
  if (type.substr(0, 33) != "application/x-www-form-urlencoded")
    return bad("the body must be application/x-www-form-urlencoded");
  auto query = parse_form(q == std::string_view::npos ? std::string_view{} : target.substr(q + 1));
  auto body = parse_form(req.body());
  if (!query || !body)
    return bad("the body is not valid form encoding (or not UTF-8)");
  form fields = std::move(*query);
  fields.insert(fields.end(), body->begin(), body->end());

  // The key first: nothing else is said to a caller without one.
  auto* key = get(fields, "api_key");
  auto who = key != nullptr ? keys_.find(*key) : std::nullopt;
  if (!who)
    return done(error(http::status::forbidden, f,
                      key == nullptr ? "api_key is missing" : "api_key is not valid"));
  for (const auto& [name, v] : fields) {
    auto it = std::find_if(std::begin(post_fields), std::end(post_fields),
                           [&](const field_limit& l) { return l.name == name; });
    if (it == std::end(post_fields))
      return bad("unknown field '" + cut(name, 64) + "'");
    if (v.size() > it->max)
      return bad(name + ": longer than " + std::to_string(it->max) + " bytes");
  }
  const auto& h = cat_.hierarchy();
  auto* jid = get(fields, "jurisdiction_id");
  auto jurisdiction = cat_.jurisdiction(jid != nullptr ? *jid : std::string{});
  if (!jurisdiction)
    return done(error(http::status::not_found, f, "no jurisdiction '" + *jid + "'"));
  auto* code = get(fields, "service_code");
  if (code == nullptr || code->empty())
    return bad("service_code is missing");
  auto* category = h.find_category(*code);
  if (category == nullptr)
    return done(error(http::status::not_found, f, "no service '" + *code + "'"));

  // Triage: the grid, by coordinates or from the address table.
  protocol::case_report r;
  auto* lat_s = get(fields, "lat");
  auto* lon_s = get(fields, "long");
  auto* address_id = get(fields, "address_id");
  auto* address_string = get(fields, "address_string");
  const protocol::unit* grid = nullptr;
  if ((lat_s == nullptr) != (lon_s == nullptr))
    return bad(lat_s == nullptr ? "lat is missing (long was given)"
                                : "long is missing (lat was given)");
  if (lat_s != nullptr) {
    auto lat = to_number(*lat_s), lon = to_number(*lon_s);
    if (!lat || *lat < -90 || *lat > 90)
      return bad("lat: not a latitude (-90..90)");
    if (!lon || *lon < -180 || *lon > 180)
      return bad("long: not a longitude (-180..180)");
    r.lat = *lat;
    r.lon = *lon;
    grid = cat_.nearest_grid(*lat, *lon, *jurisdiction);
  }
  const address_entry* address = nullptr;
  if (address_id != nullptr) {
    address = cat_.address_by_id(*address_id);
    if (address == nullptr)
      return bad("address_id: no address '" + *address_id + "' in the address table");
  } else if (address_string != nullptr && grid == nullptr) {
    address = cat_.address_by_text(*address_string);
    if (address == nullptr)
      return bad("address_string: not in the address table; send lat and long");
  }
  if (grid == nullptr && address != nullptr)
    grid = h.find_unit(address->grid);
  if (grid == nullptr)
    return bad(lat_s == nullptr && address_id == nullptr && address_string == nullptr
                   ? "a location is required: lat and long, address_string or address_id"
                   : "the location lies in no grid of the jurisdiction");
  if (!h.within(grid->code, *jurisdiction))
    return bad("the location lies outside jurisdiction " + *jid);
  if (r.lat == 0 && r.lon == 0) {
    r.lat = grid->lat;
    r.lon = grid->lon;
  }

  auto* urgent = get(fields, "attribute[urgent]");
  if (urgent != nullptr && *urgent != "true" && *urgent != "false")
    return bad("attribute[urgent]: true or false");
  auto* ticket = get(fields, "attribute[ticket_id]");
  if (ticket != nullptr && ticket->empty())
    return bad("attribute[ticket_id] is empty");

  auto* township = h.ancestor_of_kind(grid->code, unit_kind::township);
  const auto& module = h.modules[category->module];
  r.unit = who->unit;
  r.category = category->code;
  r.level = urgent != nullptr && *urgent == "true" ? protocol::urgency::urgent
                                                   : protocol::urgency::normal;
  r.title = cut(category->name + " · " + grid->name, 256);
  r.description = get(fields, "description") != nullptr ? *get(fields, "description") : "";
  // What has no field of its own in a case goes into its description, one line each.
  for (std::string_view extra :
       {"media_url", "first_name", "last_name", "email", "phone", "account_id", "device_id"})
    if (auto* v = get(fields, extra); v != nullptr && !v->empty())
      r.description += "\n" + std::string(extra) + ": " + *v;
  r.address = address_string != nullptr ? *address_string
              : address != nullptr      ? address->text
                                        : std::string{};
  r.external_id = ticket != nullptr ? *ticket : std::string{};

  std::string notice = "located to grid " + std::to_string(grid->code) + " " + grid->name;
  if (township != nullptr)
    notice += ", township " + std::to_string(township->code) + " " + township->name;
  notice += "; module " + module.code + " " + module.name;

  auto id = ticket != nullptr ? ticket_id(*ticket) : next_id_.fetch_add(1) & ((1ull << 63) - 1);
  if (id == 0)
    id = 1;
  city_.submit(*who, protocol::client_message{id, std::move(r)},
               std::make_shared<reply_sink>(std::move(done), f, std::move(notice)));
}

} // namespace hub::open311
