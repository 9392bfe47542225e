// Publishing the shared cluster settings and applying them to a node's files (cluster_sync.h).
#include "capf/service/cluster_sync.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "capf/common/file.h"
#include "capf/common/pkcs11_uri.h"
#include "capf/pki/key_source.h"
#include "capf/service/identity_admin.h"

namespace capf {

namespace {

std::optional<std::string_view> view_of(const std::optional<std::string>& s) {
  if (s)
    return std::string_view(*s);
  return std::nullopt;
}

// Puts `value` as the first version of `name`; a node that published first wins (kConflict is
// not an error here).
Status put_first(ClusterState& cluster, std::string_view name, const std::string& value) {
  auto put = cluster.put_setting(std::string(name), value, 0);
  if (!put && put.error().code != ErrorCode::kConflict)
    return put.error();
  return ok();
}

// The key of `shared` as this node uses it: the decrypted key, or the token's key.
Result<pki::PrivateKey> node_key(const Config& config, const IdentityPaths& paths,
                                 const SharedIdentity& shared) {
  if (shared.key_uri.empty() && !paths.key_uri.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the cluster's CAPF key is a file but this node's [capf] key_file is a "
                      "PKCS#11 URI: remove key_file from {}",
                      config_file(config.data_dir).string());
  }
  if (shared.key)
    return *shared.key;
  if (paths.key_uri.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the cluster's CAPF key is in a PKCS#11 token: set [capf] key_file = \"{}\" "
                      "in {} (and the token's PIN as [capf] passphrase_file or passphrase_env)",
                      redact_pkcs11_uri(shared.key_uri), config_file(config.data_dir).string());
  }
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pin, config.key_passphrase());
  auto key = pki::load_pkcs11_key(paths.key_uri, view_of(pin));
  if (!key)
    return key.error().with_context("the CAPF key in the PKCS#11 token");
  if (key->spki_der() != shared.certificate.spki_der()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "this node's token key {} is not the key of the cluster's CAPF certificate "
                      "{}: set [capf] key_file to the cluster's key",
                      redact_pkcs11_uri(paths.key_uri), shared.certificate.subject());
  }
  return key;
}

}  // namespace

Result<std::int64_t> put_latest(ClusterState& cluster, std::string_view name,
                                const std::string& value) {
  for (int attempt = 0;; ++attempt) {
    CAPF_ASSIGN_OR_RETURN(auto stored, cluster.find_setting(std::string(name)));
    auto put = cluster.put_setting(std::string(name), value, stored ? stored->version : 0);
    if (put || put.error().code != ErrorCode::kConflict || attempt == 4)
      return put;
  }
}

Result<std::optional<std::string>> shared_identity_value(const Config& config,
                                                         const CapfIdentity& next,
                                                         const pki::Certificate& previous,
                                                         TrustStores& trust) {
  if (!is_clustered(config))
    return std::optional<std::string>();
  CAPF_ASSIGN_OR_RETURN(std::string passphrase, cluster_passphrase(config));
  std::vector<pki::Certificate> earlier;
  if (!(previous == next.certificate))
    earlier.push_back(previous);
  CAPF_ASSIGN_OR_RETURN(auto entries, trust.list(kCapfTrust));
  for (const auto& e : entries) {
    auto cert = pki::Certificate::from_pem(e.pem);
    if (e.label != kPreviousIdentityLabel || !cert || *cert == next.certificate ||
        std::find(earlier.begin(), earlier.end(), *cert) != earlier.end()) {
      continue;
    }
    earlier.push_back(std::move(cert).value());
  }
  CAPF_ASSIGN_OR_RETURN(
      std::string value,
      encode_identity(next, earlier, identity_paths_of(config).key_uri, passphrase));
  return std::optional<std::string>(std::move(value));
}

Status publish_issuer(const Config& config, ClusterState& cluster) {
  if (!is_clustered(config))
    return ok();
  CAPF_ASSIGN_OR_RETURN(std::string value, encode_issuer(config));
  CAPF_TRY(put_latest(cluster, kIssuerSetting, value));
  return ok();
}

