// hub-wsbase: the bare Beast WebSocket broadcast server that hub-load measures beside the hub
// (a yardstick, not a server to use): what this stack does on this machine with nothing of the
// hub's own in the way, as hub-bench's bare CAF tree is for the actors.
//
// It is the hub's gateway without the hub: the same lanes (io threads, each with an io_context
// of its own, connections dealt to them in turn), the same Beast stream over the same
// frame_stream, messages written as ready-made frames (protocol/frame.hpp) gathered into one
// write per connection (at most 64 frames and 256 KiB, as the hub), the same codec; no actors,
// no hierarchy, no tokens checked, no queue policy. It answers what hub-load sends:
// - `subscribe`: remembers the unit (the connection's grid), `ack`;
// - `directive.issue`: `ack` with a directive id, then to every connection that subscribed a
//   `directive.event` (`issue`, `recipient` = its unit, the issue's title), each encoded once
//   for its connection, as the hub encodes each grid's arrival event once;
// - anything else that decodes: `ack`; what does not: an `error` with the codec's code.
//
// It gathers as well as this stack can: a lane runs in turns (every handler that is ready, up
// to turn_handlers, then a flush), and nothing is written during a turn. A session only queues
// its frames and puts itself on its lane's pending list; the flush at the end of the turn
// writes each pending session's queue in one gather write. So in a burst a connection's
// frames of every issue read in that turn (the publisher's buffered issues are read in the
// same turn, Beast completing a read of buffered data by a post) leave in one system call,
// where writing on each send would make one call per frame.
// `hub-wsbase --help`; sim/README.md, "hub-load", has the commands.

#include "gateway/net/frame_stream.hpp"
#include "protocol/codec.hpp"
#include "protocol/json.hpp"
#include "sim/load/command_line.hpp"
#include "sim/load/process_stats.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using namespace hub;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

constexpr std::string_view usage =
    "usage: hub-wsbase [--address 127.0.0.1] [--port 0] [--io-threads 2]\n"
    "  prints 'hub-wsbase: listening on ws://ADDRESS:PORT/' once it accepts; SIGINT or\n"
    "  SIGTERM stops it (exit 0)\n";

/// One write gathers at most this many frames and about this many bytes (the hub's defaults).
constexpr std::size_t write_frames = 64;
constexpr std::size_t write_bytes = 256 * 1024;
/// A lane's turn runs at most this many ready handlers before it flushes (a bound on what a
/// turn queues; one handler may be a broadcast to every connection of the lane).
constexpr std::size_t turn_handlers = 1024;

using executor = net::io_context::executor_type;
using socket_type = net::basic_stream_socket<tcp, executor>;

class session;

/// One io thread with its own io_context and the connections on it (touched on it only).
struct lane {
  net::io_context ioc{1};
  std::thread thread;
  std::unordered_set<std::shared_ptr<session>> open;
  /// Sessions with frames queued and no write on the socket, written at the end of the turn.
  std::vector<std::shared_ptr<session>> pending, flushing;

  /// The lane thread's loop: turns until the io_context stops.
  void run();
  /// Writes every pending session's queue (one gather write each).
  void flush();
};

/// What every connection shares: the lanes (for a broadcast) and the numbering.
struct server {
  std::vector<std::unique_ptr<lane>> lanes;
  std::atomic<std::uint64_t> seq{0}, directives{0};

  /// Hands `event` to every subscribed connection, each on its own lane.
  void broadcast(const protocol::directive_event& event);
};

class session : public std::enable_shared_from_this<session> {
public:
  session(socket_type&& s, lane& on, server& srv)
    : ws_(std::move(s))
    , lane_(on)
    , server_(srv) {}

  void run() {
    ws_.read_message_max(protocol::limits::frame_bytes);
    ws_.async_accept(beast::bind_front_handler(&session::on_accept, shared_from_this()));
  }

  /// Queues `m` for this client, encoded in its form, as one ready-made frame. On its lane.
  void send(const protocol::server_message& m) {
    if (closed_)
      return;
    queue_.push_back(protocol::encode_frame(m, text_));
    mark();
  }

  protocol::unit_code unit() const { return unit_; }

