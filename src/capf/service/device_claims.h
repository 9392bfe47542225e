// DeviceClaims: one phone session per device across every node sharing the registry
// (docs/cluster.md, "Claims and failover"). The enrollment service claims a device once the phone
// authenticated, claims it again at a later phone message that comes half a lease or more after
// the session last claimed it (which moves the expiry, as the node's heartbeat does for every claim
// it holds), renews it inside the transaction that records a certificate
// (nothing is recorded or sent once another session took the device), and releases it however the
// session ends. A claim that expired (its node died or lost the database) is taken over, and the
// device history shows the session it interrupted.
//
// Claims and releases commit unsynced (Registry::transact_unsynced: a claim only moves an expiry,
// and a lost one is caught by that renewal); called inside a transaction, they join it.
//
// A release the database refused (it was unreachable) is kept and tried again by retry_releases
// until it succeeds: the node's heartbeat extends every claim the node holds, so a claim that an
// ended session left behind would otherwise hold the device for as long as the node lives. A
// claim whose commit failed is released the same way (it may have landed before the connection
// broke).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/store/device_store.h"

namespace capf {

// The device event kind of every claim event ("busy: ...", "interrupted: ...").
inline constexpr const char* kClaimEvent = "claim";

class DeviceClaims {
 public:
  DeviceClaims(Registry& registry, const Clock& clock, std::string node, std::chrono::seconds lease)
      : registry_(registry), clock_(clock), node_(std::move(node)), lease_(lease) {}

  // Claims `device` for `session` until now + lease. Refused: a "busy" event names the holder.
  // Granted over an expired claim: an "interrupted" event names that claim's session.
  Result<ClaimResult> claim(const DeviceName& device, const std::string& session);
  // Moves the expiry of this session's claim to now + lease: false when the session no longer
  // holds the device. Inside a transaction, the claim stays the session's until its commit.
  Result<bool> renew(const std::string& device, const std::string& session);
  // Ends the claim if it is still this session's. A failure is logged and kept for
  // retry_releases, never fatal.
  void release(const DeviceName& device, const std::string& session);
  // Whether a claim made at `claimed` (this node's clock, read before claiming) surely still
  // holds: less than half a lease ago, so it cannot have lapsed while the nodes' clocks agree to
  // better than half a lease. A session need not claim again until then.
  bool surely_held(TimePoint claimed) const { return clock_.now() - claimed < lease_ / 2; }
  // Tries again every release that failed (the daemon's maintenance thread calls it every
  // second); returns how many still wait for the database.
  std::size_t retry_releases();

  const std::string& node() const { return node_; }

 private:
  Registry& registry_;
  const Clock& clock_;
  std::string node_;
  std::chrono::seconds lease_;
  std::mutex unreleased_mu_;
  std::vector<std::pair<std::string, std::string>> unreleased_;  // device, session
};

// "session X on node Y": how events and log lines name a claim's holder.
std::string describe_holder(const DeviceClaim& claim);

// At node start: ends every claim the node's previous run left behind (it stopped mid-session)
// and records each on its device as an interrupted session. Returns how many there were.
Result<std::size_t> release_claims_left_behind(Registry& registry, const Clock& clock,
                                               const std::string& node);

}  // namespace capf
