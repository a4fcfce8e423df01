// hub-cli: act as any person of the hierarchy from a shell, over the hub's WebSocket.
//
//   hub-cli --url ws://127.0.0.1:8080/ (--token T | --token-for PERSON --secret-file F
//           --hierarchy FILE) [--json] [--timeout-ms N] [--msg-id N] COMMAND [options]
//
// Each command but `watch` sends one request, prints the hub's reply as one JSON line and exits
// 0 on ack or result, 1 on error (code and message on stderr) or when the hub cannot be reached, 2
// on a usage error. `watch` prints every event and aggregate as one JSON line until Ctrl-C.
// `hub-cli --help` lists the commands.

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "protocol/hierarchy_file.hpp"
#include "protocol/json.hpp"
#include "sim/client/ws_client.hpp"

#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace hub;
using namespace std::chrono_literals;

constexpr std::string_view usage =
    R"(usage: hub-cli --url ws://HOST:PORT/ AUTH [--json] [--timeout-ms N] [--msg-id N] COMMAND [options]

AUTH is one of
  --token TOKEN                                 a token from `hub token`
  --token-for PERSON --secret-file F --hierarchy FILE
                                                mint one locally with the hub's secret

COMMAND is one of
  report --unit U --category C --title T [--urgent] [--lat X --lon Y]
         [--description D] [--address A] [--external-id E]
  act --case ID --action A [--note N] [--departments D1,D2] [--unit U] [--score S]
      [--duplicate-of ID]
  issue --channel N --title T [--body B] [--deadline-minutes M]
        --target subtree|level|module|post|people [--units U1,U2] [--level KIND]
        [--module M] [--post POST] [--people P1,P2]
  directive --id ID --action sign|complete|remind [--note N]
  watch --unit U [--since SEQ] [--no-figures]
                                      every event and aggregate as a JSON line, until Ctrl-C
                                      (--no-figures: events only, no aggregates)
  case --case ID [--limit N] [--cursor C]
                                      one case with its history (a page of up to N steps)
  cases --unit U [--status open|done|all] [--state S] [--colour C] [--category C]
        [--urgency U] [--level KIND] [--hotline 0|1] [--from MS] [--to MS]
        [--sort deadline|changed] [--limit N] [--cursor C] [--all]
                                      the cases of U's subtree, a page (--all: every page,
                                      one JSON line each)
  receipts --directive ID [--unit U] [--lagging sign|complete] [--limit N] [--cursor C]
                                      a directive's receipts in U's subtree, per child, and a
                                      page of the laggards
  directives --unit U [--box inbox|issued] [--limit N] [--cursor C]
                                      the directives addressed to U (inbox, the default) with
                                      its own receipts, or those U issued with their tally
  figures --unit U [--period today|week|month|all] [--from MS --to MS]
                                      U's figures and each child's over the period (Asia/
                                      Shanghai days; --from/--to: those days, both included)
  ranking --unit U [--level county|township|department]
          [--by resolution|satisfaction|response|overdue|answered|rating]
          [--period today|week|month|all] [--from MS --to MS]
                                      两比: the city's counties, or a county's townships
                                      (the default) or departments, in order

  --json          speak JSON text frames instead of MessagePack (output is JSON either way)
  --timeout-ms N  how long to wait for the connection and for the reply (default 10000)
  --msg-id N      the request's message id (default: microseconds since 1970, fresh each
                  run; give an earlier one to retry that request: the hub answers it again
                  without applying it twice)

Exit: 0 ack or result, 1 error or unreachable hub, 2 usage error.
)";

/// A usage error: printed with the usage line, exit code 2.
struct usage_error {
  std::string what;
};

[[noreturn]] void bad(std::string what) { throw usage_error{std::move(what)}; }

// -- argument parsing -----------------------------------------------------------------------

/// The command line split into the command and its `--key value` options; flags get "".
struct args {
  std::string command;
  std::map<std::string, std::string> opts;
  std::set<std::string> used;

