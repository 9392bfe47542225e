// Cluster sync: the state every node of a cluster must share, kept in the registry's versioned
// cluster settings (ClusterState) rather than in one node's files (docs/cluster.md, "What the
// nodes share"). The files in each data directory stay that node's working copy, read and
// reloaded as before; the database is the source of truth when the registry is PostgreSQL:
//   - "capf.identity": the CAPF certificate, its chain, the previous certificates, and the CAPF
//     key only as encrypted PKCS#8 (AES-256-CBC, PBKDF2) under the cluster passphrase, or the
//     PKCS#11 URI when the key lives in a token;
//   - "issuer": the [issuer] sections, secrets by reference only (a file or variable name), with
//     the text of the CA chain files they name.
// A change on one node (`ca regenerate|import`, `issuer set`, PUT /api/v1/issuer) publishes; every
// running node polls the versions and writes its files from a newer one, which its reload picks
// up at the next phone session. A SQLite registry has one node: nothing is published there.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/config/config.h"
#include "capf/issuer/capf_identity.h"
#include "capf/pki/certificate.h"
#include "capf/store/cluster_state.h"
#include "capf/trust/trust_stores.h"

namespace capf {

inline constexpr std::string_view kIdentitySetting = "capf.identity";
inline constexpr std::string_view kIssuerSetting = "issuer";
inline constexpr std::string_view kClusterPassphraseEnv = "OPENCAPF_CLUSTER_PASSPHRASE";

// The CAPF identity as the database holds it, decoded.
struct SharedIdentity {
  pki::Certificate certificate;
  std::vector<pki::Certificate> chain;     // issuers above it, nearest first
  std::vector<pki::Certificate> previous;  // earlier certificates still trusted (overlap)
  std::optional<pki::PrivateKey> key;      // decrypted; nullopt when key_uri is set
  std::string key_uri;                     // pkcs11: URI of a key in a token
};

// True when the registry is shared (PostgreSQL): only then is state published and applied.
bool is_clustered(const Config& config);

// The cluster passphrase: OPENCAPF_CLUSTER_PASSPHRASE, else the first line of [cluster]
// passphrase_file (relative to the data directory). kNotFound naming both when neither has one.
Result<std::string> cluster_passphrase(const Config& config);

// The "capf.identity" value (JSON). The key is encrypted with `passphrase`; with a non-empty
// `key_uri` only the URI is kept.
Result<std::string> encode_identity(const CapfIdentity& identity,
                                    const std::vector<pki::Certificate>& previous,
                                    const std::string& key_uri, std::string_view passphrase);
// Decodes and checks a "capf.identity" value: kInvalidArgument for a corrupt value or a key that
// is not the certificate's, kPermissionDenied when `passphrase` does not decrypt the key; each a
// line naming the fix.
Result<SharedIdentity> decode_identity(std::string_view value, std::string_view passphrase);

// decode_identity with this node's cluster passphrase; when it has none, the missing passphrase's
// error unless the key is in a token (which needs none).
Result<SharedIdentity> decode_identity_for(const Config& config, std::string_view value);

// The "issuer" value (JSON): the [issuer] sections' text and the text of the CA chain files they
// name (certificates, public). Reads those files.
Result<std::string> encode_issuer(const Config& config);
// The [issuer] settings of an "issuer" value for the node configured by `local`: a chain file
// names the node's own file when that holds the same text, else a copy to write into the data
// directory (issuer-online-chain.pem, issuer-offline-chain.pem), listed in `files`.
struct SharedIssuer {
  IssuerConfig config;
  std::vector<std::pair<std::filesystem::path, std::string>> files;
};
Result<SharedIssuer> decode_issuer(std::string_view value, const Config& local);

// Writes `value` over whatever version of `name` is stored (compare-and-set, retried when another
// node wrote in between); returns the new version.
Result<std::int64_t> put_latest(ClusterState& cluster, std::string_view name,
                                const std::string& value);

// The "capf.identity" value of `next` for a clustered registry (nullopt otherwise), with the
// previous certificates of `trust` and `previous` when it is not `next`'s. Made before a change
// writes anything, so that a missing passphrase refuses the change.
Result<std::optional<std::string>> shared_identity_value(const Config& config,
                                                         const CapfIdentity& next,
                                                         const pki::Certificate& previous,
                                                         TrustStores& trust);
// Publishes the [issuer] settings of the data directory's configuration (clustered only).
Status publish_issuer(const Config& config, ClusterState& cluster);
// A node whose registry has no "capf.identity" yet publishes its identity and issuer (the first
// node, `init` or `serve` on a registry `store migrate` moved). Nothing when not clustered or
// when the database already holds them.
Status publish_local_state(const Config& config, ClusterState& cluster, TrustStores& trust);

// What applying a shared setting did to this node's files.
enum class Applied { kNothingShared, kUnchanged, kWritten };
// Writes the local identity files from a "capf.identity" value when its certificate is not the
// local one (the key as this node stores it: its [capf] passphrase, or its token). Checks the
// value in full first: nothing is written for a bad one.
Result<Applied> apply_identity_value(const Config& config, std::string_view value);
// Writes the [issuer] settings (and chain files) from an "issuer" value when they differ.
Result<Applied> apply_issuer_value(const Config& config, std::string_view value);
// Both, from the database (`init` joining a cluster). kNothingShared when it holds no identity.
Result<Applied> apply_shared_state(const Config& config, ClusterState& cluster);

// The running server's side: tick() once a second publishes the local state the first time (when
// the database has none) and applies every newer version of a shared setting. Logs what it
// changes, and each new problem once.
class ClusterSync {
 public:
  ClusterSync(Config config, ClusterState& cluster, TrustStores& trust)
      : config_(std::move(config)), cluster_(cluster), trust_(trust) {}
  void tick();

 private:
  void report(const Status& status);

  Config config_;
  ClusterState& cluster_;
  TrustStores& trust_;
  bool published_ = false;
  std::int64_t identity_version_ = 0;
  std::int64_t issuer_version_ = 0;
  std::string problem_;
};

}  // namespace capf
