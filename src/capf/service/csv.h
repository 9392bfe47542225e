// RFC 4180 CSV: a bounded reader (quoted fields, doubled quotes, CRLF or LF line ends, a UTF-8 BOM
// tolerated) and the writer that quotes only what needs it. Pure functions, no I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/result.h"

namespace capf {

struct CsvLimits {
  std::size_t max_bytes = 256 * 1024 * 1024;  // the whole text
  std::size_t max_field_bytes = 4096;
  std::size_t max_record_bytes = 64 * 1024;
  std::size_t max_records = 1'000'000;
};

// One record and the line (1-based) it starts on; a quoted field may span several lines.
struct CsvRecord {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// Every record of `text`, the header included. Empty lines are skipped. kInvalidArgument naming
// the line for: a quote that is never closed, text after a closing quote, a bare quote inside an
// unquoted field, a field or record past its bound, more than max_records records; and a text
// longer than max_bytes.
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const CsvLimits& limits = {});

// `field` as one CSV cell: quoted (with quotes doubled) when it holds a comma, a quote, CR or LF,
// or starts or ends with a space.
std::string csv_field(std::string_view field);
// The cells joined by commas, ending with CRLF (RFC 4180's line end).
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace capf
