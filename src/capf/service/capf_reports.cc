#include "capf/service/capf_reports.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "capf/service/device_filter.h"

namespace capf {

Status CapfReports::capf_report(const CsvSink& sink, std::size_t page_size) {
  CAPF_TRY(sink(csv_line({"device", "operation", "auth_mode", "status", "status_time", "lsc_serial",
                          "lsc_issuer", "lsc_expiry"})));
  return for_each_device_page(registry_, DeviceFilter{}, page_size, [&sink](auto& page) {
    std::string chunk;
    for (const Device& d : page) {
      chunk += csv_line({d.name.str(), std::string(short_name(d.operation)),
                         std::string(short_name(d.auth_mode)), to_string(d.status),
                         format_utc(d.status_time), d.lsc ? d.lsc->serial_hex : "",
                         d.lsc ? d.lsc->issuer : "", d.lsc ? format_utc(d.lsc->not_after) : ""});
    }
    return sink(chunk);
  });
}

Result<std::string> CapfReports::capf_report_text() {
  return csv_text([this](const CsvSink& sink) { return capf_report(sink); });
}

Status CapfReports::expiring_report(int days, const CsvSink& sink, std::size_t page_size) {
  if (days < 0 || days > 36500) {
    return make_error(ErrorCode::kInvalidArgument,
                      "days {} is out of range: use a number of days from 0 to 36500", days);
  }
  const TimePoint now = clock_.now();
  DeviceFilter filter;
  filter.with_lsc_only = true;
  filter.lsc_expires_before = now + std::chrono::hours(24) * days;
  std::vector<Device> expiring;
  CAPF_TRY(for_each_device_page(registry_, filter, page_size, [&expiring](auto& page) {
    std::move(page.begin(), page.end(), std::back_inserter(expiring));
    return ok();
  }));
  std::sort(expiring.begin(), expiring.end(), [](const Device& a, const Device& b) {
    if (a.lsc->not_after != b.lsc->not_after)
      return a.lsc->not_after < b.lsc->not_after;
    return a.name.str() < b.name.str();
  });
  std::string out = csv_line(
      {"device", "lsc_serial", "lsc_issuer", "lsc_expiry", "days_left", "operation", "status"});
  for (const Device& d : expiring) {
    // Whole days left, rounded towards minus infinity (an LSC expiring in 3 hours has 0 days).
    const auto left = std::chrono::floor<std::chrono::days>(d.lsc->not_after - now).count();
    out +=
        csv_line({d.name.str(), d.lsc->serial_hex, d.lsc->issuer, format_utc(d.lsc->not_after),
                  std::to_string(left), std::string(short_name(d.operation)), to_string(d.status)});
    if (out.size() > 64 * 1024) {
      CAPF_TRY(sink(out));
      out.clear();
    }
  }
  return out.empty() ? ok() : sink(out);
}

Result<std::string> CapfReports::expiring_report_text(int days) {
  return csv_text([this, days](const CsvSink& sink) { return expiring_report(days, sink); });
}

}  // namespace capf
