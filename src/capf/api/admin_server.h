// AdminServer: the admin API's HTTPS listener. One I/O thread runs every connection as a
// coroutine (TLS handshake, then HTTP/1.1 requests with keep-alive); the router's blocking work
// runs on a small worker pool. Every read has a deadline, request bodies, the number of connections
// and, per client address, its connections and TLS handshakes are bounded (extra connections are
// closed at once). Every response carries the security headers (see to_http in the .cc).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "capf/api/router.h"
#include "capf/common/result.h"

namespace capf::api {

// Connections closed at once, by reason (for /metrics).
struct AdminServerCounters {
  std::uint64_t refused_over_cap = 0;
  std::uint64_t refused_address_connections = 0;
  std::uint64_t refused_address_handshakes = 0;
};

struct AdminServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 picks a free port (tests)
  int max_connections = 256;
  int max_connections_per_address = 16;      // 0 = no limit
  int max_handshakes_per_address = 8;        // TLS handshakes in progress; 0 = no limit
  std::chrono::seconds request_timeout{30};  // to read one request, and to write its response
  std::size_t max_body_bytes = 1024 * 1024;
  int worker_threads = 2;
};

class AdminServer {
 public:
  // `router` must outlive the server.
  static Result<std::unique_ptr<AdminServer>> create(const AdminServerOptions& options,
                                                     std::shared_ptr<boost::asio::ssl::context> tls,
                                                     Router& router);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts the threads; kIo naming the address if the bind fails.
  Status start();
  // New connections use this TLS context (a new CAPF identity); open ones keep theirs.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);
  // Stops accepting, closes connections, joins the threads. Idempotent.
  void stop();
  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const;
  // Connections open now.
  int active_connections() const;
  AdminServerCounters counters() const;

 private:
  struct Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capf::api
