// /api/v1/tokens (admin) and /api/v1/audit, and /metrics.
#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/service/token_expiry.h"

namespace capf::api {
namespace {

using nlohmann::json;

ApiResponse list_tokens(ApiServices& s, const RouteRequest&) {
  return respond_items(s.access.list_tokens());
}

ApiResponse create_token(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(
      json body,
      parse_body(req.http, R"({"role": "viewer", "name": "dashboard", "expires": "90d"})"));
  if (!body.contains("role") || !body["role"].is_string())
    return field_problem("role", "give the role: admin, operator or viewer");
  auto role = parse_admin_role(body["role"].get<std::string>());
  if (!role)
    return field_problem("role", role.error().message);
  std::string name(to_string(*role));
  if (body.contains("name")) {
    if (!body["name"].is_string())
      return field_problem("name", "must be a string");
    name = body["name"].get<std::string>();
  }
  std::optional<TimePoint> expires;
  if (body.contains("expires") && !body["expires"].is_null()) {
    if (!body["expires"].is_string())
      return field_problem("expires", fmt::format("must be a string: {}", kTokenExpiryForms));
    auto parsed = parse_token_expiry(body["expires"].get<std::string>(), s.clock.now());
    if (!parsed)
      return field_problem("expires", parsed.error().message);
    expires = *parsed;
  }
  for (const auto& [key, _] : body.items()) {
    if (key != "role" && key != "name" && key != "expires")
      return field_problem(key, "unknown field: use role, name and expires");
  }
  return respond(
      s.access.create_token(name, *role, req.actor(), expires),
      [](const auto& created) {
        json j = to_json(created.token);
        j["token"] = created.secret;  // shown once
        return j;
      },
      201);
}

ApiResponse revoke_token(ApiServices& s, const RouteRequest& req) {
  auto id = parse_whole_number(req.params.at("id"));
  if (!id || *id <= 0)
    return field_problem("id", "a token id is a positive number: see GET /api/v1/tokens");
  return respond(s.access.revoke_token(*id, req.actor()));
}

ApiResponse list_audit(ApiServices& s, const RouteRequest& req) {
  if (auto unknown = only_parameters(req.http, {"limit", "before", "target", "actor"}, "filter"))
    return *unknown;
  AuditFilter f;
  CAPF_API_ASSIGN(f.limit, page_limit(req.http));
  CAPF_API_ASSIGN(const auto before,
                  query_int(req.http, "before", 1, INT64_MAX,
                            "an entry id: give the id of the last entry of the previous page"));
  if (before)
    f.before_id = *before;
  if (auto target = req.http.query.find("target"); target != req.http.query.end())
    f.target = target->second;
  if (auto actor = req.http.query.find("actor"); actor != req.http.query.end())
    f.actor = actor->second;
  CAPF_API_ASSIGN(const auto entries, s.access.audit_log(f));
  json body = items_json(entries);
  body["next"] =
      entries.size() == f.limit && !entries.empty() ? json(entries.back().id) : json(nullptr);
  return json_response(body);
}

ApiResponse metrics(ApiServices& s, Router& router, const RouteRequest&) {
  std::string out;
  out += "# HELP opencapf_devices Devices in the registry by status.\n";
  out += "# TYPE opencapf_devices gauge\n";
  for (StatusKind kind : kAllStatusKinds) {
    DeviceFilter f;
    f.status_kind = kind;
    CAPF_API_ASSIGN(const std::int64_t n, s.admin.count_devices(f));
    out += fmt::format("opencapf_devices{{status=\"{}\"}} {}\n",
                       name_of(kStatusKindSpellings, kind), n);
  }
  out += "# HELP opencapf_api_responses_total Admin API responses by HTTP status.\n";
  out += "# TYPE opencapf_api_responses_total counter\n";
  for (const auto& [status, n] : router.responses_by_status()) {
    out += fmt::format("opencapf_api_responses_total{{code=\"{}\"}} {}\n", status, n);
  }
  if (s.server_metrics) {
    out += s.server_metrics();
  }
  ApiResponse r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(out);
  return r;
}

}  // namespace

void add_access_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/tokens", Permission::kAdminister, s, list_tokens);
  router.add("POST", "/api/v1/tokens", Permission::kAdminister, s, create_token);
  router.add("DELETE", "/api/v1/tokens/{id}", Permission::kAdminister, s, revoke_token);
  router.add("GET", "/api/v1/audit", Permission::kRead, s, list_audit);
}

void add_metrics_route(Router& router, ApiServices& s) {
  router.add("GET", "/metrics", Permission::kRead,
             [&s, &router](const RouteRequest& r) { return metrics(s, router, r); });
}

void add_all_routes(Router& router, ApiServices& s) {
  add_bulk_routes(router, s);  // before /api/v1/devices/{name}: the first matching route wins
  add_device_routes(router, s);
  add_ledger_routes(router, s);
  add_issuer_routes(router, s);
  add_identity_routes(router, s);
  add_access_routes(router, s);
  add_metrics_route(router, s);
  add_offline_routes(router, s);
  add_cluster_routes(router, s);
  add_console_routes(router);
}

}  // namespace capf::api
