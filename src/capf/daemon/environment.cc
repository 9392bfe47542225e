#include "capf/daemon/environment.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "capf/pki/profiles.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {

namespace {

std::string random_hex8() {
  std::uint32_t v = 0;
  if (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
    v = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return fmt::format("{:08x}", v);
}

IdentityPaths paths_for(const Config& c) {
  return IdentityPaths{c.path_in_data(c.capf.cert_file), c.path_in_data(c.capf.key_file),
                       c.path_in_data(c.capf.chain_file)};
}

}  // namespace

bool Environment::is_initialised(const std::filesystem::path& data_dir) {
  auto config = Config::load(data_dir);
  if (!config)
    return false;
  std::error_code ec;
  return std::filesystem::exists(paths_for(*config).cert, ec);
}

IdentityPaths Environment::identity_paths() const {
  return paths_for(config_);
}

Result<CapfIdentity> Environment::load_identity() const {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> passphrase, config_.key_passphrase());
  std::optional<std::string_view> pass;
  if (passphrase)
    pass = *passphrase;
  return capf::load_identity(identity_paths(), pass);
}

Result<IssuerAdmin*> Environment::issuer_admin() {
  if (!issuer_admin_) {
    if (!identity_) {
      CAPF_ASSIGN_OR_RETURN(CapfIdentity id, load_identity());
      identity_ =
          std::make_unique<IdentityHolder>(std::make_shared<const CapfIdentity>(std::move(id)));
    }
    issuer_factory_ = std::make_unique<DaemonIssuerFactory>(config_, *trust_, *identity_, clock_);
    issuer_admin_ = std::make_unique<IssuerAdmin>(config_.data_dir, *registry_, *issuer_factory_);
  }
  return issuer_admin_.get();
}

Result<OfflineAdmin*> Environment::offline_admin() {
  if (!offline_admin_) {
    std::vector<pki::Certificate> chain;
    const std::string& file = config_.issuer.offline.ca_chain_file;
    if (!file.empty()) {
      std::ifstream in(config_.path_in_data(file));
      std::ostringstream text;
      text << in.rdbuf();
      auto certs = pki::Certificate::all_from_pem(text.str());
      if (!certs) {
        return make_error(ErrorCode::kInvalidArgument,
                          "[issuer.offline] ca_chain_file {} holds no readable certificate: {}",
                          config_.path_in_data(file).string(), certs.error().message);
      }
      chain = std::move(certs).value();
    }
    offline_admin_ = std::make_unique<OfflineAdmin>(*registry_, *trust_, clock_, std::move(chain));
  }
  return offline_admin_.get();
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
  SqliteOptions options;
  options.synchronous_full = env->config_.store.sqlite_synchronous_full;
  auto registry = SqliteRegistry::open(
      env->config_.path_in_data(env->config_.store.sqlite_path).string(), env->clock_, options);
  if (!registry)
    return registry.error();
  env->registry_ = std::move(registry).value();
  env->trust_ = std::make_unique<TrustStores>(*env->registry_);
  AdminPolicy policy;
  policy.default_deadline_days = env->config_.operations.default_deadline_days;
  policy.allow_rsa_512 = env->config_.auth.allow_rsa_512;
  env->admin_ = std::make_unique<AdminService>(*env->registry_, *env->trust_, env->clock_, policy);
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
  std::filesystem::path config_file = data_dir / "opencapf.toml";
  if (!std::filesystem::exists(config_file, ec)) {
    std::ofstream out(config_file);
    out << Config::default_file_text();
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}", config_file.string());
  }
  CAPF_ASSIGN_OR_RETURN(Config config, Config::load(data_dir));
  IdentityPaths paths = paths_for(config);
  if (std::filesystem::exists(paths.cert, ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already holds a CAPF identity ({}): nothing changed", data_dir.string(),
                      paths.cert.string());
  }
  if (options.key.type == KeyType::kRsa && options.key.bits != 2048 && options.key.bits != 3072 &&
      options.key.bits != 4096) {
    return make_error(ErrorCode::kInvalidArgument,
                      "CAPF key rsa:{} is not allowed: use rsa:2048, rsa:3072, rsa:4096, ec:p256 "
                      "or ec:p384",
                      options.key.bits);
  }
  if (options.key.type == KeyType::kEc && options.key.bits != 256 && options.key.bits != 384) {
    return make_error(ErrorCode::kInvalidArgument,
                      "CAPF key ec:p{} is not allowed: use ec:p256 or ec:p384 (or an RSA size)",
                      options.key.bits);
  }
  if (options.days < 1 || options.days > 20 * 365) {
    return make_error(ErrorCode::kInvalidArgument, "--days {} is out of range: use 1 to 7300",
                      options.days);
  }
  std::string subject = options.subject.empty() ? "CN=CAPF-" + random_hex8() : options.subject;
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::generate(options.key));
  SystemClock clock;
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::make_capf_certificate(key, {subject, options.days}, clock));
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> passphrase, config.key_passphrase());
  std::optional<std::string_view> pass;
  if (passphrase)
    pass = *passphrase;

  // The registry first, then the trust stores, then the identity files: a crash in between leaves
  // a directory without an identity, which `init` can simply be run on again.
  SqliteOptions sqlite_options;
  sqlite_options.synchronous_full = config.store.sqlite_synchronous_full;
  auto registry = SqliteRegistry::open(config.path_in_data(config.store.sqlite_path).string(),
                                       clock, sqlite_options);
  if (!registry)
    return registry.error();
  TrustStores trust(**registry);
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    Status added = trust.add(store, cert, "capf (current)");
    if (!added && added.error().code != ErrorCode::kAlreadyExists)
      return added.error();
  }
  CAPF_TRY(write_identity(paths, CapfIdentity{cert, key, {}}, pass));
  return InitReport{data_dir, cert.subject(), cert.fingerprint_sha256(),
                    format_utc(cert.not_after())};
}

}  // namespace capf
