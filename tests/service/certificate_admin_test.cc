// CertificateAdmin: revocation by hand (reasons, idempotence, unknown serials), CRL numbering and
// contents, and automatic renewal on the fake clock, which the phone then completes by its LSC.
#include "capf/service/certificate_admin.h"

#include <gtest/gtest.h>

#include <chrono>

#include "capf/pki/crl.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";
constexpr const char* kOther = "SEP00112233AAAA";
constexpr auto kDay = std::chrono::hours(24);

class CertificateAdminTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    certs_ = std::make_unique<CertificateAdmin>(*registry_, clock_);
  }

  // Installs an LSC for `name` with the null string; returns it and the phone's key.
  pki::Certificate enrol(const std::string& name, std::optional<pki::PrivateKey>* key = nullptr) {
    DeviceChange c;
    c.name = name;
    c.operation = Operation::kInstall;
    c.auth_mode = AuthMode::kNullString;
    set(c);
    auto lsc = install(name, auth_response(name), {KeyType::kEc, 256}, key);
    EXPECT_TRUE(lsc);
    return *lsc;
  }

  std::unique_ptr<CertificateAdmin> certs_;
};

TEST_F(CertificateAdminTest, RevokeMarksTheLedgerAndTheDeviceHistory) {
  const pki::Certificate lsc = enrol(kPhone);
  auto r = certs_->revoke(lsc.serial_hex(), "keyCompromise", "cli:alice");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->state, CertificateState::kRevoked);
  EXPECT_EQ(r->revocation_reason, "keyCompromise");
  EXPECT_EQ(r->state_time, clock_.now());
  auto stored = registry_->find_certificate(lsc.serial_hex());
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, CertificateState::kRevoked);
  auto history = admin_->device_history(kPhone, 5);
  ASSERT_TRUE(history && !history->empty());
  EXPECT_NE(history->front().detail.find("cli:alice"), std::string::npos);
  EXPECT_NE(history->front().detail.find(lsc.serial_hex()), std::string::npos);
  AuditFilter f;
  f.target = lsc.serial_hex();
  auto audit = registry_->list_audit(f);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ(audit->front().action, "certificate.revoke");
  EXPECT_EQ(audit->front().actor, "cli:alice");
  EXPECT_NE(audit->front().before.find("\"state\":\"installed\""), std::string::npos)
      << audit->front().before;
  EXPECT_NE(audit->front().after.find("\"state\":\"revoked\""), std::string::npos)
      << audit->front().after;
  EXPECT_EQ(audit->front().after.find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(CertificateAdminTest, RevokeAcceptsTheSerialAsOpensslPrintsIt) {
  const pki::Certificate lsc = enrol(kPhone);
  std::string upper;
  const std::string serial = lsc.serial_hex();
  for (std::size_t i = 0; i < serial.size(); ++i) {
    if (i > 0 && i % 2 == 0)
      upper.push_back(':');
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(serial[i]))));
  }
  auto r = certs_->revoke(upper, "superseded", "t");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->serial_hex, serial);
}

TEST_F(CertificateAdminTest, RevokingTwiceKeepsTheFirstReasonAndTime) {
  const pki::Certificate lsc = enrol(kPhone);
  ASSERT_TRUE(certs_->revoke(lsc.serial_hex(), "keyCompromise", "t"));
  const TimePoint first = clock_.now();
  clock_.advance(kDay);
  auto again = certs_->revoke(lsc.serial_hex(), "superseded", "t");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->revocation_reason, "keyCompromise");
  EXPECT_EQ(again->state_time, first);
}

TEST_F(CertificateAdminTest, BadReasonsAndUnknownSerialsChangeNothing) {
  const pki::Certificate lsc = enrol(kPhone);
  auto bad = certs_->revoke(lsc.serial_hex(), "lostIt", "t");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("keyCompromise"), std::string::npos) << bad.error().message;
  auto delta = certs_->revoke(lsc.serial_hex(), "removeFromCRL", "t");
  ASSERT_FALSE(delta);
  EXPECT_NE(delta.error().message.find("delta"), std::string::npos);
  auto unknown = certs_->revoke("0123456789abcdef", "keyCompromise", "t");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("opencapf cert list"), std::string::npos);
  auto stored = registry_->find_certificate(lsc.serial_hex());
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, CertificateState::kInstalled);
}

