// /api/v1/devices: list with filters and keyset pagination, get, create or change, remove, and one
// change applied to many devices at once.
#include <charconv>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/problem.h"
#include "capf/service/device_json.h"
#include "capf/store/stored_values.h"

namespace capf::api {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;

std::optional<long long> parse_integer(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// ?limit=: 1..kMaxPage, default kDefaultPage.
std::variant<std::size_t, ApiResponse> page_limit(const ApiRequest& http) {
  auto it = http.query.find("limit");
  if (it == http.query.end()) {
    return kDefaultPage;
  }
  auto n = parse_integer(it->second);
  if (!n || *n < 1 || *n > static_cast<long long>(kMaxPage)) {
    return field_problem(
        "limit", fmt::format("'{}' is not a page size: give 1 to {}", it->second, kMaxPage));
  }
  return static_cast<std::size_t>(*n);
}

// The DeviceFilter a list request asks for, or the problem with its query.
std::variant<DeviceFilter, ApiResponse> device_filter(const ApiRequest& http) {
  DeviceFilter f;
  for (const auto& [key, value] : http.query) {
    if (key == "name") {
      f.name_prefix = value;
    } else if (key == "operation") {
      auto op = parse_operation(value);
      if (!op)
        return field_problem("operation", op.error().message);
      f.operation = *op;
    } else if (key == "status") {
      auto kind = parse_stored_status_kind(value);
      if (!kind) {
        return field_problem(
            "status",
            fmt::format("'{}' is not a status: use none, pending, success or failed", value));
      }
      f.status_kind = *kind;
    } else if (key == "auth") {
      auto mode = parse_auth_mode(value);
      if (!mode)
        return field_problem("auth", mode.error().message);
      f.auth_mode = *mode;
    } else if (key == "lsc") {
      if (value == "with") {
        f.with_lsc_only = true;
      } else if (value == "without") {
        f.without_lsc_only = true;
      } else {
        return field_problem("lsc", fmt::format("'{}': use with or without", value));
      }
    } else if (key == "lsc_expires_before") {
      auto when = parse_utc(value);
      if (!when) {
        return field_problem("lsc_expires_before",
                             fmt::format("'{}' is not a time: use e.g. 2027-01-31T00:00:00Z "
                                         "or 2027-01-31",
                                         value));
      }
      f.lsc_expires_before = *when;
      f.with_lsc_only = true;
    } else if (key == "after") {
      f.after_name = value;
    } else if (key != "limit") {
      return field_problem(key,
                           "unknown filter: use name, operation, status, auth, lsc, "
                           "lsc_expires_before, limit or after");
    }
  }
  if (f.with_lsc_only && f.without_lsc_only) {
    return field_problem("lsc", "lsc=without cannot be combined with lsc_expires_before");
  }
  return f;
}

// The DeviceChange of a PUT body or a bulk "change" member; every field is checked for its type
// and spelling, and a problem names the first bad one.
std::variant<DeviceChange, ApiResponse> device_change(const json& body) {
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
      if (auto p = want_string())
        return *p;
      auto op = parse_operation(value.get<std::string>());
      if (!op)
        return field_problem(key, op.error().message);
      c.operation = *op;
    } else if (key == "auth_mode") {
      if (auto p = want_string())
        return *p;
      auto mode = parse_auth_mode(value.get<std::string>());
      if (!mode)
        return field_problem(key, mode.error().message);
      c.auth_mode = *mode;
    } else if (key == "auth_string") {
      if (auto p = want_string())
        return *p;
      c.auth_string = value.get<std::string>();
    } else if (key == "generate_auth_string") {
      if (!value.is_boolean())
        return field_problem(key, "must be true or false");
      c.generate_auth_string = value.get<bool>();
    } else if (key == "key_order") {
      if (auto p = want_string())
        return *p;
      auto order = parse_key_order(value.get<std::string>());
      if (!order)
        return field_problem(key, order.error().message);
      c.key_order = *order;
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

std::variant<json, ApiResponse> parse_body(const ApiRequest& http) {
  json body = json::parse(http.body, nullptr, false);
  if (body.is_discarded()) {
    return problem(400,
                   "the body is not JSON: send a JSON object with Content-Type: "
                   "application/json");
  }
  return body;
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
  auto limit = page_limit(req.http);
  if (auto* p = std::get_if<ApiResponse>(&limit))
    return *p;
  auto filter = device_filter(req.http);
  if (auto* p = std::get_if<ApiResponse>(&filter))
    return *p;
  DeviceFilter f = std::get<DeviceFilter>(filter);
  DeviceFilter count_filter = f;
  count_filter.after_name.clear();
  auto total = s.admin.count_devices(count_filter);
  if (!total)
    return problem(total.error());
  f.limit = std::get<std::size_t>(limit) + 1;  // one more tells whether there is a next page
  auto devices = s.admin.list_devices(f);
  if (!devices)
    return problem(devices.error());
  json items = json::array();
  const bool more = devices->size() > std::get<std::size_t>(limit);
  if (more)
    devices->pop_back();
  for (const auto& d : *devices)
    items.push_back(to_json(d));
  json next = more && !devices->empty() ? json(devices->back().name.str()) : json(nullptr);
  return json_response(json{{"items", items}, {"next", next}, {"total", *total}});
}

ApiResponse get_device(ApiServices& s, const RouteRequest& req) {
  const std::string& name = req.params.at("name");
  auto d = s.admin.get_device(name);
  if (!d)
    return problem(d.error());
  auto certs = s.admin.device_certificates(name);
  if (!certs)
    return problem(certs.error());
  auto history = s.admin.device_history(name, 20);
  if (!history)
    return problem(history.error());
  json j = to_json(*d);
  j["certificates"] = json::array();
  for (const auto& c : *certs) {
    json cj = to_json(c);
    cj.erase("pem");
    j["certificates"].push_back(cj);
  }
  j["history"] = json::array();
  for (const auto& e : *history)
    j["history"].push_back(to_json(e));
  return json_response(j);
}

// How the most recent phone sessions ended, across every device (?limit=, newest first).
ApiResponse recent_sessions(ApiServices& s, const RouteRequest& req) {
  for (const auto& [key, value] : req.http.query) {
    if (key != "limit")
      return field_problem(key, "unknown parameter: use limit");
  }
  auto limit = page_limit(req.http);
  if (auto* p = std::get_if<ApiResponse>(&limit))
    return *p;
  auto events = s.admin.recent_sessions(std::get<std::size_t>(limit));
  if (!events)
    return problem(events.error());
  json items = json::array();
  for (const auto& e : *events)
    items.push_back(to_json(e));
  return json_response(json{{"items", items}});
}

ApiResponse put_device(ApiServices& s, const RouteRequest& req) {
  auto body = parse_body(req.http);
  if (auto* p = std::get_if<ApiResponse>(&body))
    return *p;
  auto change = device_change(std::get<json>(body));
  if (auto* p = std::get_if<ApiResponse>(&change))
    return *p;
  DeviceChange c = std::get<DeviceChange>(change);
  c.name = req.params.at("name");
  auto result = s.admin.set_device(c, req.actor());
  if (!result)
    return problem(result.error());
  return json_response(change_result_json(*result), result->created ? 201 : 200);
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
  auto result = s.admin.set_device(c, req.actor());
  if (!result)
    return problem(result.error());
  return json_response(json{{"name", result->device.name.str()},
                            {"auth_string", result->generated_auth_string.value_or("")},
                            {"status", to_string(result->device.status)},
                            {"created", result->created}},
                       result->created ? 201 : 200);
}

ApiResponse delete_device(ApiServices& s, const RouteRequest& req) {
  Status removed = s.admin.remove_device(req.params.at("name"), req.actor());
  if (!removed)
    return problem(removed.error());
  return no_content();
}

ApiResponse bulk_change(ApiServices& s, const RouteRequest& req) {
  auto body = parse_body(req.http);
  if (auto* p = std::get_if<ApiResponse>(&body))
    return *p;
  const json& j = std::get<json>(body);
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
  auto change = device_change(j["change"]);
  if (auto* p = std::get_if<ApiResponse>(&change))
    return *p;
  auto results = s.admin.set_devices(names, std::get<DeviceChange>(change), req.actor());
  if (!results)
    return problem(results.error());
  json devices = json::array();
  for (const auto& r : *results)
    devices.push_back(change_result_json(r));
  return json_response(json{{"changed", results->size()}, {"devices", devices}});
}

}  // namespace

void add_device_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/devices", Permission::kRead,
             [&s](const RouteRequest& r) { return list_devices(s, r); });
  router.add("POST", "/api/v1/devices/bulk", Permission::kOperate,
             [&s](const RouteRequest& r) { return bulk_change(s, r); });
  router.add("GET", "/api/v1/devices/{name}", Permission::kRead,
             [&s](const RouteRequest& r) { return get_device(s, r); });
  router.add("PUT", "/api/v1/devices/{name}", Permission::kOperate,
             [&s](const RouteRequest& r) { return put_device(s, r); });
  router.add("POST", "/api/v1/devices/{name}/auth-string", Permission::kOperate,
             [&s](const RouteRequest& r) { return new_auth_string(s, r); });
  router.add("DELETE", "/api/v1/devices/{name}", Permission::kOperate,
             [&s](const RouteRequest& r) { return delete_device(s, r); });
  router.add("GET", "/api/v1/sessions", Permission::kRead,
             [&s](const RouteRequest& r) { return recent_sessions(s, r); });
}

}  // namespace capf::api
