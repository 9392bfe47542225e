#include "capf/issuer/online/scep/legacy_provider.h"

#include <openssl/provider.h>

#include <mutex>

#include "capf/pki/openssl_ptr.h"

namespace capf::scep {

namespace {

// The two provider handles, unloaded when the process exits. This object is created after
// OpenSSL has initialised (and registered its own exit-time cleanup), so its destructor runs
// first: the providers are released before OpenSSL frees its library context, as OpenSSL wants.
struct LoadedProviders {
  OSSL_PROVIDER* base = nullptr;
  OSSL_PROVIDER* legacy = nullptr;
  LoadedProviders() = default;
  LoadedProviders(const LoadedProviders&) = delete;
  LoadedProviders& operator=(const LoadedProviders&) = delete;
  ~LoadedProviders() {
    if (legacy != nullptr)
      OSSL_PROVIDER_unload(legacy);
    if (base != nullptr)
      OSSL_PROVIDER_unload(base);
  }
};

}  // namespace

Status ensure_legacy_provider() {
  static std::once_flag once;
  static Status outcome;
  std::call_once(once, [] {
    OSSL_PROVIDER* base = OSSL_PROVIDER_load(nullptr, "default");
    if (base == nullptr) {
      outcome =
          make_error(ErrorCode::kUnavailable, "openssl's default provider could not be loaded: {}",
                     pki::openssl_errors());
      return;
    }
    static LoadedProviders loaded;  // constructed here, after OpenSSL's own initialisation
    loaded.base = base;
    loaded.legacy = OSSL_PROVIDER_load(nullptr, "legacy");
    if (loaded.legacy == nullptr) {
      outcome = make_error(ErrorCode::kUnavailable,
                           "openssl's legacy provider could not be loaded ({}): install legacy.so "
                           "in openssl's modules directory or set OPENSSL_MODULES to where it is",
                           pki::openssl_errors());
    }
  });
  return outcome;
}

}  // namespace capf::scep
