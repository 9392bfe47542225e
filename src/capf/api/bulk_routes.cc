// CSV over the API: POST /api/v1/devices/import, GET /api/v1/devices/export, and the CAPF and
// expiring-LSC reports (/api/v1/reports/...). Thin adapters over DeviceCsv and CapfReports, which
// the CLI's `device import|export` and `report` use too (docs/bulk-and-reports.md).
#include <climits>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

using nlohmann::json;

constexpr int kDefaultExpiringDays = 30;

// The CSV text as a download named `filename`, or the problem for the error.
ApiResponse csv_response(Result<std::string> text, const std::string& filename) {
  return respond(std::move(text), [&filename](std::string& body) {
    ApiResponse r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = std::move(body);
    r.headers.emplace_back("Content-Disposition",
                           fmt::format("attachment; filename=\"{}\"", filename));
    return r;
  });
}

ApiResponse import_devices(ApiServices& s, const RouteRequest& req) {
  if (auto empty = refuse_empty_body(
          req.http, "send the CSV file (Content-Type: text/csv) with a device_name column"))
    return *empty;
  DeviceImportOptions options;
  CAPF_API_ASSIGN(options.valid_only, query_flag(req.http, "valid_only"));
  options.actor = req.actor() + " (import)";
  CAPF_API_ASSIGN(const DeviceImportReport report, s.csv.import_csv(req.http.body, options));
  if (!report.applied) {
    return problem(400,
                   fmt::format("{} line{} of the file {} errors and nothing was imported: fix "
                               "them, or send ?valid_only=true to import the valid lines",
                               report.errors, report.errors == 1 ? "" : "s",
                               report.errors == 1 ? "has" : "have"),
                   json{{"report", to_json(report)}});
  }
  return json_response(to_json(report));
}

ApiResponse export_devices(ApiServices& s, const RouteRequest&) {
  return csv_response(s.csv.export_csv_text(), "devices.csv");
}

ApiResponse capf_report(ApiServices& s, const RouteRequest&) {
  return csv_response(s.reports.capf_report_text(), "capf-report.csv");
}

ApiResponse expiring_report(ApiServices& s, const RouteRequest& req) {
  if (auto unknown = only_parameters(req.http, {"days"}))
    return *unknown;
  CAPF_API_ASSIGN(const auto given,
                  query_int(req.http, "days", INT_MIN, INT_MAX, "a number of days: give e.g. 30"));
  const int days = given ? static_cast<int>(*given) : kDefaultExpiringDays;
  auto text = s.reports.expiring_report_text(days);
  if (!text && text.error().code == ErrorCode::kInvalidArgument)
    return field_problem("days", text.error().message);
  return csv_response(std::move(text), fmt::format("expiring-{}-days.csv", days));
}

}  // namespace

void add_bulk_routes(Router& router, ApiServices& s) {
  router.add("POST", "/api/v1/devices/import", Permission::kOperate, s, import_devices);
  router.add("GET", "/api/v1/devices/export", Permission::kRead, s, export_devices);
  router.add("GET", "/api/v1/reports/capf", Permission::kRead, s, capf_report);
  router.add("GET", "/api/v1/reports/expiring", Permission::kRead, s, expiring_report);
}

}  // namespace capf::api
