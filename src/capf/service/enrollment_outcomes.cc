// The phone's answers once its operation is done: it stored its new LSC (the confirmation, one
// transaction), sent the certificates troubleshoot asked for, or deleted its LSC.
#include "capf/service/enrollment_service.h"

#include "capf/service/enrollment_internal.h"

#include <spdlog/spdlog.h>

#include "capf/pki/certificate.h"

namespace capf {

namespace {

std::string describe(const pki::Certificate& cert) {
  return fmt::format("subject {}; issuer {}; serial {}; valid {} to {}", cert.subject(),
                     cert.issuer(), cert.serial_hex(), format_utc(cert.not_before()),
                     format_utc(cert.not_after()));
}

}  // namespace

SessionEnd EnrollmentService::record_stored(const SessionInfo& session, EnrollmentContext& ctx,
                                            PhoneAnswer answer, bool& released) {
  const TimePoint now = clock_.now();
  const std::string serial = ctx.issued_serial.value_or("");
  if (!answer.done) {
    std::string why =
        fmt::format("the phone did not store the certificate (reason {})", answer.reason);
    if (ctx.request_id) {
      // A certificate signed since an earlier session: the phone no longer holds that key. The
      // request is over; the next contact makes a new key and a new request.
      why +=
          "; it may no longer hold the key of its earlier request, so its next contact starts "
          "a new one";
      auto request = registry_.find_request(*ctx.request_id);
      if (request && *request) {
        (*request)->state = RequestState::kFailed;
        (*request)->last_error = why;
        Status u = registry_.update_request(**request);
        if (!u)
          spdlog::error("session {}: {}", session.id_hex(), u.error().message);
      }
    }
    Status s = registry_.set_certificate_state(serial, CertificateState::kRejected, now, why);
    if (!s)
      spdlog::error("session {}: {}", session.id_hex(), s.error().message);
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone), why,
               false);
    return SessionEnd::kNotStored;
  }
  // The ledger, the request, the revocation of what it replaces, the device's LSC and status, its
  // history line and the release of the claim change in one transaction, committed (synced)
  // before END_SESSION: a crash leaves either the whole confirmation or none of it (then the
  // device is still pending and its next session installs again).
  std::optional<IssuedCertificate> entry;
  Status u = update_device(
      ctx.device,
      [&](Device& d) {
        detail::record_status(d, ctx, OperationStatus::success(ctx.operation), now,
                              fmt::format("LSC serial {} installed", serial));
        d.auth_failures = 0;
        if (entry)
          d.lsc = LscInfo{serial, entry->issuer, entry->not_after};
      },
      session, "status", fmt::format("Upgrade Success: LSC serial {} installed", serial),
      [&](const Device& d) -> Status {
        CAPF_ASSIGN_OR_RETURN(entry, registry_.find_certificate(serial));
        CAPF_TRY(registry_.set_certificate_state(serial, CertificateState::kInstalled, now, ""));
        if (ctx.request_id) {
          CAPF_ASSIGN_OR_RETURN(std::optional<CertificateRequestRecord> request,
                                registry_.find_request(*ctx.request_id));
          if (request) {
            request->state = RequestState::kDelivered;
            CAPF_TRY(registry_.update_request(*request));
          }
        }
        CAPF_TRY(revoke_replaced(d, ctx, serial, now));
        claims_.release(ctx.device, session.id_hex());
        return ok();
      });
  released = u.has_value();
  if (!u)
    spdlog::error("session {}: confirmation not recorded: {}", session.id_hex(), u.error().message);
  log_finished(session, ctx, OperationStatus::success(ctx.operation), "");
  return SessionEnd::kCertificateStored;
}