  bool has(const std::string& key) {
    used.insert(key);
    return opts.count(key) != 0;
  }
  std::optional<std::string> get(const std::string& key) {
    used.insert(key);
    auto it = opts.find(key);
    return it == opts.end() ? std::nullopt : std::optional{it->second};
  }
  std::string need(const std::string& key) {
    auto v = get(key);
    if (!v || v->empty())
      bad(command + " needs --" + key);
    return *v;
  }
  /// Fails on options the command did not read (typos, options of another command).
  void check_all_used() const {
    for (auto& [key, value] : opts)
      if (!used.count(key))
        bad("unknown option --" + key + (command.empty() ? "" : " for " + command));
  }
};

const std::set<std::string_view> flags = {"urgent", "json", "help", "all", "no-figures"};

args split(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h")
      arg = "--help";
    if (!arg.starts_with("--")) {
      if (!a.command.empty())
        bad("unexpected argument " + std::string(arg));
      a.command = arg;
      continue;
    }
    std::string key(arg.substr(2));
    if (a.opts.count(key))
      bad("--" + key + " given twice");
    if (flags.count(key)) {
      a.opts[key] = "";
    } else {
      if (i + 1 >= argc)
        bad("missing value for --" + key);
      a.opts[key] = argv[++i];
    }
  }
  return a;
}

std::uint64_t to_uint(const std::string& key, std::string_view v) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
    bad("--" + key + " needs an unsigned number, not \"" + std::string(v) + "\"");
  return n;
}

double to_double(const std::string& key, const std::string& v) {
  try {
    std::size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size())
      return d;
  } catch (const std::exception&) {}
  bad("--" + key + " needs a number, not \"" + v + "\"");
}

std::vector<std::uint64_t> to_list(const std::string& key, std::string_view v) {
  std::vector<std::uint64_t> out;
  while (true) {
    auto comma = v.find(',');
    out.push_back(to_uint(key, v.substr(0, comma)));
    if (comma == std::string_view::npos)
      return out;
    v.remove_prefix(comma + 1);
  }
}

template <class Enum>
Enum to_enum(const std::string& key, const std::string& v) {
  if (auto e = protocol::parse<Enum>(v))
    return *e;
  std::string names;
  for (auto n : protocol::enum_names<Enum>::names)
    names += (names.empty() ? "" : ", ") + std::string(n);
  bad("--" + key + " must be one of " + names + "; not \"" + v + "\"");
}

// -- the commands as protocol messages --------------------------------------------------------

protocol::client_body report_of(args& a) {
  protocol::case_report r;
  r.unit = to_uint("unit", a.need("unit"));
  r.category = a.need("category");
  r.title = a.need("title");
  r.level = a.has("urgent") ? protocol::urgency::urgent : protocol::urgency::normal;
  auto lat = a.get("lat");
  auto lon = a.get("lon");
  if (lat.has_value() != lon.has_value())
    bad("report needs both --lat and --lon, or neither");
  if (lat) {
    r.lat = to_double("lat", *lat);
    r.lon = to_double("lon", *lon);
  }
  r.description = a.get("description").value_or("");
  r.address = a.get("address").value_or("");
  r.external_id = a.get("external-id").value_or("");
  return r;
}

protocol::client_body act_of(args& a) {
  protocol::case_act c;
  c.id = to_uint("case", a.need("case"));
  c.action = to_enum<protocol::case_action>("action", a.need("action"));
  c.note = a.get("note").value_or("");
  if (auto d = a.get("departments"))
    c.departments = to_list("departments", *d);
  if (auto u = a.get("unit"))
    c.unit = to_uint("unit", *u);
  if (auto s = a.get("score")) {
    auto score = to_uint("score", *s);
    if (score > 255)
      bad("--score must be 1..5");
    c.score = static_cast<std::uint8_t>(score);
  }
  if (auto d = a.get("duplicate-of"))
    c.duplicate_of = to_uint("duplicate-of", *d);
  return c;
}

