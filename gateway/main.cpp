// hub: the hub's executable.
//   hub serve --hierarchy FILE [--port 8080] [--address 127.0.0.1] [--secret-file PATH]
//             [--www DIR] [--threads N] [--io-threads N] [--scheduler stealing|sharing]
//             [--redis HOST:PORT] [--open311-keys FILE [--open311-data FILE]
//             [--open311-webhook URL]]
//   hub token --hierarchy FILE --person ID [--secret-file PATH] [--ttl SECONDS]
// `serve` runs the city of actors behind the WebSocket gateway until SIGINT or SIGTERM;
// `token` prints a token for a person of the hierarchy. Usage errors exit with 2.

#include "actors/city.hpp"
#include "gateway/listener.hpp"
#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "gateway/open311/service.hpp"
#include "gateway/open311/webhook.hpp"
#include "gateway/server.hpp"
#include "persistence/case_archive_store.hpp"
#include "persistence/event_cursor.hpp"
#include "persistence/records.hpp"
#include "persistence/recovery.hpp"
#include "persistence/redis_journal.hpp"
#include "protocol/hierarchy_file.hpp"

#include <boost/asio/ip/address.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <sys/resource.h>
#include <system_error>

#ifndef HUB_DEFAULT_WWW
#define HUB_DEFAULT_WWW "gateway/www"
#endif

namespace {

using hub::protocol::hierarchy;

// Thread defaults, chosen by measurement on the 2-core VM (sim/README.md, hub-load): 2 actor
// threads sharing one queue leave the cores to the io threads while a delivery is written,
// where 4 work-stealing workers spun in their polling loops.
#define HUB_DEFAULT_SCHEDULER "sharing"
#define HUB_DEFAULT_ACTOR_THREADS "2"
#define HUB_DEFAULT_IO_THREADS "2"
constexpr const char* default_scheduler = HUB_DEFAULT_SCHEDULER;

constexpr const char* usage_text =
    "usage: hub serve --hierarchy FILE [--port PORT (8080; 0: any free port)]\n"
    "                 [--address ADDR (127.0.0.1)] [--secret-file PATH (data/hub.secret)]\n"
    "                 [--www DIR (" HUB_DEFAULT_WWW ")]\n"
    "                 [--threads N (actor threads, " HUB_DEFAULT_ACTOR_THREADS ")]\n"
    "                 [--io-threads N (gateway threads, " HUB_DEFAULT_IO_THREADS ")]\n"
    "                 [--scheduler stealing|sharing (CAF's policy, " HUB_DEFAULT_SCHEDULER ")]\n"
    "                 [--redis HOST:PORT (none: state in memory only)]\n"
    "                 [--open311-keys FILE (none: no Open311)] [--open311-data FILE]\n"
    "                 [--open311-webhook http://HOST:PORT/PATH (needs --redis)]\n"
    "                 [--time-scale N (1; every time limit of the hierarchy divided by N)]\n"
    "                 [--retain-days N (30; an ended case is archived N days after its last\n"
    "                  step, with --redis) | --retain-seconds N; either divided by --time-scale]\n"
    "                 [--figure-days N (92; the figures keep N calendar days one by one, then\n"
    "                  fold them into months)]\n"
    "       hub token --hierarchy FILE --person ID [--secret-file PATH (data/hub.secret)]\n"
    "                 [--ttl SECONDS (86400; 0: already expired, to test expiry)]\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "hub: %s\n%s", why.c_str(), usage_text);
  return 2;
}

/// `--name value` pairs; nullopt (with `why`) on a stray or repeated argument or one not in
/// `known`.
std::optional<std::map<std::string, std::string>>
parse_options(int argc, char** argv, std::initializer_list<const char*> known, std::string& why) {
  std::map<std::string, std::string> out;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool ok = false;
    for (auto* k : known)
      ok = ok || arg == k;
    if (!ok) {
      why = "unknown argument: " + arg;
      return std::nullopt;
    }
    if (i + 1 >= argc) {
      why = arg + " needs a value";
      return std::nullopt;
    }
    if (!out.emplace(arg, argv[++i]).second) {
      why = arg + " given twice";
      return std::nullopt;
    }
  }
  return out;
}

