#include "capf/api/crl_cache.h"

#include <limits>

namespace capf::api {

Result<std::string> CrlCache::fingerprint_of_inputs(const CapfIdentity& identity) {
  CertificateFilter filter;
  filter.state = CertificateState::kRevoked;
  filter.limit = std::numeric_limits<std::size_t>::max();
  CAPF_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> revoked, certificates_.list(filter));
  std::string inputs = identity.certificate.fingerprint_sha256();
  for (const auto& c : revoked) {
    inputs += ' ';
    inputs += c.serial_hex;
  }
  return inputs;
}

Result<CrlResult> CrlCache::get() {
  std::lock_guard lock(mu_);
  std::shared_ptr<const CapfIdentity> identity = identity_.current();
  CAPF_ASSIGN_OR_RETURN(std::string inputs, fingerprint_of_inputs(*identity));
  const TimePoint now = clock_.now();
  if (cached_ && inputs == cached_inputs_) {
    const auto half = (cached_->next_update - cached_->this_update) / 2;
    if (now < cached_->this_update + half) {
      return *cached_;
    }
  }
  CAPF_ASSIGN_OR_RETURN(CrlResult made, certificates_.make_crl(*identity, next_update_days_));
  cached_ = made;
  cached_inputs_ = std::move(inputs);
  return made;
}

}  // namespace capf::api
