// hub-311-load: the 12345 hotline's load on a running hub (issue item 9; figures, not a test).
// Posts hotline requests over Open311 (POST /open311/v2/requests.json, form-encoded, each with
// its own ticket id) at --rate a second for --seconds, from --connections keep-alive HTTP
// connections, each request at its scheduled time (a late answer delays the next one on its
// connection, and the delay counts in the latency: it is measured from the scheduled time).
// Then: a post that got no answer is posted again with the same ticket (the hub answers a
// repeat with the first id and creates nothing), and every answered id is looked for in
// servicerequestupdates (its `report` update). Prints answered, refused, p50/p99/max latency,
// lost (posted, never answered, or answered but with no report update) and doubled (a ticket
// answered with two ids, or an id reported twice). Starts nothing: the hub runs separately.

#include "gateway/net/percent.hpp"
#include "protocol/hierarchy_file.hpp"
#include "sim/load/command_line.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace hub;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

constexpr std::string_view usage =
    "usage: hub-311-load --keys FILE --hierarchy FILE [options]\n"
    "  --host H          the hub's address (default 127.0.0.1)\n"
    "  --port P          the hub's port (default 8080)\n"
    "  --keys FILE       the hub's --open311-keys file: its first key is used\n"
    "  --hierarchy FILE  the hub's hierarchy: the posts use its categories and grids\n"
    "  --rate R          posts a second (default 500)\n"
    "  --seconds S       for how long (default 60)\n"
    "  --connections C   keep-alive connections (default 32)\n"
    "  --timeout-ms T    a post unanswered for T ms counts as unanswered (default 5000)\n";

struct options {
  std::string host = "127.0.0.1", keys, hierarchy_file;
  std::uint64_t port = 8080, rate = 500, seconds = 60, connections = 32, timeout_ms = 5000;
  bool help = false;
};

/// One keep-alive HTTP connection, used from one thread; reconnects after a failure.
class connection {
public:
  connection(const options& o)
    : o_(o) {}
  /// The answer's status and body; status 0 when there was none in time.
  std::pair<int, std::string> send(http::verb verb, const std::string& target,
                                   const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!open_ && !connect())
        return {0, {}};
      http::request<http::string_body> req{verb, target, 11};
      req.set(http::field::host, o_.host);
      if (verb == http::verb::post) {
        req.set(http::field::content_type, "application/x-www-form-urlencoded");
        req.body() = body;
      }
      req.prepare_payload();
      http::response<http::string_body> res;
      beast::error_code ec;
      bool wrote = false;
      stream_->expires_after(std::chrono::milliseconds(o_.timeout_ms));
      http::async_write(*stream_, req, [&](beast::error_code e, std::size_t) {
        ec = e;
        if (e)
          return;
        wrote = true;
        http::async_read(*stream_, buffer_, res,
                         [&](beast::error_code e2, std::size_t) { ec = e2; });
      });
      ioc_.restart();
      ioc_.run();
      if (!ec)
        return {static_cast<int>(res.result_int()), std::move(res.body())};
      open_ = false;
      if (wrote && ec != http::error::end_of_stream)
        return {0, {}}; // sent, not answered in time: not sent again here
    }
    return {0, {}};
  }

private:
  bool connect() {
    stream_ = std::make_unique<beast::tcp_stream>(ioc_);
    buffer_.clear();
    beast::error_code ec;
    tcp::resolver r(ioc_);
    auto found = r.resolve(o_.host, std::to_string(o_.port), ec);
    if (ec)
      return false;
    stream_->expires_after(std::chrono::milliseconds(o_.timeout_ms));
    stream_->async_connect(found, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    ioc_.restart();
    ioc_.run();
    open_ = !ec;
    return open_;
  }

  const options& o_;
  net::io_context ioc_;
  std::unique_ptr<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  bool open_ = false;
};