  /// At the end of the lane's turn: writes what is queued unless a write is on the socket
  /// (its completion marks the session again).
  void flush() {
    marked_ = false;
    if (in_flight_ == 0 && !queue_.empty() && !closed_)
      write();
  }

private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return;
    lane_.open.insert(shared_from_this());
    read();
  }

  void read() {
    ws_.async_read(buffer_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec)
      return finish();
    text_ = ws_.got_text();
    auto data = buffer_.data();
    std::string_view bytes{static_cast<const char*>(data.data()), data.size()};
    auto decoded = text_ ? protocol::decode_client_json(bytes) : protocol::decode_client(bytes);
    buffer_.consume(buffer_.size());
    if (auto* bad = std::get_if<protocol::decode_error>(&decoded)) {
      send(protocol::error{bad->id, bad->code, bad->message});
    } else {
      auto& msg = std::get<protocol::client_message>(decoded);
      protocol::ack ack{msg.id, 0, 0, server_.seq.load()};
      if (auto* s = std::get_if<protocol::subscribe>(&msg.body)) {
        unit_ = s->unit;
      } else if (auto* d = std::get_if<protocol::directive_issue>(&msg.body)) {
        protocol::directive_event ev;
        ev.id = ack.directive_ref = server_.directives.fetch_add(1) + 1;
        ev.at = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
        ev.action = protocol::directive_action::issue;
        ev.unit = d->target.units.empty() ? 1 : d->target.units.front(); // "the issuer's"
        ev.channel = d->channel;
        ev.title = d->title;
        send(ack); // before the events, as the hub acks the issue before its fan-out
        server_.broadcast(ev);
        return read();
      }
      send(ack);
    }
    read();
  }

  /// Puts the session on its lane's pending list once (a write waits for the turn's end).
  void mark() {
    if (marked_ || in_flight_ != 0)
      return;
    marked_ = true;
    lane_.pending.push_back(shared_from_this());
  }

  void write() {
    gather_.clear();
    std::size_t bytes = 0;
    for (std::size_t k = 0; k < queue_.size() && k < write_frames; ++k) {
      if (k > 0 && bytes + queue_[k].size() > write_bytes)
        break;
      gather_.emplace_back(queue_[k].data(), queue_[k].size());
      bytes += queue_[k].size();
    }
    in_flight_ = gather_.size();
    ws_.next_layer().async_write_some(
        gather_, beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(in_flight_));
    in_flight_ = 0;
    if (ec)
      return finish();
    if (!queue_.empty() && !closed_)
      mark(); // what came meanwhile goes at the turn's end, with what this turn adds
  }

  void finish() {
    closed_ = true;
    queue_.clear();
    lane_.open.erase(shared_from_this());
  }

  websocket::stream<gateway::frame_stream<socket_type>, false> ws_;
  beast::flat_buffer buffer_;
  lane& lane_;
  server& server_;
  std::deque<std::string> queue_;
  std::vector<net::const_buffer> gather_;
  std::size_t in_flight_ = 0;
  protocol::unit_code unit_ = 0;
  bool text_ = false;
  bool closed_ = false;
  bool marked_ = false; // on lane_.pending
};

void lane::run() {
  while (!ioc.stopped()) {
    if (ioc.run_one() == 0)
      break; // stopped
    for (std::size_t n = 1; n < turn_handlers && ioc.poll_one() != 0; ++n) {}
    flush();
  }
}

void lane::flush() {
  flushing.swap(pending); // pending was empty: both keep their capacity
  for (auto& s : flushing)
    s->flush();
  flushing.clear();
}

void server::broadcast(const protocol::directive_event& event) {
  for (auto& l : lanes)
    net::post(l->ioc, [this, on = l.get(), event] {
      auto ev = event;
      for (auto& s : on->open) {
        if (s->unit() == 0)
          continue;
        ev.seq = seq.fetch_add(1) + 1;
        ev.recipient = s->unit();
        s->send(ev);
      }
    });
}

class listener {
public:
  listener(server& srv, tcp::endpoint at)
    : server_(srv)
    , acceptor_(srv.lanes[0]->ioc.get_executor()) {
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void accept() {
    auto& to = *server_.lanes[next_++ % server_.lanes.size()];
    acceptor_.async_accept(to.ioc.get_executor(), [this, &to](beast::error_code ec, socket_type s) {
      if (ec == net::error::operation_aborted)
        return;
      if (!ec) {
        s.set_option(tcp::no_delay(true));
        std::make_shared<session>(std::move(s), to, server_)->run();
      }
      accept(); // out of descriptors: the next try comes at once (a yardstick, not a server)
    });
  }

  void stop() { acceptor_.close(); }

private:
  server& server_;
  net::basic_socket_acceptor<tcp, executor> acceptor_;
  std::size_t next_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1";
  std::uint64_t port = 0, threads = 2;
  bool help = false;
  try {
    sim::parse_options(argc, argv,
                       {.texts = {{"--address", &address}},
                        .numbers = {{"--port", &port}, {"--io-threads", &threads}},
                        .flags = {{"--help", &help}, {"-h", &help}}});
    if (port > 65535 || threads == 0 || threads > 64)
      throw std::invalid_argument("--port is at most 65535, --io-threads 1 to 64");
  } catch (const std::exception& e) {
    std::cerr << "hub-wsbase: " << e.what() << "\n" << usage;
    return 2;
  }
  if (help) {
    std::cout << usage;
    return 0;
  }
  hub::sim::raise_nofile(); // as `hub serve`
  try {
    server srv;
    for (std::uint64_t i = 0; i < threads; ++i)
      srv.lanes.push_back(std::make_unique<lane>());
    listener l(srv, {net::ip::make_address(address), static_cast<std::uint16_t>(port)});
    l.accept();
    net::signal_set signals(srv.lanes[0]->ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
      l.stop();
      for (auto& ln : srv.lanes)
        ln->ioc.stop();
    });
    std::vector<net::executor_work_guard<executor>> guards;
    for (auto& ln : srv.lanes) {
      guards.push_back(net::make_work_guard(ln->ioc));
      ln->thread = std::thread([on = ln.get()] { on->run(); });
    }
    std::printf("hub-wsbase: listening on ws://%s:%u/\n", address.c_str(),
                static_cast<unsigned>(l.port()));
    std::fflush(stdout);
    for (auto& ln : srv.lanes)
      ln->thread.join();
    for (auto& ln : srv.lanes) {
      ln->pending.clear();
      ln->open.clear(); // the sessions go before their io_contexts
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hub-wsbase: " << e.what() << "\n";
    return 1;
  }
}
