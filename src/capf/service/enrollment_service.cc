#include "capf/service/enrollment_service.h"

#include "capf/service/enrollment_internal.h"

#include <algorithm>
#include <limits>

#include <spdlog/spdlog.h>

#include "capf/pki/certificate.h"
#include "capf/pki/csr.h"
#include "capf/pki/key.h"

namespace capf {

std::string SessionInfo::id_hex() const {
  return fmt::format("{:08x}", session_id);
}

FailureReason failure_reason(SessionFailure failure) {
  switch (failure) {
    case SessionFailure::kReadTimeout:
      return FailureReason::kRequestTimedOut;
    case SessionFailure::kKeygenTimeout:
      return FailureReason::kKeyGenerationTimeout;
    case SessionFailure::kDisconnected:
    case SessionFailure::kBadMessage:
    case SessionFailure::kShutdown:
      return FailureReason::kPhoneCommunicationFailure;
  }
  return FailureReason::kPhoneCommunicationFailure;
}

Status EnrollmentService::update_device(const DeviceName& name,
                                        const std::function<void(Device&)>& change,
                                        const SessionInfo& session, const std::string& event_kind,
                                        const std::string& event_detail,
                                        const std::function<Status(const Device&)>& alongside) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Status result = registry_.transact([&]() -> Status {
      CAPF_ASSIGN_OR_RETURN(std::optional<Device> found, registry_.find_device(name));
      if (!found) {
        return make_error(ErrorCode::kNotFound, "device {} was removed during the session",
                          name.str());
      }
      if (alongside)
        CAPF_TRY(alongside(*found));
      change(*found);
      CAPF_TRY(registry_.update_device(*found));
      if (!event_kind.empty()) {
        CAPF_TRY(registry_.append_event(
            DeviceEvent{name.str(), clock_.now(), session.id_hex(), event_kind, event_detail}));
      }
      return ok();
    });
    if (result || result.error().code != ErrorCode::kConflict)
      return result;
  }
  return make_error(ErrorCode::kConflict, "device {} kept changing; status not recorded",
                    name.str());
}

void EnrollmentService::set_status(const SessionInfo& session, const EnrollmentContext& ctx,
                                   const OperationStatus& status, const std::string& detail,
                                   bool clear_operation) {
  const TimePoint now = clock_.now();
  Status s = update_device(
      ctx.device,
      [&](Device& d) { detail::record_status(d, ctx, status, now, detail, clear_operation); },
      session, "status", detail.empty() ? to_string(status) : to_string(status) + ": " + detail);
  if (!s) {
    spdlog::error("session {} device {}: cannot record status '{}': {}", session.id_hex(),
                  ctx.device.str(), to_string(status), s.error().message);
  }
  log_finished(session, ctx, status, detail);
}

void EnrollmentService::log_finished(const SessionInfo& session, const EnrollmentContext& ctx,
                                     const OperationStatus& status, const std::string& detail) {
  metrics_.record_session(ctx.operation, status);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  ctx.started)
                .count();
  auto level = status.kind == StatusKind::kFailed ? spdlog::level::warn : spdlog::level::info;
  spdlog::log(level,
              "session {} device {} operation {} auth {} issuer {} serial {} key {} duration {}ms "
              "status \"{}\"{}{}",
              session.id_hex(), ctx.device.str(), short_name(ctx.operation), ctx.auth_method,
              ctx.issuer ? to_string(ctx.issuer->mode()) : std::string_view("-"),
              ctx.issued_serial.value_or("-"),
              ctx.key_plan.empty() ? std::string("-") : to_string(ctx.current_key()), ms,
              to_string(status), detail.empty() ? "" : ": ", detail);
}

AuthOutcome EnrollmentService::authenticate(const SessionInfo& session, const Device& device,
                                            const protocol::AuthResponse& response,
                                            bool& give_back) {
  const int max = policy_.auth.max_string_attempts;
  if (device.auth_mode != AuthMode::kAuthString || !device.auth_string ||
      device.auth_string->empty()) {
    return authenticator_.authenticate(device, response, session.session_id);
  }
  // The attempt is counted before the string is compared, in one step against the limit: sessions
  // racing for the same device cannot together compare more strings than allowed (the count read
  // with the device above may already be stale).
  auto counted = registry_.record_auth_failure(device.name, max);
  if (!counted) {
    AuthOutcome refused;
    refused.reason = FailureReason::kInvalidAuthString;
    refused.method = "string";
    refused.detail = counted.error().code == ErrorCode::kPermissionDenied
                         ? counted.error().message
                         : "cannot count the attempt, so the string was not compared: " +
                               counted.error().message;
    return refused;
  }
  Device counted_device = device;
  counted_device.auth_failures = *counted - 1;  // the authenticator's own limit check passes
  AuthOutcome auth = authenticator_.authenticate(counted_device, response, session.session_id);
  if (auth.ok) {
    // A right string is no failure: the attempt is given back, in the claim's transaction.
    give_back = true;
    return auth;
  }
  auth.detail = fmt::format(
      "{} ({} of {} attempts{})", auth.detail, *counted, max,
      *counted >= max ? "; the operation is now locked until an admin sets it again" : "");
  return auth;
}

