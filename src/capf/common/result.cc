#include "capf/common/result.h"

#include "capf/common/enum_names.h"

namespace capf {

namespace {
constexpr EnumName<ErrorCode> kErrorCodeNames[] = {
    {ErrorCode::kInvalidArgument, "invalid argument"},
    {ErrorCode::kMalformed, "malformed"},
    {ErrorCode::kProtocol, "protocol"},
    {ErrorCode::kNotFound, "not found"},
    {ErrorCode::kAlreadyExists, "already exists"},
    {ErrorCode::kCrypto, "crypto"},
    {ErrorCode::kUntrusted, "untrusted"},
    {ErrorCode::kIo, "io"},
    {ErrorCode::kDatabase, "database"},
    {ErrorCode::kTimeout, "timeout"},
    {ErrorCode::kUnavailable, "unavailable"},
    {ErrorCode::kPermissionDenied, "permission denied"},
    {ErrorCode::kConflict, "conflict"},
    {ErrorCode::kInternal, "internal"},
};
}  // namespace

std::string_view to_string(ErrorCode code) {
  return name_in(kErrorCodeNames, code, "unknown");
}

}  // namespace capf
