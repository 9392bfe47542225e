// The CAPF identity: the CA certificate phones trust, its private key and the issuers above it.
// It signs LSCs (local mode) and is the TLS server certificate on port 3804.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf {

struct CapfIdentity {
  pki::Certificate certificate;
  pki::PrivateKey key;
  std::vector<pki::Certificate> chain;  // issuers above the certificate, nearest first
};

struct IdentityPaths {
  std::filesystem::path cert;
  std::filesystem::path key;    // unused when key_uri is set
  std::filesystem::path chain;  // may not exist
  // A pkcs11: URI (RFC 7512) when the key lives in a PKCS#11 token: it is used there, through the
  // libp11 engine, for the TLS handshake and for signing, and never written to a file.
  std::string key_uri;
};

// Reads the identity from its files (the key from the token when key_uri is set; `passphrase` is
// then the token PIN) and checks that the key matches the certificate. Does not check the CA
// profile (callers decide whether a bad profile refuses a start).
Result<CapfIdentity> load_identity(const IdentityPaths& paths,
                                   std::optional<std::string_view> passphrase);
// Writes the identity atomically (temporary file + rename); the key file is created 0600 (and not
// written at all for a key in a token).
Status write_identity(const IdentityPaths& paths, const CapfIdentity& identity,
                      std::optional<std::string_view> passphrase);

// The identity in use, shared by every session; replaced as a whole (regeneration, import).
// Thread-safe.
class IdentityHolder {
 public:
  explicit IdentityHolder(std::shared_ptr<const CapfIdentity> identity)
      : identity_(std::move(identity)) {}
  std::shared_ptr<const CapfIdentity> current() const {
    std::lock_guard lock(mu_);
    return identity_;
  }
  void replace(std::shared_ptr<const CapfIdentity> identity) {
    std::lock_guard lock(mu_);
    identity_ = std::move(identity);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const CapfIdentity> identity_;
};

}  // namespace capf
