#include "capf/server/capf_server.h"

#include <sys/random.h>

#include <csignal>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "capf/common/address_limits.h"
#include "capf/runtime/asio_runtime.h"
#include "capf/runtime/listener.h"
#include "capf/server/tls_context.h"

namespace capf {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// A random non-zero session id: it is the only anti-replay input of the SUDI proof
// (docs/protocol.md §2.3).
std::uint32_t new_session_id() {
  std::uint32_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
      static std::atomic<std::uint32_t> fallback{1};
      id = fallback.fetch_add(1);
    }
  }
  return id;
}

// Owns the session for as long as it runs: a coroutine's parameters live in its frame, whereas
// `this` of a member coroutine does not keep the object alive.
asio::awaitable<void> run_owned(std::shared_ptr<PhoneSession> session) {
  co_await session->run();
}

// The index of the SSL_CTX slot that points back to the server (SSL_CTX app data belongs to
// Asio, which keeps its verify callback there).
int server_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

struct CapfServer::Impl {
  ServerOptions options;
  EnrollmentApi& service;
  const IdentityHolder& identity;
  // Before the io_context: handlers it still holds when destroyed give their leases back here.
  AddressLimits address_connections;
  AddressLimits address_handshakes;
  std::mutex tls_mu;
  std::shared_ptr<asio::ssl::context> tls;  // replaced whole; sessions keep the one they began with
  AsioRuntime runtime;
  asio::io_context& io = runtime.io();
  asio::thread_pool& workers = runtime.workers();
  AdmissionGates ca_gates;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;

  std::atomic<std::int64_t> active{0};
  std::atomic<std::int64_t> peak{0};
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  // Handshake leases by socket descriptor (the TLS stream's fd), with the session that owns it:
  // the handshake-done callback only sees the SSL object. Given back when the handshake ends, or
  // when the session does.
  struct Handshake {
    PhoneSession* session;
    AddressLimits::Lease lease;
  };
  std::mutex handshakes_mu;
  std::unordered_map<int, Handshake> handshakes;
  std::mutex sessions_mu;
  std::unordered_map<PhoneSession*, std::weak_ptr<PhoneSession>> sessions;  // for stop()

  Impl(const ServerOptions& o, EnrollmentApi& s, const IdentityHolder& id)
      : options(o),
        service(s),
        identity(id),
        address_connections(o.max_connections_per_address),
        address_handshakes(o.max_handshakes_per_address),
        runtime(o.worker_threads, BOOST_ASIO_CONCURRENCY_HINT_DEFAULT, o.ca_max_in_flight,
                /*disk_thread=*/true),
        ca_gates(o.ca_max_in_flight) {}

  asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    while (acceptor.is_open()) {
      error_code ec;
      auto strand = asio::make_strand(io);
      tcp::socket socket(strand);
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open())
          co_return;
        // Out of descriptors or a transient error: say so and keep serving the others.
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(io, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      accepted.fetch_add(1, std::memory_order_relaxed);
      if (active.load(std::memory_order_relaxed) >= options.max_sessions) {
        std::uint64_t n = refused.fetch_add(1, std::memory_order_relaxed) + 1;
        if (n == 1 || n % 1000 == 0) {
          spdlog::warn("session cap of {} reached: closing new connections at once ({} so far)",
                       options.max_sessions, n);
        }
        socket.close(ec);
        continue;
      }
      // One address may not hold every session: the limits count per source address. A
      // connection over its address's connection limit is closed before any TLS work; one over
      // the handshake limit waits for a slot (phones behind one NAT address arrive in bursts).
      const auto peer = socket.remote_endpoint(ec);
      std::string address = ec ? std::string("unknown") : peer.address().to_string();
      auto connection =
          std::make_shared<AddressLimits::Lease>(address_connections.try_acquire(address));
      if (!*connection) {
        warn_refused(address_connections, address, "connections");
        socket.close(ec);
        continue;
      }
      AddressLimits::Lease handshake = address_handshakes.try_acquire(address, false);
      if (handshake) {
        start_session(std::move(socket), std::move(handshake), std::move(connection));
        continue;
      }
      asio::co_spawn(strand,
                     admit_when_free(std::move(socket), std::move(address), std::move(connection)),
                     asio::detached);
    }
  }

  static void warn_refused(const AddressLimits& full, const std::string& address,
                           const char* what) {
    if (full.refused() == 1 || full.refused() % 1000 == 0) {
      spdlog::warn(
          "{} holds {} {} already, the per-address limit: closing its new connection "
          "(raise [server] max_{}_per_address if many phones share this address)",
          address, full.limit(), what, what);
    }
  }

  // A connection whose address holds every handshake slot: waits for one, at most half the
  // handshake timeout (the other half is for its own handshake), then is closed (one refusal).
  // Slots free as handshakes end, so a burst from one address is served in turn; an address
  // that keeps opening connections gets no more than its slots.
  asio::awaitable<void> admit_when_free(tcp::socket socket, std::string address,
                                        std::shared_ptr<AddressLimits::Lease> connection) {
    const auto give_up = std::chrono::steady_clock::now() + options.limits.handshake / 2;
    asio::steady_timer timer(socket.get_executor());
    error_code ec;
    while (std::chrono::steady_clock::now() < give_up) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !socket.is_open())
        co_return;
      AddressLimits::Lease handshake = address_handshakes.try_acquire(address, false);
      if (handshake) {
        start_session(std::move(socket), std::move(handshake), std::move(connection));
        co_return;
      }
    }
    address_handshakes.note_refusal();
    warn_refused(address_handshakes, address, "handshakes");
    socket.close(ec);
  }

  // Runs a phone session on `socket` (whose executor is the session's strand).
  void start_session(tcp::socket socket, AddressLimits::Lease handshake,
                     std::shared_ptr<AddressLimits::Lease> connection) {
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    const int fd = static_cast<int>(socket.native_handle());
    std::int64_t now_active = active.fetch_add(1, std::memory_order_relaxed) + 1;
    std::int64_t prev_peak = peak.load(std::memory_order_relaxed);
    while (now_active > prev_peak && !peak.compare_exchange_weak(prev_peak, now_active)) {
    }
    std::shared_ptr<asio::ssl::context> context;
    {
      std::lock_guard lock(tls_mu);
      context = tls;
    }
    auto executor = socket.get_executor();
    // (SSL_new takes its own reference on the SSL_CTX: the session outlives a replacement.)
    auto session = std::make_shared<PhoneSession>(
        std::move(socket), *context, service, workers, *runtime.disk(),
        CaCalls{*runtime.waiting(), ca_gates}, options.limits, new_session_id(), nullptr);
    PhoneSession* raw = session.get();
    {
      std::lock_guard lock(sessions_mu);
      sessions.emplace(raw, session);
    }
    {
      std::lock_guard lock(handshakes_mu);
      handshakes.insert_or_assign(fd, Handshake{raw, std::move(handshake)});
    }
    asio::co_spawn(executor, run_owned(session), [this, raw, fd, connection](std::exception_ptr) {
      end_handshake(fd, raw);
      connection->release();
      std::lock_guard lock(sessions_mu);
      sessions.erase(raw);
      active.fetch_sub(1, std::memory_order_relaxed);
    });
  }

  // Gives back the handshake slot of the connection on `fd`; with `session`, only if that session
  // still owns it (the descriptor may already serve a newer connection).
  void end_handshake(int fd, PhoneSession* session) {
    std::lock_guard lock(handshakes_mu);
    auto it = handshakes.find(fd);
    if (it != handshakes.end() && (session == nullptr || it->second.session == session))
      handshakes.erase(it);
  }

  static void on_tls_info(const SSL* ssl, int where, int /*ret*/) {
    if ((where & SSL_CB_HANDSHAKE_DONE) == 0)
      return;
    auto* self = static_cast<Impl*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), server_index()));
    if (self != nullptr)
      self->end_handshake(SSL_get_fd(ssl), nullptr);
  }

  // Every TLS context of the phone port tells this server when a handshake is over.
  void watch_handshakes(asio::ssl::context& context) {
    SSL_CTX_set_ex_data(context.native_handle(), server_index(), this);
    SSL_CTX_set_info_callback(context.native_handle(), &Impl::on_tls_info);
  }
};

CapfServer::CapfServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CapfServer::~CapfServer() {
  stop();
}