/// Parses a whole decimal number in [lo, hi]; nullopt otherwise.
std::optional<unsigned long long> number(const std::string& text, unsigned long long lo,
                                         unsigned long long hi) {
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  errno = 0;
  auto n = std::strtoull(text.c_str(), nullptr, 10);
  if (errno != 0 || n < lo || n > hi)
    return std::nullopt;
  return n;
}

std::string get(const std::map<std::string, std::string>& opts, const char* key,
                std::string fallback = {}) {
  auto i = opts.find(key);
  return i == opts.end() ? fallback : i->second;
}

/// Loads the hierarchy or prints why not (line and field) and returns null.
std::shared_ptr<const hierarchy> load(const std::string& file) {
  auto loaded = hub::protocol::load_hierarchy(file);
  if (auto* err = std::get_if<hub::protocol::hierarchy_error>(&loaded)) {
    std::fprintf(stderr, "hub: %s: %s\n", file.c_str(), err->to_string().c_str());
    return nullptr;
  }
  return std::make_shared<const hierarchy>(std::move(std::get<hierarchy>(loaded)));
}

int token_command(int argc, char** argv) {
  std::string why;
  auto opts = parse_options(argc, argv, {"--hierarchy", "--person", "--secret-file", "--ttl"}, why);
  if (!opts)
    return usage(why);
  auto file = get(*opts, "--hierarchy");
  if (file.empty() || !opts->count("--person"))
    return usage("token needs --hierarchy and --person");
  auto person = number(get(*opts, "--person"), 1, UINT64_MAX);
  auto ttl = number(get(*opts, "--ttl", "86400"), 0, 10ull * 365 * 86400);
  if (!person || !ttl)
    return usage("--person must be a person id, --ttl a number of seconds");
  auto h = load(file);
  if (!h)
    return 1;
  const auto* p = h->find_person(*person);
  if (p == nullptr) {
    std::fprintf(stderr, "hub: no person %llu in %s\n", *person, file.c_str());
    return 1;
  }
  std::string secret;
  if (!hub::gateway::read_secret(get(*opts, "--secret-file", "data/hub.secret"), secret, why)) {
    std::fprintf(stderr, "hub: %s\n", why.c_str());
    return 1;
  }
  auto token = hub::gateway::token::issue(secret, *p, std::chrono::seconds(*ttl));
  std::printf("%s\n", token.c_str());
  return 0;
}

// -- hub serve, step by step ------------------------------------------------------------------

/// What `hub serve` was asked for.
struct serve_options {
  std::string hierarchy_file;
  std::string secret_file;
  hub::gateway::config gateway;
  std::size_t threads = 0;
  std::string scheduler;
  std::optional<hub::persistence::store_options> store;    // --redis
  std::string open311_keys, open311_data, open311_webhook; // gateway/open311/README.md
  unsigned long long time_scale = 1;                       // --time-scale
  unsigned long long retain_seconds = 30 * 86400;          // --retain-days, --retain-seconds
  std::int32_t figure_days = 92;                           // --figure-days
};

