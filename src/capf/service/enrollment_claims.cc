// EnrollmentService's public calls: the phone flows (enrollment_service.cc, enrollment_requests.cc,
// enrollment_outcomes.cc) inside the device's claim. open_device claims the device once the phone
// authenticated; a key or signature step more than half a lease after the session last claimed it
// claims it again, which moves the expiry and ends a session whose lapsed claim another session
// took before anything is issued; the transaction that records the certificate (or the request
// for an external CA) renews it as its condition; every ending releases it, a confirmation in its
// own transaction (docs/cluster.md, "Claims and failover"). Claims and releases commit unsynced:
// only the ledger row and the confirmation wait for the disk (docs/architecture.md §1.1).
#include "capf/service/enrollment_service.h"

#include "capf/service/enrollment_internal.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace capf {

std::optional<std::pair<SessionEnd, std::string>> EnrollmentService::hold_claim(
    const SessionInfo& session, const DeviceName& device, bool give_back) {
  Result<ClaimResult> claimed = ClaimResult{};
  // The claim (with its busy or interrupted line) and the authentication bookkeeping: one
  // unsynced commit. Nothing durable depends on it: the ledger row's transaction renews the claim.
  Status s = registry_.transact_unsynced([&]() -> Status {
    if (give_back) {
      Status u = update_device(
          device, [](Device& d) { d.auth_failures = std::max(0, d.auth_failures - 1); }, session,
          "", "");
      if (!u) {
        spdlog::error("session {} device {}: cannot uncount the right string: {}", session.id_hex(),
                      device.str(), u.error().message);
      }
    }
    claimed = claims_.claim(device, session.id_hex());
    return claimed ? ok() : Status(claimed.error());
  });
  if (!s) {
    spdlog::error("session {} device {}: cannot claim the device: {}", session.id_hex(),
                  device.str(), s.error().message);
    return std::pair{SessionEnd::kRegistryUnavailable,
                     "cannot claim the device: " + s.error().message};
  }
  if (claimed->granted)
    return std::nullopt;
  metrics_.record_busy();
  return std::pair{SessionEnd::kDeviceBusy,
                   fmt::format("device busy: held by {}", describe_holder(*claimed->other))};
}

std::optional<OpenDecision> EnrollmentService::claim(const SessionInfo& session,
                                                     const DeviceName& device, bool give_back) {
  auto refused = hold_claim(session, device, give_back);
  if (!refused)
    return std::nullopt;
  return detail::ending<OpenDecision>(refused->first, std::move(refused->second));
}

Status EnrollmentService::require_claim(const std::string& session, const std::string& device,
                                        bool& lost) {
  CAPF_ASSIGN_OR_RETURN(bool held, claims_.renew(device, session));
  if (held)
    return ok();
  lost = true;
  return make_error(ErrorCode::kConflict,
                    "session {} no longer holds device {}: its claim lapsed and another session "
                    "took the device",
                    session, device);
}

KeyDecision EnrollmentService::claim_lost(const SessionInfo& session,
                                          const EnrollmentContext& ctx) {
  metrics_.record_busy();
  spdlog::warn(
      "session {} device {}: the claim lapsed and another session took the device; "
      "nothing was issued",
      session.id_hex(), ctx.device.str());
  return detail::ending<KeyDecision>(
      SessionEnd::kDeviceBusy, "device busy: the claim lapsed and another session took the device");
}

OpenDecision EnrollmentService::open(const SessionInfo& session,
                                     const protocol::AuthResponse& response) {
  std::optional<DeviceName> claimed;
  OpenDecision decision = open_device(session, response, claimed);
  if (claimed && decision.kind == OpenDecision::Kind::kEnd)
    claims_.release(*claimed, session.id_hex());
  return decision;
}

KeyDecision EnrollmentService::in_claim(const SessionInfo& session, EnrollmentContext& ctx,
                                        const std::function<KeyDecision()>& step) {
  // Claimed again only once the session's claim may have lapsed (DeviceClaims::surely_held); the
  // transaction that records a certificate or request renews it as its condition anyway.
  std::optional<std::pair<SessionEnd, std::string>> lost;
  if (!claims_.surely_held(ctx.claimed_at)) {
    const TimePoint now = clock_.now();
    lost = hold_claim(session, ctx.device);
    if (!lost)
      ctx.claimed_at = now;
  }
  KeyDecision decision =
      lost ? detail::ending<KeyDecision>(lost->first, std::move(lost->second)) : step();
  if (decision.kind == KeyDecision::Kind::kEnd)
    claims_.release(ctx.device, session.id_hex());
  return decision;
}

KeyDecision EnrollmentService::key_generated(const SessionInfo& session, EnrollmentContext& ctx,
                                             const protocol::KeyGenerateResponse& response) {
  return in_claim(session, ctx, [&] { return check_key(session, ctx, response); });
}

KeyDecision EnrollmentService::request_signed(
    const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
    const std::optional<protocol::HashedSignature>& signature) {
  return in_claim(session, ctx, [&] { return check_signed(session, ctx, answer, signature); });
}

// A confirmation releases the claim in its own transaction; an ending without one (the phone
// refused, or the transaction failed) releases it on its own.
SessionEnd EnrollmentService::stored(const SessionInfo& session, EnrollmentContext& ctx,
                                     PhoneAnswer answer) {
  bool released = false;
  SessionEnd end = record_stored(session, ctx, answer, released);
  if (!released)
    claims_.release(ctx.device, session.id_hex());
  return end;
}

SessionEnd EnrollmentService::fetched(const SessionInfo& session, EnrollmentContext& ctx,
                                      PhoneAnswer answer,
                                      const std::vector<protocol::CertificateItem>& certificates) {
  bool released = false;
  SessionEnd end = record_fetched(session, ctx, answer, certificates, released);
  if (!released)
    claims_.release(ctx.device, session.id_hex());
  return end;
}

SessionEnd EnrollmentService::deleted(const SessionInfo& session, EnrollmentContext& ctx,
                                      PhoneAnswer answer) {
  bool released = false;
  SessionEnd end = record_deleted(session, ctx, answer, released);
  if (!released)
    claims_.release(ctx.device, session.id_hex());
  return end;
}

void EnrollmentService::failed(const SessionInfo& session, const EnrollmentContext* ctx,
                               SessionFailure failure, const std::string& detail) {
  if (ctx == nullptr)
    return;
  record_failure(session, ctx, failure, detail);
  claims_.release(ctx->device, session.id_hex());
}

}  // namespace capf
