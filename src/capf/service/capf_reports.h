// CapfReports: CUCM's "CAPF Report in File" and an expiring-LSC report, as CSV for spreadsheets.
// Columns are in docs/bulk-and-reports.md. Methods block on the registry and read it page by page.
#pragma once

#include <cstddef>
#include <string>

#include "capf/common/clock.h"
#include "capf/service/device_csv.h"
#include "capf/store/device_store.h"

namespace capf {

class CapfReports {
 public:
  CapfReports(Registry& registry, const Clock& clock) : registry_(registry), clock_(clock) {}

  // Every device ordered by name: device, operation, auth_mode, status, status_time, lsc_serial,
  // lsc_issuer, lsc_expiry (the LSC cells empty when none is known).
  Status capf_report(const CsvSink& sink, std::size_t page_size = 500);
  Result<std::string> capf_report_text();

  // Devices whose LSC expires within `days` days from now (already expired ones included, with
  // negative days_left), soonest first: device, lsc_serial, lsc_issuer, lsc_expiry, days_left,
  // operation, status. kInvalidArgument unless 0 <= days <= 36500.
  Status expiring_report(int days, const CsvSink& sink, std::size_t page_size = 500);
  Result<std::string> expiring_report_text(int days);

 private:
  Registry& registry_;
  const Clock& clock_;
};

}  // namespace capf
