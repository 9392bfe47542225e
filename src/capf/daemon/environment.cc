#include "capf/daemon/environment.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <fstream>

#include "capf/api/admin_tls.h"
#include "capf/daemon/registry_opener.h"
#include "capf/pki/key_source.h"
#include "capf/pki/profiles.h"

namespace capf {

namespace {

std::string random_hex8() {
  std::uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    v = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return fmt::format("{:08x}", v);
}

}  // namespace

bool Environment::is_initialised(const std::filesystem::path& data_dir) {
  auto config = Config::load(data_dir);
  if (!config)
    return false;
  std::error_code ec;
  return std::filesystem::exists(identity_paths_of(*config).cert, ec);
}

IdentityPaths Environment::identity_paths() const {
  return identity_paths_of(config_);
}

Result<CapfIdentity> Environment::load_identity() const {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> passphrase, config_.key_passphrase());
  std::optional<std::string_view> pass;
  if (passphrase)
    pass = *passphrase;
  return capf::load_identity(identity_paths(), pass);
}

Result<IdentityHolder*> Environment::identity() {
  if (!identity_) {
    CAPF_ASSIGN_OR_RETURN(CapfIdentity id, load_identity());
    identity_ =
        std::make_unique<IdentityHolder>(std::make_shared<const CapfIdentity>(std::move(id)));
  }
  return identity_.get();
}

Result<IssuerBuilder*> Environment::issuer_builder() {
  if (!issuer_builder_) {
    CAPF_ASSIGN_OR_RETURN(IdentityHolder * holder, identity());
    issuer_builder_ = std::make_unique<IssuerBuilder>(config_, *trust_, *holder, clock_);
  }
  return issuer_builder_.get();
}

Result<IssuerAdmin*> Environment::issuer_admin() {
  if (!issuer_admin_) {
    CAPF_ASSIGN_OR_RETURN(IssuerBuilder * builder, issuer_builder());
    issuer_admin_ = std::make_unique<IssuerAdmin>(config_.data_dir, *registry_, *registry_,
                                                  *builder, registry_.get());
  }
  return issuer_admin_.get();
}

CertificateAdmin& Environment::certificate_admin() {
  if (!certificate_admin_)
    certificate_admin_ = std::make_unique<CertificateAdmin>(*registry_, clock_);
  return *certificate_admin_;
}

AccessService& Environment::access() {
  return *access_;
}

IdentityAdmin& Environment::identity_admin() {
  if (!identity_admin_)
    identity_admin_ =
        std::make_unique<IdentityAdmin>(config_, *trust_, *registry_, clock_, registry_.get());
  return *identity_admin_;
}

TrustListAdmin& Environment::trust_list_admin() {
  if (!trust_list_admin_) {
    trust_list_admin_ =
        std::make_unique<TrustListAdmin>(config_, identity_admin(), *registry_, clock_);
  }
  return *trust_list_admin_;
}

OfflineAdmin& Environment::offline_admin() {
  if (!offline_admin_) {
    // The chain file named by opencapf.toml as it is at each import (the server may be running
    // while `opencapf issuer set` changes it).
    auto chain = [data_dir = config_.data_dir]() -> Result<std::vector<pki::Certificate>> {
      CAPF_ASSIGN_OR_RETURN(Config config, Config::load(data_dir));
      const std::string& file = config.issuer.offline.ca_chain_file;
      if (file.empty())
        return std::vector<pki::Certificate>{};
      auto certs = pki::read_certificates(config.path_in_data(file));
      if (!certs) {
        return make_error(ErrorCode::kInvalidArgument,
                          "[issuer.offline] ca_chain_file: {}; set it again with `opencapf issuer "
                          "set --mode offline --ca-chain FILE`",
                          certs.error().message);
      }
      return certs;
    };
    offline_admin_ = std::make_unique<OfflineAdmin>(*registry_, *trust_, clock_, std::move(chain));
  }
  return *offline_admin_;
}

Result<std::unique_ptr<Environment>> Environment::open(const std::filesystem::path& data_dir) {
  std::unique_ptr<Environment> env(new Environment());
  CAPF_ASSIGN_OR_RETURN(env->config_, Config::load(data_dir));
  std::error_code ec;
  if (!std::filesystem::exists(env->identity_paths().cert, ec)) {
    return make_error(ErrorCode::kNotFound,
                      "{} holds no CAPF identity: run `opencapf init --data {}` first",
                      data_dir.string(), data_dir.string());
  }
  CAPF_ASSIGN_OR_RETURN(env->registry_, open_registry(env->config_, env->clock_));
  env->trust_ = std::make_unique<TrustStores>(*env->registry_);
  AdminPolicy policy;
  policy.default_deadline_days = env->config_.operations.default_deadline_days;
  policy.allow_rsa_512 = env->config_.auth.allow_rsa_512;
  env->admin_ = std::make_unique<AdminService>(*env->registry_, *env->trust_, env->clock_, policy);
  env->access_ = std::make_unique<AccessService>(*env->registry_, env->clock_);
  return env;
}

