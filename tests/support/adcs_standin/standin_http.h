// A small HTTPS/1.1 server on 127.0.0.1 for the stand-in: Boost.Beast over OpenSSL on its own
// thread (C++20 coroutines), keep-alive connections, Expect: 100-continue, a deadline on every
// read and write, bounded header and body sizes. Every TCP connection gets its own handler object,
// so connection-bound state (an NTLM handshake) lives and dies with the connection, as on IIS.
// Test support only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::testing {

struct StandinRequest {
  std::string method;
  std::string target;                                        // path and query as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // The first header with this lower-case name, or "".
  std::string header(std::string_view name) const;
};

struct StandinReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // repeated names allowed
  std::string body;
};

// Serves the requests of one connection, in order, on the server's thread.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  virtual StandinReply handle(const StandinRequest& request) = 0;
};

using HandlerFactory = std::function<std::unique_ptr<ConnectionHandler>()>;

class HttpsServer {
 public:
  // Listens on 127.0.0.1:port (0: a free port) with the certificate and key, and serves on its
  // own thread until stop(). kIo when the port cannot be bound, kInternal when OpenSSL refuses
  // the certificate or key.
  static Result<std::unique_ptr<HttpsServer>> start(const pki::Certificate& certificate,
                                                    const pki::PrivateKey& key,
                                                    HandlerFactory factory, std::uint16_t port,
                                                    std::chrono::seconds io_timeout);
  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Closes the listener and every open connection and joins the thread (within a few seconds).
  // Afterwards the port refuses connections. Idempotent; not from a handler.
  void stop();
  std::uint16_t port() const;

  struct Impl;  // the Beast side, kept out of this header

 private:
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capf::testing
