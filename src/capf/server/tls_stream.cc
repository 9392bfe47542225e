#include "capf/server/tls_stream.h"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace capf {

namespace asio = boost::asio;
using boost::system::error_code;

TlsStream::TlsStream(Socket socket, SSL_CTX* ctx) : socket_(std::move(socket)), ssl_(SSL_new(ctx)) {
  error_code ignored;
  socket_.non_blocking(true, ignored);
  if (ssl_ != nullptr) {
    SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
    SSL_set_accept_state(ssl_);
  }
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr)
    SSL_free(ssl_);
}

void TlsStream::close() {
  error_code ignored;
  socket_.shutdown(Socket::shutdown_both, ignored);
  socket_.close(ignored);
}

TlsStream::Step TlsStream::step(int result, error_code& ec) {
  if (result > 0)
    return Step::kDone;
  int err = SSL_get_error(ssl_, result);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return Step::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      ec = asio::error::eof;
      return Step::kFailed;
    case SSL_ERROR_SYSCALL:
      // The peer went away without close_notify, or the socket was closed under us.
      ec = socket_.is_open() ? error_code(asio::error::eof)
                             : error_code(asio::error::operation_aborted);
      ERR_clear_error();
      return Step::kFailed;
    default: {
      unsigned long e = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ec = asio::error::eof;  // the peer closed without close_notify
        return Step::kFailed;
      }
      ec = error_code(static_cast<int>(e != 0 ? e : 1), asio::error::get_ssl_category());
      return Step::kFailed;
    }
  }
}

asio::awaitable<error_code> TlsStream::wait(Step step) {
  error_code ec;
  if (!socket_.is_open())
    co_return asio::error::operation_aborted;
  co_await socket_.async_wait(step == Step::kWantRead ? Socket::wait_read : Socket::wait_write,
                              asio::redirect_error(asio::use_awaitable, ec));
  if (!ec && !socket_.is_open())
    ec = asio::error::operation_aborted;
  co_return ec;
}

template <typename Call>
asio::awaitable<error_code> TlsStream::until_done(Call call) {
  while (true) {
    error_code ec;
    ERR_clear_error();
    Step s = step(call(), ec);
    if (s == Step::kDone)
      co_return error_code();
    if (s == Step::kFailed)
      co_return ec;
    ec = co_await wait(s);
    if (ec)
      co_return ec;
  }
}

asio::awaitable<error_code> TlsStream::handshake() {
  if (ssl_ == nullptr)
    co_return error_code(asio::error::no_memory);
  co_return co_await until_done([this] { return SSL_do_handshake(ssl_); });
}

asio::awaitable<error_code> TlsStream::read_exact(void* data, std::size_t size) {
  auto* out = static_cast<unsigned char*>(data);
  std::size_t done = 0;
  while (done < size) {
    std::size_t n = 0;
    error_code ec = co_await until_done(
        [this, out, done, size, &n] { return SSL_read_ex(ssl_, out + done, size - done, &n); });
    if (ec)
      co_return ec;
    done += n;
  }
  co_return error_code();
}

asio::awaitable<error_code> TlsStream::write_all(const void* data, std::size_t size) {
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex writes everything or asks to be called
  // again with the same arguments.
  std::size_t n = 0;
  co_return co_await until_done(
      [this, data, size, &n] { return SSL_write_ex(ssl_, data, size, &n); });
}

asio::awaitable<error_code> TlsStream::shutdown() {
  co_return co_await until_done([this] {
    int r = SSL_shutdown(ssl_);
    if (r == 0) {
      // close_notify sent; wait for the peer's (or its close).
      r = SSL_shutdown(ssl_);
    }
    return r;
  });
}

}  // namespace capf
