// server/session_errors.cc is the one place where the session's outcomes become wire bytes: every
// way the service ends a session has its END_SESSION reason (docs/protocol.md §6), and only a
// phone's REASON 1 counts as done.
#include "capf/server/session_errors.h"

#include <gtest/gtest.h>

#include "capf/protocol/message.h"

namespace capf {
namespace {

struct WireCase {
  SessionEnd end;
  std::uint8_t reason;
};

class WireReason : public ::testing::TestWithParam<WireCase> {};

TEST_P(WireReason, EachServiceOutcomeHasItsEndSessionReason) {
  EXPECT_EQ(wire_reason(GetParam().end), GetParam().reason);
}

constexpr std::uint8_t kNoAction = protocol::reason::kNoAction;
constexpr std::uint8_t kSuccess = protocol::reason::kSuccess;
constexpr std::uint8_t kFailure = protocol::reason::kFailure;

INSTANTIATE_TEST_SUITE_P(AllOutcomes, WireReason,
                         ::testing::Values(WireCase{SessionEnd::kCertificateStored, kSuccess},
                                           WireCase{SessionEnd::kCertificateDeleted, kSuccess},
                                           WireCase{SessionEnd::kCertificatesFetched, kNoAction},
                                           WireCase{SessionEnd::kNothingFetched, kNoAction},
                                           WireCase{SessionEnd::kNoOperation, kNoAction},
                                           WireCase{SessionEnd::kWaitingForCa, kNoAction},
                                           WireCase{SessionEnd::kUnknownDevice,
                                                    protocol::reason::kUnknownDevice},
                                           WireCase{SessionEnd::kUnsupportedVersion, kFailure},
                                           WireCase{SessionEnd::kRegistryUnavailable, kFailure},
                                           WireCase{SessionEnd::kDeadlinePassed, kFailure},
                                           WireCase{SessionEnd::kAuthenticationFailed, kFailure},
                                           WireCase{SessionEnd::kNoSupportedKey, kFailure},
                                           WireCase{SessionEnd::kKeyGenerationFailed, kFailure},
                                           WireCase{SessionEnd::kSigningFailed, kFailure},
                                           WireCase{SessionEnd::kCaDenied, kFailure},
                                           WireCase{SessionEnd::kCaUnreachable, kFailure},
                                           WireCase{SessionEnd::kIssuingFailed, kFailure},
                                           WireCase{SessionEnd::kNotStored, kFailure},
                                           WireCase{SessionEnd::kNotDeleted, kFailure},
                                           WireCase{SessionEnd::kInternalError, kFailure}));

TEST(PhoneAnswer, OnlyReasonOneIsDoneAndTheNumberIsKept) {
  for (int byte = 0; byte < 256; ++byte) {
    const PhoneAnswer answer = phone_answer(static_cast<std::uint8_t>(byte));
    EXPECT_EQ(answer.done, byte == 1) << byte;
    EXPECT_EQ(answer.reason, byte);
  }
}

struct ErrorCase {
  ErrorCode code;
  SessionPhase phase;
  SessionFailure failure;
  std::optional<std::uint8_t> end_reason;
};

class SessionErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(SessionErrors, EachErrorIsRecordedAndAnsweredOnce) {
  const SessionErrorAction action =
      classify_session_error(make_error(GetParam().code, "x"), GetParam().phase);
  EXPECT_EQ(action.failure, GetParam().failure);
  EXPECT_EQ(action.end_reason, GetParam().end_reason);
}

INSTANTIATE_TEST_SUITE_P(
    Table, SessionErrors,
    ::testing::Values(
        ErrorCase{ErrorCode::kTimeout, SessionPhase::kAuth, SessionFailure::kReadTimeout, {}},
        ErrorCase{ErrorCode::kTimeout, SessionPhase::kReply, SessionFailure::kReadTimeout, {}},
        ErrorCase{ErrorCode::kTimeout, SessionPhase::kKeygen, SessionFailure::kKeygenTimeout, {}},
        ErrorCase{ErrorCode::kMalformed, SessionPhase::kAuth, SessionFailure::kBadMessage,
                  kFailure},
        ErrorCase{ErrorCode::kProtocol, SessionPhase::kKeygen, SessionFailure::kBadMessage,
                  kFailure},
        ErrorCase{ErrorCode::kUnavailable, SessionPhase::kReply, SessionFailure::kShutdown,
                  kFailure},
        ErrorCase{ErrorCode::kIo, SessionPhase::kReply, SessionFailure::kDisconnected, {}},
        ErrorCase{ErrorCode::kCrypto, SessionPhase::kAuth, SessionFailure::kDisconnected, {}}));

}  // namespace
}  // namespace capf
