// CertificateAdmin: the issuance ledger for administrators — search it, revoke by hand, and
// publish the CRL (signed by the CAPF key, with a CRL number that only grows). Also the automatic
// renewal CUCM lacks: LSCs close to expiry are scheduled for install/upgrade by existing LSC.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/issuer/capf_identity.h"
#include "capf/store/device_store.h"

namespace capf {

struct CrlResult {
  std::string pem;
  std::int64_t number = 0;
  std::size_t revoked = 0;
  std::size_t other_issuers = 0;  // revoked certificates left out: not signed by this CAPF key
  TimePoint this_update{};
  TimePoint next_update{};
};

class CertificateAdmin {
 public:
  CertificateAdmin(Registry& registry, const Clock& clock) : registry_(registry), clock_(clock) {}

  Result<std::vector<IssuedCertificate>> list(const CertificateFilter& filter);
  // kNotFound naming the serial.
  Result<IssuedCertificate> show(std::string_view serial_hex);
  // Marks a certificate revoked with an RFC 5280 reason name (keyCompromise, superseded,
  // cessationOfOperation, ...); it then fails authentication as Invalid LSC and is listed in the
  // next CRL. kInvalidArgument for an unknown reason (or removeFromCRL), kNotFound for an unknown
  // serial; revoking twice keeps the first reason.
  Result<IssuedCertificate> revoke(std::string_view serial_hex, std::string_view reason,
                                   const std::string& actor);
  // A CRL of every revoked certificate that `identity`'s key signed (not those of a previous
  // identity or an external CA), signed by `identity`, thisUpdate now, nextUpdate now +
  // `next_update_days`, numbered from the registry's counter.
  Result<CrlResult> make_crl(const CapfIdentity& identity, int next_update_days);
  // Schedules install/upgrade by existing LSC for every device whose LSC expires within
  // `renew_before_days` and that has no operation (not one whose LSC has expired or was revoked:
  // it cannot authenticate the renewal); returns the names. Recorded in each device's
  // history as done by "renewal".
  Result<std::vector<std::string>> schedule_renewals(int renew_before_days);
  // schedule_renewals() as an administrator asks for it (`opencapf cert renew`, POST
  // /api/v1/certificates/renew): kInvalidArgument unless `within_days` is 1 to kMaxRenewalDays.
  Result<std::vector<std::string>> renew_within(int within_days);
  static constexpr int kMaxRenewalDays = 3650;

 private:
  Registry& registry_;
  const Clock& clock_;
};

}  // namespace capf
