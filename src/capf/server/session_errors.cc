#include "capf/server/session_errors.h"

#include "capf/protocol/message.h"

namespace capf {

SessionErrorAction classify_session_error(const Error& error, SessionPhase phase) {
  SessionErrorAction action;
  switch (error.code) {
    case ErrorCode::kTimeout:
      action.failure = phase == SessionPhase::kKeygen ? SessionFailure::kKeygenTimeout
                                                      : SessionFailure::kReadTimeout;
      action.end_reason = std::nullopt;
      break;
    case ErrorCode::kMalformed:
    case ErrorCode::kProtocol:
      // The stream is still intact: tell the phone the session failed (docs/protocol.md §6.7).
      action.failure = SessionFailure::kBadMessage;
      action.end_reason = protocol::reason::kFailure;
      break;
    case ErrorCode::kUnavailable:
      action.failure = SessionFailure::kShutdown;
      action.end_reason = protocol::reason::kFailure;
      break;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kCrypto:
    case ErrorCode::kUntrusted:
    case ErrorCode::kIo:
    case ErrorCode::kDatabase:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kConflict:
    case ErrorCode::kInternal:
      action.failure = SessionFailure::kDisconnected;
      action.end_reason = std::nullopt;
      break;
  }
  return action;
}

}  // namespace capf
