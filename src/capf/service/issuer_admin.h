// IssuerAdmin: where LSCs come from, for administrators — show the issuer in use, and switch mode
// or CA after checking every prerequisite (`opencapf issuer show|set`, and the API later). The
// running server notices the new [issuer] configuration and uses it from the next phone session.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "capf/config/config.h"
#include "capf/service/issuer_factory.h"
#include "capf/store/device_store.h"

namespace capf {

struct IssuerStatus {
  IssuerConfig config;
  std::string description;  // what the issuer says of itself, e.g. "online cfssl http://..."
  std::vector<std::string> problems;  // prerequisites it lacks right now (empty: ready)
  std::int64_t waiting = 0;           // requests the CA has not answered (all modes)
  std::int64_t ready = 0;             // signed, waiting for the phone's next contact
};

class IssuerAdmin {
 public:
  // A switch of mode is written to `audit` naming the actor.
  IssuerAdmin(std::filesystem::path data_dir, RequestQueue& requests, AuditLog& audit,
              IssuerFactory& factory)
      : data_dir_(std::move(data_dir)), requests_(requests), audit_(audit), factory_(factory) {}

  // The configured issuer, checked (online CAs are contacted). Blocks.
  Result<IssuerStatus> show();
  // Checks `config` and, when nothing is missing, writes it to opencapf.toml. Otherwise refuses
  // with kInvalidArgument listing every missing piece and the command that adds it; nothing is
  // written then. Requests pending in another mode stay in the queue. Blocks.
  Result<IssuerStatus> set(const IssuerConfig& config, const std::string& actor);

 private:
  std::filesystem::path data_dir_;
  RequestQueue& requests_;
  AuditLog& audit_;
  IssuerFactory& factory_;
};

}  // namespace capf