Status EnrollmentService::revoke_replaced(const Device& device, const EnrollmentContext& ctx,
                                          const std::string& serial, TimePoint now) {
  // What the phone replaced: the LSC it held when the session began, the one the device shows now,
  // and any other certificate of the device still marked installed (left by an older crash).
  std::vector<std::string> replaced;
  if (ctx.previous_serial)
    replaced.push_back(*ctx.previous_serial);
  if (device.lsc)
    replaced.push_back(device.lsc->serial_hex);
  CertificateFilter installed;
  installed.device_name = device.name.str();
  installed.state = CertificateState::kInstalled;
  installed.limit = std::numeric_limits<std::size_t>::max();
  CAPF_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> others,
                        registry_.list_certificates(installed));
  for (const IssuedCertificate& c : others)
    replaced.push_back(c.serial_hex);
  for (const std::string& old : replaced) {
    if (old == serial)
      continue;
    CAPF_ASSIGN_OR_RETURN(std::optional<IssuedCertificate> prev, registry_.find_certificate(old));
    if (prev && prev->state != CertificateState::kRevoked)
      CAPF_TRY(registry_.set_certificate_state(old, CertificateState::kRevoked, now, "superseded"));
  }
  return ok();
}

SessionEnd EnrollmentService::record_fetched(
    const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
    const std::vector<protocol::CertificateItem>& certificates, bool& released) {
  if (!answer.done || certificates.empty()) {
    set_status(session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone),
               fmt::format("the phone returned no certificate (reason {})", answer.reason), false);
    return SessionEnd::kNothingFetched;
  }
  std::string detail;
  std::optional<LscInfo> lsc;
  for (const auto& item : certificates) {
    const char* kind = item.type == protocol::cert_type::kMic ? "MIC" : "LSC";
    auto cert = pki::Certificate::from_der(item.der);
    if (!cert) {
      detail += fmt::format("{}: does not parse ({})\n", kind, cert.error().message);
      continue;
    }
    detail += fmt::format("{}: {}\n{}", kind, describe(*cert), cert->pem());
    if (item.type != protocol::cert_type::kMic && cert->common_name() == ctx.device.str()) {
      lsc = LscInfo{cert->serial_hex(), cert->issuer(), cert->not_after()};
    }
  }
  const TimePoint now = clock_.now();
  Status s = update_device(
      ctx.device,
      [&](Device& d) {
        detail::record_status(
            d, ctx, OperationStatus::success(ctx.operation), now,
            fmt::format("{} certificate(s) collected; see `opencapf device show {} "
                        "--history`",
                        certificates.size(), ctx.device.str()));
        if (lsc)
          d.lsc = lsc;
      },
      session, "troubleshoot", detail,
      [&](const Device&) -> Status {
        claims_.release(ctx.device, session.id_hex());
        return ok();
      });
  released = s.has_value();
  if (!s)
    spdlog::error("session {}: {}", session.id_hex(), s.error().message);
  log_finished(session, ctx, OperationStatus::success(ctx.operation), "");
  return SessionEnd::kCertificatesFetched;
}

SessionEnd EnrollmentService::record_deleted(const SessionInfo& session, EnrollmentContext& ctx,
                                             PhoneAnswer answer, bool& released) {
  if (!answer.done) {
    set_status(
        session, ctx, OperationStatus::failed(ctx.operation, FailureReason::kNone),
        fmt::format("the phone deleted nothing (reason {}): it may hold no LSC", answer.reason),
        false);
    return SessionEnd::kNotDeleted;
  }
  const TimePoint now = clock_.now();
  Status s = update_device(
      ctx.device,
      [&](Device& d) {
        detail::record_status(d, ctx, OperationStatus::success(ctx.operation), now,
                              "the phone deleted its LSC");
        d.lsc.reset();
      },
      session, "status", "Delete Success",
      [&](const Device&) -> Status {
        claims_.release(ctx.device, session.id_hex());
        // Revoked with the device's change, so no LSC stays "installed" for a device without one.
        if (!ctx.previous_serial)
          return ok();
        Status r = registry_.set_certificate_state(*ctx.previous_serial, CertificateState::kRevoked,
                                                   now, "cessationOfOperation");
        return r || r.error().code == ErrorCode::kNotFound ? ok() : r;
      });
  released = s.has_value();
  if (!s)
    spdlog::error("session {}: {}", session.id_hex(), s.error().message);
  log_finished(session, ctx, OperationStatus::success(ctx.operation), "");
  return SessionEnd::kCertificateDeleted;
}

}  // namespace capf