OpenDecision EnrollmentService::open_device(const SessionInfo& session,
                                            const protocol::AuthResponse& response,
                                            std::optional<DeviceName>& claimed) {
  if (response.version < 1 || response.version > 3) {
    return detail::ending<OpenDecision>(
        SessionEnd::kUnsupportedVersion,
        fmt::format("unsupported protocol version {} (1 to 3 are accepted)", response.version));
  }
  auto name = DeviceName::parse(response.device_name);
  if (!name) {
    return detail::ending<OpenDecision>(SessionEnd::kUnknownDevice,
                                        fmt::format("unknown device: {}", name.error().message));
  }
  auto found = registry_.find_device(*name);
  if (!found) {
    spdlog::error("session {} device {}: registry lookup failed: {}", session.id_hex(), name->str(),
                  found.error().message);
    return detail::ending<OpenDecision>(SessionEnd::kRegistryUnavailable, "registry unavailable");
  }
  if (!found->has_value()) {
    return detail::ending<OpenDecision>(
        SessionEnd::kUnknownDevice,
        fmt::format("unknown device {}: add it with `opencapf device set {} --op "
                    "install ...`",
                    name->str(), name->str()));
  }
  const Device& device = **found;
  if (device.operation == Operation::kNone) {
    return detail::ending<OpenDecision>(
        SessionEnd::kNoOperation,
        fmt::format("device {} has no pending operation", device.name.str()));
  }

  EnrollmentContext ctx;
  ctx.device = device.name;
  ctx.operation = device.operation;
  ctx.issuer = issuers_.current();
  if (device.lsc)
    ctx.previous_serial = device.lsc->serial_hex;
  const TimePoint now = clock_.now();

  if (device.deadline && now > *device.deadline) {
    ctx.auth_method = "-";
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kRequestLate),
               fmt::format("the phone came at {}, after the deadline {}: set a new deadline",
                           format_utc(now), format_utc(*device.deadline)),
               false);
    return detail::ending<OpenDecision>(SessionEnd::kDeadlinePassed, "operation deadline passed");
  }

  bool give_back = false;
  AuthOutcome auth = authenticate(session, device, response, give_back);
  ctx.auth_method = auth.method;
  if (!auth.ok) {
    set_status(session, ctx, OperationStatus::failed(ctx.operation, auth.reason), auth.detail,
               false);
    return detail::ending<OpenDecision>(SessionEnd::kAuthenticationFailed,
                                        "authentication failed: " + auth.detail);
  }
  // Only now, so that a connection that cannot authenticate never blocks the device. Marked as
  // claimed first: a claim whose commit failed may have landed before the connection broke, and
  // open() releases it (now, or once the database answers) with every other ending.
  claimed = device.name;
  if (std::optional<OpenDecision> refused = claim(session, device.name, give_back))
    return *refused;
  ctx.claimed_at = now;

  OpenDecision decision;
  switch (device.operation) {
    case Operation::kInstall: {
      // A certificate an external CA signed since the last contact goes out first; a request the
      // CA still holds is not replaced by a new key.
      if (std::optional<OpenDecision> resumed = resume_request(session, ctx))
        return *resumed;
      // Keys the issuer's CA cannot certify are dropped before the phone is asked to make one.
      for (const KeySpec& spec : key_plan(device.key_order, device.rsa_bits, device.ec_bits)) {
        bool size_ok = spec.type == KeyType::kRsa
                           ? is_valid_rsa_bits(spec.bits, policy_.allow_rsa_512)
                           : is_valid_ec_bits(spec.bits);
        if (size_ok && ctx.issuer->supports(spec))
          ctx.key_plan.push_back(spec);
      }
      if (ctx.key_plan.empty()) {
        set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone),
                   fmt::format("the issuer ({}) cannot issue any key of key order '{}' (rsa {} "
                               "/ ec {}): change the device's key order or size, or the CA's "
                               "key_types",
                               ctx.issuer->describe(), to_string(device.key_order), device.rsa_bits,
                               device.ec_bits),
                   false);
        return detail::ending<OpenDecision>(SessionEnd::kNoSupportedKey,
                                            "no key the issuer supports");
      }
      decision.kind = OpenDecision::Kind::kInstall;
      break;
    }
    case Operation::kTroubleshoot:
      decision.kind = OpenDecision::Kind::kFetch;
      break;
    case Operation::kDelete:
      decision.kind = OpenDecision::Kind::kDelete;
      break;
    case Operation::kNone:
      return detail::ending<OpenDecision>(SessionEnd::kNoOperation, "no pending operation");
  }
  decision.log = fmt::format("authenticated by {}", auth.method);
  decision.context = std::move(ctx);
  return decision;
}

