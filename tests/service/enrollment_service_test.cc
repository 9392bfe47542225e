#include "capf/service/enrollment_service.h"

#include <atomic>
#include <thread>
#include <vector>

#include "capf/pki/verify.h"
#include "capf/service/registry_check.h"
#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";

DeviceChange install_by(AuthMode mode, std::optional<std::string> string = std::nullopt) {
  DeviceChange c;
  c.name = kPhone;
  c.operation = Operation::kInstall;
  c.auth_mode = mode;
  c.auth_string = std::move(string);
  return c;
}

class EnrollmentServiceTest : public ServiceFixture {
 protected:
  // kPhone gets an LSC with a key of `spec` by null string, then an install by LSC is set for it:
  // returns the LSC, `r` becomes the AUTH_RESPONSE that presents it.
  std::optional<pki::Certificate> present_own_lsc(protocol::AuthResponse& r, KeySpec spec) {
    set(install_by(AuthMode::kNullString));
    std::optional<pki::PrivateKey> key;
    auto lsc = install(kPhone, auth_response(kPhone), spec, &key);
    if (!lsc)
      return std::nullopt;
    set(install_by(AuthMode::kLscFirst));
    r = auth_response(kPhone);
    present(r, *lsc, *key);
    return lsc;
  }
};

TEST_F(EnrollmentServiceTest, UnknownDeviceEndsAsUnknownAndWritesNothing) {
  OpenDecision d = service_->open(session(), auth_response("SEP00000000ABCD"));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(d.end, SessionEnd::kUnknownDevice);
  auto all = registry_->list_devices({});
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_F(EnrollmentServiceTest, NoOperationEndsAsNothingToDo) {
  DeviceChange c;
  c.name = kPhone;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(d.end, SessionEnd::kNoOperation);
}

TEST_F(EnrollmentServiceTest, VersionsOneToThreeAcceptedOthersRefused) {
  set(install_by(AuthMode::kNullString));
  for (std::uint8_t v : {1, 2, 3}) {
    auto r = auth_response(kPhone);
    r.version = v;
    EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kInstall) << int(v);
  }
  for (std::uint8_t v : {0, 4, 255}) {
    auto r = auth_response(kPhone);
    r.version = v;
    OpenDecision d = service_->open(session(), r);
    EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd) << int(v);
    EXPECT_EQ(d.end, SessionEnd::kUnsupportedVersion);
  }
}

TEST_F(EnrollmentServiceTest, InstallRecordsLedgerBeforeDeliveryAndSucceedsOnlyAfterStore) {
  set(install_by(AuthMode::kNullString));
  SessionInfo s = session();
  OpenDecision d = service_->open(s, auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall);
  KeyDecision k = answer_new_key(s, *d.context);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kStore) << k.log;
  auto cert = pki::Certificate::from_der(k.certificate_der);
  ASSERT_TRUE(cert);
  // Recorded before it is sent, but not yet a success.
  auto entry = registry_->find_certificate(cert->serial_hex());
  ASSERT_TRUE(entry && entry->has_value());
  EXPECT_EQ((*entry)->state, CertificateState::kIssued);
  EXPECT_EQ((*entry)->device_name, kPhone);
  EXPECT_EQ(get(kPhone).status, OperationStatus::pending());

  EXPECT_EQ(service_->stored(s, *d.context, kDone), SessionEnd::kCertificateStored);
  Device after = get(kPhone);
  EXPECT_EQ(after.status, OperationStatus::success(Operation::kInstall));
  EXPECT_EQ(after.operation, Operation::kNone);
  ASSERT_TRUE(after.lsc);
  EXPECT_EQ(after.lsc->serial_hex, cert->serial_hex());
  EXPECT_EQ((*registry_->find_certificate(cert->serial_hex()))->state,
            CertificateState::kInstalled);
  // The LSC chains to the CAPF certificate and follows the profile.
  EXPECT_TRUE(pki::verify_chain(*cert, {identity_->current()->certificate}, {}, {clock_.now()}));
  EXPECT_TRUE(pki::lsc_profile_problems(*cert, identity_->current()->certificate, kPhone).empty());
}

