// RawHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 for the online-CA tests, one thread and a raw
// socket. It records what arrives (method, target, headers, body) so a test can check what the
// client really sent, answers with whatever the test's handler returns, and can also misbehave the
// ways a CA's network does (accept and never answer, hang up at once).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace capf::testing {

struct RecordedRequest {
  std::string method;
  std::string target;                                        // "/path?query"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case, values trimmed
  std::string body;
  // The first header with this lower-case name, or "".
  std::string header(std::string_view name) const;
};

struct CannedResponse {
  int status = 200;
  std::string reason = "OK";
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length is added
  std::string body;
};

class RawHttpServer {
 public:
  enum class Mode {
    kAnswer,  // read one request per connection, answer with the handler, close
    kSilent,  // accept and keep the connection open without reading or answering
    kHangUp,  // accept and close at once
  };
  using Handler = std::function<CannedResponse(const RecordedRequest&)>;

  // Listens on 127.0.0.1 at a port the kernel picks; serves until destroyed. A request that does
  // not arrive in full within 5 s is dropped.
  explicit RawHttpServer(Handler handler, Mode mode = Mode::kAnswer);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  bool listening() const { return listen_fd_ >= 0; }
  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string url(std::string_view path = "/") const;
  int connections() const { return connections_.load(); }
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  void answer(int fd);

  Handler handler_;
  Mode mode_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<int> held_;  // kSilent connections, closed at the end
  std::thread thread_;
};

}  // namespace capf::testing
