#include "gateway/metrics.hpp"

#include <cstdio>

namespace hub::gateway {

namespace {

using namespace std::string_view_literals;

// Wire names of the message types, in variant order (checked against the variants' sizes).
constexpr std::array client_types{"case.report"sv,   "case.act"sv,  "directive.issue"sv,
                                  "directive.act"sv, "subscribe"sv, "unsubscribe"sv,
                                  "query"sv,         "invalid"sv};
static_assert(client_types.size() == metrics::invalid_type + 1);
constexpr std::array server_types{"ack"sv,       "error"sv, "case.event"sv, "directive.event"sv,
                                  "aggregate"sv, "gap"sv,   "result"sv};
static_assert(server_types.size() == std::variant_size_v<protocol::server_message>);

constexpr std::array auth_reasons{"no_token"sv, "malformed"sv,      "bad_signature"sv,
                                  "expired"sv,  "unknown_person"sv, "mismatch"sv};

using protocol::errc;
constexpr std::array all_codes{
    errc::malformed,         errc::too_large,          errc::not_a_map,        errc::unknown_type,
    errc::missing_field,     errc::wrong_type,         errc::out_of_range,     errc::unknown_field,
    errc::unauthenticated,   errc::forbidden,          errc::unknown_unit,     errc::unknown_case,
    errc::unknown_directive, errc::invalid_transition, errc::invalid_argument, errc::rate_limited,
    errc::overloaded,        errc::try_again,          errc::conflict,         errc::internal};

std::uint64_t get(const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); }

void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}

void line(std::string& out, std::string_view name, std::string_view labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += name;
  out += labels;
  out += ' ';
  out += buf;
  out += '\n';
}

void line(std::string& out, std::string_view name, std::string_view labels, std::uint64_t value) {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

std::string label(std::string_view key, std::string_view value) {
  return "{" + std::string(key) + "=\"" + std::string(value) + "\"}";
}

} // namespace

void metrics::message_in(std::size_t type) {
  add(messages_in_[type < messages_in_.size() ? type : invalid_type]);
}

void metrics::message_out(const protocol::server_message& m) {
  add(messages_out_[m.index()]);
  if (auto* e = std::get_if<protocol::error>(&m)) {
    auto code = static_cast<std::size_t>(e->code);
    add(errors_[code < max_code ? code : static_cast<std::size_t>(errc::internal)]);
  }
}

void metrics::queue_overflow(std::size_t dropped) {
  add(queue_overflows_);
  add(queue_drops_, dropped);
}

void metrics::request_latency(std::chrono::nanoseconds d) {
  auto ns = d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
  auto seconds = static_cast<double>(ns) / 1e9;
  std::size_t i = 0;
  while (i < latency_buckets.size() && seconds > latency_buckets[i])
    ++i;
  if (i < latency_buckets.size())
    add(latency_[i]);
  add(latency_count_);
  add(latency_sum_ns_, ns);
}

void metrics::http_refused(unsigned status) {
  add(http_refused_[status == 431 ? 2 : status == 413 ? 1 : 0]);
}

void metrics::accept_error(bool descriptors) { add(accept_errors_[descriptors ? 0 : 1]); }

void metrics::rate_limited(bool person) { add(rate_limited_[person ? 1 : 0]); }

void metrics::auth_refused(std::string_view reason) {
  for (std::size_t i = 0; i < auth_reasons.size(); ++i)
    if (auth_reasons[i] == reason)
      return add(auth_refused_[i]);
}