TEST_F(EnrollmentServiceTest, PhoneRefusingToStoreFailsTheUpgradeAndKeepsTheOperation) {
  set(install_by(AuthMode::kNullString));
  SessionInfo s = session();
  OpenDecision d = service_->open(s, auth_response(kPhone));
  KeyDecision k = answer_new_key(s, *d.context);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kStore);
  EXPECT_EQ(service_->stored(s, *d.context, kRefused), SessionEnd::kNotStored);
  Device after = get(kPhone);
  EXPECT_EQ(after.status, OperationStatus::failed(Operation::kInstall, FailureReason::kNone));
  EXPECT_EQ(after.operation, Operation::kInstall);
  EXPECT_FALSE(after.lsc);
  auto serial = pki::Certificate::from_der(k.certificate_der)->serial_hex();
  EXPECT_EQ((*registry_->find_certificate(serial))->state, CertificateState::kRejected);
}

TEST_F(EnrollmentServiceTest, SessionDroppedAfterDeliveryMarksCertificateRejected) {
  set(install_by(AuthMode::kNullString));
  SessionInfo s = session();
  OpenDecision d = service_->open(s, auth_response(kPhone));
  KeyDecision k = answer_new_key(s, *d.context);
  service_->failed(s, &*d.context, SessionFailure::kDisconnected,
                   "the phone closed the connection");
  Device after = get(kPhone);
  EXPECT_EQ(after.status, OperationStatus::failed(Operation::kInstall,
                                                  FailureReason::kPhoneCommunicationFailure));
  EXPECT_EQ(after.operation, Operation::kInstall);
  auto serial = pki::Certificate::from_der(k.certificate_der)->serial_hex();
  EXPECT_EQ((*registry_->find_certificate(serial))->state, CertificateState::kRejected);
}

TEST_F(EnrollmentServiceTest, KeygenTimeoutIsRecorded) {
  set(install_by(AuthMode::kNullString));
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  service_->failed(session(), &*d.context, SessionFailure::kKeygenTimeout, "no key in 300 s");
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kKeyGenerationTimeout));
}

TEST_F(EnrollmentServiceTest, WrongKeyTypeOrSizeIsKeyGenerationFailure) {
  DeviceChange c = install_by(AuthMode::kNullString);
  c.rsa_bits = 2048;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  KeyDecision k =
      answer_key(session(), *d.context, *pki::PrivateKey::generate({KeyType::kRsa, 1024}));
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kKeyGenerationFailed));
  EXPECT_NE(get(kPhone).status_detail.find("rsa:1024"), std::string::npos);
}

TEST_F(EnrollmentServiceTest, GarbagePublicKeyIsRefusedWithoutIssuing) {
  set(install_by(AuthMode::kNullString));
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  protocol::KeyGenerateResponse kr;
  kr.public_key = Bytes{0x30, 0x03, 0x02, 0x01, 0x00};
  KeyDecision k = service_->key_generated(session(), *d.context, kr);
  EXPECT_EQ(k.kind, KeyDecision::Kind::kEnd);
  auto certs = registry_->list_certificates({});
  ASSERT_TRUE(certs);
  EXPECT_TRUE(certs->empty());
}

TEST_F(EnrollmentServiceTest, EcPreferredFallsBackToRsaWhenThePhoneRefusesEc) {
  DeviceChange c = install_by(AuthMode::kNullString);
  c.key_order = KeyOrder::kEcPreferredRsaBackup;
  c.ec_bits = 384;
  c.rsa_bits = 2048;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  ASSERT_EQ(d.context->current_key(), (KeySpec{KeyType::kEc, 384}));
  protocol::KeyGenerateResponse refused;
  refused.reason = 7;
  KeyDecision k = service_->key_generated(session(), *d.context, refused);
  ASSERT_EQ(k.kind, KeyDecision::Kind::kAskNextKey);
  EXPECT_EQ(d.context->current_key(), (KeySpec{KeyType::kRsa, 2048}));
  EXPECT_EQ(
      answer_key(session(), *d.context, *pki::PrivateKey::generate({KeyType::kRsa, 2048})).kind,
      KeyDecision::Kind::kStore);
}

