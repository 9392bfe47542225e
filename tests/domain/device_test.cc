#include "capf/domain/device.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(OperationStatus, NamesFollowCucm) {
  EXPECT_EQ(to_string(OperationStatus::none()), "None");
  EXPECT_EQ(to_string(OperationStatus::pending()), "Operation Pending");
  EXPECT_EQ(to_string(OperationStatus::success(Operation::kInstall)), "Upgrade Success");
  EXPECT_EQ(to_string(OperationStatus::success(Operation::kTroubleshoot)), "Troubleshoot Success");
  EXPECT_EQ(
      to_string(OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString)),
      "Upgrade Failed: Invalid Authentication String");
  EXPECT_EQ(to_string(OperationStatus::failed(Operation::kDelete, FailureReason::kNone)),
            "Delete Failed");
  EXPECT_EQ(to_string(OperationStatus::failed(Operation::kInstall, FailureReason::kNoEcSupport)),
            "Upgrade Failed: No Support for EC only in CAPF version 3");
}

TEST(OperationStatus, ParsesWhatItPrints) {
  for (Operation op : {Operation::kInstall, Operation::kDelete, Operation::kTroubleshoot}) {
    for (FailureReason r : {FailureReason::kNone, FailureReason::kInvalidLsc,
                            FailureReason::kRequestLate, FailureReason::kCaRejectedConnection}) {
      OperationStatus s = OperationStatus::failed(op, r);
      auto parsed = parse_status(to_string(s));
      ASSERT_TRUE(parsed) << to_string(s);
      EXPECT_EQ(*parsed, s);
    }
  }
  EXPECT_FALSE(parse_status("Upgrade Exploded"));
}

TEST(Domain, ParsersNameTheAcceptedSpellings) {
  EXPECT_EQ(*parse_operation("install"), Operation::kInstall);
  EXPECT_EQ(*parse_auth_mode("mic"), AuthMode::kMicFirst);
  EXPECT_EQ(*parse_key_order("ec-rsa"), KeyOrder::kEcPreferredRsaBackup);
  auto bad = parse_operation("renew");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("install, delete, troubleshoot or none"), std::string::npos);
  EXPECT_EQ(*parse_key_spec("ec:p384"), (KeySpec{KeyType::kEc, 384}));
  EXPECT_EQ(*parse_key_spec("rsa:3072"), (KeySpec{KeyType::kRsa, 3072}));
  EXPECT_FALSE(parse_key_spec("dsa:1024"));
  EXPECT_FALSE(parse_key_spec("rsa:"));
}

TEST(Domain, KeyPlanFallsBackFromEcToRsa) {
  auto plan = key_plan(KeyOrder::kEcPreferredRsaBackup, 2048, 384);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], (KeySpec{KeyType::kEc, 384}));
  EXPECT_EQ(plan[1], (KeySpec{KeyType::kRsa, 2048}));
  EXPECT_EQ(key_plan(KeyOrder::kRsaOnly, 4096, 256).size(), 1u);
}

TEST(Domain, KeySizes) {
  EXPECT_TRUE(is_valid_rsa_bits(1024, false));
  EXPECT_FALSE(is_valid_rsa_bits(512, false));
  EXPECT_TRUE(is_valid_rsa_bits(512, true));
  EXPECT_FALSE(is_valid_rsa_bits(2000, true));
  EXPECT_TRUE(is_valid_ec_bits(521));
  EXPECT_FALSE(is_valid_ec_bits(224));
}

}  // namespace
}  // namespace capf