/// Parses `hub serve`'s arguments; nullopt with `exit_code` set (2, usage printed) when they
/// are wrong.
std::optional<serve_options> parse_serve_options(int argc, char** argv, int& exit_code) {
  auto fail = [&](const std::string& why) {
    exit_code = usage(why);
    return std::nullopt;
  };
  std::string why;
  auto opts = parse_options(argc, argv,
                            {"--hierarchy", "--port", "--address", "--secret-file", "--www",
                             "--threads", "--io-threads", "--scheduler", "--redis",
                             "--open311-keys", "--open311-data", "--open311-webhook",
                             "--time-scale", "--retain-days", "--retain-seconds", "--figure-days"},
                            why);
  if (!opts)
    return fail(why);
  serve_options o;
  o.hierarchy_file = get(*opts, "--hierarchy");
  if (o.hierarchy_file.empty())
    return fail("serve needs --hierarchy");
  auto port = number(get(*opts, "--port", "8080"), 0, 65535);
  auto threads = number(get(*opts, "--threads", HUB_DEFAULT_ACTOR_THREADS), 1, 1024);
  auto io_threads = number(get(*opts, "--io-threads", HUB_DEFAULT_IO_THREADS), 1, 1024);
  if (!port || !threads || !io_threads)
    return fail("--port must be 0..65535, --threads and --io-threads 1..1024");
  auto time_scale = number(get(*opts, "--time-scale", "1"), 1, 86400);
  if (!time_scale)
    return fail("--time-scale must be 1..86400");
  o.time_scale = *time_scale;
  if (opts->contains("--retain-days") && opts->contains("--retain-seconds"))
    return fail("--retain-days and --retain-seconds: one or the other");
  auto retain_days = number(get(*opts, "--retain-days", "30"), 0, 36500);
  auto retain_seconds = number(get(*opts, "--retain-seconds", "0"), 0, 36500ull * 86400);
  if (!retain_days || !retain_seconds)
    return fail("--retain-days must be 0..36500, --retain-seconds 0..3153600000");
  o.retain_seconds = opts->contains("--retain-seconds") ? *retain_seconds : *retain_days * 86400ull;
  auto figure_days = number(get(*opts, "--figure-days", "92"), 1, 36500);
  if (!figure_days)
    return fail("--figure-days must be 1..36500");
  o.figure_days = static_cast<std::int32_t>(*figure_days);
  o.scheduler = get(*opts, "--scheduler", default_scheduler);
  if (o.scheduler != "stealing" && o.scheduler != "sharing")
    return fail("--scheduler must be stealing or sharing");
  o.threads = static_cast<std::size_t>(*threads);
  o.secret_file = get(*opts, "--secret-file", "data/hub.secret");
  auto& cfg = o.gateway;
  cfg.address = get(*opts, "--address", "127.0.0.1");
  cfg.port = static_cast<std::uint16_t>(*port);
  cfg.io_threads = *io_threads;
  cfg.www_dir = get(*opts, "--www", HUB_DEFAULT_WWW);
  boost::system::error_code ec;
  boost::asio::ip::make_address(cfg.address, ec);
  if (ec)
    return fail("--address must be an IP address");
  if (auto redis = get(*opts, "--redis"); !redis.empty()) {
    auto at = hub::persistence::redis_address::parse(redis);
    if (!at)
      return fail("--redis must be HOST:PORT");
    o.store.emplace();
    o.store->address = *at;
  }
  o.open311_keys = get(*opts, "--open311-keys");
  o.open311_data = get(*opts, "--open311-data");
  o.open311_webhook = get(*opts, "--open311-webhook");
  if (o.open311_keys.empty() && !o.open311_data.empty())
    return fail("--open311-data needs --open311-keys");
  if (!o.open311_webhook.empty() && (o.open311_keys.empty() || !o.store))
    return fail("--open311-webhook needs --open311-keys and --redis (its outbox is in Redis)");
  if (!o.open311_webhook.empty() && !hub::open311::webhook_target::parse(o.open311_webhook))
    return fail("--open311-webhook must be http://HOST[:PORT]/PATH");
  return o;
}

/// Open311's files (gateway/open311/README.md), read before anything starts: the catalogue and
/// the keys, or nullopt when Open311 is off. False (with the reason printed) when a file is
/// wrong.
bool load_open311(const hierarchy& h, const serve_options& o,
                  std::optional<hub::open311::catalogue>& data, hub::open311::key_table& keys) {
  if (o.open311_keys.empty())
    return true;
  try {
    keys = hub::open311::key_table::load(h, o.open311_keys);
    data = o.open311_data.empty() ? hub::open311::catalogue(h)
                                  : hub::open311::catalogue::load(h, o.open311_data);
    return true;
  } catch (const hub::open311::data_error& e) {
    std::fprintf(stderr, "hub: %s\n", e.what());
    return false;
  }
}

/// The Open311 webhook's outbox: the event log and a cursor in Redis (persistence/README.md).
class redis_outbox final : public hub::open311::outbox {
public:
  redis_outbox(const hub::persistence::store_options& o, std::string name)
    : cursor_(o, std::move(name)) {}
  std::optional<std::uint64_t> delivered() override { return cursor_.load(); }
  bool mark_delivered(std::uint64_t seq) override { return cursor_.save(seq); }
  std::optional<batch> after(std::uint64_t seq) override {
    std::optional<hub::persistence::event_cursor::batch> got;
    try {
      got = cursor_.read(seq, 64);
    } catch (const hub::persistence::corrupt_record& e) {
      std::fprintf(stderr, "hub: open311 webhook: %s\n", e.what()); // tried again, later
    }
    if (!got)
      return std::nullopt;
    batch out;
    out.gap = got->gap;
    for (auto& e : got->events)
      out.entries.push_back({e.seq, std::move(e.message)});
    return out;
  }

private:
  hub::persistence::event_cursor cursor_;
};