TEST_F(EnrollmentServiceTest, EcOnlyToAPhoneWithoutEcIsNoEcSupport) {
  DeviceChange c = install_by(AuthMode::kNullString);
  c.key_order = KeyOrder::kEcOnly;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  protocol::KeyGenerateResponse refused;
  refused.reason = 7;
  EXPECT_EQ(service_->key_generated(session(), *d.context, refused).kind, KeyDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kNoEcSupport));
}

TEST_F(EnrollmentServiceTest, WrongAuthStringCountsAndLocksAfterTheLimit) {
  set(install_by(AuthMode::kAuthString, "123456"));
  for (int i = 1; i <= 3; ++i) {
    OpenDecision d = service_->open(session(), auth_response(kPhone, "654321"));
    EXPECT_EQ(d.end, SessionEnd::kAuthenticationFailed);
    Device dev = get(kPhone);
    EXPECT_EQ(dev.auth_failures, i);
    EXPECT_EQ(dev.status,
              OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString));
  }
  // Locked: even the right string fails now, and the count stops.
  OpenDecision d = service_->open(session(), auth_response(kPhone, "123456"));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).auth_failures, 3);
  EXPECT_NE(get(kPhone).status_detail.find("locked"), std::string::npos);
  // An admin setting the operation again unlocks it.
  set(install_by(AuthMode::kAuthString, "123456"));
  EXPECT_EQ(get(kPhone).auth_failures, 0);
  EXPECT_EQ(service_->open(session(), auth_response(kPhone, "123456")).kind,
            OpenDecision::Kind::kInstall);
}

// Sessions of one device arriving together compare at most max_string_attempts strings: each
// attempt is counted (atomically) before its string is compared.
TEST_F(EnrollmentServiceTest, ParallelWrongAuthStringsCompareNoMoreThanTheLimit) {
  set(install_by(AuthMode::kAuthString, "123456"));
  std::atomic<int> compared{0}, locked{0};
  std::vector<std::thread> phones;
  for (int i = 0; i < 12; ++i) {
    phones.emplace_back([&, i] {
      OpenDecision d = service_->open(session(0x100 + static_cast<std::uint32_t>(i)),
                                      auth_response(kPhone, "654321"));
      EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
      if (d.log.find("locked after 3") != std::string::npos)
        ++locked;
      else if (d.log.find("wrong authentication string") != std::string::npos)
        ++compared;
    });
  }
  for (auto& phone : phones)
    phone.join();
  EXPECT_EQ(compared.load(), 3);
  EXPECT_EQ(locked.load(), 9);
  EXPECT_EQ(get(kPhone).auth_failures, 3);
}

// A right string is counted while it is compared, then given back: a phone whose sessions with
// the right string keep failing later on is never locked out.
TEST_F(EnrollmentServiceTest, RightAuthStringDoesNotCountAsAFailure) {
  set(install_by(AuthMode::kAuthString, "123456"));
  EXPECT_EQ(service_->open(session(), auth_response(kPhone, "654321")).kind,
            OpenDecision::Kind::kEnd);
  for (int i = 0; i < 4; ++i) {
    OpenDecision d = service_->open(session(), auth_response(kPhone, "123456"));
    ASSERT_EQ(d.kind, OpenDecision::Kind::kInstall) << d.log;
    service_->failed(session(), &*d.context, SessionFailure::kKeygenTimeout, "no key");
    EXPECT_EQ(get(kPhone).auth_failures, 1);
  }
}

TEST_F(EnrollmentServiceTest, MissingPasswordIsInvalidAuthString) {
  set(install_by(AuthMode::kAuthString, "123456"));
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString));
}

TEST_F(EnrollmentServiceTest, NullStringIgnoresAnyPassword) {
  set(install_by(AuthMode::kNullString));
  EXPECT_EQ(service_->open(session(), auth_response(kPhone, "whatever")).kind,
            OpenDecision::Kind::kInstall);
}

