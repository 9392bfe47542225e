// CSV over the API: POST /api/v1/devices/import, GET /api/v1/devices/export, and the CAPF and
// expiring-LSC reports (/api/v1/reports/...). Thin adapters over DeviceCsv and CapfReports, which
// the CLI's `device import|export` and `report` use too (docs/bulk-and-reports.md).
#include <charconv>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/problem.h"
#include "capf/service/capf_reports.h"
#include "capf/service/device_csv.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

using nlohmann::json;

constexpr int kDefaultExpiringDays = 30;

ApiResponse csv_response(std::string body, std::string_view filename) {
  ApiResponse r;
  r.content_type = "text/csv; charset=utf-8";
  r.body = std::move(body);
  r.headers.emplace_back("Content-Disposition",
                         fmt::format("attachment; filename=\"{}\"", filename));
  return r;
}

ApiResponse import_devices(ApiServices& s, const RouteRequest& req) {
  if (req.http.body.empty()) {
    return problem(400,
                   "the body is empty: send the CSV file (Content-Type: text/csv) with a "
                   "device_name column");
  }
  DeviceImportOptions options;
  auto valid_only = req.http.query.find("valid_only");
  if (valid_only != req.http.query.end()) {
    if (valid_only->second != "true" && valid_only->second != "false") {
      return problem(400, fmt::format("valid_only: '{}': use true or false", valid_only->second),
                     json{{"field", "valid_only"}});
    }
    options.valid_only = valid_only->second == "true";
  }
  options.actor = req.actor() + " (import)";
  DeviceCsv csv(s.registry, s.admin);
  auto report = csv.import_csv(req.http.body, options);
  if (!report)
    return problem(report.error());
  if (!report->applied) {
    return problem(400,
                   fmt::format("{} line{} of the file {} errors and nothing was imported: fix "
                               "them, or send ?valid_only=true to import the valid lines",
                               report->errors, report->errors == 1 ? "" : "s",
                               report->errors == 1 ? "has" : "have"),
                   json{{"report", to_json(*report)}});
  }
  return json_response(to_json(*report));
}

ApiResponse export_devices(ApiServices& s, const RouteRequest&) {
  DeviceCsv csv(s.registry, s.admin);
  auto text = csv.export_csv_text();
  if (!text)
    return problem(text.error());
  return csv_response(std::move(text).value(), "devices.csv");
}

ApiResponse capf_report(ApiServices& s, const RouteRequest&) {
  CapfReports reports(s.registry, s.clock);
  auto text = reports.capf_report_text();
  if (!text)
    return problem(text.error());
  return csv_response(std::move(text).value(), "capf-report.csv");
}

ApiResponse expiring_report(ApiServices& s, const RouteRequest& req) {
  int days = kDefaultExpiringDays;
  for (const auto& [key, value] : req.http.query) {
    if (key != "days") {
      return problem(400, fmt::format("{}: unknown parameter: use days", key),
                     json{{"field", key}});
    }
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return problem(400, fmt::format("days: '{}' is not a number of days: give e.g. 30", value),
                     json{{"field", "days"}});
    }
  }
  CapfReports reports(s.registry, s.clock);
  auto text = reports.expiring_report_text(days);
  if (!text) {
    if (text.error().code == ErrorCode::kInvalidArgument)
      return problem(400, fmt::format("days: {}", text.error().message), json{{"field", "days"}});
    return problem(text.error());
  }
  return csv_response(std::move(text).value(), fmt::format("expiring-{}-days.csv", days));
}

}  // namespace

void add_bulk_routes(Router& router, ApiServices& s) {
  router.add("POST", "/api/v1/devices/import", Permission::kOperate,
             [&s](const RouteRequest& r) { return import_devices(s, r); });
  router.add("GET", "/api/v1/devices/export", Permission::kRead,
             [&s](const RouteRequest& r) { return export_devices(s, r); });
  router.add("GET", "/api/v1/reports/capf", Permission::kRead,
             [&s](const RouteRequest& r) { return capf_report(s, r); });
  router.add("GET", "/api/v1/reports/expiring", Permission::kRead,
             [&s](const RouteRequest& r) { return expiring_report(s, r); });
}

}  // namespace capf::api
