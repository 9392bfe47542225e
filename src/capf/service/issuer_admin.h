// IssuerAdmin: where LSCs come from, for administrators — show the issuer in use, and switch mode
// or CA after checking every prerequisite (`opencapf issuer show|set`, GET and PUT
// /api/v1/issuer). The running server notices the new [issuer] configuration in opencapf.toml and
// uses it from the next phone session.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "capf/config/config.h"
#include "capf/service/issuer_factory.h"
#include "capf/store/cluster_state.h"
#include "capf/store/device_store.h"

namespace capf {

struct IssuerStatus {
  IssuerConfig config;
  std::string description;  // what the issuer says of itself, e.g. "online cfssl http://..."
  std::vector<std::string> problems;  // prerequisites it lacks right now (empty: ready)
  std::int64_t waiting = 0;           // requests the CA has not answered (all modes)
  std::int64_t ready = 0;             // signed, waiting for the phone's next contact
};

// A change of the [issuer] settings as an administrator asks for it (`opencapf issuer set`'s
// options, PUT /api/v1/issuer's members): `mode` is required; a setting left empty (or unset)
// keeps the one in use. Secrets are named by reference only (a file or environment variable).
struct IssuerChange {
  std::string mode;  // capf | online | offline
  std::string protocol, url, ca_chain, username, password_file, password_env, auth, template_name,
      profile, acme_email, acme_suffix;
  std::vector<std::string> key_types;
  std::optional<int> timeout, retries, poll;
};

// `config` with `change` applied: ca_chain and key_types go to the online or offline settings by
// the new mode; a password file replaces a password variable and the other way round; a file named
// by a relative path is taken relative to `relative_to` and kept absolute. kInvalidArgument for an
// unknown mode or protocol (`config` is then partly changed: apply to a copy).
Status apply_issuer_change(const IssuerChange& change, const std::filesystem::path& relative_to,
                           IssuerConfig& config);

class IssuerAdmin {
 public:
  // A switch of mode is written to `audit` naming the actor and, when the registry is shared
  // (PostgreSQL), published to `cluster` for the other nodes (cluster_sync.h).
  IssuerAdmin(std::filesystem::path data_dir, RequestQueue& requests, AuditLog& audit,
              IssuerFactory& factory, ClusterState* cluster = nullptr)
      : data_dir_(std::move(data_dir)),
        requests_(requests),
        audit_(audit),
        factory_(factory),
        cluster_(cluster) {}

  // The configured issuer, checked (online CAs are contacted). Blocks.
  Result<IssuerStatus> show();
  // Checks `config` and, when nothing is missing, writes it to opencapf.toml. Otherwise refuses
  // with kInvalidArgument listing every missing piece and the command that adds it; nothing is
  // written then. Requests pending in another mode stay in the queue. Blocks.
  Result<IssuerStatus> set(const IssuerConfig& config, const std::string& actor);
  // set() with `change` applied to the [issuer] settings in opencapf.toml now; relative file
  // names are taken relative to `relative_to` (empty: the data directory).
  Result<IssuerStatus> change(const IssuerChange& change, const std::string& actor,
                              const std::filesystem::path& relative_to = {});

 private:
  std::filesystem::path data_dir_;
  RequestQueue& requests_;
  AuditLog& audit_;
  IssuerFactory& factory_;
  ClusterState* cluster_;
};

}  // namespace capf
