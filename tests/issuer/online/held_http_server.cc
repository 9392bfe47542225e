#include "tests/issuer/online/held_http_server.h"

#include <algorithm>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace capf::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;

HeldHttpServer::HeldHttpServer(HoldPolicy policy)
    : policy_(std::move(policy)),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  acceptor_thread_ = std::thread([this] { accept_loop(); });
}

HeldHttpServer::~HeldHttpServer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    open_ = true;
  }
  cv_.notify_all();
  boost::system::error_code ec;
  // A connection to ourselves wakes the blocking accept.
  {
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
  }
  acceptor_thread_.join();
  {
    std::lock_guard lock(mu_);
    for (auto& s : sockets_)
      s->shutdown(tcp::socket::shutdown_both, ec);
  }
  for (auto& t : threads_)
    t.join();
}

std::string HeldHttpServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void HeldHttpServer::release() {
  {
    std::lock_guard lock(mu_);
    open_ = true;
  }
  cv_.notify_all();
}

bool HeldHttpServer::wait_held(int n, std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, wait, [&] { return held_ >= n; });
}

int HeldHttpServer::connections() const {
  std::lock_guard lock(mu_);
  return connections_;
}

int HeldHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int HeldHttpServer::peak_held() const {
  std::lock_guard lock(mu_);
  return peak_;
}

void HeldHttpServer::accept_loop() {
  while (true) {
    boost::system::error_code ec;
    tcp::socket socket(io_);
    acceptor_.accept(socket, ec);
    std::lock_guard lock(mu_);
    if (stopping_)
      return;
    if (ec)
      continue;
    ++connections_;
    threads_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
  }
}

void HeldHttpServer::serve(tcp::socket socket) {
  auto shared = std::make_shared<tcp::socket>(std::move(socket));
  {
    std::lock_guard lock(mu_);
    sockets_.push_back(shared);
  }
  boost::beast::flat_buffer buffer;
  while (true) {
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(*shared, buffer, request, ec);
    if (ec)
      return;
    {
      std::unique_lock lock(mu_);
      ++requests_;
      ++held_;
      peak_ = std::max(peak_, held_);
      if (policy_.hold_until > 0 && held_ >= policy_.hold_until)
        open_ = true;
      cv_.notify_all();
      cv_.wait_for(lock, policy_.max_hold, [this] { return open_; });
      --held_;
    }
    http::response<http::string_body> response(http::status::ok, request.version());
    response.set(http::field::content_type, "text/plain");
    response.keep_alive(request.keep_alive());
    response.body() = policy_.body;
    response.prepare_payload();
    http::write(*shared, response, ec);
    if (ec || !request.keep_alive())
      return;
  }
}

}  // namespace capf::testing
