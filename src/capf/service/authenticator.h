// Authenticator: decides whether the phone in an AUTH_RESPONSE is the device it names, by the
// device's authentication mode (docs/protocol.md §6.2, §6.3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Whether a MIC's common name names the device: the exact name, or Cisco's "<model>-<name>"
// ("CP-8865-SEP001122334455": a model of letters, digits and '-', then '-' and the whole name).
// Letter case is ignored (MAC digits may be in either case). A name inside a longer one
// ("CP-8865-CSFJOHNSMITH" for CSFJOHN) never matches.
bool mic_names_device(std::string_view common_name, std::string_view device_name);

class Authenticator {
 public:
  Authenticator(TrustStores& trust, CertificateLedger& ledger, const IdentityHolder& identity,
                const Clock& clock, AuthPolicy policy)
      : trust_(trust), ledger_(ledger), identity_(identity), clock_(clock), policy_(policy) {}

  // Blocks (trust store and ledger reads, signature checks): call from a worker thread.
  //  - null string: accepted whatever the phone sends;
  //  - authentication string: PASSWORD equal to the device's string (constant-time);
  //  - existing certificate (LSC or MIC precedence): CERTIFICATE with SIGNED_DATA (SHA-1) and
  //    SHA2_SIGNED_DATA (SHA-512) proofs over name||NUL||DER. A certificate that chains to
  //    capf-trust or the CAPF certificate is an LSC: valid now, its common name exactly the device
  //    name, in the ledger byte for byte for this device, not revoked. One that chains to
  //    mic-trust is a MIC: its common name names the device (mic_names_device). Anything else is
  //    refused. SUDI_DATA, when present, chained to mic-trust with both signatures over the
  //    little-endian session id and the SUDI certificate.
  AuthOutcome authenticate(const Device& device, const protocol::AuthResponse& response,
                           std::uint32_t session_id);

 private:
  AuthOutcome by_string(const Device& device, const protocol::AuthResponse& response);
  AuthOutcome by_certificate(const Device& device, const protocol::AuthResponse& response,
                             std::uint32_t session_id);
  Status check_lsc_binding(const pki::Certificate& cert, const std::string& name);
  Status check_mic_binding(const pki::Certificate& cert, const std::string& name);
  Status check_sudi(const protocol::SudiData& sudi, std::uint32_t session_id,
                    const std::vector<pki::Certificate>& anchors);

  TrustStores& trust_;
  CertificateLedger& ledger_;
  const IdentityHolder& identity_;
  const Clock& clock_;
  AuthPolicy policy_;
};

}  // namespace capf