Result<std::unique_ptr<CapfServer>> CapfServer::create(const ServerOptions& options,
                                                       EnrollmentApi& service,
                                                       const IdentityHolder& identity) {
  if (options.listen.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no listen address: give --listen HOST:PORT");
  }
  if (options.ca_max_in_flight < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "[issuer] max_in_flight must be at least 1 (it is {})",
                      options.ca_max_in_flight);
  }
  auto impl = std::make_unique<Impl>(options, service, identity);
  CAPF_ASSIGN_OR_RETURN(
      impl->tls, make_server_tls_context(*identity.current(), TlsOptions{options.legacy_tls}));
  impl->watch_handshakes(*impl->tls);
  return std::unique_ptr<CapfServer>(new CapfServer(std::move(impl)));
}

Status CapfServer::start() {
  Impl& m = *impl_;
  // OpenSSL writes to the phone sockets itself: a phone that hangs up must give EPIPE, not kill
  // the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  for (const ListenAddress& l : m.options.listen) {
    std::string why;
    auto address = listen_address(m.io, l.host, l.port, why);
    if (!address) {
      return make_error(ErrorCode::kInvalidArgument, "cannot resolve listen host '{}': {}", l.host,
                        why);
    }
    auto acceptor = std::make_unique<tcp::acceptor>(m.io);
    if (error_code ec =
            open_listener(*acceptor, tcp::endpoint(*address, l.port), address->is_v6())) {
      return make_error(ErrorCode::kIo, "cannot listen on {}:{}: {}", l.host, l.port, ec.message());
    }
    m.acceptors.push_back(std::move(acceptor));
  }
  for (auto& acceptor : m.acceptors) {
    asio::co_spawn(m.io, m.accept_loop(*acceptor), asio::detached);
  }
  m.runtime.start(m.options.io_threads);
  return ok();
}

Status CapfServer::replace_identity(const CapfIdentity& identity) {
  CAPF_ASSIGN_OR_RETURN(auto context,
                        make_server_tls_context(identity, TlsOptions{impl_->options.legacy_tls}));
  impl_->watch_handshakes(*context);
  std::lock_guard lock(impl_->tls_mu);
  impl_->tls = std::move(context);
  return ok();
}

void CapfServer::stop() {
  Impl& m = *impl_;
  auto close = [&m] {
    asio::post(m.io, [&m] {
      for (auto& a : m.acceptors) {
        error_code ec;
        a->close(ec);
      }
    });
    std::lock_guard lock(m.sessions_mu);
    for (auto& [raw, weak] : m.sessions) {
      if (auto s = weak.lock())
        s->close();
    }
  };
  // Sessions end within their short shutdown deadline; blocking work in flight finishes first.
  m.runtime.stop(close, [&m] { return m.active.load() > 0; });
}

void CapfServer::wait() {
  impl_->runtime.wait();
}

std::vector<std::uint16_t> CapfServer::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& a : impl_->acceptors) {
    error_code ec;
    out.push_back(a->local_endpoint(ec).port());
  }
  return out;
}

ServerCounters CapfServer::counters() const {
  ServerCounters c;
  c.accepted = impl_->accepted.load();
  c.refused_over_cap = impl_->refused.load();
  c.refused_address_connections = impl_->address_connections.refused();
  c.refused_address_handshakes = impl_->address_handshakes.refused();
  c.active = impl_->active.load();
  c.peak_active = impl_->peak.load();
  return c;
}

std::vector<GateLoad> CapfServer::ca_load() const {
  return impl_->ca_gates.load();
}

std::string CapfServer::ca_metrics() const {
  std::string in_flight;
  std::string queued;
  for (const GateLoad& g : ca_load()) {
    std::string label;  // a Prometheus label value: \ and " escaped, one line
    for (char ch : g.name) {
      if (ch == '\\' || ch == '"')
        label.push_back('\\');
      label.push_back(ch == '\n' ? ' ' : ch);
    }
    in_flight +=
        fmt::format("opencapf_ca_requests_in_flight{{ca=\"{}\"}} {}\n", label, g.in_flight);
    queued += fmt::format("opencapf_ca_requests_queued{{ca=\"{}\"}} {}\n", label, g.queued);
  }
  return "# HELP opencapf_ca_requests_in_flight Requests to an online or offline CA being made now "
         "(at most [issuer] max_in_flight per CA).\n"
         "# TYPE opencapf_ca_requests_in_flight gauge\n" +
         in_flight +
         "# HELP opencapf_ca_requests_queued Phone sessions waiting in line for a request slot of "
         "their CA.\n"
         "# TYPE opencapf_ca_requests_queued gauge\n" +
         queued;
}

}  // namespace capf
