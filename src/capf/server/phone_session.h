// PhoneSession: one phone connection on port 3804, as one coroutine on its own strand. It reads and
// writes frames, keeps every read under a deadline, and asks the EnrollmentApi (on the worker pool)
// what to do; it never touches SQL or signing itself. A step that waits on an online or offline CA
// runs on the CA pool instead, behind that CA's admission gate (CaCalls): CPU workers never wait
// on the network, nor on the disk (a step's commits are deferred, and the session waits for them
// on the disk pool before it sends anything). session_errors.h turns the answers into bytes.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "capf/protocol/server_session.h"
#include "capf/runtime/admission_gate.h"
#include "capf/server/session_errors.h"
#include "capf/server/tls_stream.h"
#include "capf/service/enrollment_api.h"

namespace capf {

struct SessionLimits {
  std::chrono::seconds handshake{15};
  std::chrono::seconds read{30};
  std::chrono::seconds keygen{300};
  std::chrono::seconds keygen_max{1800};
};

// Where a session makes the calls that wait on an external CA ([issuer] max_in_flight): a pool of
// threads sized for waiting, and one admission gate per CA (by Issuer::describe()).
struct CaCalls {
  boost::asio::thread_pool& pool;
  AdmissionGates& gates;
};

class PhoneSession : public std::enable_shared_from_this<PhoneSession> {
 public:
  using Socket = boost::asio::ip::tcp::socket;

  // `socket` must already use the session's strand as its executor.
  // `disk` runs the waits for deferred commits (a thread or two: one sync serves every waiter).
  PhoneSession(Socket socket, boost::asio::ssl::context& tls, EnrollmentApi& service,
               boost::asio::thread_pool& workers, boost::asio::thread_pool& disk, CaCalls ca,
               const SessionLimits& limits, std::uint32_t session_id,
               std::function<void()> on_finish);
  ~PhoneSession();

  // Runs the whole session; never throws.
  boost::asio::awaitable<void> run();
  // Closes the connection from another thread (server stop); the session then ends.
  void close();

 private:
  // The watchdog closes the connection when a deadline passes; it holds the session alive.
  static boost::asio::awaitable<void> watch(std::shared_ptr<PhoneSession> self);
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<void> serve();
  boost::asio::awaitable<void> install(EnrollmentContext& ctx);
  // Sends STORE_CERTIFICATE_REQUEST, reads the answer, records it, ends the session.
  boost::asio::awaitable<void> store_certificate(EnrollmentContext& ctx, const Bytes& der);
  // Waits for the phone's answer to a key or signing request, through any REQUEST_IN_PROGRESS;
  // on failure records it and returns nullopt.
  boost::asio::awaitable<std::optional<protocol::ClientEvent>> await_phone_work(
      EnrollmentContext& ctx, const char* what);
  // The phone's signed request goes to the session's CA: on the CA pool once the CA's gate admits
  // it (external issuers), else on the workers. Nullopt when the session's deadline passed in the
  // gate's line (the failure is recorded).
  boost::asio::awaitable<std::optional<KeyDecision>> send_to_ca(
      EnrollmentContext& ctx, PhoneAnswer answer,
      const std::optional<protocol::HashedSignature>& signature);
  boost::asio::awaitable<void> fetch(EnrollmentContext& ctx);
  boost::asio::awaitable<void> remove(EnrollmentContext& ctx);

  // Sends a frame once every registry write of the session's steps so far is on disk.
  boost::asio::awaitable<Status> write_frame(const Result<Bytes>& frame);
  // A call of the service on `pool` (the workers, or the CA pool): its registry writes commit
  // without waiting for the disk (DeferredSync), and write_frame waits for them instead, on the
  // disk pool, so that the workers go on and concurrent sessions share one fsync.
  template <typename Fn>
  boost::asio::awaitable<std::invoke_result_t<Fn&>> step(boost::asio::thread_pool& pool, Fn fn);
  // Sends a request and reads the phone's reply; on failure records it and returns nullopt.
  boost::asio::awaitable<std::optional<protocol::ClientEvent>> request_reply(
      const Result<Bytes>& request, EnrollmentContext& ctx);
  boost::asio::awaitable<Result<protocol::ClientEvent>> read_event(
      std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> end(std::uint8_t reason);
  boost::asio::awaitable<void> fail(const Error& error, EnrollmentContext* ctx, SessionPhase phase);
  void set_deadline(std::chrono::steady_clock::duration d);
  void close_now();

  TlsStream stream_;
  boost::asio::steady_timer watchdog_;
  EnrollmentApi& service_;
  boost::asio::thread_pool& workers_;
  boost::asio::thread_pool& disk_;
  CaCalls ca_;
  SessionLimits limits_;
  protocol::ServerSession machine_;
  SessionInfo info_;
  std::function<void()> on_finish_;
  bool timed_out_ = false;
  bool finished_ = false;
  std::uint64_t unsynced_ = 0;  // the ticket of the steps' writes not yet known to be on disk
};

}  // namespace capf
