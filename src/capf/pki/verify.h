// Chain verification against a set of trust anchors.
#pragma once

#include <optional>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"

namespace capf::pki {

struct VerifyOptions {
  std::optional<TimePoint> at;  // check validity at this time; nullopt skips time checks
  bool require_client_auth = false;
};

// Anchors are trusted as given (self-signed or not: partial chains are allowed, as CUCM trusts
// whatever is in a trust store). Verifies `leaf` through `intermediates` to one of `anchors`;
// returns the anchor it chained to, or kUntrusted with OpenSSL's reason in words
// ("certificate has expired", "unable to get local issuer certificate", ...).
Result<Certificate> verify_chain(const Certificate& leaf, const std::vector<Certificate>& anchors,
                                 const std::vector<Certificate>& intermediates,
                                 const VerifyOptions& options);

}  // namespace capf::pki
