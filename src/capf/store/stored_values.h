// How registry values are spelled in the database. Every SQL implementation uses these, so that a
// row means the same thing in SQLite and in PostgreSQL and a registry can be copied between them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "capf/common/result.h"
#include "capf/domain/device.h"

namespace capf {

// Status columns hold the short names of domain/device.h's tables: status_kind
// (kStatusKindSpellings: "none" | "pending" | "success" | "failed"), status_operation
// (kOperationSpellings: "install", ...), status_reason (kFailureReasonSpellings: "none" |
// "invalid-lsc" | ...).
std::string_view stored_name(StatusKind kind);
std::string_view stored_name(FailureReason reason);
Result<StatusKind> parse_stored_status_kind(std::string_view text);
Result<FailureReason> parse_stored_failure_reason(std::string_view text);
// Rebuilds a status from its three columns; kDatabase naming the bad column value.
Result<OperationStatus> parse_stored_status(std::string_view kind, std::string_view operation,
                                            std::string_view reason);

// The smallest string greater than every string that starts with `prefix` (for an index range
// `name >= prefix AND name < bound` under byte-wise collation); nullopt when there is none (an
// empty prefix or one made only of 0xff bytes).
std::optional<std::string> prefix_upper_bound(std::string_view prefix);

// A trust-store fingerprint as stored: lower-case hex without separators. Accepts upper case and
// ':' separators ("AB:CD:..."). kInvalidArgument if a character is not hex.
Result<std::string> normalize_fingerprint(std::string_view text);

// The shortest fingerprint prefix remove_trust() accepts.
inline constexpr std::size_t kMinFingerprintPrefix = 8;

}  // namespace capf
