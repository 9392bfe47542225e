#include "capf/service/certificate_admin.h"

#include <fmt/format.h>

#include "capf/pki/crl.h"
#include "capf/pki/verify.h"
#include "capf/service/audit_trail.h"
#include "capf/service/device_json.h"

namespace capf {

namespace {

// Serial numbers as the ledger keeps them: lower-case hex, no separators or leading zero bytes.
std::string normalise_serial(std::string_view serial) {
  std::string out;
  for (char c : serial) {
    if (c == ':' || c == ' ')
      continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (out.size() > 2 && out.rfind("00", 0) == 0)
    out.erase(0, 2);
  return out;
}

}  // namespace

Result<std::vector<IssuedCertificate>> CertificateAdmin::list(const CertificateFilter& filter) {
  return registry_.list_certificates(filter);
}

Result<IssuedCertificate> CertificateAdmin::show(std::string_view serial_hex) {
  const std::string serial = normalise_serial(serial_hex);
  CAPF_ASSIGN_OR_RETURN(std::optional<IssuedCertificate> found, registry_.find_certificate(serial));
  if (!found) {
    return make_error(ErrorCode::kNotFound,
                      "no certificate with serial {} in the ledger: see `opencapf cert list`",
                      serial);
  }
  return *found;
}

Result<IssuedCertificate> CertificateAdmin::revoke(std::string_view serial_hex,
                                                   std::string_view reason,
                                                   const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(pki::RevocationReason parsed, pki::parse_revocation_reason(reason));
  if (parsed == pki::RevocationReason::kRemoveFromCrl) {
    return make_error(ErrorCode::kInvalidArgument,
                      "removeFromCRL only exists in delta CRLs: give another reason");
  }
  CAPF_ASSIGN_OR_RETURN(IssuedCertificate cert, show(serial_hex));
  if (cert.state == CertificateState::kRevoked)
    return cert;
  const TimePoint now = clock_.now();
  const std::string name(pki::to_string(parsed));
  CAPF_TRY(registry_.transact([&]() -> Status {
    CAPF_TRY(
        registry_.set_certificate_state(cert.serial_hex, CertificateState::kRevoked, now, name));
    CAPF_TRY(registry_.append_event(
        DeviceEvent{cert.device_name, now, "", "admin",
                    fmt::format("{}: revoked serial {} ({})", actor, cert.serial_hex, name)}));
    IssuedCertificate after = cert;
    after.state = CertificateState::kRevoked;
    after.state_time = now;
    after.revocation_reason = name;
    nlohmann::json before_json = to_json(cert);
    nlohmann::json after_json = to_json(after);
    before_json.erase("pem");
    after_json.erase("pem");
    return record_audit(registry_, actor, "certificate.revoke", cert.serial_hex, before_json.dump(),
                        after_json.dump());
  }));
  return show(cert.serial_hex);
}

Result<CrlResult> CertificateAdmin::make_crl(const CapfIdentity& identity, int next_update_days) {
  CertificateFilter filter;
  filter.state = CertificateState::kRevoked;
  filter.limit = 10000000;
  CAPF_ASSIGN_OR_RETURN(auto revoked, registry_.list_certificates(filter));
  pki::CrlParams params;
  std::size_t other_issuers = 0;
  for (const auto& c : revoked) {
    // Only what this key signed: LSCs of a previous CAPF identity (often with the same subject)
    // or of an external CA belong in their issuer's CRL, where a relying party looks for them.
    auto cert = pki::Certificate::from_pem(c.pem);
    if (!cert || !pki::verify_chain(*cert, {identity.certificate}, {}, {})) {
      ++other_issuers;
      continue;
    }
    auto reason = pki::parse_revocation_reason(c.revocation_reason);
    params.revoked.push_back(pki::RevokedEntry{
        c.serial_hex, c.state_time, reason ? *reason : pki::RevocationReason::kUnspecified});
  }
  CAPF_ASSIGN_OR_RETURN(std::int64_t number, registry_.next_crl_number());
  params.crl_number = static_cast<std::uint64_t>(number);
  params.this_update = clock_.now();
  params.next_update = params.this_update + std::chrono::hours(24) * next_update_days;
  CAPF_ASSIGN_OR_RETURN(Bytes der, pki::make_crl(params, identity.certificate, identity.key));
  return CrlResult{pki::crl_pem(der),     number,
                   params.revoked.size(), other_issuers,
                   params.this_update,    params.next_update};
}

Result<std::vector<std::string>> CertificateAdmin::renew_within(int within_days) {
  if (within_days < 1 || within_days > kMaxRenewalDays) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give 1 to {} days before expiry (the default is [renewal] "
                      "renew_before_days)",
                      kMaxRenewalDays);
  }
  return schedule_renewals(within_days);
}

Result<std::vector<std::string>> CertificateAdmin::schedule_renewals(int renew_before_days) {
  std::vector<std::string> scheduled;
  if (renew_before_days <= 0)
    return scheduled;
  const TimePoint now = clock_.now();
  DeviceFilter filter;
  filter.with_lsc_only = true;
  filter.lsc_expires_before = now + std::chrono::hours(24) * renew_before_days;
  filter.operation = Operation::kNone;
  filter.limit = 100000;
  CAPF_ASSIGN_OR_RETURN(auto devices, registry_.list_devices(filter));
  for (Device d : devices) {
    // An expired or revoked LSC cannot authenticate a renewal: those phones need an admin's
    // install with another authentication mode.
    if (d.lsc->not_after <= now)
      continue;
    CAPF_ASSIGN_OR_RETURN(auto ledger, registry_.find_certificate(d.lsc->serial_hex));
    if (ledger && ledger->state == CertificateState::kRevoked)
      continue;
    const std::string detail =
        fmt::format("renewal: LSC serial {} expires {}; install/upgrade by existing LSC scheduled",
                    d.lsc->serial_hex, format_utc(d.lsc->not_after));
    d.operation = Operation::kInstall;
    d.auth_mode = AuthMode::kLscFirst;
    d.status = OperationStatus::pending();
    d.status_time = now;
    d.status_detail = detail;
    d.auth_failures = 0;
    // The deadline: before the LSC expires (an expired LSC cannot authenticate the renewal).
    d.deadline = d.lsc->not_after;
    Status s = registry_.transact([&]() -> Status {
      auto updated = registry_.update_device(d);
      if (!updated)
        return updated.error();
      return registry_.append_event(DeviceEvent{d.name.str(), now, "", "renewal", detail});
    });
    if (!s) {
      if (s.error().code == ErrorCode::kConflict)
        continue;  // changed meanwhile: next round
      return s.error();
    }
    scheduled.push_back(d.name.str());
  }
  return scheduled;
}

}  // namespace capf
