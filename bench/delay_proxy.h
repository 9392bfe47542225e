// DelayProxy: a TCP relay on 127.0.0.1 in front of a real server (the online benchmark's CFSSL)
// that holds every byte the server sends for a set delay before passing it on, so that the server
// answers as a CA far away or under load would. Bytes towards the server pass at once; the order
// of bytes is kept; the delay can change while connections are open. It counts the connections
// it accepted, so that the benchmark can say whether its client reused them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "capf/common/result.h"

namespace capf::bench {

class DelayProxy {
 public:
  // Listens on a free 127.0.0.1 port and relays each connection to 127.0.0.1:`upstream_port`.
  static Result<std::unique_ptr<DelayProxy>> start(std::uint16_t upstream_port);
  ~DelayProxy();
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;

  std::uint16_t port() const { return port_; }
  // How long the server's bytes are held from now on.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  // Connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  explicit DelayProxy(std::uint16_t upstream_port);
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0, upstream_port_ = 0;
  std::atomic<long> delay_ms_{0};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

}  // namespace capf::bench
