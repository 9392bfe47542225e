// RFC 4180 CSV: a bounded reader (quoted fields, doubled quotes, CRLF or LF line ends, a UTF-8 BOM
// tolerated) and the writer that quotes only what needs it. Pure functions, no I/O.
// Both guard spreadsheets against formula injection (a cell such as =HYPERLINK(...) that a
// device description or name could carry): the writer puts a ' before a cell that starts with
// = + - @ TAB or CR (numbers such as -3 excepted), and the reader takes that ' off again, so
// what is exported imports unchanged.
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
// longer than max_bytes. A field that starts with ' followed (after any further ') by = + - @ TAB
// or CR loses that first ' (see csv_field).
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, const CsvLimits& limits = {});

// `field` as one CSV cell: with a ' in front when, after any leading ', it starts with = + - @
// TAB or CR and is not a plain number (spreadsheets then show it as text, not a formula); then
// quoted (with quotes doubled) when it holds a comma, a quote, CR or LF, or starts or ends with a
// space.
std::string csv_field(std::string_view field);
// The cells joined by commas, ending with CRLF (RFC 4180's line end).
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace capf