protocol::client_body issue_of(args& a) {
  protocol::directive_issue d;
  auto channel = to_uint("channel", a.need("channel"));
  if (channel > 255)
    bad("--channel must be 0..13");
  d.channel = static_cast<std::uint8_t>(channel);
  d.title = a.need("title");
  d.body = a.get("body").value_or("");
  if (auto m = a.get("deadline-minutes")) {
    auto minutes = to_uint("deadline-minutes", *m);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    d.deadline = now.count() + static_cast<std::int64_t>(minutes) * 60'000;
  }
  auto& t = d.target;
  t.kind = to_enum<protocol::target_kind>("target", a.need("target"));
  using protocol::target_kind;
  if (t.kind != target_kind::people)
    t.units = to_list("units", a.need("units"));
  if (t.kind == target_kind::level)
    t.level = to_enum<protocol::unit_kind>("level", a.need("level"));
  if (t.kind == target_kind::module) {
    auto m = to_uint("module", a.need("module"));
    if (m > 255)
      bad("--module must be 0..9");
    t.module = static_cast<std::uint8_t>(m);
  }
  if (t.kind == target_kind::post)
    t.holder = to_enum<protocol::post>("post", a.need("post"));
  if (t.kind == target_kind::people)
    t.people = to_list("people", a.need("people"));
  return d;
}

protocol::client_body directive_of(args& a) {
  protocol::directive_act d;
  d.id = to_uint("id", a.need("id"));
  d.action = to_enum<protocol::directive_action>("action", a.need("action"));
  d.note = a.get("note").value_or("");
  return d;
}

/// The paging options every query has.
void page_of(args& a, protocol::query& q) {
  if (auto l = a.get("limit")) {
    auto limit = to_uint("limit", *l);
    if (limit == 0 || limit > protocol::limits::page)
      bad("--limit must be 1.." + std::to_string(protocol::limits::page));
    q.limit = static_cast<std::uint32_t>(limit);
  }
  q.cursor = a.get("cursor").value_or("");
}

protocol::client_body case_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::one_case;
  q.case_ref = to_uint("case", a.need("case"));
  page_of(a, q);
  return q;
}

protocol::client_body receipts_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::directive;
  q.directive_ref = to_uint("directive", a.need("directive"));
  if (auto v = a.get("unit"))
    q.unit = to_uint("unit", *v);
  if (auto v = a.get("lagging")) {
    q.lagging = to_enum<protocol::directive_action>("lagging", *v);
    if (q.lagging != protocol::directive_action::sign &&
        q.lagging != protocol::directive_action::complete)
      bad("--lagging must be sign or complete");
  }
  page_of(a, q);
  return q;
}

protocol::client_body directives_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::directives;
  q.unit = to_uint("unit", a.need("unit"));
  if (auto v = a.get("box"))
    q.box = to_enum<protocol::directive_box>("box", *v);
  page_of(a, q);
  return q;
}

/// The period of `figures` and `ranking`: --period, or --from and --to (period days).
void period_of(args& a, protocol::query& q) {
  if (auto v = a.get("period"))
    q.period = to_enum<protocol::figure_period>("period", *v);
  auto from = a.get("from"), to = a.get("to");
  if (from || to) {
    if (!from || !to)
      bad("--from and --to go together");
    q.period = protocol::figure_period::days;
    q.from = static_cast<protocol::timestamp_ms>(to_uint("from", *from));
    q.to = static_cast<protocol::timestamp_ms>(to_uint("to", *to));
  } else if (q.period == protocol::figure_period::days) {
    bad("--period days needs --from and --to");
  }
}

protocol::client_body figures_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::figures;
  q.unit = to_uint("unit", a.need("unit"));
  period_of(a, q);
  return q;
}

protocol::client_body ranking_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::ranking;
  q.unit = to_uint("unit", a.need("unit"));
  if (auto v = a.get("level"))
    q.held_at = to_enum<protocol::unit_kind>("level", *v);
  if (auto v = a.get("by"))
    q.by = to_enum<protocol::rank_by>("by", *v);
  period_of(a, q);
  return q;
}

