// /api/v1/devices: list with filters and keyset pagination, get, create or change, remove, and one
// change applied to many devices at once.
#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/service/device_filter.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

using nlohmann::json;

// The DeviceFilter a list request asks for (the grammar `opencapf device list` shares), or the
// problem naming the parameter to fix.
Parsed<DeviceFilter> device_filter(const ApiRequest& http, TimePoint now) {
  if (auto unknown = only_parameters(
          http,
          {"name", "operation", "status", "auth", "lsc", "lsc_expires_before", "limit", "after"},
          "filter")) {
    return std::move(*unknown);
  }
  DeviceFilter f;
  for (const auto& [key, value] : http.query) {
    if (key == "limit")
      continue;
    if (Status added = add_device_filter_term(f, key, value, now); !added)
      return field_problem(key, added.error().message);
  }
  if (Status checked = check_device_filter(f); !checked)
    return field_problem("lsc", checked.error().message);
  return f;
}

// `value` read by `parse` (parse_operation, ...), or the problem naming `key`.
template <typename T>
Parsed<T> string_member(const std::string& key, const json& value,
                        Result<T> (*parse)(std::string_view)) {
  if (!value.is_string())
    return field_problem(key, "must be a string");
  auto parsed = parse(value.get<std::string>());
  if (!parsed)
    return field_problem(key, parsed.error().message);
  return *parsed;
}

// The DeviceChange of a PUT body or a bulk "change" member; every field is checked for its type
// and spelling, and a problem names the first bad one.
Parsed<DeviceChange> device_change(const json& body) {
  DeviceChange c;
  if (!body.is_object()) {
    return problem(400,
                   "the body must be a JSON object of device fields, e.g. "
                   "{\"operation\": \"install\", \"auth_mode\": \"null\"}");
  }
  for (const auto& item : body.items()) {
    // Named, not a structured binding: clang 14 cannot capture one in a lambda (fuzz build).
    const std::string key = item.key();
    const json& value = item.value();
    auto want_string = [&]() -> std::optional<ApiResponse> {
      if (!value.is_string())
        return field_problem(key, "must be a string");
      return std::nullopt;
    };
    auto want_int = [&]() -> std::optional<ApiResponse> {
      if (!value.is_number_integer())
        return field_problem(key, "must be an integer");
      return std::nullopt;
    };
    if (key == "operation") {
      CAPF_API_ASSIGN(c.operation, string_member(key, value, parse_operation));
    } else if (key == "auth_mode") {
      CAPF_API_ASSIGN(c.auth_mode, string_member(key, value, parse_auth_mode));
    } else if (key == "auth_string") {
      if (auto p = want_string())
        return *p;
      c.auth_string = value.get<std::string>();
    } else if (key == "generate_auth_string") {
      if (!value.is_boolean())
        return field_problem(key, "must be true or false");
      c.generate_auth_string = value.get<bool>();
    } else if (key == "key_order") {
      CAPF_API_ASSIGN(c.key_order, string_member(key, value, parse_key_order));
    } else if (key == "rsa_bits" || key == "ec_bits") {
      if (auto p = want_int())
        return *p;
      auto bits = value.get<long long>();
      if (bits < 0 || bits > 65536)
        return field_problem(key, fmt::format("{} is not a key size", bits));
      (key == "rsa_bits" ? c.rsa_bits : c.ec_bits) = static_cast<int>(bits);
    } else if (key == "deadline") {
      if (value.is_null()) {
        c.deadline = std::optional<TimePoint>();
      } else {
        if (auto p = want_string())
          return *p;
        auto when = parse_utc(value.get<std::string>());
        if (!when) {
          return field_problem(key, fmt::format("'{}' is not a time: use e.g. "
                                                "2026-12-31T18:00:00Z, or null for none",
                                                value.get<std::string>()));
        }
        c.deadline = std::optional<TimePoint>(*when);
      }
    } else if (key == "description") {
      if (auto p = want_string())
        return *p;
      c.description = value.get<std::string>();
    } else {
      return field_problem(key,
                           "unknown field: use operation, auth_mode, auth_string, "
                           "generate_auth_string, key_order, rsa_bits, ec_bits, deadline or "
                           "description");
    }
  }
  return c;
}

json change_result_json(const DeviceChangeResult& r) {
  json j = to_json(r.device);
  j["created"] = r.created;
  if (r.generated_auth_string) {
    j["generated_auth_string"] = *r.generated_auth_string;  // shown once
  }
  j["warnings"] = r.warnings;
  return j;
}

