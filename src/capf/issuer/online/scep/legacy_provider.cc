#include "capf/issuer/online/scep/legacy_provider.h"

#include <openssl/provider.h>

#include <mutex>

#include "capf/pki/openssl_ptr.h"

namespace capf::scep {

Status ensure_legacy_provider() {
  static std::once_flag once;
  static Status outcome;
  std::call_once(once, [] {
    // The handles stay loaded for the life of the process on purpose (see the header).
    OSSL_PROVIDER* base = OSSL_PROVIDER_load(nullptr, "default");
    if (base == nullptr) {
      outcome =
          make_error(ErrorCode::kUnavailable, "openssl's default provider could not be loaded: {}",
                     pki::openssl_errors());
      return;
    }
    OSSL_PROVIDER* legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    if (legacy == nullptr) {
      outcome = make_error(ErrorCode::kUnavailable,
                           "openssl's legacy provider could not be loaded ({}): install legacy.so "
                           "in openssl's modules directory or set OPENSSL_MODULES to where it is",
                           pki::openssl_errors());
    }
  });
  return outcome;
}

}  // namespace capf::scep