KeyDecision EnrollmentService::check_key(const SessionInfo& session, EnrollmentContext& ctx,
                                         const protocol::KeyGenerateResponse& response) {
  const KeySpec asked = ctx.current_key();
  if (!response.public_key) {
    std::string why = fmt::format("the phone could not generate {} (reason {})", to_string(asked),
                                  response.reason.value_or(0));
    if (ctx.key_index + 1 < ctx.key_plan.size()) {
      ++ctx.key_index;
      KeyDecision d;
      d.kind = KeyDecision::Kind::kAskNextKey;
      d.log = why + fmt::format("; falling back to {}", to_string(ctx.current_key()));
      return d;
    }
    bool ec_only = std::all_of(ctx.key_plan.begin(), ctx.key_plan.end(),
                               [](const KeySpec& k) { return k.type == KeyType::kEc; });
    set_status(
        session, ctx,
        OperationStatus::failed(ctx.operation, ec_only ? FailureReason::kNoEcSupport
                                                       : FailureReason::kKeyGenerationFailed),
        why, false);
    return detail::ending<KeyDecision>(SessionEnd::kKeyGenerationFailed, why);
  }
  auto key = pki::PublicKey::from_spki_der(*response.public_key);
  if (!key) {
    std::string why = "the phone's public key does not parse: " + key.error().message;
    set_status(session, ctx,
               OperationStatus::failed(ctx.operation, FailureReason::kKeyGenerationFailed), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kKeyGenerationFailed, why);
  }
  if (key->spec() != asked) {
    std::string why = fmt::format("asked the phone for {}, it returned {}", to_string(asked),
                                  to_string(key->spec()));
    set_status(session, ctx,
               OperationStatus::failed(ctx.operation, FailureReason::kKeyGenerationFailed), why,
               false);
    return detail::ending<KeyDecision>(SessionEnd::kKeyGenerationFailed, why);
  }

  ctx.spki = *response.public_key;
  if (ctx.issuer->needs_signed_request()) {
    // External CAs want a PKCS#10 signed by the phone's new key (docs/protocol.md §6.10).
    RequestTemplate tmpl = ctx.issuer->request_template(ctx.device.str());
    pki::RequestInfoOptions options;
    options.dns_names = tmpl.dns_names;
    options.challenge_password = tmpl.challenge_password;
    auto info = pki::build_request_info(request_subject(tmpl.common_name), ctx.spki, options);
    if (!info) {
      std::string why = "cannot build the certificate request: " + info.error().message;
      set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone), why,
                 false);
      return detail::ending<KeyDecision>(SessionEnd::kInternalError, why);
    }
    ctx.request_info = *info;
    KeyDecision d;
    d.kind = KeyDecision::Kind::kSign;
    d.request_info_der = ctx.request_info;
    d.digest_type = protocol::hash_id::kSha256;
    d.log = "asking the phone to sign its certificate request";
    return d;
  }
  IssueRequest request{ctx.device.str(), ctx.spki, asked, std::nullopt, session.id_hex()};
  return issue(session, ctx, request);
}

void EnrollmentService::record_failure(const SessionInfo& session, const EnrollmentContext* ctx,
                                       SessionFailure failure, const std::string& detail) {
  if (ctx == nullptr)
    return;
  if (ctx->issued_serial && !ctx->request_id) {
    // (A certificate from a request stays ready: the phone gets it again at its next contact.)
    Status s = registry_.set_certificate_state(
        *ctx->issued_serial, CertificateState::kRejected, clock_.now(),
        "the session ended before the phone confirmed: " + detail);
    if (!s)
      spdlog::error("session {}: {}", session.id_hex(), s.error().message);
  }
  set_status(session, *ctx, OperationStatus::failed(ctx->operation, failure_reason(failure)),
             detail, false);
}

}  // namespace capf
