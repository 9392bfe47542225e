#include "capf/service/cluster_status.h"

#include "capf/store/migrations.h"

namespace capf {

Result<ClusterReport> ClusterStatus::report() const {
  ClusterReport r;
  r.now = clock_.now();
  r.registry = description_;
  // Opening the registry migrated it to this version, and a newer one is refused: the database
  // is at the version this opencapf knows.
  r.schema_version = latest_schema_version();
  CAPF_ASSIGN_OR_RETURN(r.nodes, registry_.list_nodes(r.now - kClusterNodeWindow));
  CAPF_ASSIGN_OR_RETURN(std::vector<DeviceClaim> claims, registry_.list_claims());
  std::erase_if(claims, [&](const DeviceClaim& c) { return c.expires <= r.now; });
  r.claims = std::move(claims);
  return r;
}

nlohmann::json cluster_status_json(const ClusterReport& report) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const NodeHeartbeat& n : report.nodes) {
    nodes.push_back({{"node", n.node},
                     {"version", n.version},
                     {"listen", n.listen},
                     {"sessions", n.sessions},
                     {"started", format_utc(n.started)},
                     {"seen", format_utc(n.seen)},
                     {"age_seconds", to_unix(report.now) - to_unix(n.seen)}});
  }
  nlohmann::json claims = nlohmann::json::array();
  for (const DeviceClaim& c : report.claims) {
    claims.push_back({{"device", c.device_name},
                      {"node", c.node},
                      {"session", c.session},
                      {"claimed", format_utc(c.claimed)},
                      {"expires", format_utc(c.expires)}});
  }
  return {
      {"now", format_utc(report.now)},
      {"schema_version", report.schema_version},
      {"registry", {{"engine", report.registry.engine}, {"location", report.registry.location}}},
      {"nodes", std::move(nodes)},
      {"claims", std::move(claims)}};
}

}  // namespace capf
