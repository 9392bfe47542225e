// EnrollmentService's public calls: the phone flows (enrollment_service.cc, enrollment_requests.cc,
// enrollment_outcomes.cc) inside the device's claim. open_device claims the device once the phone
// authenticated; the key and signature steps claim it again, which moves the expiry and ends a
// session whose lapsed claim another session took before anything is issued; every ending
// releases it (docs/cluster.md, "Claims and failover").
#include "capf/service/enrollment_service.h"

#include "capf/service/enrollment_internal.h"

#include <spdlog/spdlog.h>

namespace capf {

std::optional<std::pair<SessionEnd, std::string>> EnrollmentService::hold_claim(
    const SessionInfo& session, const DeviceName& device) {
  auto claimed = claims_.claim(device, session.id_hex());
  if (!claimed) {
    spdlog::error("session {} device {}: cannot claim the device: {}", session.id_hex(),
                  device.str(), claimed.error().message);
    return std::pair{SessionEnd::kRegistryUnavailable,
                     "cannot claim the device: " + claimed.error().message};
  }
  if (claimed->granted)
    return std::nullopt;
  return std::pair{SessionEnd::kDeviceBusy,
                   fmt::format("device busy: held by {}", describe_holder(*claimed->other))};
}

std::optional<OpenDecision> EnrollmentService::claim(const SessionInfo& session,
                                                     const DeviceName& device) {
  auto refused = hold_claim(session, device);
  if (!refused)
    return std::nullopt;
  return detail::ending<OpenDecision>(refused->first, std::move(refused->second));
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
  KeyDecision decision;
  if (auto lost = hold_claim(session, ctx.device))
    decision = detail::ending<KeyDecision>(lost->first, std::move(lost->second));
  else
    decision = step();
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

SessionEnd EnrollmentService::stored(const SessionInfo& session, EnrollmentContext& ctx,
                                     PhoneAnswer answer) {
  SessionEnd end = record_stored(session, ctx, answer);
  claims_.release(ctx.device, session.id_hex());
  return end;
}

SessionEnd EnrollmentService::fetched(const SessionInfo& session, EnrollmentContext& ctx,
                                      PhoneAnswer answer,
                                      const std::vector<protocol::CertificateItem>& certificates) {
  SessionEnd end = record_fetched(session, ctx, answer, certificates);
  claims_.release(ctx.device, session.id_hex());
  return end;
}

SessionEnd EnrollmentService::deleted(const SessionInfo& session, EnrollmentContext& ctx,
                                      PhoneAnswer answer) {
  SessionEnd end = record_deleted(session, ctx, answer);
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
