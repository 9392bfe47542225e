#include "capf/service/csv.h"

namespace capf {

namespace {

Error csv_error(std::size_t line, std::string_view what) {
  return make_error(ErrorCode::kInvalidArgument, "line {}: {}", line, what);
}

// Whether a spreadsheet could read `cell` as a formula once its leading ' (if any) are gone. A
// plain number (-3, +1.5) is left alone: spreadsheets read it as a number, never as a formula.
bool formula_like(std::string_view cell) {
  const std::size_t at = cell.find_first_not_of('\'');
  if (at == std::string_view::npos)
    return false;
  const std::string_view rest = cell.substr(at);
  if (std::string_view("=+-@\t\r").find(rest.front()) == std::string_view::npos)
    return false;
  if (at > 0 || rest.size() < 2 || (rest.front() != '-' && rest.front() != '+'))
    return true;
  const std::string_view number = rest.substr(1);
  const std::size_t dot = number.find('.');
  auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const bool plain = dot == std::string_view::npos
                         ? digits(number)
                         : digits(number.substr(0, dot)) && digits(number.substr(dot + 1));
  return !plain;
}

}  // namespace

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const CsvLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the file is {} bytes, more than {}: split it into smaller files",
                      text.size(), limits.max_bytes);
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    text.remove_prefix(3);
  std::vector<CsvRecord> records;
  std::size_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    // An empty line (LF or CRLF) holds no record.
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')) {
      i += text[i] == '\r' ? 2 : 1;
      ++line;
      continue;
    }
    if (records.size() == limits.max_records) {
      return csv_error(line,
                       fmt::format("more than {} records: split the file", limits.max_records));
    }
    CsvRecord record;
    record.line = line;
    std::size_t record_bytes = 0;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && text[i] == '"') {
        const std::size_t opened_on = line;
        ++i;
        bool closed = false;
        while (i < n) {
          char c = text[i];
          if (c == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            closed = true;
            break;
          }
          if (c == '\n')
            ++line;
          field.push_back(c);
          ++i;
          if (field.size() > limits.max_field_bytes) {
            return csv_error(
                opened_on, fmt::format("a field is longer than {} bytes", limits.max_field_bytes));
          }
        }
        if (!closed) {
          return csv_error(opened_on,
                           "a quoted field is never closed: end it with \" (and double any \" "
                           "inside it, as \"\")");
        }
        const bool at_end = i == n || text[i] == ',' || text[i] == '\n' ||
                            (text[i] == '\r' && (i + 1 == n || text[i + 1] == '\n'));
        if (!at_end) {
          return csv_error(line,
                           "text after a closing quote: quote the whole field, and write a \" "
                           "inside it as \"\"");
        }
      } else {
        while (i < n && text[i] != ',' && text[i] != '\n' &&
               !(text[i] == '\r' && (i + 1 == n || text[i + 1] == '\n'))) {
          if (text[i] == '"') {
            return csv_error(line,
                             "a quote inside an unquoted field: quote the whole field, and write "
                             "a \" inside it as \"\"");
          }
          field.push_back(text[i]);
          ++i;
          if (field.size() > limits.max_field_bytes) {
            return csv_error(
                line, fmt::format("a field is longer than {} bytes", limits.max_field_bytes));
          }
        }
      }
      record_bytes += field.size() + 1;
      if (record_bytes > limits.max_record_bytes) {
        return csv_error(record.line,
                         fmt::format("a record is longer than {} bytes", limits.max_record_bytes));
      }
      if (!field.empty() && field.front() == '\'' && formula_like(field))
        field.erase(0, 1);  // csv_field's guard
      record.fields.push_back(std::move(field));
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        // LF or CRLF (a lone CR at the end of the text too).
        i += (text[i] == '\r' && i + 1 < n) ? 2 : 1;
        ++line;
        end_of_record = true;
      }
    }
    records.push_back(std::move(record));
  }
  return records;
}

std::string csv_field(std::string_view cell) {
  std::string guarded;
  if (formula_like(cell)) {
    guarded = "'" + std::string(cell);
    cell = guarded;
  }
  const std::string_view field = cell;
  bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
               (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote)
    return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0)
      out.push_back(',');
    out += csv_field(fields[i]);
  }
  out += "\r\n";
  return out;
}

}  // namespace capf
