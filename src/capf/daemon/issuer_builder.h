// IssuerBuilder: the IssuerFactory (service/issuer_factory.h) that knows every concrete issuer —
// CAPF-signed, offline, and the online connectors (AD CS, SCEP, ACME, CFSSL). Built once per data
// directory, by Environment::issuer_builder().
#pragma once

#include "capf/common/clock.h"
#include "capf/config/config.h"
#include "capf/issuer/capf_identity.h"
#include "capf/service/issuer_factory.h"
#include "capf/trust/trust_stores.h"

namespace capf {

class IssuerBuilder final : public IssuerFactory {
 public:
  // `base` gives the data directory, the LSC validity and the rest of the configuration; the
  // [issuer] part comes with each call.
  IssuerBuilder(const Config& base, TrustStores& trust, const IdentityHolder& identity,
                const Clock& clock)
      : base_(base), trust_(trust), identity_(identity), clock_(clock) {}

  Result<std::shared_ptr<Issuer>> build(const IssuerConfig& config) override;
  std::vector<std::string> check(const IssuerConfig& config) override;

 private:
  Result<std::vector<pki::Certificate>> read_chain(const std::string& file,
                                                   std::string_view section) const;
  Result<std::vector<KeySpec>> key_types(const std::vector<std::string>& names) const;

  Config base_;
  TrustStores& trust_;
  const IdentityHolder& identity_;
  const Clock& clock_;
};

}  // namespace capf