/// Open311 on the city (gateway/open311/README.md), when configured: the service the gateway
/// serves under /open311/v2/ (into `cfg`), and the webhook that posts hotline updates.
std::unique_ptr<hub::open311::webhook>
start_open311(const std::shared_ptr<const hierarchy>& h, const serve_options& o,
              hub::actors::city& city, std::optional<hub::open311::catalogue> data,
              hub::open311::key_table keys, hub::gateway::config& cfg) {
  if (data) {
    cfg.open311 = std::make_shared<hub::open311::service>(city, std::move(*data), std::move(keys));
    cfg.open311->start();
  }
  if (o.open311_webhook.empty())
    return nullptr;
  hub::open311::webhook_options wo;
  wo.url = o.open311_webhook;
  auto hook = std::make_unique<hub::open311::webhook>(
      *h, std::make_unique<redis_outbox>(*o.store, "open311-webhook"), wo);
  hook->start();
  return hook;
}

/// The token secret, made when missing; false (with the reason printed) when it cannot be
/// read or is too short.
bool load_secret(serve_options& o) {
  std::string why;
  if (hub::gateway::load_or_create_secret(o.secret_file, o.gateway.secret, why))
    return true;
  std::fprintf(stderr, "hub: %s\n", why.c_str());
  return false;
}

