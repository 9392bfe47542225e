// The one place that maps a phone session's outcome to the wire: the END_SESSION reason for each
// way the service ends a session, what the phone's own reason byte means, and, for what went wrong
// in the session itself, the END_SESSION reason (or a plain close) and the SessionFailure recorded
// on the device.
#pragma once

#include <cstdint>
#include <optional>

#include "capf/common/result.h"
#include "capf/service/enrollment_api.h"

namespace capf {

// The END_SESSION reason the phone receives when the service ends the session (docs/protocol.md
// §5, §6).
std::uint8_t wire_reason(SessionEnd end);

// The phone's reason byte in a STORE, FETCH, DELETE or SIGN response: done only for "success".
PhoneAnswer phone_answer(std::uint8_t reason);

enum class SessionPhase { kAuth, kKeygen, kReply };

struct SessionErrorAction {
  SessionFailure failure = SessionFailure::kDisconnected;
  // END_SESSION reason to send before closing, or nullopt when the connection is already unusable
  // (closed, timed out, TLS broken) and we just close.
  std::optional<std::uint8_t> end_reason;
};

SessionErrorAction classify_session_error(const Error& error, SessionPhase phase);

}  // namespace capf
