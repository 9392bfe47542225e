// /api/v1/tokens (admin) and /api/v1/audit, and /metrics.
#include <charconv>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/problem.h"
#include "capf/service/token_expiry.h"
#include "capf/store/stored_values.h"

namespace capf::api {
namespace {

using nlohmann::json;

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return n;
}

ApiResponse list_tokens(ApiServices& s, const RouteRequest&) {
  auto tokens = s.access.list_tokens();
  if (!tokens)
    return problem(tokens.error());
  json items = json::array();
  for (const auto& t : *tokens)
    items.push_back(to_json(t));
  return json_response(json{{"items", items}});
}

ApiResponse create_token(ApiServices& s, const RouteRequest& req) {
  json body = json::parse(req.http.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return problem(400,
                   "the body must be a JSON object: {\"role\": \"viewer\", \"name\": "
                   "\"dashboard\", \"expires\": \"90d\"}");
  }
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
  auto created = s.access.create_token(name, *role, req.actor(), expires);
  if (!created)
    return problem(created.error());
  json j = to_json(created->token);
  j["token"] = created->secret;  // shown once
  return json_response(j, 201);
}

ApiResponse revoke_token(ApiServices& s, const RouteRequest& req) {
  auto id = parse_int(req.params.at("id"));
  if (!id || *id <= 0)
    return field_problem("id", "a token id is a positive number: see GET /api/v1/tokens");
  Status revoked = s.access.revoke_token(*id, req.actor());
  if (!revoked)
    return problem(revoked.error());
  return no_content();
}

ApiResponse list_audit(ApiServices& s, const RouteRequest& req) {
  AuditFilter f;
  f.limit = 100;
  for (const auto& [key, value] : req.http.query) {
    if (key == "limit") {
      auto n = parse_int(value);
      if (!n || *n < 1 || *n > 1000)
        return field_problem(key, fmt::format("'{}' is not a page size: give 1 to 1000", value));
      f.limit = static_cast<std::size_t>(*n);
    } else if (key == "before") {
      auto n = parse_int(value);
      if (!n || *n < 1)
        return field_problem(key, "give the id of the last entry of the previous page");
      f.before_id = *n;
    } else if (key == "target") {
      f.target = value;
    } else if (key == "actor") {
      f.actor = value;
    } else {
      return field_problem(key, "unknown filter: use limit, before, target or actor");
    }
  }
  auto entries = s.access.audit_log(f);
  if (!entries)
    return problem(entries.error());
  json items = json::array();
  for (const auto& e : *entries)
    items.push_back(to_json(e));
  json next =
      entries->size() == f.limit && !entries->empty() ? json(entries->back().id) : json(nullptr);
  return json_response(json{{"items", items}, {"next", next}});
}

ApiResponse metrics(ApiServices& s, Router& router, const RouteRequest&) {
  std::string out;
  out += "# HELP opencapf_devices Devices in the registry by status.\n";
  out += "# TYPE opencapf_devices gauge\n";
  for (StatusKind kind : kAllStatusKinds) {
    DeviceFilter f;
    f.status_kind = kind;
    auto n = s.admin.count_devices(f);
    if (!n)
      return problem(n.error());
    out += fmt::format("opencapf_devices{{status=\"{}\"}} {}\n", stored_name(kind), *n);
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
  router.add("GET", "/api/v1/tokens", Permission::kAdminister,
             [&s](const RouteRequest& r) { return list_tokens(s, r); });
  router.add("POST", "/api/v1/tokens", Permission::kAdminister,
             [&s](const RouteRequest& r) { return create_token(s, r); });
  router.add("DELETE", "/api/v1/tokens/{id}", Permission::kAdminister,
             [&s](const RouteRequest& r) { return revoke_token(s, r); });
  router.add("GET", "/api/v1/audit", Permission::kRead,
             [&s](const RouteRequest& r) { return list_audit(s, r); });
}

void add_metrics_route(Router& router, ApiServices& s) {
  router.add("GET", "/metrics", Permission::kRead,
             [&s, &router](const RouteRequest& r) { return metrics(s, router, r); });
}

void add_all_routes(Router& router, ApiServices& s) {
  add_bulk_routes(router, s);  // before /api/v1/devices/{name}: the first matching route wins
  add_device_routes(router, s);
  add_ledger_routes(router, s);
  add_identity_routes(router, s);
  add_access_routes(router, s);
  add_metrics_route(router, s);
  add_offline_routes(router, s);
  add_console_routes(router);
}

}  // namespace capf::api
