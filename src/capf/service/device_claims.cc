#include "capf/service/device_claims.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace capf {

namespace {

// The "interrupted" event for a claim whose session never finished; logged when it cannot be
// written (the claim itself is gone either way).
void record_interrupted(Registry& registry, const Clock& clock, const DeviceClaim& old,
                        const std::string& by) {
  std::string detail = fmt::format("interrupted: {} did not finish", describe_holder(old));
  Status s =
      registry.append_event(DeviceEvent{old.device_name, clock.now(), by, kClaimEvent, detail});
  spdlog::warn("device {}: {}", old.device_name, detail);
  if (!s)
    spdlog::error("device {}: cannot record '{}': {}", old.device_name, detail, s.error().message);
}

}  // namespace

std::string describe_holder(const DeviceClaim& claim) {
  return fmt::format("session {} on node {}", claim.session, claim.node);
}

Result<ClaimResult> DeviceClaims::claim(const DeviceName& device, const std::string& session) {
  const TimePoint now = clock_.now();
  DeviceClaim wanted{device.str(), node_, session, now, now + lease_};
  ClaimResult result;
  // The claim and its history line: one unsynced commit.
  CAPF_TRY(registry_.transact_unsynced([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(result, registry_.claim_device(wanted));
    if (!result.other)
      return ok();
    const DeviceClaim& other = *result.other;
    if (result.granted) {
      record_interrupted(registry_, clock_, other, session);
      return ok();
    }
    std::string detail = fmt::format("busy: held by {}", describe_holder(other));
    Status s = registry_.append_event(DeviceEvent{device.str(), now, session, kClaimEvent, detail});
    if (!s)
      spdlog::error("device {}: cannot record '{}': {}", device.str(), detail, s.error().message);
    return ok();
  }));
  return result;
}

Result<bool> DeviceClaims::renew(const std::string& device, const std::string& session) {
  return registry_.renew_claim(device, node_, session, clock_.now() + lease_);
}

void DeviceClaims::release(const DeviceName& device, const std::string& session) {
  Status s = registry_.transact_unsynced(
      [&] { return registry_.release_claim(device.str(), node_, session); });
  if (!s) {
    spdlog::error(
        "session {} device {}: cannot release the claim (tried again once the database "
        "answers): {}",
        session, device.str(), s.error().message);
    std::lock_guard lock(unreleased_mu_);
    std::pair<std::string, std::string> entry{device.str(), session};
    if (std::find(unreleased_.begin(), unreleased_.end(), entry) == unreleased_.end())
      unreleased_.push_back(std::move(entry));
  }
}

std::size_t DeviceClaims::retry_releases() {
  std::vector<std::pair<std::string, std::string>> waiting;
  {
    std::lock_guard lock(unreleased_mu_);
    if (unreleased_.empty())
      return 0;
    waiting.swap(unreleased_);
  }
  std::vector<std::pair<std::string, std::string>> still;
  for (auto& entry : waiting) {
    const auto& [device, session] = entry;
    Status s = registry_.transact_unsynced(
        [&] { return registry_.release_claim(entry.first, node_, entry.second); });
    if (s)
      spdlog::info("session {} device {}: the claim is released now", session, device);
    else
      still.push_back(std::move(entry));
  }
  std::lock_guard lock(unreleased_mu_);
  unreleased_.insert(unreleased_.end(), still.begin(), still.end());
  return unreleased_.size();
}

Result<std::size_t> release_claims_left_behind(Registry& registry, const Clock& clock,
                                               const std::string& node) {
  CAPF_ASSIGN_OR_RETURN(std::vector<DeviceClaim> left, registry.release_node_claims(node));
  for (const DeviceClaim& claim : left)
    record_interrupted(registry, clock, claim, claim.session);
  return left.size();
}

}  // namespace capf
