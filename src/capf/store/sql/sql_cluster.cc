// SqlRegistry's ClusterState: the device_claims, cluster_nodes and cluster_settings tables
// (schema version 7). Every change is one statement whose condition the database checks under its
// row lock (INSERT ... ON CONFLICT DO UPDATE ... WHERE, UPDATE ... WHERE version = ?), so two nodes
// never both win.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"

namespace capf {
namespace {

constexpr std::string_view kClaimColumns = "device_name, node, session_id, claimed, expires";
constexpr std::string_view kNodeColumns = "node, version, listen, sessions, started, seen";
constexpr std::string_view kSettingColumns = "name, value, version, updated";

Result<DeviceClaim> read_claim(const SqlStatement& q) {
  DeviceClaim c;
  read_columns(q, 0, c, &DeviceClaim::device_name, &DeviceClaim::node, &DeviceClaim::session,
               &DeviceClaim::claimed, &DeviceClaim::expires);
  return c;
}

Result<NodeHeartbeat> read_node(const SqlStatement& q) {
  NodeHeartbeat n;
  read_columns(q, 0, n, &NodeHeartbeat::node, &NodeHeartbeat::version, &NodeHeartbeat::listen,
               &NodeHeartbeat::sessions, &NodeHeartbeat::started, &NodeHeartbeat::seen);
  return n;
}

Result<ClusterSetting> read_setting(const SqlStatement& q) {
  ClusterSetting s;
  read_columns(q, 0, s, &ClusterSetting::name, &ClusterSetting::value, &ClusterSetting::version,
               &ClusterSetting::updated);
  return s;
}

}  // namespace

Result<ClaimResult> SqlRegistry::claim_device(const DeviceClaim& claim) {
  const std::string doing = fmt::format("claiming device {} for session {} on node {}",
                                        claim.device_name, claim.session, claim.node);
  ClaimResult result;
  CAPF_TRY(write(doing, [&]() -> Status {
    // What held the device before: reported when the claim is taken over after its expiry.
    CAPF_ASSIGN_OR_RETURN(
        std::optional<DeviceClaim> before,
        read_first<DeviceClaim>(
            query(fmt::format("SELECT {} FROM device_claims WHERE device_name = ?", kClaimColumns))
                ->bind(claim.device_name),
            doing, read_claim));
    auto upsert = query(fmt::format(
        "INSERT INTO device_claims ({}) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (device_name) DO UPDATE SET node = excluded.node, "
        "session_id = excluded.session_id, claimed = excluded.claimed, "
        "expires = excluded.expires "
        "WHERE device_claims.expires < excluded.claimed OR "
        "(device_claims.node = excluded.node AND device_claims.session_id = excluded.session_id) "
        "RETURNING node",
        kClaimColumns));
    bind_members(*upsert, claim, &DeviceClaim::device_name, &DeviceClaim::node,
                 &DeviceClaim::session, &DeviceClaim::claimed, &DeviceClaim::expires);
    CAPF_ASSIGN_OR_RETURN(bool won, upsert->step(doing));
    // Finish the statement before the next one on this connection.
    CAPF_ASSIGN_OR_RETURN(
        std::vector<std::string> rest,
        read_all<std::string>(*upsert, doing, [](const SqlStatement& r) { return r.text(0); }));
    (void)rest;
    result.granted = won;
    if (won) {
      const bool own = before && before->node == claim.node && before->session == claim.session;
      if (before && !own)
        result.other = before;
      return ok();
    }
    CAPF_ASSIGN_OR_RETURN(
        result.other,
        read_first<DeviceClaim>(
            query(fmt::format("SELECT {} FROM device_claims WHERE device_name = ?", kClaimColumns))
                ->bind(claim.device_name),
            doing, read_claim));
    return ok();
  }));
  return result;
}

Result<bool> SqlRegistry::renew_claim(const std::string& device_name, const std::string& node,
                                      const std::string& session, TimePoint expires) {
  const std::string doing = fmt::format("renewing the claim of session {} on node {} on device {}",
                                        session, node, device_name);
  std::int64_t held = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(held, query("UPDATE device_claims SET expires = ? "
                                      "WHERE device_name = ? AND node = ? AND session_id = ?")
                                    ->bind(expires)
                                    .bind(device_name)
                                    .bind(node)
                                    .bind(session)
                                    .run(doing));
    return ok();
  }));
  return held > 0;
}

Status SqlRegistry::release_claim(const std::string& device_name, const std::string& node,
                                  const std::string& session) {
  const std::string doing =
      fmt::format("releasing device {} from session {} on node {}", device_name, session, node);
  return write(doing, [&]() -> Status {
    CAPF_TRY(
        query("DELETE FROM device_claims WHERE device_name = ? AND node = ? AND session_id = ?")
            ->bind(device_name)
            .bind(node)
            .bind(session)
            .run(doing));
    return ok();
  });
}