TEST_F(CertificateAdminTest, CrlListsTheRevokedWithReasonsAndItsNumberGrows) {
  const pki::Certificate kept = enrol(kPhone);
  const pki::Certificate gone = enrol(kOther);
  auto first = certs_->make_crl(*identity_->current(), 7);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->revoked, 0U);
  ASSERT_TRUE(certs_->revoke(gone.serial_hex(), "cessationOfOperation", "t"));
  clock_.advance(std::chrono::hours(1));
  auto second = certs_->make_crl(*identity_->current(), 7);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_GT(second->number, first->number);
  EXPECT_EQ(second->revoked, 1U);
  EXPECT_EQ(second->this_update, clock_.now());
  EXPECT_EQ(second->next_update, clock_.now() + 7 * kDay);

  auto info = pki::parse_crl(as_bytes(second->pem));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(pki::verify_crl(as_bytes(second->pem), identity_->current()->certificate));
  EXPECT_EQ(info->issuer, identity_->current()->certificate.subject());
  ASSERT_TRUE(info->crl_number);
  EXPECT_EQ(static_cast<std::int64_t>(*info->crl_number), second->number);
  ASSERT_EQ(info->entries.size(), 1U);
  EXPECT_EQ(info->entries[0].serial_hex, gone.serial_hex());
  EXPECT_EQ(info->entries[0].reason, pki::RevocationReason::kCessationOfOperation);
  EXPECT_NE(info->entries[0].serial_hex, kept.serial_hex());
}

TEST_F(CertificateAdminTest, CrlListsOnlyWhatThisCapfKeySigned) {
  const pki::Certificate old_lsc = enrol(kPhone);
  ASSERT_TRUE(certs_->revoke(old_lsc.serial_hex(), "superseded", "t"));
  const auto old_identity = identity_->current();
  // A regenerated identity with the same subject and a new key.
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  auto cert = pki::make_capf_certificate(*key, {old_identity->certificate.subject(), 365}, clock_);
  ASSERT_TRUE(cert) << cert.error().message;
  identity_->replace(std::make_shared<const CapfIdentity>(CapfIdentity{*cert, *key, {}}));
  const pki::Certificate new_lsc = enrol(kOther);
  ASSERT_TRUE(certs_->revoke(new_lsc.serial_hex(), "keyCompromise", "t"));

  auto current = certs_->make_crl(*identity_->current(), 7);
  ASSERT_TRUE(current) << current.error().message;
  EXPECT_EQ(current->revoked, 1U);
  EXPECT_EQ(current->other_issuers, 1U);
  auto info = pki::parse_crl(as_bytes(current->pem));
  ASSERT_TRUE(info && info->entries.size() == 1U);
  EXPECT_EQ(info->entries[0].serial_hex, new_lsc.serial_hex());
  auto previous = certs_->make_crl(*old_identity, 7);
  ASSERT_TRUE(previous) << previous.error().message;
  info = pki::parse_crl(as_bytes(previous->pem));
  ASSERT_TRUE(info && info->entries.size() == 1U);
  EXPECT_EQ(info->entries[0].serial_hex, old_lsc.serial_hex());
}

