// The Open311 reads (GET requests, GET requests/{id}): the city's read side asked as the
// api_key's operator, its answers rendered as service requests (service.hpp).

#include "gateway/open311/service_common.hpp"

#include <charconv>

namespace hub::open311 {

using namespace service_detail;

/// A read (GET requests, GET requests/{id}): queries to the city as the api_key's operator,
/// one after another (each answer submits the next), then one HTTP answer. First, for a
/// filtered list, the `cases` query a page at a time (up to max_records); then a `case` query
/// per request, every page of its history (status_notes is its latest note).
class service::reader : public std::enable_shared_from_this<reader> {
public:
  /// Calls `on` with the city's answer, or with nullptr when the city dropped the request.
  class answer_sink : public actors::client_sink {
  public:
    explicit answer_sink(std::function<void(const protocol::server_message*)> on)
      : on_(std::move(on)) {}
    ~answer_sink() override {
      if (on_)
        on_(nullptr);
    }
    void send(actors::outbound_ptr msg) override {
      if (!on_)
        return;
      auto on = std::move(on_);
      on_ = nullptr;
      on(&msg->message());
    }

  private:
    std::function<void(const protocol::server_message*)> on_;
  };

  reader(service& s, actors::principal who, format f, done_fn done)
    : s_(s)
    , who_(std::move(who))
    , f_(f)
    , done_(std::move(done)) {}

  bool single = false;                 // requests/{id}: one request, its errors are the answer
  std::optional<protocol::query> list; // a filtered list: the cases query, first page
  std::vector<protocol::case_id> ids;  // the requests to describe

  void start() {
    if (list)
      return ask(*list);
    next_case();
  }
  /// Answers a request refused before any query.
  void start_failed(http::status st, const std::string& why) { fail(st, why); }

private:
  void ask(protocol::query q) {
    auto self = shared_from_this();
    auto id = s_.next_id_.fetch_add(1) & ((1ull << 63) - 1);
    s_.city_.submit(
        who_, protocol::client_message{id == 0 ? 1 : id, std::move(q)},
        std::make_shared<answer_sink>([self](const protocol::server_message* m) { self->on(m); }));
  }

  void next_case() {
    if (at_ == ids.size())
      return finish();
    protocol::query q;
    q.what = protocol::query_kind::one_case;
    q.case_ref = ids[at_];
    q.limit = 200;
    q.cursor = cursor_;
    ask(std::move(q));
  }

  void on(const protocol::server_message* m) {
    if (m == nullptr)
      return fail(http::status::service_unavailable, "the hub could not answer: try again");
    if (const auto* e = std::get_if<protocol::error>(m)) {
      if (!list_done() || single || e->code == protocol::errc::try_again ||
          e->code == protocol::errc::invalid_argument) {
        switch (e->code) {
          case protocol::errc::forbidden:
            return fail(http::status::forbidden, "request " +
                                                     std::to_string(ids.empty() ? 0 : ids[at_]) +
                                                     " is not the hotline's: " + e->message);
          case protocol::errc::unknown_case:
            return fail(http::status::not_found, "no request '" + std::to_string(ids[at_]) + "'");
          case protocol::errc::try_again:
            return fail(http::status::service_unavailable, e->message);
          default: return fail(http::status::bad_request, e->message);
        }
      }
      // A list names what exists and may be seen: an unknown or foreign id is left out.
      ++at_;
      cursor_.clear();
      return next_case();
    }
    const auto* r = std::get_if<protocol::result>(m);
    if (r == nullptr)
      return fail(http::status::internal_server_error, "unexpected answer");
    if (!list_done()) {
      for (const auto& c : r->cases)
        if (ids.size() < max_records)
          ids.push_back(c.id);
      if (!r->cursor.empty() && ids.size() < max_records) {
        list->cursor = r->cursor;
        return ask(*list);
      }
      list.reset();
      return next_case();
    }
    if (cursor_.empty())
      detail_ = r->one; // the first page: the case itself
    for (const auto& st : r->one.steps)
      if (!st.note.empty())
        notes_ = st.note;
    if (!r->cursor.empty()) {
      cursor_ = r->cursor;
      return next_case();
    }
    add(detail_, notes_);
    notes_.clear();
    cursor_.clear();
    ++at_;
    next_case();
  }

  bool list_done() const { return !list.has_value(); }

