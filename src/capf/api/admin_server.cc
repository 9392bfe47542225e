#include "capf/api/admin_server.h"

#include <atomic>
#include <csignal>
#include <mutex>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "capf/api/problem.h"
#include "capf/common/address_limits.h"
#include "capf/runtime/asio_runtime.h"
#include "capf/runtime/listener.h"
#include "capf/runtime/run_blocking.h"

namespace capf::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr auto kShutdownDeadline = std::chrono::seconds(5);

// Splits the request target into the decoded path and query; nullopt for a bad %-escape.
std::optional<ApiRequest> parse_target(std::string_view target) {
  ApiRequest out;
  std::string_view path = target;
  std::string_view query;
  if (auto q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  auto decoded = url_decode(path, false);
  if (!decoded) {
    return std::nullopt;
  }
  out.path = std::move(*decoded);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    std::size_t eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq), true);
    auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) {
      return std::nullopt;
    }
    out.query[*key] = *value;
  }
  return out;
}

http::response<http::string_body> to_http(const ApiResponse& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, "opencapf");
  if (!r.content_type.empty()) {
    res.set(http::field::content_type, r.content_type);
  }
  bool cache_set = false;
  bool csp_set = false;
  for (const auto& [name, value] : r.headers) {
    res.set(name, value);
    cache_set = cache_set || beast::iequals(name, "Cache-Control");
    csp_set = csp_set || beast::iequals(name, "Content-Security-Policy");
  }
  if (!cache_set) {
    res.set(http::field::cache_control, "no-store");
  }
  // On every response, errors and the console's files included: nothing may frame it
  // (clickjacking) or guess a type other than the one sent. API answers are data, never a page:
  // their policy allows nothing; the console's files bring their own (console_routes.cc), which
  // lets the console load its scripts and call this API from the same origin.
  res.set("X-Content-Type-Options", "nosniff");
  if (!csp_set) {
    res.set("Content-Security-Policy",
            "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  }
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

}  // namespace

struct AdminServer::Impl {
  AdminServerOptions options;
  Router& router;
  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls;

  std::atomic<int> active{0};
  std::atomic<std::uint64_t> refused_over_cap{0};
  AddressLimits address_connections;
  AddressLimits address_handshakes;
  // Open connections' streams, for stop(); touched only on the I/O thread.
  std::set<beast::tcp_stream*> connections;

  // Destroyed before the members above: coroutine frames still held by the io_context unregister
  // their connection when they are destroyed.
  AsioRuntime runtime;
  asio::io_context& io = runtime.io();
  asio::thread_pool& workers = runtime.workers();
  std::unique_ptr<tcp::acceptor> acceptor;

  Impl(const AdminServerOptions& o, std::shared_ptr<ssl::context> t, Router& r)
      : options(o),
        router(r),
        tls(std::move(t)),
        address_connections(o.max_connections_per_address),
        address_handshakes(o.max_handshakes_per_address),
        runtime(o.worker_threads, /*io_concurrency_hint=*/1) {}

  asio::awaitable<void> accept_loop() {
    while (acceptor->is_open()) {
      error_code ec;
      tcp::socket socket(io);
      co_await acceptor->async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open())
          co_return;
        spdlog::warn("admin api: accept failed: {}", ec.message());
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      if (active.load() >= options.max_connections) {
        refused_over_cap.fetch_add(1);
        socket.close(ec);
        continue;
      }
      // Per client address too: one host with many idle sockets must not lock the others out.
      const auto peer = socket.remote_endpoint(ec);
      std::string client = ec ? std::string("unknown") : peer.address().to_string();
      AddressLimits::Lease connection = address_connections.try_acquire(client);
      AddressLimits::Lease handshake;
      if (connection)
        handshake = address_handshakes.try_acquire(client);
      if (!connection || !handshake) {
        const AddressLimits& full = connection ? address_handshakes : address_connections;
        if (full.refused() == 1 || full.refused() % 1000 == 0) {
          spdlog::warn(
              "admin api: {} holds {} {} already, the per-address limit: closing its new "
              "connections at once ([admin] max_{}_per_address)",
              client, full.limit(), connection ? "TLS handshakes" : "connections",
              connection ? "handshakes" : "connections");
        }
        socket.close(ec);
        continue;
      }
      std::shared_ptr<ssl::context> context;
      {
        std::lock_guard lock(tls_mu);
        context = tls;
      }
      active.fetch_add(1);
      asio::co_spawn(io,
                     serve(std::move(socket), std::move(context), std::move(client),
                           std::move(connection), std::move(handshake)),
                     asio::detached);
    }
  }

  // `connection` and `handshake` hold the client address's slots; the handshake's is given back
  // as soon as the handshake is over.
  asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ssl::context> context,
                              std::string client, [[maybe_unused]] AddressLimits::Lease connection,
                              AddressLimits::Lease handshake) {
    error_code ec;
    beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *context);
    beast::tcp_stream* tracked = &stream.next_layer();
    connections.insert(tracked);
    struct Untrack {
      Impl& impl;
      beast::tcp_stream* stream;
      ~Untrack() {
        impl.connections.erase(stream);
        impl.active.fetch_sub(1);
      }
    } untrack{*this, tracked};

    stream.next_layer().expires_after(options.request_timeout);
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    handshake.release();
    if (ec) {
      co_return;
    }
    beast::flat_buffer buffer;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(options.max_body_bytes);
      stream.next_layer().expires_after(options.request_timeout);
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      ApiResponse response;
      bool keep_alive = false;
      unsigned version = 11;
      if (ec == http::error::body_limit) {
        response = problem(413, fmt::format("the request body is over {} bytes: send less",
                                            options.max_body_bytes));
      } else if (ec == http::error::header_limit) {
        response = problem(400, "the request headers are too large");
      } else if (ec) {
        break;  // the client went away, timed out, or sent something that is not HTTP
      } else {
        const auto& req = parser.get();
        version = req.version();
        keep_alive = req.keep_alive();
        const auto target = req.target();
        auto parsed = parse_target(std::string_view(target.data(), target.size()));
        if (!parsed) {
          response = problem(400, "the request target has a bad %-escape: encode it again");
        } else {
          ApiRequest api = std::move(*parsed);
          api.method = std::string(req.method_string());
          api.authorization = std::string(req[http::field::authorization]);
          api.content_type = std::string(req[http::field::content_type]);
          api.body = req.body();
          api.client = client;
          // The request stays in this frame while a worker reads it, and the lambda holds only
          // pointers: g++ 12 destroys temporaries of a co_await expression twice (a lambda that
          // owned the request freed it twice; see docs/development.md).
          Router* r = &router;
          const ApiRequest* request = &api;
          response = co_await run_blocking(workers, [r, request] { return r->handle(*request); });
        }
      }
      auto res = to_http(response, version, keep_alive);
      stream.next_layer().expires_after(options.request_timeout);
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep_alive) {
        break;
      }
    }
    if (!ec) {
      stream.next_layer().expires_after(kShutdownDeadline);
      co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
  stop();
}

