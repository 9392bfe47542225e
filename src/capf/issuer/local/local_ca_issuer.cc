#include "capf/issuer/local/local_ca_issuer.h"

#include "capf/pki/profiles.h"

namespace capf {

bool LocalCaIssuer::supports(const KeySpec& key) const {
  if (key.type == KeyType::kRsa)
    return key.bits >= 512 && key.bits <= 4096;
  return is_valid_ec_bits(key.bits);
}

Result<IssueOutcome> LocalCaIssuer::issue(const IssueRequest& request) {
  std::shared_ptr<const CapfIdentity> id = identity_.current();
  pki::LscParams params;
  params.device_name = request.device_name;
  params.subject_public_key_der = request.spki_der;
  params.serial = pki::random_serial();
  params.days = validity_days_;
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::issue_lsc(params, id->certificate, id->key, clock_));
  std::vector<pki::Certificate> chain;
  chain.reserve(id->chain.size() + 1);
  chain.push_back(id->certificate);
  chain.insert(chain.end(), id->chain.begin(), id->chain.end());
  return IssueOutcome(Issued{std::move(cert), std::move(chain)});
}

}  // namespace capf
