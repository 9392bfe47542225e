#include "capf/issuer/offline/offline_ca_issuer.h"

#include <algorithm>

#include <fmt/format.h>

namespace capf {

std::string OfflineCaIssuer::describe() const {
  if (ca_chain_.empty())
    return "offline";
  return fmt::format("offline ({})", ca_chain_.front().subject());
}

bool OfflineCaIssuer::supports(const KeySpec& key) const {
  if (!key_types_.empty()) {
    return std::find(key_types_.begin(), key_types_.end(), key) != key_types_.end();
  }
  if (key.type == KeyType::kRsa)
    return key.bits >= 1024 && key.bits <= 4096;
  return is_valid_ec_bits(key.bits);
}

Result<IssueOutcome> OfflineCaIssuer::issue(const IssueRequest& request) {
  return IssueOutcome(PendingIssue{
      "", fmt::format("the request for {} waits for the offline CA: export it with `opencapf "
                      "offline export`, have it signed, then `opencapf offline import`",
                      request.device_name)});
}

}  // namespace capf