std::string metrics::render(const snapshot& s) const {
  std::string out;
  out.reserve(8192);
  header(out, "hub_connections", "gauge", "Open WebSocket sessions.");
  line(out, "hub_connections", "", static_cast<double>(connections()));

  header(out, "hub_messages_in_total", "counter",
         "Frames read from clients, by message type (invalid: did not decode).");
  for (std::size_t i = 0; i < client_types.size(); ++i)
    line(out, "hub_messages_in_total", label("type", client_types[i]), get(messages_in_[i]));

  header(out, "hub_messages_out_total", "counter", "Frames written to clients, by message type.");
  for (std::size_t i = 0; i < server_types.size(); ++i)
    line(out, "hub_messages_out_total", label("type", server_types[i]), get(messages_out_[i]));

  header(out, "hub_ws_writes_total", "counter",
         "Writes to WebSocket connections' sockets, each gathering the frames queued.");
  line(out, "hub_ws_writes_total", "", get(ws_writes_));

  header(out, "hub_errors_total", "counter", "Error frames written to clients, by code.");
  for (auto code : all_codes)
    line(out, "hub_errors_total", label("code", protocol::to_string(code)),
         get(errors_[static_cast<std::size_t>(code)]));

  header(out, "hub_queue_drops_total", "counter",
         "Events dropped because a client's send queue overflowed.");
  line(out, "hub_queue_drops_total", "", get(queue_drops_));
  header(out, "hub_queue_overflows_total", "counter",
         "Send queue overflows (each told to its client with an overloaded error).");
  line(out, "hub_queue_overflows_total", "", get(queue_overflows_));

  header(out, "hub_request_latency_seconds", "histogram",
         "From a request submitted to the city to its reply written to the socket.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
    cumulative += get(latency_[i]);
    char le[32];
    std::snprintf(le, sizeof le, "%g", latency_buckets[i]);
    line(out, "hub_request_latency_seconds_bucket", label("le", le), cumulative);
  }
  line(out, "hub_request_latency_seconds_bucket", label("le", "+Inf"), get(latency_count_));
  line(out, "hub_request_latency_seconds_sum", "", static_cast<double>(get(latency_sum_ns_)) / 1e9);
  line(out, "hub_request_latency_seconds_count", "", get(latency_count_));

  header(out, "hub_auth_refused_total", "counter",
         "WebSocket upgrades refused with 401, by reason.");
  for (std::size_t i = 0; i < auth_reasons.size(); ++i)
    line(out, "hub_auth_refused_total", label("reason", auth_reasons[i]), get(auth_refused_[i]));

  header(out, "hub_abuse_closes_total", "counter",
         "Connections closed for oversized frames or too many undecodable ones.");
  line(out, "hub_abuse_closes_total", "", get(abuse_closes_));

  header(out, "hub_http_requests_total", "counter", "Plain HTTP requests served.");
  line(out, "hub_http_requests_total", "", get(http_requests_));
  header(out, "hub_http_refused_total", "counter",
         "HTTP requests answered with an error before they were read whole, by status "
         "(400 unreadable, 413 body too large, 431 headers too large).");
  line(out, "hub_http_refused_total", label("status", "400"), get(http_refused_[0]));
  line(out, "hub_http_refused_total", label("status", "413"), get(http_refused_[1]));
  line(out, "hub_http_refused_total", label("status", "431"), get(http_refused_[2]));
  header(out, "hub_accept_errors_total", "counter",
         "Failed accepts: out of descriptors (accepting paused), or another error.");
  line(out, "hub_accept_errors_total", label("reason", "descriptors"), get(accept_errors_[0]));
  line(out, "hub_accept_errors_total", label("reason", "other"), get(accept_errors_[1]));
  header(out, "hub_upgrades_throttled_total", "counter",
         "Upgrades answered 429: their address failed too many upgrades.");
  line(out, "hub_upgrades_throttled_total", "", get(upgrades_throttled_));
  header(out, "hub_rate_limited_total", "counter",
         "Frames refused rate_limited, by the bucket that was empty.");
  line(out, "hub_rate_limited_total", label("scope", "connection"), get(rate_limited_[0]));
  line(out, "hub_rate_limited_total", label("scope", "person"), get(rate_limited_[1]));
  header(out, "hub_unanswered_at_close_total", "counter",
         "Requests in flight when their connection closed (shutdown) whose reply did not come "
         "in time: answered try_again.");
  line(out, "hub_unanswered_at_close_total", "", get(unanswered_at_close_));

  header(out, "hub_bus_last_seq", "gauge", "Sequence number of the latest event on the bus.");
  line(out, "hub_bus_last_seq", "", s.bus_last_seq);
  header(out, "hub_bus_topics", "gauge", "Units with at least one subscriber.");
  line(out, "hub_bus_topics", "", static_cast<std::uint64_t>(s.bus_topics));
  header(out, "hub_bus_replays", "gauge", "Resumes still replaying kept events.");
  line(out, "hub_bus_replays", "", static_cast<std::uint64_t>(s.replays.active));
  header(out, "hub_bus_replayed_events_total", "counter", "Kept events replayed by resumes.");
  line(out, "hub_bus_replayed_events_total", "", s.replays.events);
  header(out, "hub_bus_gaps_total", "counter",
         "Gap messages sent: events a resume asked for were past retention.");
  line(out, "hub_bus_gaps_total", "", s.replays.gaps);

  const auto& st = s.store;
  header(out, "hub_store_durable", "gauge", "1 when state is stored in Redis, 0 in memory only.");
  line(out, "hub_store_durable", "", std::uint64_t{st.durable});
  header(out, "hub_store_connected", "gauge", "1 while the store answers.");
  line(out, "hub_store_connected", "", std::uint64_t{st.connected});
  header(out, "hub_store_accepting", "gauge",
         "1 while clients' writes are taken (else try_again, or conflict when fenced).");
  line(out, "hub_store_accepting", "", std::uint64_t{st.accepting});
  header(out, "hub_store_fenced", "gauge",
         "1 once the store refused this hub for good (writes answered conflict), by why.");
  line(out, "hub_store_fenced", label("reason", "superseded"),
       std::uint64_t{st.fenced == actors::fence::superseded});
  line(out, "hub_store_fenced", label("reason", "emptied"),
       std::uint64_t{st.fenced == actors::fence::emptied});
  header(out, "hub_store_pending", "gauge", "Commits waiting to be stored.");
  line(out, "hub_store_pending", "", static_cast<std::uint64_t>(st.pending));
  header(out, "hub_store_commits_total", "counter", "Commits stored, then published and answered.");
  line(out, "hub_store_commits_total", "", st.stored);
  header(out, "hub_store_failures_total", "counter", "Round trips to the store that failed.");
  line(out, "hub_store_failures_total", "", st.failures);
  header(out, "hub_store_conflicts_total", "counter",
         "Commits refused because another hub process took the store over.");
  line(out, "hub_store_conflicts_total", "", st.conflicts);
  if (s.archive.known) { // with a store: counted every few seconds by the archive's thread
    const auto& a = s.archive;
    header(out, "hub_cases_stored", "gauge",
           "Cases in the store: hot (what recovery reads) or archived (ended, let go of).");
    line(out, "hub_cases_stored", label("where", "hot"), a.hot_cases);
    line(out, "hub_cases_stored", label("where", "archive"), a.archived_cases);
    header(out, "hub_directives_archived", "gauge", "Directives in the store's archive.");
    line(out, "hub_directives_archived", "", a.archived_directives);
    header(out, "hub_archive_bytes", "gauge",
           "The archive's size in Redis (MEMORY USAGE of its hashes, estimated).");
    line(out, "hub_archive_bytes", "", a.bytes);
    header(out, "hub_redis_memory_bytes", "gauge",
           "Redis's used_memory, and its maxmemory (0: no limit).");
    line(out, "hub_redis_memory_bytes", label("of", "used"), a.redis_used);
    line(out, "hub_redis_memory_bytes", label("of", "max"), a.redis_max);
  }
  header(out, "hub_uptime_seconds", "gauge", "Seconds since the gateway started.");
  line(out, "hub_uptime_seconds", "", s.uptime_seconds);
  return out;
}

} // namespace hub::gateway