struct post_log {
  std::string ticket, body;
  std::string id; // the service_request_id answered ("" when none)
  int status = 0;
  double ms = 0; // from the scheduled time to the answer
};

} // namespace

int main(int argc, char** argv) {
  options o;
  try {
    sim::parse_options(
        argc, argv,
        {{{"--host", &o.host}, {"--keys", &o.keys}, {"--hierarchy", &o.hierarchy_file}},
         {{"--port", &o.port},
          {"--rate", &o.rate},
          {"--seconds", &o.seconds},
          {"--connections", &o.connections},
          {"--timeout-ms", &o.timeout_ms}},
         {{"--help", &o.help}}});
    if (o.help) {
      std::cout << usage;
      return 0;
    }
    if (o.keys.empty() || o.hierarchy_file.empty())
      throw std::invalid_argument("--keys and --hierarchy are required");
    if (o.rate == 0 || o.seconds == 0 || o.connections == 0 || o.port == 0 || o.port > 65535)
      throw std::invalid_argument("--rate, --seconds, --connections and --port must be > 0");
  } catch (const std::invalid_argument& e) {
    std::cerr << "hub-311-load: " << e.what() << "\n" << usage;
    return 2;
  }
  std::string key;
  {
    std::ifstream in(o.keys);
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') {
        key = line.substr(0, line.find('\t'));
        break;
      }
  }
  if (key.empty()) {
    std::cerr << "hub-311-load: no key in " << o.keys << "\n";
    return 1;
  }
  auto loaded = protocol::load_hierarchy(o.hierarchy_file);
  if (auto* e = std::get_if<protocol::hierarchy_error>(&loaded)) {
    std::cerr << "hub-311-load: " << o.hierarchy_file << ": " << e->to_string() << "\n";
    return 1;
  }
  auto& h = std::get<protocol::hierarchy>(loaded);
  std::vector<const protocol::unit*> grids;
  for (const auto& u : h.units)
    if (u.kind == protocol::unit_kind::grid && (u.lat != 0 || u.lon != 0))
      grids.push_back(&u);
  if (grids.empty() || h.categories.empty()) {
    std::cerr << "hub-311-load: the hierarchy has no grid with coordinates or no category\n";
    return 1;
  }

  // The posts, made up front: a ticket each, a random grid's coordinates and category.
  const auto run_id = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  std::vector<post_log> posts(o.rate * o.seconds);
  std::mt19937_64 rng{42};
  for (std::size_t i = 0; i < posts.size(); ++i) {
    const auto* g = grids[rng() % grids.size()];
    const auto& c = h.categories[rng() % h.categories.size()];
    char where[64];
    std::snprintf(where, sizeof where, "&lat=%.6f&long=%.6f", g->lat, g->lon);
    posts[i].ticket = "LOAD-" + run_id + "-" + std::to_string(i);
    posts[i].body = "api_key=" + gateway::percent_encode(key) +
                    "&service_code=" + gateway::percent_encode(c.code) + where +
                    "&description=hub-311-load&attribute%5Bticket_id%5D=" + posts[i].ticket;
  }
  std::fprintf(stderr, "hub-311-load: %zu posts at %llu/s over %llu connections to %s:%llu\n",
               posts.size(), static_cast<unsigned long long>(o.rate),
               static_cast<unsigned long long>(o.connections), o.host.c_str(),
               static_cast<unsigned long long>(o.port));

  static const std::regex id_re(R"re("service_request_id":"(\d+)")re");
  const auto start = steady::now() + std::chrono::milliseconds(200);
  const auto period = std::chrono::nanoseconds(1'000'000'000 / o.rate);
  std::vector<std::thread> threads;
  for (std::uint64_t c = 0; c < o.connections; ++c)
    threads.emplace_back([&, c] {
      connection conn{o};
      for (std::size_t i = c; i < posts.size(); i += o.connections) {
        auto at = start + period * static_cast<std::int64_t>(i);
        std::this_thread::sleep_until(at); // pacing the load, not waiting for a result
        auto [status, body] =
            conn.send(http::verb::post, "/open311/v2/requests.json", posts[i].body);
        posts[i].ms = std::chrono::duration<double, std::milli>(steady::now() - at).count();
        posts[i].status = status;
        std::smatch m;
        if (status == 200 && std::regex_search(body, m, id_re))
          posts[i].id = m[1];
      }
    });
  for (auto& t : threads)
    t.join();
  const double took = std::chrono::duration<double>(steady::now() - start).count();

  std::vector<double> ms;
  std::size_t answered = 0, refused = 0, unanswered = 0;
  for (auto& p : posts) {
    if (p.status == 200)
      ++answered, ms.push_back(p.ms);
    else if (p.status == 0)
      ++unanswered;
    else
      ++refused;
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) {
    return ms.empty() ? 0.0 : ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * ms.size()))];
  };

  // Read back. The unanswered and refused once more with the same ticket: the hub answers a
  // repeat with the first id, so a post that was made but not answered is found, not doubled.
  connection check{o};
  std::size_t doubled = 0, lost = 0;
  for (auto& p : posts)
    if (p.status != 200) {
      auto [status, body] = check.send(http::verb::post, "/open311/v2/requests.json", p.body);
      std::smatch m;
      if (status == 200 && std::regex_search(body, m, id_re))
        p.id = m[1];
    }
  std::map<std::string, int> by_id;
  for (auto& p : posts)
    if (!p.id.empty())
      by_id[p.id] += 1;
  for (auto& [id, n] : by_id)
    doubled += n - 1; // two tickets answered with one id
  // Every answered id has exactly one report update (servicerequestupdates, 1,000 a page).
  std::map<std::string, int> reports;
  static const std::regex update_re(
      R"re(\{"update_id":"(\d+)","service_request_id":"(\d+)","status":"\w+","updated_datetime":"([^"]+)","description":"report(?:"|: ))re");
  static const std::regex any_re(R"re("updated_datetime":"([^"]+)")re");
  std::string since = "2000-01-01T00:00:00%2B08:00";
  std::set<std::string> seen;
  for (int page = 0; page < 100'000; ++page) {
    auto [status, body] = check.send(
        http::verb::get, "/open311/v2/servicerequestupdates.json?start_date=" + since, {});
    if (status != 200) {
      std::fprintf(stderr, "hub-311-load: servicerequestupdates answered %d\n", status);
      break;
    }
    std::size_t fresh = 0;
    std::string last;
    for (std::sregex_iterator it(body.begin(), body.end(), update_re), end; it != end; ++it)
      if (seen.insert((*it)[1]).second && by_id.count((*it)[2]))
        reports[(*it)[2]] += 1;
    for (std::sregex_iterator it(body.begin(), body.end(), any_re), end; it != end; ++it, ++fresh)
      last = (*it)[1];
    if (fresh < 1000 || last.empty())
      break;
    auto plus = last.find('+');
    since = plus == std::string::npos ? last : last.substr(0, plus) + "%2B" + last.substr(plus + 1);
  }
  for (auto& [id, n] : by_id) {
    auto r = reports.find(id);
    if (r == reports.end())
      ++lost;
    else if (r->second > 1)
      doubled += r->second - 1;
  }
  std::size_t never = 0;
  for (auto& p : posts)
    never += p.id.empty() ? 1 : 0;
  std::printf("posts %zu in %.1f s (%.0f/s): answered %zu, refused %zu, unanswered %zu\n",
              posts.size(), took, posts.size() / took, answered, refused, unanswered);
  std::printf("latency from the scheduled time, ms: p50 %.1f  p99 %.1f  max %.1f\n", pct(0.5),
              pct(0.99), ms.empty() ? 0.0 : ms.back());
  std::printf("read back: lost %zu (never answered %zu, no report update %zu), doubled %zu\n",
              never + lost, never, lost, doubled);
  return never + lost + doubled == 0 ? 0 : 1;
}
