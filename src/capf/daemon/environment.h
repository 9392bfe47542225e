// Environment: an opened data directory — configuration, registry, trust stores and the admin
// service — shared by every CLI command and by `serve`. Only daemon/ names concrete classes.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "capf/common/clock.h"
#include "capf/config/config.h"
#include "capf/daemon/issuer_builder.h"
#include "capf/domain/device.h"
#include "capf/issuer/capf_identity.h"
#include "capf/service/access_service.h"
#include "capf/service/admin_service.h"
#include "capf/service/certificate_admin.h"
#include "capf/service/identity_admin.h"
#include "capf/service/issuer_admin.h"
#include "capf/service/offline_admin.h"
#include "capf/service/trust_list_admin.h"
#include "capf/store/device_store.h"
#include "capf/trust/trust_stores.h"

namespace capf {

struct InitOptions {
  KeySpec key{KeyType::kRsa, 2048};
  std::string subject;  // empty: CN=CAPF-<8 hex>
  int days = 5 * 365;
  // Encrypt the CAPF key with the passphrase in this file, or this environment variable
  // (recorded in opencapf.toml as [capf] passphrase_file / passphrase_env). Never on the command
  // line.
  std::string passphrase_file;
  std::string passphrase_env;
  // A pkcs11: URI: the CAPF key is this key in a PKCS#11 token (its PIN from passphrase_file or
  // passphrase_env), recorded as [capf] key_file; `key` is then unused.
  std::string key_uri;
  // The shared registry's URL (--store or OPENCAPF_STORE at init), recorded as [store] url so
  // that `serve` and every other command of this data directory use it without being told again.
  std::string store_url;
};

struct InitReport {
  std::filesystem::path data_dir;
  std::string subject;
  std::string fingerprint;
  std::string not_after;
  std::string admin_fingerprint;  // of admin-cert.pem, the admin API's own certificate
};

class Environment {
 public:
  // Opens an initialised data directory; kNotFound with the `opencapf init` command to run when
  // the directory holds no CAPF identity.
  static Result<std::unique_ptr<Environment>> open(const std::filesystem::path& data_dir);

  // Creates the data directory's configuration, CAPF identity, admin API key and certificate
  // (admin-key.pem 0600, admin-cert.pem) and registry, and puts the CAPF certificate into
  // capf-trust and callmanager-trust. kAlreadyExists if it already holds an
  // identity (nothing is changed then).
  static Result<InitReport> init(const std::filesystem::path& data_dir, const InitOptions& options);
  // True when the directory exists and holds a CAPF certificate.
  static bool is_initialised(const std::filesystem::path& data_dir);

  const Config& config() const { return config_; }
  const Clock& clock() const { return clock_; }
  Registry& registry() { return *registry_; }
  TrustStores& trust() { return *trust_; }
  AdminService& admin() { return *admin_; }
  IdentityPaths identity_paths() const;
  // Loads the CAPF identity with the configured passphrase.
  Result<CapfIdentity> load_identity() const;
  // The CAPF identity in use, loaded on first use: the one holder that the issuers, the issuer
  // admin and the daemon share (the daemon swaps it when the certificate files change).
  Result<IdentityHolder*> identity();
  // The one IssuerFactory of this data directory: builds and checks issuers. Loads the identity
  // on first use.
  Result<IssuerBuilder*> issuer_builder();
  // Where LSCs come from: show and switch (`opencapf issuer`). Loads the identity on first use.
  Result<IssuerAdmin*> issuer_admin();
  // The offline CA procedure (`opencapf offline`); knows the configured offline chain, if any.
  OfflineAdmin& offline_admin();
  // The CAPF identity as a CA (`opencapf ca csr|import|regenerate|list|retire`).
  IdentityAdmin& identity_admin();
  // The issuance ledger, revocation, the CRL, renewal (`opencapf cert|crl`).
  CertificateAdmin& certificate_admin();
  // The ITL/CTL, .sgn files and their signer (`opencapf itl|ctl|sgn`).
  TrustListAdmin& trust_list_admin();
  // Admin API tokens and the audit log (`opencapf admin token`, `opencapf audit`, the API).
  AccessService& access();

 private:
  Environment() = default;
  Config config_;
  SystemClock clock_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<TrustStores> trust_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<IdentityHolder> identity_;
  std::unique_ptr<IssuerBuilder> issuer_builder_;
  std::unique_ptr<IssuerAdmin> issuer_admin_;
  std::unique_ptr<OfflineAdmin> offline_admin_;
  std::unique_ptr<IdentityAdmin> identity_admin_;
  std::unique_ptr<CertificateAdmin> certificate_admin_;
  std::unique_ptr<TrustListAdmin> trust_list_admin_;
  std::unique_ptr<AccessService> access_;
};

}  // namespace capf
