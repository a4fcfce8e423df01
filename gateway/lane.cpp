#include "gateway/lane.hpp"

#include "gateway/websocket_session.hpp"

#include <boost/asio/post.hpp>

namespace hub::gateway {

namespace net = boost::asio;

lane::lane()
  : ioc_(1) { // one thread: Asio may skip locking within the context
  // nop
}

lane::~lane() {
  stop();
  // Sessions still in the inbox are released here, before the io_context their sockets
  // belong to.
  inbox_.clear();
  batch_.clear();
}

void lane::start() {
  if (thread_.joinable())
    return;
  // The lane runs until stop(), with or without connections.
  thread_ = std::thread([this] {
    auto work = net::make_work_guard(ioc_);
    ioc_.run();
  });
}

void lane::stop() {
  ioc_.stop();
  if (thread_.joinable())
    thread_.join();
}

void lane::deliver(std::shared_ptr<websocket_session> to, actors::outbound_ptr msg) {
  push({std::move(to), std::move(msg), 0});
}

void lane::deliver_paused(std::shared_ptr<websocket_session> to, protocol::unit_code topic) {
  push({std::move(to), nullptr, topic});
}

void lane::push(item i) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    inbox_.push_back(std::move(i));
    if (!posted_)
      wake = posted_ = true;
  }
  if (wake)
    net::post(ioc_, [this] { drain(); });
}

void lane::drain() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    inbox_.swap(batch_); // batch_ was empty: the two vectors keep their capacity
    posted_ = false;
  }
  draining_ = true;
  for (auto& i : batch_) {
    if (i.msg == nullptr && i.paused != 0)
      i.to->on_replay_paused(i.paused);
    else
      i.to->on_delivered(std::move(i.msg));
  }
  draining_ = false;
  for (auto& s : to_flush_)
    s->flush();
  to_flush_.clear();
  batch_.clear(); // may destroy sessions that finished meanwhile: on their own thread
  if (batch_.capacity() > small_inbox)
    shrink_if_idle();
}

bool lane::write_after_drain(std::shared_ptr<websocket_session> s) {
  if (!draining_)
    return false;
  to_flush_.push_back(std::move(s));
  return true;
}

void lane::shrink_if_idle() {
  std::vector<item> spare;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!inbox_.empty())
      return; // still busy: the two vectors keep trading their room
    spare.swap(inbox_);
  }
  std::vector<item>().swap(batch_);
}

} // namespace hub::gateway
