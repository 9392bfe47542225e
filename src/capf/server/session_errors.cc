#include "capf/server/session_errors.h"

#include "capf/protocol/message.h"

namespace capf {

std::uint8_t wire_reason(SessionEnd end) {
  switch (end) {
    case SessionEnd::kCertificateStored:
    case SessionEnd::kCertificateDeleted:
      return protocol::reason::kSuccess;  // "certificate changed"
    case SessionEnd::kCertificatesFetched:
    case SessionEnd::kNothingFetched:  // the reference sends 0 whatever the phone answered
    case SessionEnd::kNoOperation:
    case SessionEnd::kWaitingForCa:  // nothing failed: the phone keeps its key and comes back
      return protocol::reason::kNoAction;
    case SessionEnd::kUnknownDevice:
      return protocol::reason::kUnknownDevice;
    case SessionEnd::kDeviceBusy:  // the phone tries again later
    case SessionEnd::kUnsupportedVersion:
    case SessionEnd::kRegistryUnavailable:
    case SessionEnd::kDeadlinePassed:
    case SessionEnd::kAuthenticationFailed:
    case SessionEnd::kNoSupportedKey:
    case SessionEnd::kKeyGenerationFailed:
    case SessionEnd::kSigningFailed:
    case SessionEnd::kCaDenied:
    case SessionEnd::kCaUnreachable:
    case SessionEnd::kIssuingFailed:
    case SessionEnd::kNotStored:
    case SessionEnd::kNotDeleted:
    case SessionEnd::kInternalError:
      return protocol::reason::kFailure;
  }
  return protocol::reason::kFailure;
}

PhoneAnswer phone_answer(std::uint8_t reason) {
  return PhoneAnswer{reason == protocol::reason::kSuccess, reason};
}

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