  void add(const protocol::case_detail& c, const std::string& notes) {
    const auto& h = s_.cat_.hierarchy();
    const auto& sum = c.summary;
    const auto* category = h.find_category(sum.category);
    const auto* holder = h.find_unit(sum.unit);
    std::string media;
    if (auto at = c.description.find("\nmedia_url: "); at != std::string::npos) {
      auto end = c.description.find('\n', at + 1);
      media = c.description.substr(at + 12, end == std::string::npos ? end : end - at - 12);
    }
    doc_.records.push_back(
        {{"service_request_id", text(std::to_string(sum.id))},
         {"status", text(is_closed(sum.state) ? "closed" : "open")},
         {"status_notes", text(notes)},
         {"service_name", text(category != nullptr ? category->name : sum.category)},
         {"service_code", text(sum.category)},
         {"description", text(c.description)},
         {"agency_responsible", text(holder != nullptr ? holder->name : std::to_string(sum.unit))},
         {"requested_datetime", text(iso_time(sum.reported_at))},
         {"updated_datetime", text(iso_time(sum.changed_at))},
         {"expected_datetime", text(sum.deadline != 0 ? iso_time(sum.deadline) : "")},
         {"address", text(c.address)},
         {"lat", number(c.lat)},
         {"long", number(c.lon)},
         {"media_url", text(media)}});
  }

  void finish() {
    auto done = std::move(done_);
    done(answer(http::status::ok, f_, render(f_, doc_)));
  }
  void fail(http::status st, const std::string& why) {
    auto done = std::move(done_);
    done(error(st, f_, why));
  }

  service& s_;
  actors::principal who_;
  format f_;
  done_fn done_;
  std::size_t at_ = 0; // ids[at_] is being read
  std::string cursor_; // its next page of steps
  protocol::case_detail detail_;
  std::string notes_;
  document doc_{"service_requests", "request", {}};
};

void service::read(std::string_view resource, format f,
                   const std::vector<std::pair<std::string, std::string>>& query,
                   protocol::unit_code jurisdiction, done_fn& done) {
  auto* key = get(query, "api_key");
  auto who = key != nullptr ? keys_.find(*key) : std::nullopt;
  if (!who)
    return done(error(http::status::forbidden, f,
                      key == nullptr ? "api_key is missing" : "api_key is not valid"));
  auto to_id = [](std::string_view s) -> std::optional<protocol::case_id> {
    protocol::case_id id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || id == 0)
      return std::nullopt;
    return id;
  };
  auto r = std::make_shared<reader>(*this, *who, f, std::move(done));
  if (resource.substr(0, 9) == "requests/") {
    auto id = to_id(resource.substr(9));
    if (!id)
      return r->start_failed(http::status::not_found,
                             "no request '" + cut(std::string(resource.substr(9)), 64) + "'");
    r->single = true;
    r->ids.push_back(*id);
    return r->start();
  }
  if (auto* list = get(query, "service_request_id")) {
    // The standard: with service_request_id the other filters are ignored.
    std::string_view rest = *list;
    while (!rest.empty() && r->ids.size() < max_records) {
      auto comma = rest.find(',');
      auto one = rest.substr(0, comma);
      auto id = to_id(one);
      if (!id)
        return r->start_failed(http::status::bad_request,
                               "service_request_id: not a list of request ids");
      r->ids.push_back(*id);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
    return r->start();
  }
  protocol::query q;
  q.what = protocol::query_kind::cases;
  q.unit = jurisdiction;
  q.hotline = true;
  q.order = protocol::case_order::changed;
  q.limit = 200;
  q.status = protocol::case_status::all;
  if (auto* code = get(query, "service_code")) {
    if (cat_.hierarchy().find_category(*code) == nullptr)
      return r->start_failed(http::status::not_found, "no service '" + cut(*code, 64) + "'");
    q.category = *code;
  }
  if (auto* st = get(query, "status")) {
    if (*st == "open")
      q.status = protocol::case_status::open;
    else if (*st == "closed")
      q.status = protocol::case_status::done;
    else
      return r->start_failed(http::status::bad_request, "status: open or closed");
  }
  protocol::timestamp_ms to = now_ms();
  protocol::timestamp_ms from = to - std::int64_t{90} * 24 * 3600 * 1000;
  for (auto [name, into] : {std::pair{"start_date", &from}, std::pair{"end_date", &to}})
    if (auto* s = get(query, name)) {
      auto t = parse_iso_time(*s);
      if (!t)
        return r->start_failed(http::status::bad_request,
                               std::string(name) + ": not an ISO 8601 datetime with a time zone");
      *into = *t;
    }
  if (from > to)
    return r->start_failed(http::status::bad_request, "start_date is after end_date");
  q.from = from;
  q.to = to + 1; // the query's `to` is exclusive; end_date is not
  r->list = std::move(q);
  r->start();
}

} // namespace hub::open311
