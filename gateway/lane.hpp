#pragma once

// One io thread of the gateway with an io_context of its own. Every connection lives on one
// lane for its whole life, so its handlers never run concurrently without a strand per
// connection; the listener spreads connections over the lanes in turn.
//
// What the city sends a session crosses threads through its lane's inbox rather than one post
// per message: `deliver` appends under a short lock and wakes the lane only when the inbox was
// empty, and the lane hands over everything that arrived meanwhile in one go. When the bus
// fans one directive out to 18,100 sessions that is a handful of wake-ups instead of 18,100
// posts (each a handler allocation, a strand queue and often an eventfd write).
//
// Order: messages delivered to one session from one thread reach it in that order (the inbox
// is one FIFO per lane), the same guarantee as posting to a strand. A session's write waits
// for the end of the drain that handed it frames, so everything one drain brings it leaves
// in one gather write.

#include "actors/bus.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hub::gateway {

class websocket_session;

class lane {
public:
  using executor_type = boost::asio::io_context::executor_type;
  /// A connection's socket on a lane: the concrete executor spares every operation the
  /// type-erased any_io_executor's copies and queries.
  using socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;

  lane();
  /// Joins the thread if it still runs (stop first).
  ~lane();

  lane(const lane&) = delete;
  lane& operator=(const lane&) = delete;

  boost::asio::io_context& context() { return ioc_; }
  executor_type get_executor() { return ioc_.get_executor(); }

  /// Starts the thread running the io_context (until stop).
  void start();
  /// Stops the io_context and joins the thread. Not from the lane's own thread.
  void stop();

  /// Hands `msg` to `to` on this lane's thread (websocket_session::on_delivered); a null
  /// `msg` is the session's marker (see websocket_session::on_overflow). Thread-safe; never
  /// blocks beyond a short lock and never calls back. Precondition: the lane is not stopped
  /// (the session's sink is detached before the server stops).
  void deliver(std::shared_ptr<websocket_session> to, actors::outbound_ptr msg);
  /// The same for the bus's word that a replay of `topic` paused after a chunk
  /// (websocket_session::on_replay_paused), in order with the messages.
  void deliver_paused(std::shared_ptr<websocket_session> to, protocol::unit_code topic);

  /// On the lane's thread, while a drain hands its batch over: `s` has frames queued and no
  /// write in flight, and its write starts once the whole batch is handed over
  /// (websocket_session::flush). So what one drain brings a session leaves in one write: a
  /// request's ack with the event it caused, a directive's event with the figures after it.
  /// False outside a drain: the caller writes at once.
  bool write_after_drain(std::shared_ptr<websocket_session> s);

private:
  struct item {
    std::shared_ptr<websocket_session> to;
    actors::outbound_ptr msg;
    protocol::unit_code paused = 0; // with a null msg: the replay of this topic paused
  };
  void push(item i);

  /// On the lane's thread: hands over everything delivered so far, in order.
  void drain();
  /// On the lane's thread, after a drain that handed over more than `small_inbox` items:
  /// when nothing arrived meanwhile, the burst is over and both vectors give their memory
  /// back (a city-wide burst grows them to hundreds of thousands of items, 40 bytes each).
  void shrink_if_idle();
  static constexpr std::size_t small_inbox = 4096;

  boost::asio::io_context ioc_; // first: destroyed last, after the sessions held below
  std::thread thread_;
  std::mutex mutex_;
  std::vector<item> inbox_; // guarded by mutex_
  bool posted_ = false;     // a drain is posted and has not yet taken the inbox; mutex_
  std::vector<item> batch_; // the lane thread's: the inbox being handed over
  bool draining_ = false;   // the lane thread's: a drain is handing batch_ over
  /// The lane thread's: sessions whose write waits for the end of the drain.
  std::vector<std::shared_ptr<websocket_session>> to_flush_;
};

} // namespace hub::gateway
