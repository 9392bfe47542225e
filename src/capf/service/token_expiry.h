// When a new admin API token stops working, from what an administrator typed: `opencapf admin
// token create --expires` and the "expires" field of POST /api/v1/tokens take the same forms.
#pragma once

#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"

namespace capf {

// The accepted forms, for help texts and error messages.
inline constexpr std::string_view kTokenExpiryForms =
    "Nd (N days from now, e.g. 90d), Nh (N hours, e.g. 12h), a UTC date or time (2027-01-01 is "
    "00:00 UTC that day, 2027-01-01T18:00Z) or RFC 3339 (2027-01-01T18:00:00+02:00)";

// "90d" and "12h" count from `now` (1 to 36500 days, 1 to 876000 hours); a date or time is UTC
// unless it ends in an RFC 3339 offset ("+02:00", "-05:30"); fractions of a second are dropped.
// kInvalidArgument naming the accepted forms for anything else, for 0 or a negative count, and for
// a time that is not after `now`.
Result<TimePoint> parse_token_expiry(std::string_view text, TimePoint now);

}  // namespace capf