Result<std::unique_ptr<AdminServer>> AdminServer::create(const AdminServerOptions& options,
                                                         std::shared_ptr<ssl::context> tls,
                                                         Router& router) {
  if (!tls) {
    return make_error(ErrorCode::kInvalidArgument, "the admin API needs a TLS context");
  }
  return std::unique_ptr<AdminServer>(
      new AdminServer(std::make_unique<Impl>(options, std::move(tls), router)));
}

Status AdminServer::start() {
  Impl& m = *impl_;
  std::signal(SIGPIPE, SIG_IGN);
  std::string why;
  auto address = listen_address(m.io, m.options.host, m.options.port, why);
  if (!address) {
    return make_error(ErrorCode::kInvalidArgument, "cannot resolve admin listen host '{}': {}",
                      m.options.host, why);
  }
  auto acceptor = std::make_unique<tcp::acceptor>(m.io);
  if (error_code ec =
          open_listener(*acceptor, tcp::endpoint(*address, m.options.port), /*v6_only=*/false)) {
    return make_error(ErrorCode::kIo, "cannot listen for the admin API on {}:{}: {}",
                      m.options.host, m.options.port, ec.message());
  }
  m.acceptor = std::move(acceptor);
  asio::co_spawn(m.io, m.accept_loop(), asio::detached);
  m.runtime.start(1);
  return ok();
}

void AdminServer::replace_tls(std::shared_ptr<ssl::context> tls) {
  std::lock_guard lock(impl_->tls_mu);
  impl_->tls = std::move(tls);
}

void AdminServer::stop() {
  Impl& m = *impl_;
  auto close = [&m] {
    asio::post(m.io, [&m] {
      error_code ec;
      m.acceptor->close(ec);
      for (beast::tcp_stream* s : m.connections) {
        s->socket().shutdown(tcp::socket::shutdown_both, ec);
        s->cancel();
      }
    });
  };
  // Connections end at their next step; a request in the registry finishes first.
  m.runtime.stop(close, [&m] { return m.active.load() > 0; });
}

std::uint16_t AdminServer::port() const {
  if (!impl_->acceptor) {
    return 0;
  }
  error_code ec;
  return impl_->acceptor->local_endpoint(ec).port();
}

int AdminServer::active_connections() const {
  return impl_->active.load();
}

AdminServerCounters AdminServer::counters() const {
  return AdminServerCounters{impl_->refused_over_cap.load(), impl_->address_connections.refused(),
                             impl_->address_handshakes.refused()};
}

}  // namespace capf::api
