#include "tests/support/http_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace hub::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct http_receiver::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread thread;
  std::size_t refuse = 0;
  int refusal = 503;
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<std::string> bodies;
  std::size_t requests = 0;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      // One request per connection, read and answered on this thread (the hub's webhook sends
      // its whole request at once and closes after the answer).
      beast::flat_buffer buffer;
      http::request<http::string_body> req;
      http::read(s, buffer, req, ec);
      if (!ec) {
        bool refused = false;
        {
          std::lock_guard lock(mutex);
          refused = requests++ < refuse;
          if (!refused)
            bodies.push_back(req.body());
        }
        changed.notify_all();
        http::response<http::string_body> res{
            refused ? static_cast<http::status>(refusal) : http::status::ok, 11};
        res.set(http::field::connection, "close");
        res.prepare_payload();
        http::write(s, res, ec);
      }
      accept();
    });
  }
};

http_receiver::http_receiver(std::uint16_t port, std::size_t refuse, int refusal)
  : impl_(std::make_unique<impl>()) {
  impl_->refuse = refuse;
  impl_->refusal = refusal;
  tcp::endpoint at{net::ip::make_address("127.0.0.1"), port};
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

http_receiver::~http_receiver() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::vector<std::string> http_receiver::bodies() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->bodies;
}

std::size_t http_receiver::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

bool http_receiver::wait(const std::function<bool(const std::vector<std::string>&)>& done) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, patience, [&] { return done(impl_->bodies); });
}

} // namespace hub::testing