Result<InitReport> Environment::init(const std::filesystem::path& data_dir,
                                     const InitOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot create {}: {}", data_dir.string(), ec.message());
  }
  ::chmod(data_dir.c_str(), 0700);
  const std::filesystem::path config_file = capf::config_file(data_dir);
  if (!options.passphrase_file.empty() && !options.passphrase_env.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "give --passphrase-file or --passphrase-env, not both");
  }
  if (options.key_uri.empty()) {
    CAPF_TRY(check_capf_key_choice(options.key, options.days));
  } else {
    CAPF_TRY(check_capf_key_choice(std::nullopt, options.days));
  }
  const bool config_existed = std::filesystem::exists(config_file, ec);
  if (config_existed && (!options.passphrase_file.empty() || !options.passphrase_env.empty())) {
    // The passphrase is referenced from the configuration: an existing one decides, and a flag it
    // does not carry would be silently ignored (leaving the key unencrypted).
    CAPF_ASSIGN_OR_RETURN(Config existing, Config::load(data_dir));
    const bool same_file = options.passphrase_file.empty() ||
                           existing.capf.passphrase_file ==
                               std::filesystem::absolute(options.passphrase_file, ec).string() ||
                           existing.capf.passphrase_file == options.passphrase_file;
    const bool same_env =
        options.passphrase_env.empty() || existing.capf.passphrase_env == options.passphrase_env;
    if (!same_file || !same_env) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} already exists and does not name that passphrase: set [capf] "
                        "passphrase_file or passphrase_env in it (or remove the file) and run "
                        "init again; nothing changed",
                        config_file.string());
    }
  }
  // A configuration written here is removed again if init fails, so running it again starts over.
  struct RemoveOnFailure {
    std::filesystem::path file;
    bool armed = false;
    ~RemoveOnFailure() {
      std::error_code ignored;
      if (armed)
        std::filesystem::remove(file, ignored);
    }
  } written_config{config_file};
  if (!config_existed) {
    Config values;
    if (!options.passphrase_file.empty())
      values.capf.passphrase_file = std::filesystem::absolute(options.passphrase_file, ec).string();
    if (!options.passphrase_env.empty())
      values.capf.passphrase_env = options.passphrase_env;
    if (!options.key_uri.empty()) {
      if (options.key_uri.find_first_of("\"\\\n") != std::string::npos) {
        return make_error(ErrorCode::kInvalidArgument,
                          "the PKCS#11 URI holds a quote, backslash or line break: percent-encode "
                          "them (RFC 7512)");
      }
      values.capf.key_file = options.key_uri;
    }
    values.store.url = options.store_url;
    const std::string text = values.file_text();
    std::ofstream out(config_file);
    written_config.armed = true;
    out << text;
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}", config_file.string());
  }
  CAPF_ASSIGN_OR_RETURN(Config config, Config::load(data_dir));
  IdentityPaths paths = identity_paths_of(config);
  if (std::filesystem::exists(paths.cert, ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already holds a CAPF identity ({}): nothing changed", data_dir.string(),
                      paths.cert.string());
  }
  if (!options.key_uri.empty() && paths.key_uri.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} already names the key file {}: remove [capf] key_file from it, or init "
                      "another data directory, to use the PKCS#11 key",
                      config_file.string(), config.capf.key_file);
  }
  std::string subject = options.subject.empty() ? "CN=CAPF-" + random_hex8() : options.subject;
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> passphrase, config.key_passphrase());
  std::optional<std::string_view> pass;
  if (passphrase)
    pass = *passphrase;
  Result<pki::PrivateKey> made = make_error(ErrorCode::kInternal, "no key");
  if (paths.key_uri.empty()) {
    made = pki::PrivateKey::generate(options.key);
  } else {
    made = pki::load_pkcs11_key(paths.key_uri, pass);  // the token keeps it; nothing is written
    if (!made)
      return made.error().with_context("the CAPF key in the PKCS#11 token");
    KeySpec spec = made->spec();
    bool allowed = spec.type == KeyType::kRsa ? spec.bits >= 2048 && spec.bits <= 4096
                                              : spec.bits == 256 || spec.bits == 384;
    if (!allowed) {
      return make_error(ErrorCode::kInvalidArgument,
                        "the token key is {}: a CAPF key is RSA 2048 to 4096 or EC P-256/P-384",
                        to_string(spec));
    }
  }
  if (!made)
    return made.error();
  pki::PrivateKey key = std::move(made).value();
  SystemClock clock;
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::make_capf_certificate(key, {subject, options.days}, clock));

  // The registry first, then the trust stores, then the identity files: a crash in between leaves
  // a directory without an identity, which `init` can simply be run on again.
  CAPF_ASSIGN_OR_RETURN(auto registry, open_registry(config, clock));
  TrustStores trust(*registry);
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    Status added = trust.add(store, cert, "capf (current)");
    if (!added && added.error().code != ErrorCode::kAlreadyExists)
      return added.error();
  }
  CAPF_TRY(write_identity(paths, CapfIdentity{cert, key, {}}, pass));
  // The admin API's own key and certificate, so that the CAPF key never serves the web listener.
  auto admin = api::create_admin_tls_files(config.path_in_data(api::kAdminCertFile),
                                           config.path_in_data(api::kAdminKeyFile), clock);
  if (!admin)
    return admin.error();
  written_config.armed = false;
  return InitReport{data_dir, cert.subject(), cert.fingerprint_sha256(),
                    format_utc(cert.not_after()), admin->fingerprint_sha256()};
}

}  // namespace capf
