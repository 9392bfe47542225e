#include "capf/store/stored_values.h"

namespace capf {

std::string_view stored_name(StatusKind kind) {
  return name_of(kStatusKindSpellings, kind);
}

std::string_view stored_name(FailureReason reason) {
  return name_of(kFailureReasonSpellings, reason);
}

Result<StatusKind> parse_stored_status_kind(std::string_view text) {
  if (auto kind = parse_spelling(kStatusKindSpellings, text, /*or_display=*/false))
    return *kind;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown status kind '{}': use none, pending, success or failed", text);
}

Result<FailureReason> parse_stored_failure_reason(std::string_view text) {
  if (auto reason = parse_spelling(kFailureReasonSpellings, text, /*or_display=*/false))
    return *reason;
  return make_error(ErrorCode::kInvalidArgument, "unknown failure reason '{}'", text);
}

Result<OperationStatus> parse_stored_status(std::string_view kind, std::string_view operation,
                                            std::string_view reason) {
  auto k = parse_stored_status_kind(kind);
  if (!k) {
    return Error{ErrorCode::kDatabase, "bad status_kind column: " + k.error().message};
  }
  auto op = parse_operation(operation);
  if (!op) {
    return Error{ErrorCode::kDatabase, "bad status_operation column: " + op.error().message};
  }
  auto r = parse_stored_failure_reason(reason);
  if (!r) {
    return Error{ErrorCode::kDatabase, "bad status_reason column: " + r.error().message};
  }
  return OperationStatus{*k, *op, *r};
}

std::optional<std::string> prefix_upper_bound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    auto last = static_cast<unsigned char>(bound.back());
    if (last != 0xff) {
      bound.back() = static_cast<char>(last + 1);
      return bound;
    }
    bound.pop_back();
  }
  return std::nullopt;
}

Result<std::string> normalize_fingerprint(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return make_error(ErrorCode::kInvalidArgument,
                        "fingerprint '{}' is not hex: give the SHA-256 fingerprint's hex digits",
                        text);
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace capf
