#pragma once

// The next layer of a server's WebSocket stream (Beast's websocket::stream<frame_stream<S>,
// false>): its TCP socket `S`, with one write at a time. The server writes its queued
// messages as ready-made frames (protocol/frame.hpp), many in one gather write straight to the
// socket, past Beast; Beast writes only its own bytes through here (the upgrade's answer,
// pongs, keep-alive pings, the close). Both go through `async_write_some`, which writes the
// whole buffer sequence (one net::async_write) before the next write starts; a write asked
// for meanwhile waits its turn, first come first written. So a control frame never lands
// inside a data frame on the wire.
//
// Ready-made frames are only right while no extension changes the frames: the stream above
// is made without permessage-deflate (its `false`), so none is ever negotiated.
//
// A write waiting for its turn waits on a timer that never expires and is cancelled whenever
// the socket is free again: the waiting handler stays an operation of the io_context, so it is
// destroyed with it rather than kept by the stream (which would hold its own session). On one
// thread only (the connection's io_context runs on one): no locking.

#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace hub::gateway {

template <class Socket>
class frame_stream {
public:
  using executor_type = typename Socket::executor_type;
  using next_layer_type = Socket;

  explicit frame_stream(Socket&& socket)
    : socket_(std::move(socket))
    , turn_(socket_.get_executor(), std::chrono::steady_clock::time_point::max()) {}

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  /// The socket (Beast finds it here to close it on a timeout, and for the teardown).
  next_layer_type& next_layer() noexcept { return socket_; }
  const next_layer_type& next_layer() const noexcept { return socket_; }

  template <class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return socket_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  /// Writes all of `buffers` once the writes asked for before are done; the handler gets
  /// their whole size (or the error). The buffers stay valid until then (Asio's contract).
  template <class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler, void(boost::system::error_code, std::size_t)>(
        [this](auto&& h, const ConstBuffers& b) { write(b, std::move(h), false); }, handler,
        buffers);
  }

private:
  template <class ConstBuffers, class Handler>
  void write(const ConstBuffers& buffers, Handler&& handler, bool woken) {
    // A newcomer waits behind those already waiting; the woken take their turn in order.
    if (busy_ || (!woken && waiting_ > 0)) {
      ++waiting_;
      turn_.async_wait([this, buffers, h = std::move(handler)](boost::system::error_code) mutable {
        --waiting_;
        write(buffers, std::move(h), true);
      });
      return;
    }
    busy_ = true;
    boost::asio::async_write(
        socket_, buffers,
        [this, h = std::move(handler)](boost::system::error_code ec, std::size_t n) mutable {
          busy_ = false;
          if (waiting_ > 0)
            turn_.cancel(); // wakes the waiting, in the order they came
          h(ec, n);
        });
  }

  Socket socket_;
  boost::asio::basic_waitable_timer<
      std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, executor_type>
      turn_;
  bool busy_ = false;       // a write is on the socket
  std::size_t waiting_ = 0; // writes waiting on turn_
};

// Beast's closing handshake ends with a teardown of the next layer: the socket's.
template <class Socket>
void teardown(boost::beast::role_type role, frame_stream<Socket>& s,
              boost::system::error_code& ec) {
  boost::beast::websocket::teardown(role, s.next_layer(), ec);
}

template <class Socket, class TeardownHandler>
void async_teardown(boost::beast::role_type role, frame_stream<Socket>& s,
                    TeardownHandler&& handler) {
  boost::beast::websocket::async_teardown(role, s.next_layer(),
                                          std::forward<TeardownHandler>(handler));
}

} // namespace hub::gateway
