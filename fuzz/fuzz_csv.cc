// libFuzzer driver for the CSV device import (service/csv.h, service/device_csv.h): the input is
// the uploaded file, read by parse_csv (with the default and with tight limits) and imported by
// DeviceCsv::import_csv into a registry holding two devices; the import is rolled back after each
// input. An odd-sized input is imported with valid_only (the good lines are applied).
// Invariants: every record the reader returns is written back by csv_line and read again
// unchanged; the report accounts for every line; and what export writes after the import imports
// again without errors or changes.
#include "capf/service/device_csv.h"
#include "fuzz/fuzz_registry.h"

namespace capf {
namespace {

using fuzz::require;

// The records csv_line writes read back as the same fields. Two cases are left out by design: a
// record of one empty field is an empty line, which the reader skips; and a text whose first field
// starts with a byte-order mark after the one the reader strips would lose it.
void check_round_trip(const std::vector<CsvRecord>& records) {
  std::vector<std::vector<std::string>> kept;
  std::string written;
  for (const auto& record : records) {
    if (record.fields.size() == 1 && record.fields.front().empty())
      continue;
    kept.push_back(record.fields);
    written += csv_line(record.fields);
  }
  if (written.starts_with("\xEF\xBB\xBF"))
    return;
  auto again = parse_csv(written);
  require(again.has_value() && again->size() == kept.size(), "written records read back");
  for (std::size_t i = 0; i < kept.size(); ++i)
    require((*again)[i].fields == kept[i], "a written record keeps its fields");
}

void check_report(const DeviceImportReport& report, std::size_t data_records) {
  require(report.lines.size() == data_records, "the report has a line per record");
  std::size_t errors = 0;
  for (const auto& line : report.lines) {
    if (line.outcome == ImportOutcome::kError) {
      require(!line.errors.empty(), "an error line says what is wrong");
      ++errors;
    }
  }
  require(errors == report.errors, "the error count matches the lines");
  if (report.applied) {
    require(
        report.created + report.updated + report.unchanged + report.errors == report.lines.size(),
        "an applied import counts every line");
  }
}

// The registry after the import exports to a file that imports as "nothing to change".
void check_export_reimport(DeviceCsv& csv) {
  auto text = csv.export_csv_text();
  require(text.has_value(), "the registry exports");
  auto again = csv.import_csv(*text, DeviceImportOptions{});
  require(again.has_value(), "an exported file imports");
  require(again->errors == 0, "an exported file imports without errors");
  require(again->created == 0 && again->updated == 0, "an exported file changes nothing");
}

void check_import(Registry& registry, std::string_view text, bool valid_only) {
  TrustStores trust(registry);
  AdminService admin(registry, trust, fuzz::fixed_clock(), AdminPolicy{});
  DeviceCsv csv(registry, admin);
  DeviceImportOptions options;
  options.valid_only = valid_only;
  auto report = csv.import_csv(text, options);
  if (!report) {
    require(report.error().code == ErrorCode::kInvalidArgument,
            "an import fails only for a bad file");
    return;
  }
  auto records = parse_csv(text);
  require(records.has_value() && !records->empty(), "an imported file is CSV with a header");
  check_report(*report, records->size() - 1);
  check_export_reimport(csv);
}

}  // namespace
}  // namespace capf

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto records = parse_csv(text))
    check_round_trip(*records);
  (void)parse_csv(text, CsvLimits{4096, 16, 64, 8});
  Registry& registry = fuzz::shared_registry(fuzz::seed_devices);
  fuzz::rolled_back(registry, [&] { check_import(registry, text, size % 2 == 1); });
  return 0;
}
