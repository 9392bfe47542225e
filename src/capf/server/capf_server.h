// CapfServer: the listener on port 3804. Owns the I/O threads, the worker pool for blocking work,
// the CA pool and per-CA admission gates for calls that wait on an online or offline CA, and the
// acceptors (IPv4 and IPv6); caps concurrent sessions, and the connections and TLS
// handshakes of each source address, by closing extra connections at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/issuer/capf_identity.h"
#include "capf/server/phone_session.h"
#include "capf/service/enrollment_api.h"

namespace capf {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 3804;  // 0 picks a free port (tests)
};

struct ServerOptions {
  std::vector<ListenAddress> listen;
  int max_sessions = 20000;
  int max_connections_per_address = 32;  // 0 = no limit
  int max_handshakes_per_address = 8;    // TLS handshakes in progress; 0 = no limit
  int io_threads = 1;
  int worker_threads = 2;
  // Requests in flight per CA ([issuer] max_in_flight); also the CA pool's thread count. Sessions
  // beyond it wait in line, each until its read deadline.
  int ca_max_in_flight = 32;
  bool legacy_tls = false;
  SessionLimits limits;
};

struct ServerCounters {
  std::uint64_t accepted = 0;
  std::uint64_t refused_over_cap = 0;
  std::uint64_t refused_address_connections = 0;  // the address held all its connections
  std::uint64_t refused_address_handshakes = 0;   // the address held all its handshakes
  std::int64_t active = 0;
  std::int64_t peak_active = 0;
};

class CapfServer {
 public:
  static Result<std::unique_ptr<CapfServer>> create(const ServerOptions& options,
                                                    EnrollmentApi& service,
                                                    const IdentityHolder& identity);
  ~CapfServer();

  // Binds every listen address and starts the threads; returns once phones can connect.
  // kIo naming the address if a bind fails.
  Status start();
  // Serves new connections with this identity (a regenerated or imported CAPF certificate);
  // sessions already running keep theirs. kInvalidArgument if TLS refuses it.
  Status replace_identity(const CapfIdentity& identity);
  // Stops accepting, closes open sessions, joins the threads. Idempotent.
  void stop();
  // Blocks until stop() (from a signal handler thread or another thread) has finished.
  void wait();

  // Bound ports, in the order of options.listen (useful with port 0).
  std::vector<std::uint16_t> ports() const;
  ServerCounters counters() const;
  // Requests in flight and sessions waiting, per CA the sessions have called so far.
  std::vector<GateLoad> ca_load() const;
  // The same in Prometheus text: opencapf_ca_requests_in_flight and opencapf_ca_requests_queued,
  // gauges by CA (with HELP and TYPE lines).
  std::string ca_metrics() const;

 private:
  struct Impl;
  explicit CapfServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capf
