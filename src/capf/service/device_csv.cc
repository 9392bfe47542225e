#include "capf/service/device_csv.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "capf/common/enum_names.h"
#include "capf/common/strings.h"
#include "capf/service/device_filter.h"

namespace capf {

namespace {

constexpr std::string_view kName = "device_name";
constexpr std::string_view kOperation = "operation";
constexpr std::string_view kAuthMode = "auth_mode";
constexpr std::string_view kAuthString = "auth_string";
constexpr std::string_view kGenerate = "generate_auth_string";
constexpr std::string_view kKeyOrder = "key_order";
constexpr std::string_view kRsaBits = "rsa_bits";
constexpr std::string_view kEcBits = "ec_bits";
constexpr std::string_view kDeadline = "deadline";
constexpr std::string_view kDescription = "description";
constexpr std::string_view kAuthStringSet = "auth_string_set";  // written by export, ignored

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

// Tries the cell as written (CUCM's words such as "Install/Upgrade"), then in lower case.
template <typename T>
Result<T> parse_word(Result<T> (*parse)(std::string_view), std::string_view cell) {
  auto as_written = parse(cell);
  if (as_written)
    return as_written;
  auto lowered = parse(lower(cell));
  if (lowered)
    return lowered;
  return as_written.error();
}

Result<int> parse_bits(std::string_view cell, std::string_view choices) {
  if (cell.empty() || cell.size() > 6 || cell.find_first_not_of("0123456789") != cell.npos) {
    return make_error(ErrorCode::kInvalidArgument, "'{}' is not a key size: use {}", cell, choices);
  }
  return std::stoi(std::string(cell));
}

Result<bool> parse_bool(std::string_view cell) {
  const std::string v = lower(cell);
  if (v == "true" || v == "yes" || v == "1")
    return true;
  if (v == "false" || v == "no" || v == "0")
    return false;
  return make_error(ErrorCode::kInvalidArgument, "'{}' is not true or false: use true or false",
                    cell);
}

// One data line of the file, read into a change; `errors` holds what could not be read.
struct ParsedLine {
  std::size_t line = 0;
  std::string name_cell;
  DeviceChange change;
  std::vector<std::string> errors;
};

std::string line_error(std::size_t line, std::string_view column, std::string_view message) {
  return fmt::format("line {}: {}: {}", line, column, message);
}

// Only blanks pad a cell (trim(..., kBlanks) here and for the header): a quoted cell may hold a
// line break, which is content (a description).
ParsedLine parse_line(const CsvRecord& record, const std::vector<std::string_view>& columns) {
  ParsedLine p;
  p.line = record.line;
  if (record.fields.size() != columns.size()) {
    const auto name_at = std::find(columns.begin(), columns.end(), kName) - columns.begin();
    if (static_cast<std::size_t>(name_at) < record.fields.size())
      p.name_cell = std::string(trim(record.fields[static_cast<std::size_t>(name_at)], kBlanks));
    p.errors.push_back(fmt::format(
        "line {}: {} cell(s) but the header has {} column(s): give every column a cell (an "
        "empty cell keeps the value) and quote cells that hold a comma",
        record.line, record.fields.size(), columns.size()));
    return p;
  }
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::string_view column = columns[i];
    const std::string& raw = record.fields[i];
    const std::string_view cell = trim(raw, kBlanks);
    auto note = [&](const Error& e) { p.errors.push_back(line_error(p.line, column, e.message)); };
    // A parsed cell sets its field of the change; a bad one is noted against its line.
    auto take = [&](auto& field, const auto& parsed) {
      if (parsed)
        field = *parsed;
      else
        note(parsed.error());
    };
    if (column == kName) {
      p.name_cell = std::string(cell);
      p.change.name = p.name_cell;
      if (cell.empty())
        note(make_error(ErrorCode::kInvalidArgument,
                        "is empty: every line needs a device name, e.g. SEP001122334455"));
      continue;
    }
    if (column == kAuthStringSet || (cell.empty() && column != kDescription))
      continue;
    if (column == kOperation) {
      take(p.change.operation, parse_word(&parse_operation, cell));
    } else if (column == kAuthMode) {
      take(p.change.auth_mode, parse_word(&parse_auth_mode, cell));
    } else if (column == kAuthString) {
      p.change.auth_string = std::string(cell);
    } else if (column == kGenerate) {
      take(p.change.generate_auth_string, parse_bool(cell));
    } else if (column == kKeyOrder) {
      take(p.change.key_order, parse_word(&parse_key_order, cell));
    } else if (column == kRsaBits) {
      take(p.change.rsa_bits, parse_bits(cell, "1024, 2048, 3072 or 4096"));
    } else if (column == kEcBits) {
      take(p.change.ec_bits, parse_bits(cell, "256, 384 or 521"));
    } else if (column == kDeadline) {
      if (lower(cell) == "none") {
        p.change.deadline = std::optional<TimePoint>();
      } else if (auto t = parse_utc(cell)) {
        p.change.deadline = std::optional<TimePoint>(*t);
      } else {
        note(make_error(ErrorCode::kInvalidArgument,
                        "'{}' is not a UTC time: use e.g. 2026-12-31T18:00:00Z, none to clear "
                        "the deadline, or leave it empty to keep it",
                        cell));
      }
    } else if (column == kDescription) {
      if (!raw.empty())
        p.change.description = raw;
    }
  }
  return p;
}

// Drops the fields that would not change `existing`, so importing an export changes nothing.
void drop_unchanged(DeviceChange& c, const Device& existing) {
  if (c.operation == existing.operation)
    c.operation.reset();
  if (c.auth_mode == existing.auth_mode)
    c.auth_mode.reset();
  if (c.auth_string && c.auth_string == existing.auth_string)
    c.auth_string.reset();
  if (c.key_order == existing.key_order)
    c.key_order.reset();
  if (c.rsa_bits == existing.rsa_bits)
    c.rsa_bits.reset();
  if (c.ec_bits == existing.ec_bits)
    c.ec_bits.reset();
  if (c.deadline && *c.deadline == existing.deadline)
    c.deadline.reset();
  if (c.description == existing.description)
    c.description.reset();
}

bool changes_anything(const DeviceChange& c) {
  return c.operation || c.auth_mode || c.auth_string || c.generate_auth_string || c.key_order ||
         c.rsa_bits || c.ec_bits || c.deadline || c.description;
}

// AdminService words its remedies for the CLI (--auth-string ...): say them in column names.
std::string in_csv_words(std::string message) {
  static const std::pair<std::string_view, std::string_view> kWords[] = {
      {"--auth-string DIGITS", "auth_string (4 to 10 digits)"},
      {"--generate-auth-string", "generate_auth_string true"},
      {"--auth-string", "auth_string"},
      {"--key-order", "key_order"},
  };
  for (const auto& [flag, column] : kWords) {
    for (auto at = message.find(flag); at != std::string::npos;
         at = message.find(flag, at + column.size())) {
      message.replace(at, flag.size(), column);
    }
  }
  return message;
}

std::string column_of(const std::string& field) {
  return field == "name" ? std::string(kName) : field;
}

}  // namespace

