// GET /api/v1/cluster: the nodes seen in the last minute, the registry and the device claims held
// now, the report `opencapf cluster status --json` prints (ClusterStatus, cluster_status_json).
#include "capf/api/admin_api.h"
#include "capf/api/respond.h"

namespace capf::api {
namespace {

ApiResponse get_cluster(ApiServices& s, const RouteRequest&) {
  return respond(s.cluster.report(), cluster_status_json);
}

}  // namespace

void add_cluster_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/cluster", Permission::kRead, s, get_cluster);
}

}  // namespace capf::api
