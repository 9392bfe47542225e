// ClusterState: what several opencapf nodes sharing one registry tell each other through it
// (docs/cluster.md): which session holds a device (a claim with an expiry, so that a node that
// died does not hold it for ever), which nodes are alive (heartbeats), and the settings every node
// must share (the CAPF identity, the issuer), each with a version that a change bumps. SQLite
// implements it too: one node is a cluster of one. Part of Registry (device_store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"

namespace capf {

// One session's hold on a device. A claim is the holder's until `expires`; after that any session
// may take it over.
struct DeviceClaim {
  std::string device_name;
  std::string node;     // [cluster] node_name of the node running the session
  std::string session;  // the session's id on that node (SessionInfo::id_hex())
  TimePoint claimed{};
  TimePoint expires{};
};

struct ClaimResult {
  bool granted = false;
  // Refused: the claim that holds the device. Granted over a claim that had expired (its node
  // died or lost the database mid-session): that claim, so the device history can show the
  // session it interrupted.
  std::optional<DeviceClaim> other;
};

// What a node says of itself at every heartbeat.
struct NodeHeartbeat {
  std::string node;
  std::string version;        // opencapf's version
  std::string listen;         // the phone port(s), "0.0.0.0:3804"
  std::int64_t sessions = 0;  // phone sessions open now
  TimePoint started{};        // when this run of the node started
  TimePoint seen{};           // this heartbeat
};

// A setting every node shares; `version` starts at 1 and grows by one with every change.
struct ClusterSetting {
  std::string name;
  std::string value;
  std::int64_t version = 0;
  TimePoint updated{};
};

class ClusterState {
 public:
  virtual ~ClusterState() = default;

  // Claims claim.device_name for claim.node/claim.session until claim.expires. Granted when the
  // device is not claimed, when its claim expired before claim.claimed (`other` is that claim),
  // or when it is already this session's (the expiry moves); refused otherwise (`other` is the
  // holder). One atomic step: two sessions on two nodes never both hold a device.
  virtual Result<ClaimResult> claim_device(const DeviceClaim& claim) = 0;
  // Moves the expiry of the claim node/session holds on `device_name` to `expires`: false when it
  // holds none (released, or it lapsed and another session took the device). Inside a
  // transaction the claim stays the session's until the commit (SQLite's write lock, PostgreSQL's
  // row lock), so writes made with it happen only while the session holds the device.
  virtual Result<bool> renew_claim(const std::string& device_name, const std::string& node,
                                   const std::string& session, TimePoint expires) = 0;
  // Ends the claim if it is still this node's session's; nothing otherwise (it lapsed and another
  // session took the device).
  virtual Status release_claim(const std::string& device_name, const std::string& node,
                               const std::string& session) = 0;
  // Moves the expiry of every claim `node` holds to `expires` (a live node's heartbeat); returns
  // how many it holds.
  virtual Result<std::int64_t> extend_node_claims(const std::string& node, TimePoint expires) = 0;
  // Removes and returns every claim of `node`: a node starting again ends what its previous run
  // left behind, so the device history can show those sessions as interrupted.
  virtual Result<std::vector<DeviceClaim>> release_node_claims(const std::string& node) = 0;
  // Every claim, by device name.
  virtual Result<std::vector<DeviceClaim>> list_claims() = 0;

  // Records (or replaces) the node's row.
  virtual Status heartbeat(const NodeHeartbeat& node) = 0;
  // Nodes whose last heartbeat is at or after `seen_since`, by name.
  virtual Result<std::vector<NodeHeartbeat>> list_nodes(TimePoint seen_since) = 0;

  // nullopt when the setting was never written.
  virtual Result<std::optional<ClusterSetting>> find_setting(const std::string& name) = 0;
  // Writes `value` when the stored version is `expected_version` (0: the setting must not exist
  // yet) and returns the new version; kConflict when another node changed it first (read it
  // again and decide).
  virtual Result<std::int64_t> put_setting(const std::string& name, const std::string& value,
                                           std::int64_t expected_version) = 0;
  // Every setting, by name.
  virtual Result<std::vector<ClusterSetting>> list_settings() = 0;
};

}  // namespace capf
