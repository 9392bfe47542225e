#include "capf/service/device_filter.h"

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "capf/domain/spelling.h"

namespace capf {

std::optional<TimePoint> parse_time_from(std::string_view text, TimePoint now) {
  if (text.size() >= 3 && text.size() <= 8 && text.front() == '+') {
    const char unit = text.back();
    const std::string_view digits = text.substr(1, text.size() - 2);
    long n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && end == digits.data() + digits.size() && digits.front() != '-' &&
        digits.front() != '+') {
      switch (unit) {
        case 'd':
          return now + std::chrono::hours(24 * n);
        case 'h':
          return now + std::chrono::hours(n);
        case 'm':
          return now + std::chrono::minutes(n);
        default:
          break;
      }
    }
  }
  return parse_utc(text);
}

Status add_device_filter_term(DeviceFilter& filter, std::string_view term, std::string_view value,
                              TimePoint now) {
  if (term == "name") {
    filter.name_prefix = std::string(value);
  } else if (term == "operation") {
    CAPF_ASSIGN_OR_RETURN(filter.operation, parse_operation(value));
  } else if (term == "status") {
    auto kind = parse_spelling(kStatusKindSpellings, value, /*or_display=*/false);
    if (!kind) {
      return make_error(ErrorCode::kInvalidArgument,
                        "'{}' is not a status: use none, pending, success or failed", value);
    }
    filter.status_kind = *kind;
  } else if (term == "auth") {
    CAPF_ASSIGN_OR_RETURN(filter.auth_mode, parse_auth_mode(value));
  } else if (term == "lsc") {
    if (value != "with" && value != "without")
      return make_error(ErrorCode::kInvalidArgument, "'{}': use with or without", value);
    (value == "with" ? filter.with_lsc_only : filter.without_lsc_only) = true;
  } else if (term == "lsc_expires_before") {
    auto when = parse_time_from(value, now);
    if (!when) {
      return make_error(ErrorCode::kInvalidArgument,
                        "'{}' is not a time: use e.g. 2027-01-31T00:00:00Z, 2027-01-31 or +30d",
                        value);
    }
    filter.lsc_expires_before = *when;
    filter.with_lsc_only = true;
  } else if (term == "after") {
    filter.after_name = std::string(value);
  } else {
    return make_error(
        ErrorCode::kInvalidArgument, "unknown filter: use {}",
        fmt::join(std::begin(kDeviceFilterTerms), std::end(kDeviceFilterTerms), ", "));
  }
  return ok();
}

Status check_device_filter(const DeviceFilter& filter) {
  if (filter.with_lsc_only && filter.without_lsc_only) {
    return make_error(ErrorCode::kInvalidArgument,
                      "lsc=without cannot be combined with lsc_expires_before");
  }
  return ok();
}

Status for_each_device_page(DeviceStore& store, DeviceFilter filter, std::size_t page_size,
                            const DevicePageVisitor& visit) {
  filter.limit = std::max<std::size_t>(page_size, 1);
  filter.after_name.clear();
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(std::vector<Device> page, store.list_devices(filter));
    const bool last = page.size() < filter.limit;
    if (!page.empty())
      filter.after_name = page.back().name.str();
    if (!page.empty())
      CAPF_TRY(visit(page));
    if (last)
      return ok();
  }
}

}  // namespace capf
