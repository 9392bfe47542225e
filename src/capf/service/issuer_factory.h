// IssuerFactory: builds the issuer an [issuer] configuration describes, and checks what it needs
// before an administrator switches to it. The implementation lives in daemon/, the only place that
// names concrete issuers; services see this interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/config/config.h"
#include "capf/issuer/issuer.h"

namespace capf {

class IssuerFactory {
 public:
  virtual ~IssuerFactory() = default;
  // The issuer for `config` (reads its files, resolves its secrets). kInvalidArgument naming the
  // file or setting that is wrong. Blocks (file reads; an ACME account key may be created).
  virtual Result<std::shared_ptr<Issuer>> build(const IssuerConfig& config) = 0;
  // Every prerequisite `config` lacks, each as one sentence with the command that fixes it:
  // the CA chain file, the CA root in capf-trust and callmanager-trust, the online CA's HTTPS
  // certificate (or its issuer) in capf-trust, its host name resolving and matching, its
  // credentials. Empty when the configuration is ready. Blocks (network, for online CAs).
  virtual std::vector<std::string> check(const IssuerConfig& config) = 0;
};

}  // namespace capf
