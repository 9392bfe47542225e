// `opencapf init`: a new data directory. With a shared registry (--store URL) whose database
// already holds a cluster's CAPF identity, the directory joins that cluster instead: no new key,
// the identity files and [issuer] settings are written from the database (docs/cluster.md).
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/api/admin_tls.h"
#include "capf/common/file.h"
#include "capf/common/pkcs11_uri.h"
#include "capf/daemon/registry_opener.h"
#include "capf/domain/device.h"
#include "capf/service/cluster_sync.h"

namespace capf::cli {

namespace {

struct Opts : DataOptions {
  std::string key = "rsa:2048";
  InitOptions init;  // all but the key, which --key names
};

void print_next_steps(const std::string& data_dir) {
  std::printf(
      "next: `opencapf itl build --data %s --out /srv/tftp/ITLFile.tlv` for the phones' TFTP "
      "server (docs/trust-lists.md); then `opencapf serve --data %s`\n",
      data_dir.c_str(), data_dir.c_str());
}

// The trust-list signer (docs/trust-lists.md §5), so that `itl build` works at once.
Status create_signer(const std::filesystem::path& data) {
  CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(data));
  CAPF_ASSIGN_OR_RETURN(auto signer,
                        env->trust_list_admin().create_signer(SignerOptions{}, cli_actor()));
  std::printf("trust-list signer (SAST): %s, serial %s\n", signer.subject().c_str(),
              signer.serial_hex().c_str());
  return ok();
}

// Joins the cluster whose database holds `identity` (the "capf.identity" value): checks it in
// full (passphrase, key, certificate) before writing anything, then writes the configuration (when
// there is none), the identity files and [issuer] settings, and the admin API's own pair.
Status join(const Opts& o, const Config& config, ClusterState& cluster,
            const std::string& identity) {
  if (Environment::is_initialised(o.data)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already holds a CAPF identity: nothing changed", o.data);
  }
  CAPF_ASSIGN_OR_RETURN(SharedIdentity shared, decode_identity_for(config, identity));
  std::error_code ec;
  std::filesystem::create_directories(o.data, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot create {}: {}", o.data, ec.message());
  const std::filesystem::path file = config_file(o.data);
  if (!std::filesystem::exists(file, ec)) {
    Config values;
    if (!o.init.passphrase_file.empty())
      values.capf.passphrase_file = std::filesystem::absolute(o.init.passphrase_file, ec).string();
    values.capf.passphrase_env = o.init.passphrase_env;
    if (!shared.key_uri.empty())
      values.capf.key_file = shared.key_uri;
    values.store.url = config.store.url;
    CAPF_TRY(write_file_atomically(file, values.file_text(), FileMode::kPublic));
  }
  CAPF_ASSIGN_OR_RETURN(Config joined, Config::load(o.data));
  CAPF_TRY(apply_shared_state(joined, cluster));
  SystemClock clock;
  CAPF_ASSIGN_OR_RETURN(
      pki::Certificate admin,
      api::create_admin_tls_files(joined.path_in_data(api::kAdminCertFile),
                                  joined.path_in_data(api::kAdminKeyFile), clock));
  std::printf("joined the cluster of the registry database: %s\n", o.data.c_str());
  std::printf("CAPF certificate (the cluster's, no new key): %s\n",
              shared.certificate.subject().c_str());
  std::printf("  SHA-256 fingerprint %s, valid until %s\n",
              shared.certificate.fingerprint_sha256().c_str(),
              format_utc(shared.certificate.not_after()).c_str());
  std::printf("admin API certificate: admin-cert.pem (this node's own)\n");
  std::printf("  SHA-256 fingerprint %s\n", admin.fingerprint_sha256().c_str());
  return ok();
}

// A new cluster or a single node: the data directory as `init` always made it; a shared registry
// then gets this node's identity and issuer.
Status create(const Opts& o, const Config& config, bool clustered) {
  InitOptions options = o.init;
  options.store_url = config.store.url;
  if (is_pkcs11_uri(o.key)) {
    options.key_uri = o.key;
  } else {
    CAPF_ASSIGN_OR_RETURN(options.key, parse_key_spec(o.key));
  }
  CAPF_ASSIGN_OR_RETURN(auto report, Environment::init(o.data, options));
  std::printf("initialised %s\n", report.data_dir.c_str());
  std::printf("CAPF certificate: %s\n", report.subject.c_str());
  std::printf("  SHA-256 fingerprint %s, valid until %s\n", report.fingerprint.c_str(),
              report.not_after.c_str());
  std::printf("admin API certificate: admin-cert.pem (its own key, not the CAPF one)\n");
  std::printf("  SHA-256 fingerprint %s\n", report.admin_fingerprint.c_str());
  if (clustered) {
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
    CAPF_TRY(publish_local_state(env->config(), env->registry(), env->trust()));
    std::printf(
        "published the CAPF identity and [issuer] settings to the registry database: "
        "`opencapf init` of another node with the same --store joins this cluster\n");
  }
  return ok();
}

}  // namespace

void add_init_command(CLI::App& app, CommandContext& ctx) {
  auto c = add_command<Opts>(app, "init",
                             "create a data directory: configuration, CAPF CA certificate and key, "
                             "registry; or join the cluster whose --store database has one");
  c->add_option(
      "--key", c.opts->key,
      "rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384 (default rsa:2048), or a key in a PKCS#11 "
      "token: 'pkcs11:token=T;object=O' (PIN from --passphrase-file/-env); unused when joining");
  c->add_option("--subject", c.opts->init.subject, "CAPF subject DN (default CN=CAPF-<8 hex>)");
  c->add_option("--days", c.opts->init.days,
                "validity of the CAPF certificate in days (default 1825)");
  c->add_option("--passphrase-file", c.opts->init.passphrase_file,
                "encrypt the CAPF key with the passphrase in this file (the PIN for a token key)");
  c->add_option("--passphrase-env", c.opts->init.passphrase_env,
                "or with the passphrase in this environment variable");
  c.callback(ctx, [](const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(Config config, Config::load(o.data));
    const bool clustered = is_clustered(config);
    if (clustered) {
      // The first node needs the cluster passphrase as much as a joining one: refuse before
      // anything is written.
      CAPF_TRY(cluster_passphrase(config));
      SystemClock clock;
      CAPF_ASSIGN_OR_RETURN(auto registry, open_registry(config, clock));
      CAPF_ASSIGN_OR_RETURN(auto identity, registry->find_setting(std::string(kIdentitySetting)));
      if (identity) {
        CAPF_TRY(join(o, config, *registry, identity->value));
        CAPF_TRY(create_signer(o.data));
        print_next_steps(o.data);
        return ok();
      }
    }
    CAPF_TRY(create(o, config, clustered));
    CAPF_TRY(create_signer(o.data));
    print_next_steps(o.data);
    return ok();
  });
}

}  // namespace capf::cli
