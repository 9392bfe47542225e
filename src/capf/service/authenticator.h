// Authenticator: decides whether the phone in an AUTH_RESPONSE is the device it names, by the
// device's authentication mode (spec §6.2, §6.3).
#pragma once

#include <cstdint>
#include <string>

#include "capf/common/clock.h"
#include "capf/domain/device.h"
#include "capf/issuer/capf_identity.h"
#include "capf/protocol/message.h"
#include "capf/store/device_store.h"
#include "capf/trust/trust_stores.h"

namespace capf {

struct AuthPolicy {
  int max_string_attempts = 3;
  bool accept_expired_mic = true;
};

struct AuthOutcome {
  bool ok = false;
  FailureReason reason = FailureReason::kNone;  // why not, in CUCM's words
  std::string detail;                           // in our words, for the status and the log
  std::string method;                           // "string", "null", "lsc", "mic"
  std::string certificate_serial;               // the certificate presented, if any
};

class Authenticator {
 public:
  Authenticator(TrustStores& trust, CertificateLedger& ledger, const IdentityHolder& identity,
                const Clock& clock, AuthPolicy policy)
      : trust_(trust), ledger_(ledger), identity_(identity), clock_(clock), policy_(policy) {}

  // Blocks (trust store and ledger reads, signature checks): call from a worker thread.
  //  - null string: accepted whatever the phone sends;
  //  - authentication string: PASSWORD equal to the device's string (constant-time);
  //  - existing certificate (LSC or MIC precedence): CERTIFICATE with SIGNED_DATA (SHA-1) and
  //    SHA2_SIGNED_DATA (SHA-512) proofs over name||NUL||DER, the certificate chained to
  //    capf-trust (an LSC through the CAPF certificate) and bound to the device name, not revoked;
  //    SUDI_DATA, when present, chained to capf-trust with both signatures over the
  //    little-endian session id and the SUDI certificate.
  AuthOutcome authenticate(const Device& device, const protocol::AuthResponse& response,
                           std::uint32_t session_id);

 private:
  AuthOutcome by_string(const Device& device, const protocol::AuthResponse& response);
  AuthOutcome by_certificate(const Device& device, const protocol::AuthResponse& response,
                             std::uint32_t session_id);
  Status check_sudi(const protocol::SudiData& sudi, std::uint32_t session_id,
                    const std::vector<pki::Certificate>& anchors);

  TrustStores& trust_;
  CertificateLedger& ledger_;
  const IdentityHolder& identity_;
  const Clock& clock_;
  AuthPolicy policy_;
};

}  // namespace capf
