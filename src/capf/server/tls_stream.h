// TlsStream: OpenSSL driven directly on a non-blocking socket, awaited with Asio readiness waits.
// Boost.Asio's ssl::stream keeps four 17 KiB buffers per connection (its own two and a BIO pair);
// a phone that sits in key generation for minutes should cost its session a few KiB, not 90, so
// the phone port talks to the socket itself and lets OpenSSL release its buffers when idle
// (SSL_MODE_RELEASE_BUFFERS).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace capf {

class TlsStream {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // `ctx` must outlive the stream. The socket is switched to non-blocking mode.
  TlsStream(Socket socket, SSL_CTX* ctx);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Each completes with an empty error code, or the reason it failed: boost::asio::error::eof when
  // the peer closed (cleanly or not), operation_aborted when close() was called, or an SSL error
  // whose message() is OpenSSL's reason.
  boost::asio::awaitable<boost::system::error_code> handshake();
  boost::asio::awaitable<boost::system::error_code> read_exact(void* data, std::size_t size);
  // One SSL_write: a message under 16 KiB leaves as one TLS record.
  boost::asio::awaitable<boost::system::error_code> write_all(const void* data, std::size_t size);
  // Sends close_notify and waits for the peer's, if it sends one.
  boost::asio::awaitable<boost::system::error_code> shutdown();

  // Closes the socket; pending operations complete with operation_aborted.
  void close();
  Socket& socket() { return socket_; }
  SSL* native_handle() { return ssl_; }
  Socket::executor_type get_executor() { return socket_.get_executor(); }

 private:
  enum class Step { kDone, kWantRead, kWantWrite, kFailed };
  Step step(int result, boost::system::error_code& ec);
  boost::asio::awaitable<boost::system::error_code> wait(Step step);
  // Calls `call` (an SSL_* call returning OpenSSL's int) until it succeeds, waiting for the
  // socket whenever OpenSSL wants to read or write; the error when it fails.
  template <typename Call>
  boost::asio::awaitable<boost::system::error_code> until_done(Call call);

  Socket socket_;
  SSL* ssl_;
};

}  // namespace capf
