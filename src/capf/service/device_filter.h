// The device-list filter as `opencapf device list` and GET /api/v1/devices take it, one term at a
// time (a command-line option or a query parameter), so both read the same words and give the
// same messages; and the loop that reads every device matching a filter page by page (the CSV
// export and the reports).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"

namespace capf {

// The terms, by their API names: name (a prefix), operation, status (none|pending|success|
// failed), auth, lsc (with|without), lsc_expires_before (a time, see parse_time_from) and after
// (keyset paging). The CLI's options are --prefix, --op, --status, --auth, --lsc,
// --lsc-expires-before and --after.
inline constexpr std::string_view kDeviceFilterTerms[] = {
    "name", "operation", "status", "auth", "lsc", "lsc_expires_before", "after"};

// Adds one term to `filter`; kInvalidArgument with a message that says what to give (without
// the term's name, which the caller spells its own way). `now` anchors relative times.
Status add_device_filter_term(DeviceFilter& filter, std::string_view term, std::string_view value,
                              TimePoint now);

// After the last term: kInvalidArgument (about the term "lsc") when lsc=without meets
// lsc_expires_before.
Status check_device_filter(const DeviceFilter& filter);

// A time as parse_utc reads it, or "+N" and a unit (d days, h hours, m minutes; N below a
// million) from `now`; nullopt for anything else.
std::optional<TimePoint> parse_time_from(std::string_view text, TimePoint now);

// Calls `visit` with each page of at most `page_size` (at least 1) devices matching `filter`
// (its limit and after_name are replaced), in name order, until the last page or an error.
using DevicePageVisitor = std::function<Status(std::vector<Device>& page)>;
Status for_each_device_page(DeviceStore& store, DeviceFilter filter, std::size_t page_size,
                            const DevicePageVisitor& visit);

}  // namespace capf