TEST_F(EnrollmentServiceTest, PastDeadlineFailsAsLate) {
  DeviceChange c = install_by(AuthMode::kNullString);
  c.deadline = clock_.now() + std::chrono::hours(1);
  set(c);
  clock_.advance(std::chrono::hours(2));
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(d.kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(d.end, SessionEnd::kDeadlinePassed);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kRequestLate));
}

TEST_F(EnrollmentServiceTest, DefaultDeadlineIsTenDays) {
  Device d = set(install_by(AuthMode::kNullString));
  ASSERT_TRUE(d.deadline);
  EXPECT_EQ(*d.deadline, clock_.now() + std::chrono::hours(240));
}

TEST_F(EnrollmentServiceTest, LscAuthenticationAcceptsOwnLscAndRenewsIt) {
  protocol::AuthResponse r;
  auto lsc = present_own_lsc(r, {KeyType::kEc, 256});
  ASSERT_TRUE(lsc);
  auto second = install(kPhone, r, {KeyType::kRsa, 2048});
  ASSERT_TRUE(second);
  EXPECT_NE(second->serial_hex(), lsc->serial_hex());
  // The replaced LSC is revoked as superseded.
  auto old = registry_->find_certificate(lsc->serial_hex());
  EXPECT_EQ((*old)->state, CertificateState::kRevoked);
  EXPECT_EQ((*old)->revocation_reason, "superseded");
  // ...so it no longer authenticates.
  set(install_by(AuthMode::kLscFirst));
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidLsc));
}

TEST_F(EnrollmentServiceTest, LscOfAnotherDeviceIsInvalidLsc) {
  DeviceChange other = install_by(AuthMode::kNullString);
  other.name = "SEP00112233AAAA";
  set(other);
  std::optional<pki::PrivateKey> key;
  auto lsc = install(other.name, auth_response(other.name), {KeyType::kEc, 256}, &key);
  ASSERT_TRUE(lsc);
  set(install_by(AuthMode::kLscFirst));
  auto r = auth_response(kPhone);
  present(r, *lsc, *key);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kEnd);
  Device d = get(kPhone);
  EXPECT_EQ(d.status, OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidLsc));
  EXPECT_NE(d.status_detail.find("SEP00112233AAAA"), std::string::npos);
}

TEST_F(EnrollmentServiceTest, ProofsMustVerify) {
  protocol::AuthResponse r;
  auto lsc = present_own_lsc(r, {KeyType::kRsa, 2048});
  ASSERT_TRUE(lsc);
  auto bad = r;
  bad.signed_data->back() ^= 1;
  EXPECT_EQ(service_->open(session(), bad).kind, OpenDecision::Kind::kEnd);
  bad = r;
  bad.sha2_signed_data->signature.front() ^= 1;
  EXPECT_EQ(service_->open(session(), bad).kind, OpenDecision::Kind::kEnd);
  bad = r;
  bad.sha2_signed_data.reset();
  EXPECT_EQ(service_->open(session(), bad).kind, OpenDecision::Kind::kEnd);
  bad = r;
  bad.sha2_signed_data->hash_id = 2;
  EXPECT_EQ(service_->open(session(), bad).kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kInstall);
}

TEST_F(EnrollmentServiceTest, ExpiredLscIsInvalid) {
  set(install_by(AuthMode::kNullString));
  std::optional<pki::PrivateKey> key;
  auto lsc = install(kPhone, auth_response(kPhone), {KeyType::kEc, 256}, &key);
  DeviceChange c = install_by(AuthMode::kLscFirst);
  c.deadline = clock_.now() + std::chrono::hours(24 * 400);
  set(c);
  clock_.advance(std::chrono::hours(24 * 366));
  auto r = auth_response(kPhone);
  present(r, *lsc, *key);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidLsc));
}

