// HeldHttpServer: a CA stand-in on 127.0.0.1 that answers slowly, for the tests of how many CA
// requests opencapf keeps in flight. Each connection has its own thread and keeps alive; every
// request is held until `hold_until` requests are held at once (then every held and later request
// is answered at once), or until release(), or for at most `max_hold`. It counts connections,
// requests, and the most requests it held at once. Answers 200 with `body`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace capf::testing {

struct HoldPolicy {
  int hold_until = 0;  // 0: hold until release() (or max_hold)
  std::chrono::milliseconds max_hold{10000};
  std::string body = "ok";
};

class HeldHttpServer {
 public:
  explicit HeldHttpServer(HoldPolicy policy);
  ~HeldHttpServer();
  HeldHttpServer(const HeldHttpServer&) = delete;
  HeldHttpServer& operator=(const HeldHttpServer&) = delete;

  // "http://127.0.0.1:<port><path>".
  std::string url(const std::string& path = "/") const;
  // Answers every held request and every later one at once.
  void release();
  // Blocks until `n` requests are held at once (false after `wait`).
  bool wait_held(int n, std::chrono::milliseconds wait = std::chrono::seconds(10));

  int connections() const;
  int requests() const;
  int peak_held() const;

 private:
  void accept_loop();
  void serve(boost::asio::ip::tcp::socket socket);

  HoldPolicy policy_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;  // held requests go
  bool stopping_ = false;
  int held_ = 0;
  int peak_ = 0;
  int requests_ = 0;
  int connections_ = 0;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;  // closed at the end
  std::vector<std::thread> threads_;
  std::thread acceptor_thread_;
};

}  // namespace capf::testing