ApiResponse list_devices(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const std::size_t limit, page_limit(req.http));
  CAPF_API_ASSIGN(DeviceFilter f, device_filter(req.http, s.clock.now()));
  DeviceFilter count_filter = f;
  count_filter.after_name.clear();
  CAPF_API_ASSIGN(const std::int64_t total, s.admin.count_devices(count_filter));
  f.limit = limit + 1;  // one more tells whether there is a next page
  CAPF_API_ASSIGN(std::vector<Device> devices, s.admin.list_devices(f));
  const bool more = devices.size() > limit;
  if (more)
    devices.pop_back();
  json body = items_json(devices);
  body["next"] = more && !devices.empty() ? json(devices.back().name.str()) : json(nullptr);
  body["total"] = total;
  return json_response(body);
}

ApiResponse get_device(ApiServices& s, const RouteRequest& req) {
  const std::string& name = req.params.at("name");
  CAPF_API_ASSIGN(const Device d, s.admin.get_device(name));
  CAPF_API_ASSIGN(const auto certs, s.admin.device_certificates(name));
  CAPF_API_ASSIGN(const auto history, s.admin.device_history(name, 20));
  json j = to_json(d);
  j["certificates"] = json::array();
  for (const auto& c : certs) {
    json cj = to_json(c);
    cj.erase("pem");
    j["certificates"].push_back(cj);
  }
  j["history"] = items_json(history)["items"];
  return json_response(j);
}

// How the most recent phone sessions ended, across every device (?limit=, newest first).
ApiResponse recent_sessions(ApiServices& s, const RouteRequest& req) {
  if (auto unknown = only_parameters(req.http, {"limit"}))
    return *unknown;
  CAPF_API_ASSIGN(const std::size_t limit, page_limit(req.http));
  return respond_items(s.admin.recent_sessions(limit));
}

ApiResponse put_device(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const json body, parse_body(req.http));
  CAPF_API_ASSIGN(DeviceChange c, device_change(body));
  c.name = req.params.at("name");
  return respond(s.admin.set_device(c, req.actor()), [](const DeviceChangeResult& r) {
    return json_response(change_result_json(r), r.created ? 201 : 200);
  });
}

// A new random authentication string for the device (which then authenticates by string),
// returned once; like `device set --auth string --generate-auth-string`.
ApiResponse new_auth_string(ApiServices& s, const RouteRequest& req) {
  if (!req.http.body.empty() && req.http.body != "{}") {
    return problem(400, "this call takes no body: POST it empty");
  }
  DeviceChange c;
  c.name = req.params.at("name");
  c.auth_mode = AuthMode::kAuthString;
  c.generate_auth_string = true;
  return respond(s.admin.set_device(c, req.actor()), [](const DeviceChangeResult& r) {
    return json_response(json{{"name", r.device.name.str()},
                              {"auth_string", r.generated_auth_string.value_or("")},
                              {"status", to_string(r.device.status)},
                              {"created", r.created}},
                         r.created ? 201 : 200);
  });
}

ApiResponse delete_device(ApiServices& s, const RouteRequest& req) {
  return respond(s.admin.remove_device(req.params.at("name"), req.actor()));
}

ApiResponse bulk_change(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const json j, parse_body(req.http));
  if (!j.is_object() || !j.contains("names") || !j["names"].is_array() || !j.contains("change")) {
    return problem(400,
                   "a bulk change is {\"names\": [\"SEP...\", ...], \"change\": {...}}: "
                   "give both members",
                   json{{"field", !j.is_object() || !j.contains("names") || !j["names"].is_array()
                                      ? "names"
                                      : "change"}});
  }
  std::vector<std::string> names;
  for (std::size_t i = 0; i < j["names"].size(); ++i) {
    const json& n = j["names"][i];
    if (!n.is_string())
      return field_problem(fmt::format("names[{}]", i), "must be a device name string");
    names.push_back(n.get<std::string>());
  }
  CAPF_API_ASSIGN(const DeviceChange change, device_change(j["change"]));
  return respond(s.admin.set_devices(names, change, req.actor()),
                 [](const std::vector<DeviceChangeResult>& results) {
                   json devices = json::array();
                   for (const auto& r : results)
                     devices.push_back(change_result_json(r));
                   return json{{"changed", results.size()}, {"devices", devices}};
                 });
}

}  // namespace

void add_device_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/devices", Permission::kRead, s, list_devices);
  router.add("POST", "/api/v1/devices/bulk", Permission::kOperate, s, bulk_change);
  router.add("GET", "/api/v1/devices/{name}", Permission::kRead, s, get_device);
  router.add("PUT", "/api/v1/devices/{name}", Permission::kOperate, s, put_device);
  router.add("POST", "/api/v1/devices/{name}/auth-string", Permission::kOperate, s,
             new_auth_string);
  router.add("DELETE", "/api/v1/devices/{name}", Permission::kOperate, s, delete_device);
  router.add("GET", "/api/v1/sessions", Permission::kRead, s, recent_sessions);
}

}  // namespace capf::api
