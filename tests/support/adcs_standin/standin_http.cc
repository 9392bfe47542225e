#include "standin_http.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <set>
#include <thread>

namespace capf::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string StandinRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return "";
}

struct HttpsServer::Impl {
  asio::ssl::context tls{asio::ssl::context::tls_server};
  std::unique_ptr<asio::io_context> io;
  std::unique_ptr<tcp::acceptor> acceptor;
  HandlerFactory factory;
  std::chrono::seconds timeout{30};
  std::set<beast::tcp_stream*> live;  // open connections; touched on the server thread only
  std::thread thread;
  std::promise<void> finished;
  std::uint16_t port = 0;
  bool stopped = false;
};

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 1024 * 1024;

StandinRequest convert(const http::request<http::string_body>& in) {
  StandinRequest out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  for (const auto& field : in) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = in.body();
  return out;
}

asio::awaitable<void> serve(HttpsServer::Impl& impl, tcp::socket socket) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), impl.tls);
  beast::tcp_stream* lowest = &beast::get_lowest_layer(stream);
  impl.live.insert(lowest);
  struct Unregister {
    HttpsServer::Impl& impl;
    beast::tcp_stream* stream;
    ~Unregister() { impl.live.erase(stream); }
  } unregister{impl, lowest};
  try {
    lowest->expires_after(impl.timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
    std::unique_ptr<ConnectionHandler> handler = impl.factory();
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(kBodyLimit);
      lowest->expires_after(impl.timeout);
      co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> proceed(http::status::continue_, 11);
        co_await http::async_write(stream, proceed, asio::use_awaitable);
      }
      co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
      http::request<http::string_body> request = parser.release();
      StandinReply reply = handler->handle(convert(request));
      http::response<http::string_body> response(static_cast<http::status>(reply.status),
                                                 request.version());
      response.set(http::field::server, "Microsoft-IIS/10.0");
      for (const auto& [name, value] : reply.headers)
        response.insert(name, value);
      response.body() = std::move(reply.body);
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      lowest->expires_after(impl.timeout);
      co_await http::async_write(stream, response, asio::use_awaitable);
      if (!response.keep_alive())
        break;
    }
    lowest->expires_after(std::chrono::seconds(2));
    co_await stream.async_shutdown(asio::use_awaitable);
  } catch (const std::exception&) {
    // The client closed the connection, a deadline passed, or stop() closed the socket.
  }
}

asio::awaitable<void> accept_loop(HttpsServer::Impl& impl) {
  try {
    for (;;) {
      tcp::socket socket = co_await impl.acceptor->async_accept(asio::use_awaitable);
      asio::co_spawn(impl.io->get_executor(), serve(impl, std::move(socket)), asio::detached);
    }
  } catch (const std::exception&) {
    // stop() closed the acceptor.
  }
}

}  // namespace

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsServer::~HttpsServer() {
  stop();
}

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(const pki::Certificate& certificate,
                                                        const pki::PrivateKey& key,
                                                        HandlerFactory factory, std::uint16_t port,
                                                        std::chrono::seconds io_timeout) {
  auto impl = std::make_unique<Impl>();
  SSL_CTX* ctx = impl->tls.native_handle();
  if (SSL_CTX_use_certificate(ctx, certificate.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 ||
      SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return make_error(ErrorCode::kInternal, "the stand-in cannot use its certificate: {}",
                      pki::openssl_errors());
  }
  impl->factory = std::move(factory);
  impl->timeout = io_timeout;
  impl->io = std::make_unique<asio::io_context>(1);
  impl->acceptor = std::make_unique<tcp::acceptor>(*impl->io);
  boost::system::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), port);
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec)
    impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    impl->acceptor->bind(endpoint, ec);
  if (!ec)
    impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "the stand-in cannot listen on 127.0.0.1:{}: {}", port,
                      ec.message());
  }
  impl->port = impl->acceptor->local_endpoint().port();
  asio::co_spawn(impl->io->get_executor(), accept_loop(*impl), asio::detached);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->io->run();
    raw->finished.set_value();
  });
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

void HttpsServer::stop() {
  if (!impl_ || impl_->stopped)
    return;
  impl_->stopped = true;
  Impl* raw = impl_.get();
  asio::post(*raw->io, [raw] {
    boost::system::error_code ignored;
    raw->acceptor->close(ignored);
    for (beast::tcp_stream* s : raw->live)
      s->socket().close(ignored);
  });
  // Every coroutine ends once its socket is closed; a stuck one is cut off after a while.
  if (raw->finished.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    raw->io->stop();
  raw->thread.join();
  raw->acceptor.reset();
  raw->io.reset();
}

std::uint16_t HttpsServer::port() const {
  return impl_->port;
}

}  // namespace capf::testing