protocol::client_body cases_query_of(args& a) {
  protocol::query q;
  q.what = protocol::query_kind::cases;
  q.unit = to_uint("unit", a.need("unit"));
  if (auto v = a.get("status"))
    q.status = to_enum<protocol::case_status>("status", *v);
  if (auto v = a.get("state"))
    q.state = to_enum<protocol::case_state>("state", *v);
  if (auto v = a.get("colour"))
    q.colour = to_enum<protocol::deadline_colour>("colour", *v);
  q.category = a.get("category").value_or("");
  if (auto v = a.get("urgency"))
    q.level = to_enum<protocol::urgency>("urgency", *v);
  if (auto v = a.get("level"))
    q.held_at = to_enum<protocol::unit_kind>("level", *v);
  if (auto v = a.get("hotline")) {
    auto h = to_uint("hotline", *v);
    if (h > 1)
      bad("--hotline must be 0 or 1");
    q.hotline = h == 1;
  }
  if (auto v = a.get("from"))
    q.from = static_cast<protocol::timestamp_ms>(to_uint("from", *v));
  if (auto v = a.get("to"))
    q.to = static_cast<protocol::timestamp_ms>(to_uint("to", *v));
  if (auto v = a.get("sort"))
    q.order = to_enum<protocol::case_order>("sort", *v);
  page_of(a, q);
  return q;
}

// -- the token --------------------------------------------------------------------------------

/// The token to present: --token as given, or one minted with the hub's secret for a person
/// of the hierarchy (checked to exist, so a typo fails here rather than as a 401).
std::string token_of(args& a) {
  auto given = a.get("token");
  auto person = a.get("token-for");
  if (given.has_value() == person.has_value())
    bad("give either --token or --token-for PERSON --secret-file F --hierarchy FILE");
  if (given)
    return *given;
  auto id = to_uint("token-for", *person);
  auto secret_file = a.need("secret-file");
  auto hierarchy_file = a.need("hierarchy");
  auto loaded = protocol::load_hierarchy(hierarchy_file);
  if (auto* e = std::get_if<protocol::hierarchy_error>(&loaded))
    throw std::runtime_error("cannot load " + hierarchy_file + ": " + e->to_string());
  auto& h = std::get<protocol::hierarchy>(loaded);
  auto* who = h.find_person(id);
  if (who == nullptr)
    throw std::runtime_error("no person " + std::to_string(id) + " in " + hierarchy_file);
  std::string secret, why;
  if (!gateway::read_secret(secret_file, secret, why))
    throw std::runtime_error(why);
  return gateway::token::issue(secret, *who, std::chrono::hours{12});
}

// -- running ----------------------------------------------------------------------------------

void print(const protocol::server_message& msg) {
  std::cout << protocol::to_json(msg) << std::endl; // flushed: hub-cli is often piped
}

/// Prints the reply; returns the exit code.
int answer(const std::optional<protocol::server_message>& reply, sim::ws_blocking_client& c,
           std::chrono::milliseconds timeout) {
  if (!reply) {
    std::cerr << "hub-cli: no reply "
              << (c.closed() ? "(" + c.why_closed() + ")"
                             : "within " + std::to_string(timeout.count()) + " ms")
              << "\n";
    return 1;
  }
  print(*reply);
  if (auto* e = std::get_if<protocol::error>(&*reply)) {
    std::cerr << "hub-cli: error " << static_cast<int>(e->code) << " "
              << protocol::to_string(e->code) << ": " << e->message << "\n";
    return 1;
  }
  return std::holds_alternative<protocol::ack>(*reply) ||
                 std::holds_alternative<protocol::result>(*reply)
             ? 0
             : 1;
}

/// `cases --all`: asks page after page (each with a fresh message id), printing each result,
/// until the last page.
int every_page(sim::ws_blocking_client& c, protocol::client_message msg,
               std::chrono::milliseconds timeout) {
  for (;;) {
    auto reply = c.request(msg, timeout);
    auto code = answer(reply, c, timeout);
    auto* r = reply ? std::get_if<protocol::result>(&*reply) : nullptr;
    if (code != 0 || r == nullptr || r->cursor.empty())
      return code;
    std::get<protocol::query>(msg.body).cursor = r->cursor;
    ++msg.id;
  }
}

