#include "capf/server/phone_session.h"

#include <openssl/ssl.h>

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "capf/runtime/run_blocking.h"
#include "capf/store/deferred_sync.h"

namespace capf {

namespace asio = boost::asio;
using asio::use_awaitable;
using boost::system::error_code;

namespace {

std::string peer_of(const PhoneSession::Socket& socket) {
  error_code ec;
  auto ep = socket.remote_endpoint(ec);
  if (ec)
    return "?";
  if (ep.address().is_v6())
    return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace

PhoneSession::PhoneSession(Socket socket, asio::ssl::context& tls, EnrollmentApi& service,
                           asio::thread_pool& workers, asio::thread_pool& disk, CaCalls ca,
                           const SessionLimits& limits, std::uint32_t session_id,
                           std::function<void()> on_finish)
    : stream_(std::move(socket), tls.native_handle()),
      watchdog_(stream_.get_executor()),
      service_(service),
      workers_(workers),
      disk_(disk),
      ca_(ca),
      limits_(limits),
      machine_(session_id),
      on_finish_(std::move(on_finish)) {
  info_.session_id = session_id;
  info_.peer = peer_of(stream_.socket());
}

PhoneSession::~PhoneSession() {
  if (on_finish_)
    on_finish_();
}

void PhoneSession::set_deadline(std::chrono::steady_clock::duration d) {
  // Re-arming cancels the pending wait; the watchdog wakes and waits for the new deadline.
  watchdog_.expires_after(d);
}

void PhoneSession::close_now() {
  stream_.close();
}

void PhoneSession::close() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

asio::awaitable<void> PhoneSession::watch(std::shared_ptr<PhoneSession> self) {
  co_await self->watchdog();
}

asio::awaitable<void> PhoneSession::watchdog() {
  while (!finished_) {
    error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (finished_)
      co_return;
    if (watchdog_.expiry() <= std::chrono::steady_clock::now()) {
      timed_out_ = true;
      close_now();
      co_return;
    }
  }
}

asio::awaitable<void> PhoneSession::run() {
  auto self = shared_from_this();
  set_deadline(limits_.handshake);
  asio::co_spawn(stream_.get_executor(), watch(self), asio::detached);
  try {
    co_await serve();
  } catch (const std::exception& e) {
    // Our own bug: the session dies alone and says why.
    spdlog::error("session {} {}: internal error: {}", info_.id_hex(), info_.peer, e.what());
  }
  finished_ = true;
  watchdog_.cancel();
  close_now();
}

template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn&>> PhoneSession::step(asio::thread_pool& pool, Fn fn) {
  std::uint64_t ticket = 0;
  auto result = co_await run_blocking(pool, [&] {
    DeferredSync deferred;
    auto r = fn();
    ticket = deferred.ticket();
    return r;
  });
  unsynced_ = std::max(unsynced_, ticket);
  co_return result;
}

asio::awaitable<Status> PhoneSession::write_frame(const Result<Bytes>& frame) {
  if (!frame)
    co_return frame.error();
  if (unsynced_ != 0) {
    // Nothing leaves before what it depends on is on disk: the ledger row before the
    // certificate, the confirmation before END_SESSION.
    const std::uint64_t ticket = unsynced_;
    Status durable =
        co_await run_blocking(disk_, [this, ticket] { return service_.wait_durable(ticket); });
    if (!durable)
      co_return durable;
    unsynced_ = 0;
  }
  set_deadline(limits_.read);
  // One write of the whole frame: one TLS record (docs/protocol.md §2.4).
  error_code ec = co_await stream_.write_all(frame->data(), frame->size());
  if (ec) {
    if (timed_out_)
      co_return make_error(ErrorCode::kTimeout, "write timed out");
    co_return make_error(ErrorCode::kIo, "write failed: {}", ec.message());
  }
  co_return ok();
}

asio::awaitable<Result<protocol::ClientEvent>> PhoneSession::read_event(
    std::chrono::milliseconds timeout) {
  set_deadline(timeout);
  Bytes frame(protocol::kHeaderSize);
  error_code ec = co_await stream_.read_exact(frame.data(), frame.size());
  if (!ec) {
    auto header = protocol::parse_header(frame);
    if (!header)
      co_return header.error();
    frame.resize(protocol::kHeaderSize + header->payload_length);
    if (header->payload_length > 0) {
      ec =
          co_await stream_.read_exact(frame.data() + protocol::kHeaderSize, header->payload_length);
    }
  }
  if (ec) {
    if (timed_out_) {
      co_return make_error(ErrorCode::kTimeout, "no message from the phone within {:.1f} s",
                           static_cast<double>(timeout.count()) / 1000.0);
    }
    if (ec == asio::error::eof) {
      co_return make_error(ErrorCode::kIo, "the phone closed the connection");
    }
    co_return make_error(ErrorCode::kIo, "read failed: {}", ec.message());
  }
  co_return machine_.receive(frame);
}

asio::awaitable<void> PhoneSession::end(std::uint8_t reason) {
  // g++ 12 frees temporaries of a co_await expression twice: every frame is a named local first.
  const protocol::EndSession message{reason};
  const Result<Bytes> frame = machine_.send(message);
  Status written = co_await write_frame(frame);
  if (!written) {
    spdlog::info("session {} {}: could not send END_SESSION: {}", info_.id_hex(), info_.peer,
                 written.error().message);
    co_return;
  }
  // close_notify, waiting briefly for the phone's; many clients just close.
  set_deadline(std::chrono::seconds(2));
  co_await stream_.shutdown();
}

asio::awaitable<void> PhoneSession::fail(const Error& error, EnrollmentContext* ctx,
                                         SessionPhase phase) {
  SessionErrorAction action = classify_session_error(error, phase);
  const char* where = ctx == nullptr ? "" : " device ";
  spdlog::warn("session {} {}{}{}: {}{}", info_.id_hex(), info_.peer, where,
               ctx == nullptr ? "" : ctx->device.str(), error.message,
               action.end_reason ? "; ending the session with reason 7" : "; closing");
  if (ctx != nullptr) {
    std::string detail = error.message;
    co_await step(workers_, [&] {
      service_.failed(info_, ctx, action.failure, detail);
      return 0;
    });
  }
  if (action.end_reason && !timed_out_)
    co_await end(*action.end_reason);
}

asio::awaitable<void> PhoneSession::serve() {
  error_code ec = co_await stream_.handshake();
  if (ec) {
    spdlog::info("session {} {}: TLS handshake failed: {}", info_.id_hex(), info_.peer,
                 timed_out_ ? std::string("timed out") : ec.message());
    co_return;
  }
  const SSL* ssl = stream_.native_handle();
  if (ssl == nullptr)
    co_return;
  info_.tls_version = SSL_get_version(ssl);
  if (SSL_version(ssl) < TLS1_2_VERSION) {
    spdlog::warn("session {} {}: legacy {} with {} (legacy_tls is on)", info_.id_hex(), info_.peer,
                 info_.tls_version, SSL_get_cipher_name(ssl));
  }

  const Result<Bytes> hello = machine_.send(protocol::AuthRequest{});
  Status sent = co_await write_frame(hello);
  if (!sent) {
    co_await fail(sent.error(), nullptr, SessionPhase::kAuth);
    co_return;
  }
  auto event = co_await read_event(limits_.read);
  if (!event) {
    co_await fail(event.error(), nullptr, SessionPhase::kAuth);
    co_return;
  }
  const auto& auth = std::get<protocol::AuthResponse>(*event);
  for (std::uint8_t tag : auth.unknown_tags) {
    spdlog::info("session {} {}: ignored unknown element tag {} in AUTH_RESPONSE", info_.id_hex(),
                 info_.peer, tag);
  }
  OpenDecision decision = co_await step(workers_, [&] { return service_.open(info_, auth); });
  switch (decision.kind) {
    case OpenDecision::Kind::kEnd:
      spdlog::info("session {} {} device {}: {}; END_SESSION reason {}", info_.id_hex(), info_.peer,
                   auth.device_name, decision.log, wire_reason(decision.end));
      co_await end(wire_reason(decision.end));
      co_return;
    case OpenDecision::Kind::kInstall:
      co_await install(*decision.context);
      co_return;
    case OpenDecision::Kind::kFetch:
      co_await fetch(*decision.context);
      co_return;
    case OpenDecision::Kind::kDelete:
      co_await remove(*decision.context);
      co_return;
    case OpenDecision::Kind::kDeliver:
      spdlog::info("session {} {} device {}: {}", info_.id_hex(), info_.peer, auth.device_name,
                   decision.log);
      co_await store_certificate(*decision.context, decision.certificate_der);
      co_return;
  }
}

asio::awaitable<std::optional<protocol::ClientEvent>> PhoneSession::await_phone_work(
    EnrollmentContext& ctx, const char* what) {
  // The phone is generating a key or signing: restarted by each REQUEST_IN_PROGRESS, bounded as
  // a whole.
  const auto work_end = std::chrono::steady_clock::now() + limits_.keygen_max;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        work_end - std::chrono::steady_clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      const Error late =
          make_error(ErrorCode::kTimeout, "no {} within {} s, however many REQUEST_IN_PROGRESS",
                     what, limits_.keygen_max.count());
      co_await fail(late, &ctx, SessionPhase::kKeygen);
      co_return std::nullopt;
    }
    const std::chrono::milliseconds wait =
        std::min(std::chrono::milliseconds(limits_.keygen), left);
    auto event = co_await read_event(wait);
    if (!event) {
      co_await fail(event.error(), &ctx, SessionPhase::kKeygen);
      co_return std::nullopt;
    }
    if (!std::holds_alternative<protocol::RequestInProgress>(*event)) {
      co_return std::move(event).value();
    }
  }
}

asio::awaitable<void> PhoneSession::install(EnrollmentContext& ctx) {
  while (true) {
    const KeySpec spec = ctx.current_key();
    protocol::KeyGenerateRequest request;
    if (spec.type == KeyType::kRsa) {
      request.key_type = protocol::kKeyTypeRsa;
      request.key_size = static_cast<std::uint16_t>(spec.bits);
    } else {
      request.key_type = protocol::kKeyTypeEc;
      request.curve = spec.bits == 256   ? protocol::kCurveP256
                      : spec.bits == 384 ? protocol::kCurveP384
                                         : protocol::kCurveP521;
    }
    const Result<Bytes> keygen_frame = machine_.send(request);
    Status sent = co_await write_frame(keygen_frame);
    if (!sent) {
      co_await fail(sent.error(), &ctx, SessionPhase::kKeygen);
      co_return;
    }
    std::optional<protocol::ClientEvent> key_event = co_await await_phone_work(ctx, "key");
    if (!key_event)
      co_return;
    const auto& response = std::get<protocol::KeyGenerateResponse>(*key_event);
    KeyDecision decision =
        co_await step(workers_, [&] { return service_.key_generated(info_, ctx, response); });
    if (decision.kind == KeyDecision::Kind::kSign) {
      // External CAs: the phone signs its certificate request with the new key
      // (docs/protocol.md §6.10).
      const protocol::SignCertificateRequest sign{decision.digest_type,
                                                  std::move(decision.request_info_der)};
      const Result<Bytes> sign_frame = machine_.send(sign);
      sent = co_await write_frame(sign_frame);
      if (!sent) {
        co_await fail(sent.error(), &ctx, SessionPhase::kKeygen);
        co_return;
      }
      std::optional<protocol::ClientEvent> sign_event =
          co_await await_phone_work(ctx, "signed certificate request");
      if (!sign_event)
        co_return;
      const auto& signed_response = std::get<protocol::SignCertificateResponse>(*sign_event);
      const PhoneAnswer answer = phone_answer(signed_response.reason);
      std::optional<KeyDecision> from_ca =
          co_await send_to_ca(ctx, answer, signed_response.signature);
      if (!from_ca)
        co_return;
      decision = std::move(*from_ca);
    }
    switch (decision.kind) {
      case KeyDecision::Kind::kAskNextKey:
        spdlog::info("session {} {} device {}: {}", info_.id_hex(), info_.peer, ctx.device.str(),
                     decision.log);
        continue;
      case KeyDecision::Kind::kSign:  // only after a key response, handled above
      case KeyDecision::Kind::kEnd:
        spdlog::info("session {} {} device {}: {}; END_SESSION reason {}", info_.id_hex(),
                     info_.peer, ctx.device.str(), decision.log, wire_reason(decision.end));
        co_await end(wire_reason(decision.end));
        co_return;
      case KeyDecision::Kind::kStore:
        break;
    }
    co_await store_certificate(ctx, decision.certificate_der);
    co_return;
  }
}

asio::awaitable<std::optional<KeyDecision>> PhoneSession::send_to_ca(
    EnrollmentContext& ctx, PhoneAnswer answer,
    const std::optional<protocol::HashedSignature>& signature) {
  auto call = [&] { return service_.request_signed(info_, ctx, answer, signature); };
  if (!ctx.issuer || ctx.issuer->mode() == IssuerMode::kCapf) {
    KeyDecision local = co_await step(workers_, call);
    co_return local;
  }
  // The phone waits for our next message: the line for the CA is bounded by the read timeout (and
  // by the deadline the watchdog already holds).
  const std::string ca = ctx.issuer->describe();
  std::shared_ptr<AdmissionGate> gate = ca_.gates.gate(ca);
  const auto deadline =
      std::min(watchdog_.expiry(), std::chrono::steady_clock::now() + limits_.read);
  AdmissionGate::Permit permit = co_await gate->enter(deadline);
  if (!permit) {
    const Error late = make_error(ErrorCode::kTimeout,
                                  "all {} request slots of the CA ({}) stayed busy until the "
                                  "session's deadline (raise [issuer] max_in_flight if the CA can "
                                  "take more)",
                                  gate->limit(), ca);
    co_await fail(late, &ctx, SessionPhase::kReply);
    co_return std::nullopt;
  }
  KeyDecision answered = co_await step(ca_.pool, call);
  co_return answered;
}

asio::awaitable<void> PhoneSession::store_certificate(EnrollmentContext& ctx, const Bytes& der) {
  const protocol::StoreCertificateRequest store{protocol::cert_type::kLsc, der};
  const Result<Bytes> store_frame = machine_.send(store);
  std::optional<protocol::ClientEvent> reply = co_await request_reply(store_frame, ctx);
  if (!reply)
    co_return;
  const PhoneAnswer answer =
      phone_answer(std::get<protocol::StoreCertificateResponse>(*reply).reason);
  const SessionEnd outcome =
      co_await step(workers_, [&] { return service_.stored(info_, ctx, answer); });
  co_await end(wire_reason(outcome));
}

asio::awaitable<std::optional<protocol::ClientEvent>> PhoneSession::request_reply(
    const Result<Bytes>& request, EnrollmentContext& ctx) {
  Status sent = co_await write_frame(request);
  if (!sent) {
    co_await fail(sent.error(), &ctx, SessionPhase::kReply);
    co_return std::nullopt;
  }
  auto event = co_await read_event(limits_.read);
  if (!event) {
    co_await fail(event.error(), &ctx, SessionPhase::kReply);
    co_return std::nullopt;
  }
  co_return std::move(event).value();
}

asio::awaitable<void> PhoneSession::fetch(EnrollmentContext& ctx) {
  const Result<Bytes> frame = machine_.send(protocol::FetchCertificateRequest{});
  std::optional<protocol::ClientEvent> reply = co_await request_reply(frame, ctx);
  if (!reply)
    co_return;
  const auto& response = std::get<protocol::FetchCertificateResponse>(*reply);
  const PhoneAnswer answer = phone_answer(response.reason);
  const SessionEnd outcome = co_await step(
      workers_, [&] { return service_.fetched(info_, ctx, answer, response.certificates); });
  co_await end(wire_reason(outcome));
}

asio::awaitable<void> PhoneSession::remove(EnrollmentContext& ctx) {
  const Result<Bytes> frame = machine_.send(protocol::DeleteCertificateRequest{});
  std::optional<protocol::ClientEvent> reply = co_await request_reply(frame, ctx);
  if (!reply)
    co_return;
  const PhoneAnswer answer =
      phone_answer(std::get<protocol::DeleteCertificateResponse>(*reply).reason);
  const SessionEnd outcome =
      co_await step(workers_, [&] { return service_.deleted(info_, ctx, answer); });
  co_await end(wire_reason(outcome));
}

}  // namespace capf