Status publish_local_state(const Config& config, ClusterState& cluster, TrustStores& trust) {
  if (!is_clustered(config))
    return ok();
  CAPF_ASSIGN_OR_RETURN(auto identity_row, cluster.find_setting(std::string(kIdentitySetting)));
  if (!identity_row) {
    CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, config.key_passphrase());
    CAPF_ASSIGN_OR_RETURN(CapfIdentity identity,
                          load_identity(identity_paths_of(config), view_of(pass)));
    CAPF_ASSIGN_OR_RETURN(auto value,
                          shared_identity_value(config, identity, identity.certificate, trust));
    CAPF_TRY(put_first(cluster, kIdentitySetting, *value));
  }
  CAPF_ASSIGN_OR_RETURN(auto issuer_row, cluster.find_setting(std::string(kIssuerSetting)));
  if (!issuer_row) {
    CAPF_ASSIGN_OR_RETURN(std::string value, encode_issuer(config));
    CAPF_TRY(put_first(cluster, kIssuerSetting, value));
  }
  return ok();
}

Result<SharedIdentity> decode_identity_for(const Config& config, std::string_view value) {
  auto passphrase = cluster_passphrase(config);
  auto shared = decode_identity(value, passphrase ? *passphrase : std::string());
  if (!shared && !passphrase && shared.error().code == ErrorCode::kPermissionDenied)
    return passphrase.error();  // a key to decrypt and no passphrase: say where it goes
  return shared;
}

Result<Applied> apply_identity_value(const Config& config, std::string_view value) {
  CAPF_ASSIGN_OR_RETURN(SharedIdentity shared_value, decode_identity_for(config, value));
  const SharedIdentity* shared = &shared_value;
  const IdentityPaths paths = identity_paths_of(config);
  auto local = read_file_if_exists(paths.cert);
  if (local && *local) {
    auto cert = pki::Certificate::from_pem(**local);
    if (cert && *cert == shared->certificate)
      return Applied::kUnchanged;
  }
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key, node_key(config, paths, *shared));
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, config.key_passphrase());
  CAPF_TRY(write_identity(paths, CapfIdentity{shared->certificate, std::move(key), shared->chain},
                          view_of(pass)));
  return Applied::kWritten;
}

Result<Applied> apply_issuer_value(const Config& config, std::string_view value) {
  // The node's configuration as it is now (`issuer set` may have changed it since the start).
  CAPF_ASSIGN_OR_RETURN(Config now, Config::load(config.data_dir));
  CAPF_ASSIGN_OR_RETURN(SharedIssuer shared, decode_issuer(value, now));
  if (shared.files.empty() && issuer_config_text(shared.config) == issuer_config_text(now.issuer)) {
    return Applied::kUnchanged;
  }
  for (const auto& [path, text] : shared.files)
    CAPF_TRY(write_file_atomically(path, text, FileMode::kPublic));
  CAPF_TRY(write_issuer_config(config.data_dir, shared.config));
  return Applied::kWritten;
}

Result<Applied> apply_shared_state(const Config& config, ClusterState& cluster) {
  CAPF_ASSIGN_OR_RETURN(auto identity, cluster.find_setting(std::string(kIdentitySetting)));
  if (!identity)
    return Applied::kNothingShared;
  CAPF_ASSIGN_OR_RETURN(Applied applied, apply_identity_value(config, identity->value));
  CAPF_ASSIGN_OR_RETURN(auto issuer, cluster.find_setting(std::string(kIssuerSetting)));
  if (issuer) {
    CAPF_ASSIGN_OR_RETURN(Applied written, apply_issuer_value(config, issuer->value));
    if (written == Applied::kWritten)
      applied = written;
  }
  return applied;
}

void ClusterSync::report(const Status& status) {
  if (status) {
    problem_.clear();
  } else if (status.error().message != problem_) {
    problem_ = status.error().message;
    spdlog::error("cluster: {}", problem_);
  }
}

void ClusterSync::tick() {
  if (!is_clustered(config_))
    return;
  if (!published_) {
    Status published = publish_local_state(config_, cluster_, trust_);
    report(published);
    if (!published)
      return;
    published_ = true;
  }
  auto settings = cluster_.list_settings();
  if (!settings) {
    report(settings.error());
    return;
  }
  Status status = ok();
  for (const ClusterSetting& s : *settings) {
    const bool identity = s.name == kIdentitySetting;
    std::int64_t& applied_version = identity ? identity_version_ : issuer_version_;
    if ((!identity && s.name != kIssuerSetting) || s.version <= applied_version)
      continue;
    auto applied =
        identity ? apply_identity_value(config_, s.value) : apply_issuer_value(config_, s.value);
    if (!applied) {
      status = applied.error();
      continue;
    }
    applied_version = s.version;
    if (*applied == Applied::kWritten) {
      spdlog::info("cluster: {} version {} from the database written to this node's {}", s.name,
                   s.version, identity ? "identity files" : "opencapf.toml");
    }
  }
  report(status);
}

}  // namespace capf
