// DeviceCsv: bulk import and export of devices and their CAPF fields as CSV, like CUCM's BAT.
// The columns, the error format and examples are in docs/bulk-and-reports.md. Methods block on
// the registry (call them from a worker thread); they are as thread-safe as the registry.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/service/admin_service.h"
#include "capf/service/csv.h"
#include "capf/store/device_store.h"

namespace capf {

// Consumes one piece of CSV output; an error stops the export and is returned from it.
using CsvSink = std::function<Status(std::string_view)>;

// What `write` writes to its sink, as one string (the API answers with it whole).
Result<std::string> csv_text(const std::function<Status(const CsvSink&)>& write);

struct DeviceImportOptions {
  // Import the valid lines and report the others; by default one bad line imports nothing.
  bool valid_only = false;
  std::string actor = "import";  // recorded in each changed device's history
  CsvLimits limits{};
};

enum class ImportOutcome { kCreated, kUpdated, kUnchanged, kError };
std::string_view to_string(ImportOutcome outcome);

struct DeviceImportLine {
  std::size_t line = 0;  // where the record starts in the file (the header is line 1)
  std::string device;    // as written in the file
  // When the report is not applied, what the line would have done.
  ImportOutcome outcome = ImportOutcome::kError;
  // "line N: <column>: <what is wrong and what to type>", one per problem (kError only).
  std::vector<std::string> errors;
  std::optional<std::string> generated_auth_string;  // shown once
  std::vector<std::string> warnings;
};

struct DeviceImportReport {
  std::vector<DeviceImportLine> lines;  // in file order
  bool applied = false;                 // false: the file had errors and nothing was changed
  std::size_t created = 0, updated = 0, unchanged = 0, errors = 0;
};

class DeviceCsv {
 public:
  // The columns import accepts (export writes these minus auth_string and generate_auth_string,
  // plus auth_string_set).
  static const std::vector<std::string_view>& import_columns();
  static const std::vector<std::string_view>& export_columns();

  DeviceCsv(Registry& registry, AdminService& admin) : registry_(registry), admin_(admin) {}

  // Reads every line into a DeviceChange, checks each as AdminService::set_device would (an
  // empty cell, or one equal to the stored value, keeps the value), and applies the valid lines
  // in one registry transaction, so a crash imports nothing half. When a line has an error and
  // !options.valid_only nothing is changed (report.applied = false). A device named twice is an
  // error on its second line. Errors (nothing changed): kInvalidArgument for a file that is not
  // CSV, has no device_name column or has an unknown column (each naming the line or column);
  // registry errors.
  Result<DeviceImportReport> import_csv(std::string_view text, const DeviceImportOptions& options);

  // Every device, ordered by name, read page by page: a header line then one line per device.
  // Authentication strings are never written (auth_string_set says whether one is set).
  Status export_csv(const CsvSink& sink, std::size_t page_size = 500);
  Result<std::string> export_csv_text();

 private:
  Registry& registry_;
  AdminService& admin_;
};

}  // namespace capf