class MicAuth : public EnrollmentServiceTest {
 protected:
  void make_mic(const std::string& cn) {
    mfg_key_ = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
    mfg_ = *pki::make_capf_certificate(*mfg_key_, {"CN=Test Manufacturing CA,O=Cisco test", 3650},
                                       clock_);
    mic_key_ = *pki::PrivateKey::generate({KeyType::kRsa, 2048});
    // A MIC-like certificate: issue_lsc gives a leaf signed by the manufacturing CA with CN = cn.
    pki::LscParams p{cn, mic_key_->spki_der(), pki::random_serial(), 3650};
    mic_ = *pki::issue_lsc(p, *mfg_, *mfg_key_, clock_);
  }
  // An install by MIC for kPhone, and the AUTH_RESPONSE of a phone presenting a MIC named `cn`
  // whose manufacturing CA mic-trust holds or not.
  protocol::AuthResponse present_mic(const std::string& cn, bool trusted) {
    make_mic(cn);
    if (trusted) {
      EXPECT_TRUE(trust_->add(kMicTrust, *mfg_, "mfg"));
    }
    set(install_by(AuthMode::kMicFirst));
    auto r = auth_response(kPhone);
    present(r, *mic_, *mic_key_);
    return r;
  }
  std::optional<pki::PrivateKey> mfg_key_, mic_key_;
  std::optional<pki::Certificate> mfg_, mic_;
};

TEST_F(MicAuth, MicChainedToMicTrustAndNamingTheDeviceIsAccepted) {
  auto r = present_mic(std::string("CP-8865-") + kPhone, /*trusted=*/true);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kInstall);
}

TEST_F(MicAuth, UntrustedMicIsInvalidMic) {
  auto r = present_mic(std::string("CP-8865-") + kPhone, /*trusted=*/false);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidMic));
}

TEST_F(MicAuth, MicOfAnotherPhoneIsInvalidMic) {
  auto r = present_mic("CP-8865-SEP999999999999", /*trusted=*/true);
  EXPECT_EQ(service_->open(session(), r).kind, OpenDecision::Kind::kEnd);
}

TEST_F(MicAuth, SudiSignaturesUseTheLittleEndianSessionId) {
  auto r = present_mic(std::string("CP-8865-") + kPhone, /*trusted=*/true);
  const std::uint32_t id = 0x12345678;
  Bytes le = protocol::sudi_signed_bytes(id, mic_->der());
  r.sudi = protocol::SudiData{0,
                              mic_->der(),
                              {1, *mic_key_->sign_proof(pki::Hash::kSha1, le)},
                              {3, *mic_key_->sign_proof(pki::Hash::kSha512, le)}};
  EXPECT_EQ(service_->open(session(id), r).kind, OpenDecision::Kind::kInstall);
  // The same proof replayed in another session (another id) fails.
  EXPECT_EQ(service_->open(session(0x78563412), r).kind, OpenDecision::Kind::kEnd);
  EXPECT_EQ(get(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidCredentials));
}

TEST_F(EnrollmentServiceTest, TroubleshootCollectsCertificates) {
  DeviceChange c;
  c.name = kPhone;
  c.operation = Operation::kTroubleshoot;
  c.auth_mode = AuthMode::kNullString;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kFetch);
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  auto cert = pki::issue_lsc({kPhone, key->spki_der(), pki::random_serial(), 30},
                             identity_->current()->certificate, identity_->current()->key, clock_);
  const std::vector<protocol::CertificateItem> sent = {
      protocol::CertificateItem{1, 0, cert->der()}};
  EXPECT_EQ(service_->fetched(session(), *d.context, kDone, sent),
            SessionEnd::kCertificatesFetched);
  Device after = get(kPhone);
  EXPECT_EQ(after.status, OperationStatus::success(Operation::kTroubleshoot));
  EXPECT_EQ(after.operation, Operation::kNone);
  auto events = registry_->device_events(kPhone, 5);
  ASSERT_TRUE(events);
  bool found = false;
  for (const auto& e : *events) {
    if (e.kind == "troubleshoot" && e.detail.find(cert->serial_hex()) != std::string::npos)
      found = true;
  }
  EXPECT_TRUE(found);
}

