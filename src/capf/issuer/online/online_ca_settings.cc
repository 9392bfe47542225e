#include "capf/issuer/online/online_ca_settings.h"

#include "capf/pki/verify.h"

namespace capf {

Result<Issued> accept_issued(const pki::Certificate& certificate,
                             const std::vector<pki::Certificate>& extra_chain,
                             const IssueRequest& request,
                             const std::vector<pki::Certificate>& ca_chain, TimePoint now) {
  if (certificate.spki_der() != request.spki_der) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the CA returned a certificate ({}) for another key than the phone's",
                      certificate.subject());
  }
  if (ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "no CA chain is configured to check the CA's certificates against");
  }
  // The root of the configured chain is the anchor; everything else may be an intermediate.
  std::vector<pki::Certificate> intermediates = extra_chain;
  intermediates.insert(intermediates.end(), ca_chain.begin(), ca_chain.end());
  pki::VerifyOptions options;
  // CAs often start a certificate at their own "now": tolerate five minutes of clock skew.
  const TimePoint not_before = certificate.not_before();
  options.at = (not_before > now && not_before - now <= std::chrono::minutes(5)) ? not_before : now;
  auto anchor = pki::verify_chain(certificate, {ca_chain.back()}, intermediates, options);
  if (!anchor) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the CA's certificate for {} does not chain to the configured CA chain: {}",
                      request.device_name, anchor.error().message);
  }
  // The chain sent with the LSC: the configured one (nearest issuer first).
  return Issued{certificate, ca_chain};
}

}  // namespace capf
