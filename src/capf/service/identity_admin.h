// IdentityAdmin: the CAPF certificate as a CA an administrator runs — its request for a
// corporate CA (`ca csr`), importing the signed certificate (`ca import`), regeneration without an
// outage (`ca regenerate`: the previous certificate stays trusted until retired), the list of
// current and previous identities, and the bundle the call-control side must trust. Every change
// is checked in full before anything is written, and the identity files are replaced atomically,
// so the active identity is never left half-changed. A running server notices the new files.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/config/config.h"
#include "capf/issuer/capf_identity.h"
#include "capf/pki/certificate.h"
#include "capf/store/cluster_state.h"
#include "capf/trust/trust_stores.h"

namespace capf {

inline constexpr std::string_view kCurrentIdentityLabel = "capf (current)";
inline constexpr std::string_view kPreviousIdentityLabel = "capf (previous)";
inline constexpr std::string_view kChainLabel = "capf chain";

struct IdentityEntry {
  pki::Certificate certificate;
  bool current = false;
  bool expired = false;
  std::vector<std::string> problems;  // CAPF CA profile problems
};

struct RegenerateOptions {
  std::optional<KeySpec> key;  // default: the current key's kind
  std::string subject;         // default: the current subject
  int days = 5 * 365;
};

// The CAPF key kinds opencapf makes (rsa:2048|3072|4096, ec:p256|p384; nullopt: a token's key,
// checked once loaded) and the validity it allows (1 to 7300 days); kInvalidArgument saying what
// to type instead.
Status check_capf_key_choice(const std::optional<KeySpec>& key, int days);

// Where the CAPF identity of `config` lives: files in the data directory, and the key either a
// file there or, when [capf] key_file is a pkcs11: URI, a key in a PKCS#11 token.
IdentityPaths identity_paths_of(const Config& config);

class IdentityAdmin {
 public:
  // Every change is written to `audit` naming the actor and, when the registry is shared
  // (PostgreSQL), published to `cluster` for the other nodes (cluster_sync.h).
  IdentityAdmin(Config config, TrustStores& trust, AuditLog& audit, const Clock& clock,
                ClusterState* cluster = nullptr)
      : config_(std::move(config)),
        trust_(trust),
        audit_(audit),
        clock_(clock),
        cluster_(cluster) {}

  // PEM PKCS#10 for the CAPF key asking for CA:TRUE,pathlen:0, keyUsage digitalSignature +
  // keyCertSign, EKU serverAuth, with the current subject.
  Result<std::string> csr_pem();
  // Installs a CA-signed certificate for the CAPF key, only if it is for that key, carries the
  // CAPF CA profile, and chains (through `chain_text` or to capf-trust) to a root. Refuses with
  // kInvalidArgument listing every problem and changing nothing. The previous certificate stays
  // in both trust stores as "previous"; the new one and its chain are added to both.
  Result<pki::Certificate> import(std::string_view cert_text,
                                  std::optional<std::string_view> chain_text,
                                  const std::string& actor);
  // A new key and self-signed CAPF certificate; the previous one stays trusted.
  Result<pki::Certificate> regenerate(const RegenerateOptions& options, const std::string& actor);
  // Current first, then previous identities (newest expiry first).
  Result<std::vector<IdentityEntry>> list();
  // Removes a previous identity from both trust stores (never the current one).
  Status retire(std::string_view fingerprint_prefix, const std::string& actor);
  // PEM: the current certificate and its chain; with `all`, also every previous identity.
  Result<std::string> export_bundle(bool all);

 private:
  Result<CapfIdentity> load() const;
  // Trusts and writes `next`, then records `action` in the audit log.
  Status install(const CapfIdentity& next, const pki::Certificate& previous,
                 const std::string& action, const std::string& actor);

  Config config_;
  TrustStores& trust_;
  AuditLog& audit_;
  const Clock& clock_;
  ClusterState* cluster_;
  // One change at a time in this process (each reads the current identity, then replaces it).
  std::mutex change_mu_;
};

}  // namespace capf