TEST_F(CertificateAdminTest, RenewalSchedulesOnlyLscsInsideTheWindow) {
  const pki::Certificate lsc = enrol(kPhone);
  // Another device enrols 200 days later: its LSC expires long after the first.
  clock_.advance(200 * kDay);
  enrol(kOther);
  // 340 days after the first install, 25 days before its LSC expires.
  clock_.advance(140 * kDay);
  auto none = certs_->schedule_renewals(20);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto off = certs_->schedule_renewals(0);
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->empty());
  auto scheduled = certs_->schedule_renewals(30);
  ASSERT_TRUE(scheduled) << scheduled.error().message;
  ASSERT_EQ(scheduled->size(), 1U);
  EXPECT_EQ(scheduled->front(), kPhone);

  Device d = get(kPhone);
  EXPECT_EQ(d.operation, Operation::kInstall);
  EXPECT_EQ(d.auth_mode, AuthMode::kLscFirst);
  EXPECT_EQ(d.status, OperationStatus::pending());
  ASSERT_TRUE(d.deadline);
  EXPECT_EQ(*d.deadline, lsc.not_after());
  EXPECT_NE(d.status_detail.find(lsc.serial_hex()), std::string::npos);
  auto history = admin_->device_history(kPhone, 5);
  ASSERT_TRUE(history && !history->empty());
  EXPECT_EQ(history->front().kind, "renewal");
  EXPECT_EQ(get(kOther).operation, Operation::kNone);

  // A device with an operation already scheduled is left alone.
  auto twice = certs_->schedule_renewals(30);
  ASSERT_TRUE(twice);
  EXPECT_TRUE(twice->empty());
}

TEST_F(CertificateAdminTest, RenewalLeavesExpiredAndRevokedLscsToTheAdmin) {
  const pki::Certificate revoked = enrol(kPhone);
  ASSERT_TRUE(certs_->revoke(revoked.serial_hex(), "keyCompromise", "t"));
  clock_.advance(100 * kDay);
  enrol(kOther);
  clock_.advance(270 * kDay);  // the first LSC has expired, the second expires in 95 days
  auto scheduled = certs_->schedule_renewals(30);
  ASSERT_TRUE(scheduled);
  EXPECT_TRUE(scheduled->empty());
  EXPECT_EQ(get(kPhone).operation, Operation::kNone);
  scheduled = certs_->schedule_renewals(100);
  ASSERT_TRUE(scheduled);
  EXPECT_EQ(*scheduled, std::vector<std::string>{kOther});
}

TEST_F(CertificateAdminTest, RenewWithinRefusesAWindowOutsideOneToTenYears) {
  enrol(kPhone);
  clock_.advance(350 * kDay);  // the LSC expires in about 15 days
  for (int days : {0, -5, CertificateAdmin::kMaxRenewalDays + 1}) {
    auto refused = certs_->renew_within(days);
    ASSERT_FALSE(refused) << days;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message.find("1 to 3650 days"), std::string::npos);
  }
  EXPECT_EQ(get(kPhone).operation, Operation::kNone);
  auto scheduled = certs_->renew_within(CertificateAdmin::kMaxRenewalDays);
  ASSERT_TRUE(scheduled) << scheduled.error().message;
  EXPECT_EQ(*scheduled, std::vector<std::string>{kPhone});
}

TEST_F(CertificateAdminTest, RenewalIsCompletedByThePhoneWithItsExistingLsc) {
  std::optional<pki::PrivateKey> key;
  const pki::Certificate lsc = enrol(kPhone, &key);
  clock_.advance(350 * kDay);
  auto scheduled = certs_->schedule_renewals(30);
  ASSERT_TRUE(scheduled && scheduled->size() == 1U);
  // Without the LSC the phone cannot renew (LSC-first falls back to the MIC, which it lacks).
  EXPECT_FALSE(install(kPhone, auth_response(kPhone), {KeyType::kEc, 256}));
  EXPECT_EQ(get(kPhone).status.kind, StatusKind::kFailed);
  DeviceChange none;
  none.name = kPhone;
  none.operation = Operation::kNone;
  set(none);
  ASSERT_EQ(certs_->schedule_renewals(30)->size(), 1U);
  auto r = auth_response(kPhone);
  present(r, lsc, *key);
  auto renewed = install(kPhone, r, {KeyType::kEc, 256});
  ASSERT_TRUE(renewed);
  EXPECT_NE(renewed->serial_hex(), lsc.serial_hex());
  EXPECT_GT(renewed->not_after(), lsc.not_after());
  Device d = get(kPhone);
  EXPECT_EQ(d.operation, Operation::kNone);
  ASSERT_TRUE(d.lsc);
  EXPECT_EQ(d.lsc->serial_hex, renewed->serial_hex());
  auto old = registry_->find_certificate(lsc.serial_hex());
  EXPECT_EQ((*old)->revocation_reason, "superseded");
}

}  // namespace
}  // namespace capf::testing
