// CrlCache: the CRL served at /api/v1/crl. Making a CRL consumes a CRL number and a signature, so
// the cache keeps the last one and makes a new one only when the set of revoked certificates or the
// CAPF identity changed, or when the cached one is past half its validity. Thread-safe; get()
// blocks on the registry and may sign.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "capf/common/clock.h"
#include "capf/issuer/capf_identity.h"
#include "capf/service/certificate_admin.h"

namespace capf::api {

class CrlCache {
 public:
  CrlCache(CertificateAdmin& certificates, const IdentityHolder& identity, const Clock& clock,
           int next_update_days)
      : certificates_(certificates),
        identity_(identity),
        clock_(clock),
        next_update_days_(next_update_days) {}

  // The current CRL (PEM).
  Result<CrlResult> get();

 private:
  // What the CRL depends on: the revoked serials and the signing certificate.
  Result<std::string> fingerprint_of_inputs(const CapfIdentity& identity);

  CertificateAdmin& certificates_;
  const IdentityHolder& identity_;
  const Clock& clock_;
  const int next_update_days_;
  std::mutex mu_;
  std::optional<CrlResult> cached_;
  std::string cached_inputs_;
};

}  // namespace capf::api