TEST_F(EnrollmentServiceTest, DeleteClearsTheLscAndRevokesIt) {
  set(install_by(AuthMode::kNullString));
  auto lsc = install(kPhone, auth_response(kPhone), {KeyType::kEc, 256});
  ASSERT_TRUE(lsc);
  DeviceChange c;
  c.name = kPhone;
  c.operation = Operation::kDelete;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  ASSERT_EQ(d.kind, OpenDecision::Kind::kDelete);
  EXPECT_EQ(service_->deleted(session(), *d.context, kDone), SessionEnd::kCertificateDeleted);
  Device after = get(kPhone);
  EXPECT_EQ(after.status, OperationStatus::success(Operation::kDelete));
  EXPECT_FALSE(after.lsc);
  EXPECT_EQ((*registry_->find_certificate(lsc->serial_hex()))->state, CertificateState::kRevoked);
}

TEST_F(EnrollmentServiceTest, DeleteWithNothingToDeleteFails) {
  DeviceChange c;
  c.name = kPhone;
  c.operation = Operation::kDelete;
  set(c);
  OpenDecision d = service_->open(session(), auth_response(kPhone));
  EXPECT_EQ(service_->deleted(session(), *d.context, kRefused), SessionEnd::kNotDeleted);
  EXPECT_EQ(get(kPhone).status, OperationStatus::failed(Operation::kDelete, FailureReason::kNone));
}

// A confirmation replaces every LSC still marked installed for the device, including one an
// older crash left behind that the device no longer shows.
TEST_F(EnrollmentServiceTest, ConfirmationRevokesEveryLscItReplaces) {
  set(install_by(AuthMode::kNullString));
  auto first = install(kPhone, auth_response(kPhone), {KeyType::kEc, 256});
  ASSERT_TRUE(first);
  set(install_by(AuthMode::kNullString));
  auto stray = deliver(auth_response(kPhone));
  ASSERT_TRUE(stray);
  // As an old build's crash left it: the ledger says installed, the device never learnt of it.
  ASSERT_TRUE(registry_->set_certificate_state(stray->cert.serial_hex(),
                                               CertificateState::kInstalled, clock_.now(), ""));
  auto third = install(kPhone, auth_response(kPhone), {KeyType::kEc, 256});
  ASSERT_TRUE(third);
  ASSERT_TRUE(get(kPhone).lsc);
  EXPECT_EQ(get(kPhone).lsc->serial_hex, third->serial_hex());
  for (const auto& replaced : {first->serial_hex(), stray->cert.serial_hex()}) {
    auto entry = registry_->find_certificate(replaced);
    EXPECT_EQ((*entry)->state, CertificateState::kRevoked) << replaced;
    EXPECT_EQ((*entry)->revocation_reason, "superseded") << replaced;
  }
  auto report = check_registry(*registry_);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok()) << report->problems.front().detail;
}

// The confirmation is one transaction: when the device's part cannot be written (here it was
// removed during the session), the ledger is not marked installed either.
TEST_F(EnrollmentServiceTest, ConfirmationThatCannotUpdateTheDeviceChangesNothing) {
  set(install_by(AuthMode::kNullString));
  auto first = install(kPhone, auth_response(kPhone), {KeyType::kEc, 256});
  ASSERT_TRUE(first);
  set(install_by(AuthMode::kNullString));
  auto second = deliver(auth_response(kPhone));
  ASSERT_TRUE(second);
  ASSERT_TRUE(admin_->remove_device(kPhone, "test"));
  service_->stored(second->session, second->context, kDone);
  EXPECT_EQ((*registry_->find_certificate(second->cert.serial_hex()))->state,
            CertificateState::kIssued);
  EXPECT_EQ((*registry_->find_certificate(first->serial_hex()))->state,
            CertificateState::kInstalled);
}

TEST_F(EnrollmentServiceTest, AdminChangeDuringSessionIsNotOverwritten) {
  set(install_by(AuthMode::kNullString));
  SessionInfo s = session();
  OpenDecision d = service_->open(s, auth_response(kPhone));
  ASSERT_EQ(answer_new_key(s, *d.context).kind, KeyDecision::Kind::kStore);
  DeviceChange c;
  c.name = kPhone;
  c.operation = Operation::kTroubleshoot;
  set(c);
  service_->stored(s, *d.context, kDone);
  EXPECT_EQ(get(kPhone).operation, Operation::kTroubleshoot);
}

}  // namespace
}  // namespace capf::testing