Result<std::int64_t> SqlRegistry::extend_node_claims(const std::string& node, TimePoint expires) {
  const std::string doing = fmt::format("renewing the device claims of node {}", node);
  std::int64_t held = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(held, query("UPDATE device_claims SET expires = ? WHERE node = ?")
                                    ->bind(expires)
                                    .bind(node)
                                    .run(doing));
    return ok();
  }));
  return held;
}

Result<std::vector<DeviceClaim>> SqlRegistry::release_node_claims(const std::string& node) {
  const std::string doing = fmt::format("releasing the device claims of node {}", node);
  std::vector<DeviceClaim> released;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        released, read_all<DeviceClaim>(
                      query(fmt::format("DELETE FROM device_claims WHERE node = ? RETURNING {}",
                                        kClaimColumns))
                          ->bind(node),
                      doing, read_claim));
    return ok();
  }));
  std::sort(released.begin(), released.end(), [](const DeviceClaim& a, const DeviceClaim& b) {
    return a.device_name < b.device_name;
  });
  return released;
}

Result<std::vector<DeviceClaim>> SqlRegistry::list_claims() {
  std::lock_guard lock(mu_);
  return read_all<DeviceClaim>(
      *query(fmt::format("SELECT {} FROM device_claims ORDER BY device_name", kClaimColumns)),
      "reading the device claims", read_claim);
}

Status SqlRegistry::heartbeat(const NodeHeartbeat& node) {
  const std::string doing = fmt::format("recording the heartbeat of node {}", node.node);
  return write(doing, [&]() -> Status {
    auto q = query(fmt::format(
        "INSERT INTO cluster_nodes ({}) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (node) DO UPDATE SET version = excluded.version, listen = excluded.listen, "
        "sessions = excluded.sessions, started = excluded.started, seen = excluded.seen",
        kNodeColumns));
    bind_members(*q, node, &NodeHeartbeat::node, &NodeHeartbeat::version, &NodeHeartbeat::listen,
                 &NodeHeartbeat::sessions, &NodeHeartbeat::started, &NodeHeartbeat::seen);
    CAPF_TRY(q->run(doing));
    return ok();
  });
}

Result<std::vector<NodeHeartbeat>> SqlRegistry::list_nodes(TimePoint seen_since) {
  std::lock_guard lock(mu_);
  auto q = query(
      fmt::format("SELECT {} FROM cluster_nodes WHERE seen >= ? ORDER BY node", kNodeColumns));
  q->bind(seen_since);
  return read_all<NodeHeartbeat>(*q, "reading the cluster's nodes", read_node);
}

Result<std::optional<ClusterSetting>> SqlRegistry::find_setting(const std::string& name) {
  return find_row<ClusterSetting>("cluster_settings", kSettingColumns, "name", name,
                                  fmt::format("reading cluster setting {}", name), read_setting);
}

Result<std::int64_t> SqlRegistry::put_setting(const std::string& name, const std::string& value,
                                              std::int64_t expected_version) {
  const std::string doing = fmt::format("writing cluster setting {}", name);
  const std::int64_t next = expected_version + 1;
  CAPF_TRY(write(doing, [&]() -> Status {
    std::int64_t changed = 0;
    if (expected_version == 0) {
      auto insert = query(fmt::format(
          "INSERT INTO cluster_settings ({}) VALUES (?, ?, 1, ?) ON CONFLICT (name) DO NOTHING",
          kSettingColumns));
      CAPF_ASSIGN_OR_RETURN(changed, insert->bind(name).bind(value).bind(clock_.now()).run(doing));
    } else {
      auto update = query(
          "UPDATE cluster_settings SET value = ?, version = ?, updated = ? "
          "WHERE name = ? AND version = ?");
      CAPF_ASSIGN_OR_RETURN(changed, update->bind(value)
                                         .bind(next)
                                         .bind(clock_.now())
                                         .bind(name)
                                         .bind(expected_version)
                                         .run(doing));
    }
    if (changed == 0) {
      return make_error(ErrorCode::kConflict,
                        "cluster setting {} changed on another node meanwhile (expected version "
                        "{}): read it again",
                        name, expected_version);
    }
    return ok();
  }));
  return next;
}

Result<std::vector<ClusterSetting>> SqlRegistry::list_settings() {
  std::lock_guard lock(mu_);
  return read_all<ClusterSetting>(
      *query(fmt::format("SELECT {} FROM cluster_settings ORDER BY name", kSettingColumns)),
      "reading the cluster settings", read_setting);
}

}  // namespace capf
