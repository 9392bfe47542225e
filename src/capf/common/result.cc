#include "capf/common/result.h"

namespace capf {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kProtocol:
      return "protocol";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kCrypto:
      return "crypto";
    case ErrorCode::kUntrusted:
      return "untrusted";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kDatabase:
      return "database";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

}  // namespace capf
