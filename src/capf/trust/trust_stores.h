// TrustStores: the named trust stores.
//   capf-trust         the issuers of LSCs (the CAPF certificates, current and previous, and the
//                      online/offline CA's roots) and the online CA's HTTPS certificate
//   mic-trust          manufacturing roots (Cisco's MIC and SUDI CAs): the only anchors a MIC or a
//                      SUDI certificate may chain to. Kept apart from capf-trust so that a
//                      certificate from an LSC issuer is never taken for a MIC.
//   callmanager-trust  what the call-control side must trust: the CAPF certificate and the
//                      external LSC CA root
// The certificates live in the registry (TrustRepository); this class checks and parses them and
// keeps the parsed anchors that phone sessions verify against.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/store/device_store.h"

namespace capf {

inline constexpr char kCapfTrust[] = "capf-trust";
inline constexpr char kCallManagerTrust[] = "callmanager-trust";
inline constexpr char kMicTrust[] = "mic-trust";

// The stored name of a trust store, accepting any letter case ("CAPF-trust", "CallManager-trust").
// kInvalidArgument for any other name.
Result<std::string> canonical_store_name(std::string_view name);

// Thread-safe. Every method blocks on the registry (call from a worker thread). Store names go
// through canonical_store_name(), so each method can fail with its kInvalidArgument.
class TrustStores {
 public:
  explicit TrustStores(TrustRepository& repo) : repo_(repo) {}

  // The store's certificates, parsed. Cached per store and re-read only when the registry's trust
  // generation moves (a change by this process, the CLI or another node), so phone sessions can
  // call it for every verification. kDatabase when a stored certificate no longer parses.
  Result<std::vector<pki::Certificate>> anchors(const std::string& store);

  // kAlreadyExists if the certificate is already in the store.
  Status add(const std::string& store, const pki::Certificate& cert, const std::string& label);
  // Adds every certificate of a PEM text (a chain or a bundle of roots) and returns how many were
  // new; certificates already in the store are skipped (kAlreadyExists when all of them are). Text
  // outside PEM blocks is ignored. A block that is not a CERTIFICATE (a private key, a CSR, a CRL)
  // or a broken certificate is kInvalidArgument, and then nothing is added.
  Result<int> add_pem_bundle(const std::string& store, std::string_view pem,
                             const std::string& label);
  // `fingerprint_prefix`: at least 8 hex digits of the SHA-256 fingerprint, unique in the store
  // (upper case and ':' separators are accepted). kNotFound, or kInvalidArgument when too short or
  // ambiguous.
  Status remove(const std::string& store, const std::string& fingerprint_prefix);
  // Ordered by subject.
  Result<std::vector<TrustEntry>> list(const std::string& store);

 private:
  struct Cached {
    std::int64_t generation = -1;
    std::vector<pki::Certificate> certificates;
  };

  TrustRepository& repo_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;  // guarded by mu_; one entry per store name
};

}  // namespace capf
