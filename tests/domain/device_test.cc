#include "capf/domain/device.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>

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

// Every value from 0 (1 for AuthMode) to `last` has exactly one row, and its short name and
// display text are unique and parse back to it. Returns the short names joined by spaces.
template <typename E, std::size_t N, typename Parse>
std::string check_table(const Spelling<E> (&table)[N], int first, E last, Parse parse) {
  EXPECT_EQ(N, static_cast<std::size_t>(static_cast<int>(last) - first + 1));
  std::set<std::string_view> names, displays;
  std::string joined;
  for (int i = first; i <= static_cast<int>(last); ++i) {
    const E value = static_cast<E>(i);
    const Spelling<E>* row = spelling_of(table, value);
    if (row == nullptr) {
      ADD_FAILURE() << "no row for value " << i;
      continue;
    }
    EXPECT_TRUE(names.insert(row->name).second) << row->name;
    EXPECT_TRUE(displays.insert(row->display).second) << row->display;
    EXPECT_EQ(parse(row->name), std::optional<E>(value)) << row->name;
    if (!row->display.empty()) {
      EXPECT_EQ(parse(row->display), std::optional<E>(value)) << row->display;
    }
    joined += (joined.empty() ? "" : " ") + std::string(row->name);
  }
  EXPECT_EQ(name_of(table, static_cast<E>(static_cast<int>(last) + 1)), "?");
  return joined;
}

template <typename E>
std::optional<E> value_of(Result<E> r) {
  return r ? std::optional<E>(*r) : std::nullopt;
}

TEST(Spellings, EveryValueHasOneRowThatRoundTrips) {
  // The short names are stored in registries: they must never change.
  EXPECT_EQ(check_table(kOperationSpellings, 0, Operation::kTroubleshoot,
                        [](std::string_view t) { return value_of(parse_operation(t)); }),
            "none install delete troubleshoot");
  EXPECT_EQ(check_table(kAuthModeSpellings, 1, AuthMode::kMicFirst,
                        [](std::string_view t) { return value_of(parse_auth_mode(t)); }),
            "string null lsc mic");
  EXPECT_EQ(check_table(kKeyOrderSpellings, 0, KeyOrder::kEcPreferredRsaBackup,
                        [](std::string_view t) { return value_of(parse_key_order(t)); }),
            "rsa ec ec-rsa");
  auto kind = [](std::string_view t) { return parse_spelling(kStatusKindSpellings, t, true); };
  EXPECT_EQ(check_table(kStatusKindSpellings, 0, StatusKind::kFailed, kind),
            "none pending success failed");
  auto reason = [](std::string_view t) { return parse_spelling(kFailureReasonSpellings, t, true); };
  EXPECT_EQ(check_table(kFailureReasonSpellings, 0, FailureReason::kNoEcSupport, reason),
            "none invalid-lsc invalid-auth-string invalid-mic invalid-credentials "
            "phone-communication-failure key-generation-failed key-generation-timeout "
            "request-late request-timed-out ca-communication-failure ca-rejected-connection "
            "no-ec-support");
  EXPECT_EQ(kAllFailureReasons.size(), std::size(kFailureReasonSpellings));
}

TEST(Spellings, EveryStatusPrintsAndParsesBack) {
  for (StatusKind kind : kAllStatusKinds) {
    for (Operation op : kAllOperations) {
      for (FailureReason r : kAllFailureReasons) {
        if (kind != StatusKind::kFailed && r != FailureReason::kNone)
          continue;
        if ((kind == StatusKind::kNone || kind == StatusKind::kPending) && op != Operation::kNone)
          continue;
        const OperationStatus s{kind, op, r};
        auto parsed = parse_status(to_string(s));
        ASSERT_TRUE(parsed) << to_string(s);
        EXPECT_EQ(*parsed, s) << to_string(s);
      }
    }
  }
}

}  // namespace
}  // namespace capf
