#include "bench/delay_proxy.h"

#include <deque>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace capf::bench {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One relayed connection: the phone-side server's socket (`client`), the real server's
// (`upstream`), and the server's bytes waiting for their time.
struct Relay {
  explicit Relay(tcp::socket c) : client(std::move(c)), upstream(client.get_executor()) {}
  tcp::socket client, upstream;
  struct Held {
    Clock::time_point due;
    std::vector<char> bytes;
  };
  std::deque<Held> held;
  bool upstream_done = false;
  asio::steady_timer wake{client.get_executor(), Clock::time_point::max()};

  void close() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
    wake.cancel();
  }
};

// Client to server, at once; the end of the client's stream is passed on.
asio::awaitable<void> forward(std::shared_ptr<Relay> r) {
  std::vector<char> buffer(16384);
  boost::system::error_code ec;
  while (true) {
    std::size_t n = co_await r->client.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;
    co_await asio::async_write(r->upstream, asio::buffer(buffer.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;
  }
  r->upstream.shutdown(tcp::socket::shutdown_send, ec);
}

// Server to client: each read is held until its arrival plus the delay of that moment.
asio::awaitable<void> hold_back(std::shared_ptr<Relay> r, const std::atomic<long>& delay_ms) {
  std::vector<char> buffer(16384);
  boost::system::error_code ec;
  while (true) {
    std::size_t n = co_await r->upstream.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;
    r->held.push_back({Clock::now() + std::chrono::milliseconds(delay_ms.load()),
                       std::vector<char>(buffer.begin(), buffer.begin() + static_cast<long>(n))});
    r->wake.cancel();
  }
  r->upstream_done = true;
  r->wake.cancel();
}

// Passes the held bytes on when they are due; ends the connection after the server's last byte.
asio::awaitable<void> release(std::shared_ptr<Relay> r) {
  boost::system::error_code ec;
  while (!(r->held.empty() && r->upstream_done)) {
    r->wake.expires_at(r->held.empty() ? Clock::time_point::max() : r->held.front().due);
    co_await r->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (r->held.empty() || Clock::now() < r->held.front().due)
      continue;  // woken by new bytes or the end of the server's stream
    Relay::Held next = std::move(r->held.front());
    r->held.pop_front();
    co_await asio::async_write(r->client, asio::buffer(next.bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      break;
  }
  r->close();
}

}  // namespace

DelayProxy::DelayProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {}

Result<std::unique_ptr<DelayProxy>> DelayProxy::start(std::uint16_t upstream_port) {
  std::unique_ptr<DelayProxy> p(new DelayProxy(upstream_port));
  boost::system::error_code ec;
  tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  p->acceptor_.open(at.protocol(), ec);
  if (!ec)
    p->acceptor_.bind(at, ec);
  if (!ec)
    p->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "the delaying relay cannot listen on 127.0.0.1: {}",
                      ec.message());
  p->port_ = p->acceptor_.local_endpoint().port();
  asio::co_spawn(p->io_, p->accept_loop(), asio::detached);
  p->thread_ = std::thread([raw = p.get()] { raw->io_.run(); });
  return p;
}

DelayProxy::~DelayProxy() {
  io_.stop();
  if (thread_.joinable())
    thread_.join();
}

asio::awaitable<void> DelayProxy::accept_loop() {
  const tcp::endpoint upstream(asio::ip::make_address("127.0.0.1"), upstream_port_);
  boost::system::error_code ec;
  while (true) {
    tcp::socket client =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      co_return;
    connections_.fetch_add(1);
    auto r = std::make_shared<Relay>(std::move(client));
    co_await r->upstream.async_connect(upstream, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      r->close();
      continue;
    }
    asio::co_spawn(io_, forward(r), asio::detached);
    asio::co_spawn(io_, hold_back(r, delay_ms_), asio::detached);
    asio::co_spawn(io_, release(r), asio::detached);
  }
}

}  // namespace capf::bench
