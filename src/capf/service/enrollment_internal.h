// Helpers shared by the two files that implement EnrollmentService (the phone flows, and the
// external-CA request flow). Not part of the service's interface.
#pragma once

#include <string>
#include <utility>

#include "capf/service/enrollment_service.h"

namespace capf::detail {

// A decision (OpenDecision or KeyDecision) that ends the session with `end`, logging `log`.
template <typename Decision>
Decision ending(SessionEnd end, std::string log) {
  Decision d;
  d.kind = Decision::Kind::kEnd;
  d.end = end;
  d.log = std::move(log);
  return d;
}

// Records how the session's operation went on the device; clear_operation clears the pending
// operation, but only if it is still ours (an admin may have changed it during the session).
inline void record_status(Device& d, const EnrollmentContext& ctx, const OperationStatus& status,
                          TimePoint now, std::string detail, bool clear_operation = true) {
  d.status = status;
  d.status_time = now;
  d.status_detail = std::move(detail);
  if (clear_operation && d.operation == ctx.operation)
    d.operation = Operation::kNone;
}

// CUCM's status for an issuer error: CA Communication Failure, CA Rejected Connection, or a plain
// "Upgrade Failed" for our own problems.
inline FailureReason ca_failure_reason(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kUntrusted:
    case ErrorCode::kTimeout:
      return FailureReason::kCaCommunicationFailure;
    case ErrorCode::kPermissionDenied:
      return FailureReason::kCaRejectedConnection;
    default:
      return FailureReason::kNone;
  }
}

}  // namespace capf::detail
