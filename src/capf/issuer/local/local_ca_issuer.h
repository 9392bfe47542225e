// LocalCaIssuer: CAPF signs LSCs itself with its own CA certificate (CUCM's default mode).
#pragma once

#include "capf/common/clock.h"
#include "capf/issuer/capf_identity.h"
#include "capf/issuer/issuer.h"

namespace capf {

class LocalCaIssuer final : public Issuer {
 public:
  LocalCaIssuer(const IdentityHolder& identity, const Clock& clock, int validity_days)
      : identity_(identity), clock_(clock), validity_days_(validity_days) {}

  IssuerMode mode() const override { return IssuerMode::kCapf; }
  bool needs_signed_request() const override { return false; }
  bool supports(const KeySpec& key) const override;
  // Thread-safe; signs with the identity current at the time of the call.
  Result<IssueOutcome> issue(const IssueRequest& request) override;

 private:
  const IdentityHolder& identity_;
  const Clock& clock_;
  int validity_days_;
};

}  // namespace capf
