// OfflineCaIssuer: CUCM's "Offline CA". Each phone-signed request waits in the registry until an
// administrator exports it, has an external CA sign it, and imports the certificate
// (`opencapf offline ...`); the phone receives it at its next contact. issue() never signs.
#pragma once

#include <vector>

#include "capf/issuer/issuer.h"

namespace capf {

class OfflineCaIssuer final : public Issuer {
 public:
  // `key_types` empty: any RSA (1024–4096) or EC (P-256/384/521) key.
  OfflineCaIssuer(std::vector<KeySpec> key_types, std::vector<pki::Certificate> ca_chain)
      : key_types_(std::move(key_types)), ca_chain_(std::move(ca_chain)) {}

  IssuerMode mode() const override { return IssuerMode::kOffline; }
  std::string describe() const override;
  bool needs_signed_request() const override { return true; }
  bool supports(const KeySpec& key) const override;
  // Always PendingIssue: the request waits for an import.
  Result<IssueOutcome> issue(const IssueRequest& request) override;

  const std::vector<pki::Certificate>& ca_chain() const { return ca_chain_; }

 private:
  std::vector<KeySpec> key_types_;
  std::vector<pki::Certificate> ca_chain_;
};

}  // namespace capf
