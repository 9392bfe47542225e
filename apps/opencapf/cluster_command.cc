// `opencapf cluster status`: the nodes that sent a heartbeat in the last minute, the registry
// (engine, location, schema version) and the device claims held now (docs/cluster.md). The same
// report as GET /api/v1/cluster; --json prints the API's body.
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/daemon/cluster_wiring.h"

namespace capf::cli {
namespace {

void print_report(const ClusterReport& r) {
  std::printf("%-16s %s %s\n", "registry:", r.registry.engine.c_str(), r.registry.location.c_str());
  std::printf("%-16s %d\n", "schema version:", r.schema_version);
  std::printf("%-16s %s\n", "now:", format_utc(r.now).c_str());
  std::printf("\nnodes seen in the last %lld s: %zu\n",
              static_cast<long long>(kClusterNodeWindow.count()), r.nodes.size());
  if (!r.nodes.empty()) {
    const Table nodes({16, 8, 22, 9, 21, 21});
    nodes.print({"NODE", "VERSION", "LISTEN", "SESSIONS", "STARTED", "LAST SEEN", "AGE"});
    for (const NodeHeartbeat& n : r.nodes) {
      nodes.print({n.node, n.version, n.listen, std::to_string(n.sessions), format_utc(n.started),
                   format_utc(n.seen), fmt::format("{} s", to_unix(r.now) - to_unix(n.seen))});
    }
  }
  std::printf("\ndevice claims held now: %zu\n", r.claims.size());
  if (!r.claims.empty()) {
    const Table claims({16, 16, 34, 21});
    claims.print({"DEVICE", "NODE", "SESSION", "CLAIMED", "EXPIRES"});
    for (const DeviceClaim& c : r.claims)
      claims.print(
          {c.device_name, c.node, c.session, format_utc(c.claimed), format_utc(c.expires)});
  }
}

void add_status(CLI::App& cluster, CommandContext& ctx) {
  auto c = add_command(cluster, "status",
                       "the nodes seen in the last minute, the registry and the device claims");
  c.add_json("print the report as JSON (the body of GET /api/v1/cluster)");
  c.with_environment(ctx, [](Environment& env, const DataOptions& o) -> Status {
    ClusterStatus status(env.registry(), env.clock(), registry_description(env.config()));
    CAPF_ASSIGN_OR_RETURN(ClusterReport report, status.report());
    if (o.json)
      return print_json(cluster_status_json(report));
    print_report(report);
    return ok();
  });
}

}  // namespace

void add_cluster_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "cluster", "the nodes sharing this registry", {add_status});
}

}  // namespace capf::cli
