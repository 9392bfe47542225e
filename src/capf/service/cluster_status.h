// ClusterStatus: what `opencapf cluster status`, GET /api/v1/cluster and the console's Cluster page
// show (docs/cluster.md): the nodes that sent a heartbeat in the last minute, the registry's
// engine, location and schema version, and the device claims held now. Built here once; the CLI
// prints it as text or cluster_status_json(), the API returns cluster_status_json().
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"

namespace capf {

// Where the registry is: engine "sqlite" (location: the file's path) or "postgresql" (location:
// the URL, which never holds a password: such a URL is refused before anything connects).
struct RegistryDescription {
  std::string engine;
  std::string location;
};

struct ClusterReport {
  TimePoint now{};
  std::vector<NodeHeartbeat> nodes;  // seen within kClusterNodeWindow of `now`, by name
  RegistryDescription registry;
  int schema_version = 0;
  std::vector<DeviceClaim> claims;  // not expired at `now`, by device name
};

// A node whose last heartbeat is older than this is not listed (it stopped or lost the database).
inline constexpr std::chrono::seconds kClusterNodeWindow{60};

class ClusterStatus {
 public:
  ClusterStatus(Registry& registry, const Clock& clock, RegistryDescription description)
      : registry_(registry), clock_(clock), description_(std::move(description)) {}

  Result<ClusterReport> report() const;

 private:
  Registry& registry_;
  const Clock& clock_;
  RegistryDescription description_;
};

// {"now", "schema_version", "registry": {"engine", "location"}, "nodes": [{"node", "version",
// "listen", "sessions", "started", "seen", "age_seconds"}], "claims": [{"device", "node",
// "session", "claimed", "expires"}]}; times as "2026-11-25T15:10:00Z".
nlohmann::json cluster_status_json(const ClusterReport& report);

}  // namespace capf
