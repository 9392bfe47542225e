// The one place that maps what went wrong in a phone session to what the phone and the registry
// are told: the END_SESSION reason (or a plain close) and the SessionFailure recorded on the
// device.
#pragma once

#include <cstdint>
#include <optional>

#include "capf/common/result.h"
#include "capf/service/enrollment_service.h"

namespace capf {

enum class SessionPhase { kAuth, kKeygen, kReply };

struct SessionErrorAction {
  SessionFailure failure = SessionFailure::kDisconnected;
  // END_SESSION reason to send before closing, or nullopt when the connection is already unusable
  // (closed, timed out, TLS broken) and we just close.
  std::optional<std::uint8_t> end_reason;
};

SessionErrorAction classify_session_error(const Error& error, SessionPhase phase);

}  // namespace capf