/// One descriptor per connection: take all the open-file limit allows (18,100 grids at once).
void raise_file_limit() {
  if (rlimit lim{}; getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

/// SIGINT and SIGTERM are taken by sigwait (run_until_signal): blocked before any thread
/// starts, so every thread inherits the mask and none is interrupted.
sigset_t block_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

/// Binds the port before anything is taken over: a hub that cannot serve (the port is busy,
/// another hub runs there) must not take the store's writer epoch from the one that does.
/// Nullopt (with the reason printed) when it cannot.
std::optional<hub::gateway::listening_socket> bind_port(const hub::gateway::config& cfg) {
  try {
    return hub::gateway::listening_socket{{boost::asio::ip::make_address(cfg.address), cfg.port}};
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "hub: %s\n", e.what());
    return std::nullopt;
  }
}

/// Reads the store into `opts` (the snapshot, and the journal the city will write through);
/// false (with the reason printed) when it cannot. Takes a new writer epoch: from here on an
/// older hub on the same store is fenced.
bool recover_store(const std::shared_ptr<const hierarchy>& h, hub::persistence::store_options store,
                   hub::actors::city_options& opts) {
  // What recovery hands back is what the city keeps: the bus's resume window, the ledger.
  store.resume_window = opts.retention;
  store.request_log = opts.remembered_requests;
  auto loaded = hub::persistence::recover(*h, store);
  if (auto* why = std::get_if<std::string>(&loaded)) {
    std::fprintf(stderr, "hub: %s\n", why->c_str());
    return false;
  }
  auto& r = std::get<hub::persistence::recovered>(loaded);
  std::fprintf(stderr,
               "hub: store at %s: %s; %zu cases (%zu open), %zu department tasks, %zu directives "
               "with %zu receipts, %zu events to resume from (last %llu), read in %lld ms\n",
               store.address.to_string().c_str(), r.fresh ? "new" : "recovered", r.cases,
               r.open_cases, r.tasks, r.directives, r.receipts, r.events,
               static_cast<unsigned long long>(r.snapshot->last_seq),
               static_cast<long long>(r.took.count()));
  auto last_seq = r.snapshot->last_seq;
  auto epoch = r.epoch;
  opts.snapshot = std::move(r.snapshot);
  opts.archive = std::make_shared<hub::persistence::case_archive_store>(store);
  opts.make_store = [h, store, last_seq, epoch](std::shared_ptr<hub::actors::bus> events) {
    return std::make_shared<hub::persistence::redis_journal>(std::move(events), h, store, last_seq,
                                                             epoch);
  };
  return true;
}

/// The city's starting point: recovered from the store (false when it cannot be), or empty in
/// memory.
bool prepare_city(const std::shared_ptr<const hierarchy>& h, const serve_options& o,
                  hub::actors::city_options& opts) {
  if (o.store)
    return recover_store(h, *o.store, opts);
  std::fprintf(stderr, "hub: state is kept in memory only; a restart loses it (--redis HOST:PORT "
                       "stores it)\n");
  return true;
}

/// The actor system's settings: its threads and scheduling policy, CAF's console log off.
void configure_actor_system(caf::actor_system_config& cfg, const serve_options& o) {
  cfg.set("scheduler.max-threads", o.threads);
  cfg.set("scheduler.policy", caf::atom_from_string(o.scheduler));
  cfg.set("logger.console", caf::atom("none"));
}

/// Starts the gateway on the bound socket and says where (stdout, flushed: scripts and tests
/// wait for the line).
void start_gateway(hub::gateway::server& server, hub::gateway::listening_socket socket,
                   const hub::gateway::config& cfg) {
  server.start(std::move(socket));
  std::printf("hub: listening on ws://%s:%u/ (dashboard http://%s:%u/)\n", cfg.address.c_str(),
              static_cast<unsigned>(server.port()), cfg.address.c_str(),
              static_cast<unsigned>(server.port()));
  std::fflush(stdout);
}

/// Serves until SIGINT or SIGTERM (blocked in `signals`); returns the signal.
int run_until_signal(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig;
}

/// Graceful shutdown (gateway/README.md): every connection closed with going_away.
void stop_gateway(hub::gateway::server& server, int sig) {
  std::fprintf(stderr, "hub: %s: closing %zu connections\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
               server.sessions());
  server.stop();
}

/// The hierarchy with every time limit divided by `scale` (at least 1 s where one was set):
/// deadlines, yellow, red, reminders and supervision come `scale` times sooner, for a
/// simulation that runs the city's days faster (sim/README.md, "Time").
std::shared_ptr<const hierarchy> scaled(std::shared_ptr<const hierarchy> h,
                                        unsigned long long scale) {
  if (scale <= 1)
    return h;
  auto copy = std::make_shared<hierarchy>(*h);
  for (auto& c : copy->categories)
    for (auto& l : c.limits)
      for (auto* v : {&l.sign, &l.grid, &l.village, &l.township, &l.whistle, &l.department_sign,
                      &l.rating, &l.supervision})
        if (*v != 0)
          *v = static_cast<std::uint32_t>(std::max<unsigned long long>(*v / scale, 1));
  copy->index();
  std::fprintf(stderr, "hub: time limits divided by %llu (--time-scale)\n", scale);
  return copy;
}

int serve_command(int argc, char** argv) {
  int exit_code = 0;
  auto o = parse_serve_options(argc, argv, exit_code);
  if (!o)
    return exit_code;
  auto h = load(o->hierarchy_file);
  if (!h || !load_secret(*o))
    return 1;
  h = scaled(std::move(h), o->time_scale);
  std::optional<hub::open311::catalogue> open311_data;
  hub::open311::key_table open311_keys;
  if (!load_open311(*h, *o, open311_data, open311_keys))
    return 1;
  raise_file_limit();
  const auto signals = block_signals();
  auto socket = bind_port(o->gateway);
  if (!socket)
    return 1;
  hub::actors::city_options city_opts;
  city_opts.retain.cases = city_opts.retain.directives =
      std::chrono::seconds(o->retain_seconds / o->time_scale);
  city_opts.retain.figure_days = o->figure_days;
  if (o->store)
    std::fprintf(stderr,
                 "hub: ended cases and directives archived %llu s after they ended "
                 "(--retain-days)\n",
                 o->retain_seconds / o->time_scale);
  if (!prepare_city(h, *o, city_opts))
    return 1;
  caf::actor_system_config caf_cfg;
  configure_actor_system(caf_cfg, *o);
  caf::actor_system sys{caf_cfg};
  hub::actors::city city{sys, h, city_opts};
  auto webhook =
      start_open311(h, *o, city, std::move(open311_data), std::move(open311_keys), o->gateway);
  hub::gateway::server server{city, o->gateway};
  start_gateway(server, std::move(*socket), o->gateway);
  stop_gateway(server, run_until_signal(signals));
  if (webhook)
    webhook->stop();
  if (o->gateway.open311)
    o->gateway.open311->stop();
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    return usage("a command is required");
  std::string command = argv[1];
  if (command == "serve")
    return serve_command(argc, argv);
  if (command == "token")
    return token_command(argc, argv);
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", usage_text);
    return 0;
  }
  return usage("unknown command: " + command);
}