constexpr EnumName<ImportOutcome> kImportOutcomeNames[] = {
    {ImportOutcome::kCreated, "created"},
    {ImportOutcome::kUpdated, "updated"},
    {ImportOutcome::kUnchanged, "unchanged"},
    {ImportOutcome::kError, "error"},
};

std::string_view to_string(ImportOutcome outcome) {
  return name_in(kImportOutcomeNames, outcome);
}

const std::vector<std::string_view>& DeviceCsv::import_columns() {
  static const std::vector<std::string_view> kColumns = {
      kName,     kOperation, kAuthMode, kAuthString, kGenerate,
      kKeyOrder, kRsaBits,   kEcBits,   kDeadline,   kDescription};
  return kColumns;
}

const std::vector<std::string_view>& DeviceCsv::export_columns() {
  static const std::vector<std::string_view> kColumns = {kName,          kOperation, kAuthMode,
                                                         kAuthStringSet, kKeyOrder,  kRsaBits,
                                                         kEcBits,        kDeadline,  kDescription};
  return kColumns;
}

Result<DeviceImportReport> DeviceCsv::import_csv(std::string_view text,
                                                 const DeviceImportOptions& options) {
  CAPF_ASSIGN_OR_RETURN(std::vector<CsvRecord> records, parse_csv(text, options.limits));
  if (records.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the file is empty: it needs a header line such as {}",
                      fmt::join(import_columns(), ","));
  }
  // The header: known names in any order and any case.
  std::vector<std::string_view> columns;
  std::set<std::string_view> seen;
  for (const std::string& cell : records.front().fields) {
    const std::string name = lower(trim(cell, kBlanks));
    auto known = std::find(import_columns().begin(), import_columns().end(), name);
    std::string_view column;
    if (known != import_columns().end()) {
      column = *known;
    } else if (name == kAuthStringSet) {
      column = kAuthStringSet;
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        "line {}: unknown column '{}': use {} (auth_string_set is ignored)",
                        records.front().line, cell, fmt::join(import_columns(), ", "));
    }
    if (!seen.insert(column).second) {
      return make_error(ErrorCode::kInvalidArgument, "line {}: column '{}' appears twice: keep one",
                        records.front().line, column);
    }
    columns.push_back(column);
  }
  if (!seen.contains(kName)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "line {}: no device_name column: the header needs device_name and any of {}",
                      records.front().line, fmt::join(import_columns(), ", "));
  }

  std::vector<ParsedLine> parsed;
  parsed.reserve(records.size() - 1);
  for (std::size_t i = 1; i < records.size(); ++i)
    parsed.push_back(parse_line(records[i], columns));

  DeviceImportReport report;
  Status done = registry_.transact([&]() -> Status {
    report = DeviceImportReport{};
    std::map<std::string, std::size_t> first_line;  // canonical name -> line
    for (ParsedLine& p : parsed) {
      DeviceImportLine out;
      out.line = p.line;
      out.device = p.name_cell;
      out.errors = p.errors;
      std::optional<Device> existing;
      if (auto name = DeviceName::parse(p.name_cell)) {
        auto [it, fresh] = first_line.emplace(name->str(), p.line);
        if (!fresh) {
          out.errors.push_back(
              line_error(p.line, kName,
                         fmt::format("{} is already on line {}: give each device one line",
                                     name->str(), it->second)));
        } else if (out.errors.empty()) {
          CAPF_ASSIGN_OR_RETURN(existing, registry_.find_device(*name));
        }
      }
      if (out.errors.empty()) {
        if (existing)
          drop_unchanged(p.change, *existing);
        CAPF_ASSIGN_OR_RETURN(std::optional<DeviceChangeProblem> problem,
                              admin_.check_device(p.change));
        if (problem) {
          out.errors.push_back(
              line_error(p.line, column_of(problem->field), in_csv_words(problem->error.message)));
        }
      }
      if (!out.errors.empty()) {
        out.outcome = ImportOutcome::kError;
        ++report.errors;
      } else if (existing && !changes_anything(p.change)) {
        out.outcome = ImportOutcome::kUnchanged;
      } else {
        out.outcome = existing ? ImportOutcome::kUpdated : ImportOutcome::kCreated;
      }
      report.lines.push_back(std::move(out));
    }
    if (report.errors > 0 && !options.valid_only)
      return ok();  // nothing written
    for (std::size_t i = 0; i < parsed.size(); ++i) {
      DeviceImportLine& out = report.lines[i];
      if (out.outcome == ImportOutcome::kError)
        continue;
      if (out.outcome == ImportOutcome::kUnchanged) {
        ++report.unchanged;
        continue;
      }
      auto r = admin_.set_device(parsed[i].change, options.actor);
      if (!r)
        return r.error().with_context(fmt::format("line {}", out.line));
      out.outcome = r->created ? ImportOutcome::kCreated : ImportOutcome::kUpdated;
      ++(r->created ? report.created : report.updated);
      out.generated_auth_string = r->generated_auth_string;
      for (const std::string& w : r->warnings)
        out.warnings.push_back(in_csv_words(w));
    }
    report.applied = true;
    return ok();
  });
  if (!done)
    return done.error();
  return report;
}

Status DeviceCsv::export_csv(const CsvSink& sink, std::size_t page_size) {
  CAPF_TRY(sink(csv_line({export_columns().begin(), export_columns().end()})));
  return for_each_device_page(registry_, DeviceFilter{}, page_size, [&sink](auto& page) {
    std::string chunk;
    for (const Device& d : page) {
      chunk += csv_line({d.name.str(), std::string(short_name(d.operation)),
                         std::string(short_name(d.auth_mode)),
                         d.auth_string && !d.auth_string->empty() ? "true" : "false",
                         std::string(short_name(d.key_order)), std::to_string(d.rsa_bits),
                         std::to_string(d.ec_bits), d.deadline ? format_utc(*d.deadline) : "none",
                         d.description});
    }
    return sink(chunk);
  });
}

Result<std::string> DeviceCsv::export_csv_text() {
  return csv_text([this](const CsvSink& sink) { return export_csv(sink); });
}

Result<std::string> csv_text(const std::function<Status(const CsvSink&)>& write) {
  std::string out;
  CAPF_TRY(write([&out](std::string_view chunk) -> Status {
    out += chunk;
    return ok();
  }));
  return out;
}

}  // namespace capf
