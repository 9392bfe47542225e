#include "capf/store/stored_values.h"

#include <gtest/gtest.h>

#include "capf/store/device_store.h"

namespace capf {
namespace {

TEST(StoredValues, CertificateStatesRoundTrip) {
  for (CertificateState state : {CertificateState::kIssued, CertificateState::kInstalled,
                                 CertificateState::kRejected, CertificateState::kRevoked}) {
    auto parsed = parse_certificate_state(to_string(state));
    ASSERT_TRUE(parsed) << to_string(state);
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(to_string(CertificateState::kInstalled), "installed");
  auto bad = parse_certificate_state("lost");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("issued, installed, rejected or revoked"), std::string::npos);
}

TEST(StoredValues, RequestStatesRoundTrip) {
  for (RequestState state :
       {RequestState::kWaiting, RequestState::kReady, RequestState::kDelivered,
        RequestState::kFailed, RequestState::kSuperseded, RequestState::kCancelled}) {
    auto parsed = parse_request_state(to_string(state));
    ASSERT_TRUE(parsed) << to_string(state);
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(to_string(RequestState::kWaiting), "waiting");
  EXPECT_EQ(to_string(RequestState::kCancelled), "cancelled");
  auto bad = parse_request_state("Waiting");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("'Waiting'"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("superseded or cancelled"), std::string::npos)
      << bad.error().message;
}

TEST(StoredValues, StatusColumnsRoundTrip) {
  for (StatusKind kind :
       {StatusKind::kNone, StatusKind::kPending, StatusKind::kSuccess, StatusKind::kFailed}) {
    EXPECT_EQ(*parse_stored_status_kind(stored_name(kind)), kind);
  }
  for (int r = 0; r <= static_cast<int>(FailureReason::kNoEcSupport); ++r) {
    auto reason = static_cast<FailureReason>(r);
    auto parsed = parse_stored_failure_reason(stored_name(reason));
    ASSERT_TRUE(parsed) << stored_name(reason);
    EXPECT_EQ(*parsed, reason);
  }
  auto status = parse_stored_status("failed", "install", "invalid-auth-string");
  ASSERT_TRUE(status);
  EXPECT_EQ(*status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString));
  auto bad = parse_stored_status("failed", "install", "gremlins");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kDatabase);
  EXPECT_NE(bad.error().message.find("status_reason"), std::string::npos);
}

TEST(StoredValues, PrefixUpperBound) {
  EXPECT_EQ(prefix_upper_bound("SEP"), "SEQ");
  EXPECT_EQ(prefix_upper_bound("ab\xff"), "ac");
  EXPECT_EQ(prefix_upper_bound("\xff\xff"), std::nullopt);
  EXPECT_EQ(prefix_upper_bound(""), std::nullopt);
}

TEST(StoredValues, NormalizesFingerprints) {
  EXPECT_EQ(*normalize_fingerprint("AB:cd:0F"), "abcd0f");
  EXPECT_EQ(*normalize_fingerprint("deadbeef"), "deadbeef");
  auto bad = normalize_fingerprint("dead beef");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace capf