/// `watch`: subscribe, then print every message as a JSON line until Ctrl-C (exit 0) or the
/// hub closes the connection (exit 1).
int watch(sim::ws_blocking_client& c, protocol::client_message sub,
          std::chrono::milliseconds timeout) {
  auto reply = c.request(sub, timeout);
  if (!reply || !std::holds_alternative<protocol::ack>(*reply))
    return answer(reply, c, timeout);
  auto unit = std::get<protocol::subscribe>(sub.body).unit;
  std::cerr << "hub-cli: watching unit " << unit << " (Ctrl-C to stop)\n";
  bool stop = false;
  boost::asio::signal_set signals(c.context(), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) {
      stop = true;
      c.interrupt();
    }
  });
  while (!stop) {
    auto msg = c.read(std::chrono::hours{24});
    if (msg)
      print(*msg);
    else if (c.closed()) {
      std::cerr << "hub-cli: " << c.why_closed() << "\n";
      return 1;
    }
  }
  signals.cancel();
  c.close();
  return 0;
}

int run(args& a) {
  if (a.has("help") || a.command.empty()) {
    std::cout << usage;
    return a.command.empty() && !a.has("help") ? 2 : 0;
  }
  std::string why;
  auto url = sim::parse_ws_url(a.need("url"), &why);
  if (!url)
    bad("--url: " + why);
  std::chrono::milliseconds timeout{10'000};
  if (auto t = a.get("timeout-ms"))
    timeout = std::chrono::milliseconds{to_uint("timeout-ms", *t)};
  protocol::client_message msg;
  // The hub remembers replies by (person, id) and answers a repeated id from memory without
  // applying the request: so a fresh id per invocation (microseconds since the epoch) unless
  // --msg-id asks to retry one.
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  auto retry = a.get("msg-id");
  msg.id = retry ? to_uint("msg-id", *retry) : static_cast<std::uint64_t>(micros.count());
  if (msg.id == 0)
    bad("--msg-id must be at least 1");
  sim::ws_options options;
  options.format = a.has("json") ? sim::wire_format::json : sim::wire_format::msgpack;
  const auto& cmd = a.command;
  if (cmd == "report")
    msg.body = report_of(a);
  else if (cmd == "act")
    msg.body = act_of(a);
  else if (cmd == "issue")
    msg.body = issue_of(a);
  else if (cmd == "directive")
    msg.body = directive_of(a);
  else if (cmd == "case")
    msg.body = case_query_of(a);
  else if (cmd == "cases")
    msg.body = cases_query_of(a);
  else if (cmd == "receipts")
    msg.body = receipts_query_of(a);
  else if (cmd == "directives")
    msg.body = directives_query_of(a);
  else if (cmd == "figures")
    msg.body = figures_query_of(a);
  else if (cmd == "ranking")
    msg.body = ranking_query_of(a);
  else if (cmd == "watch") {
    protocol::subscribe s;
    s.unit = to_uint("unit", a.need("unit"));
    if (auto since = a.get("since"))
      s.since = to_uint("since", *since);
    s.figures = !a.has("no-figures");
    msg.body = s;
  } else
    bad("unknown command " + cmd);
  const bool all_pages = cmd == "cases" && a.has("all");
  auto token = token_of(a);
  a.check_all_used();

  sim::ws_blocking_client client(options);
  auto failed = client.connect(*url, token, timeout);
  if (!failed.empty()) {
    std::cerr << "hub-cli: cannot connect to ws://" << url->host << ":" << url->port << url->target
              << ": " << failed << "\n";
    return 1;
  }
  if (cmd == "watch")
    return watch(client, msg, timeout);
  if (all_pages) {
    auto code = every_page(client, msg, timeout);
    client.close();
    return code;
  }
  auto code = answer(client.request(msg, timeout), client, timeout);
  client.close();
  return code;
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto a = split(argc, argv);
    return run(a);
  } catch (const usage_error& e) {
    std::cerr << "hub-cli: " << e.what << "\n(hub-cli --help for the usage)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hub-cli: " << e.what() << "\n";
    return 1;
  }
}
