// A registry, trust stores, CAPF identity and the services over them, in a temporary directory,
// with a fake clock: what the enrollment and admin tests drive directly.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "capf/issuer/issuer_holder.h"
#include "capf/issuer/local/local_ca_issuer.h"
#include "capf/pki/profiles.h"
#include "capf/protocol/message.h"
#include "capf/service/admin_service.h"
#include "capf/service/authenticator.h"
#include "capf/service/enrollment_service.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "capf/trust/trust_stores.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::testing {

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    registry_ = open_test_registry(dir_, clock_, busy_timeout_ms_, fsync_);
    ASSERT_TRUE(registry_);
    trust_ = std::make_unique<TrustStores>(*registry_);
    auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
    ASSERT_TRUE(key);
    auto cert =
        pki::make_capf_certificate(*key, {"CN=CAPF-test,O=Example,OU=Voice,C=NZ", 365}, clock_);
    ASSERT_TRUE(cert) << cert.error().message;
    identity_ = std::make_unique<IdentityHolder>(
        std::make_shared<const CapfIdentity>(CapfIdentity{*cert, *key, {}}));
    ASSERT_TRUE(trust_->add(kCapfTrust, *cert, "capf (current)"));
    rebuild(policy_);
    admin_ = std::make_unique<AdminService>(*registry_, *trust_, clock_, AdminPolicy{10, false});
  }

  void rebuild(EnrollmentPolicy policy) {
    policy_ = policy;
    issuers_ =
        std::make_unique<IssuerHolder>(std::make_shared<LocalCaIssuer>(*identity_, clock_, 365));
    authenticator_ =
        std::make_unique<Authenticator>(*trust_, *registry_, *identity_, clock_, policy.auth);
    service_ = std::make_unique<EnrollmentService>(*registry_, *authenticator_, *issuers_,
                                                   *identity_, clock_, policy);
  }

  // The enrollment service as cluster node `node`, whose claims hold 60 s without renewal.
  void rebuild_as_node(const std::string& node) {
    EnrollmentPolicy policy;
    policy.node = node;
    policy.claim_lease = std::chrono::seconds(60);
    rebuild(policy);
  }

  Device set(DeviceChange change) {
    auto r = admin_->set_device(change, "test");
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->device : Device{};
  }

  Device get(const std::string& name) {
    auto d = admin_->get_device(name);
    EXPECT_TRUE(d) << d.error().message;
    return *d;
  }

  // The phone's answers as the session passes them on: it did what was asked (REASON 1), or not.
  static constexpr PhoneAnswer kDone{true, 1};
  static constexpr PhoneAnswer kRefused{false, 7};

  static protocol::AuthResponse auth_response(const std::string& name,
                                              std::optional<std::string> password = std::nullopt) {
    protocol::AuthResponse r;
    r.reason = 1;
    r.version = 3;
    r.device_name = name;
    r.password = std::move(password);
    return r;
  }

  // Signs an AUTH_RESPONSE with a certificate the way a phone does (docs/protocol.md §6.3).
  static void present(protocol::AuthResponse& r, const pki::Certificate& cert,
                      const pki::PrivateKey& key) {
    r.certificates = {protocol::CertificateItem{1, 0, cert.der()}};
    Bytes data = protocol::auth_signed_bytes(r.device_name, cert.der());
    r.signed_data = *key.sign_proof(pki::Hash::kSha1, data);
    r.sha2_signed_data = protocol::HashedSignature{3, *key.sign_proof(pki::Hash::kSha512, data)};
  }

  SessionInfo session(std::uint32_t id = 0x2a) {
    return SessionInfo{id, "127.0.0.1:5000", "TLSv1.3"};
  }

  // The phone answers KEY_GENERATE_REQUEST with the public half of `key`.
  KeyDecision answer_key(const SessionInfo& s, EnrollmentContext& context,
                         const pki::PrivateKey& key) {
    protocol::KeyGenerateResponse kr;
    kr.public_key = key.spki_der();
    return service_->key_generated(s, context, kr);
  }

  // The phone answers KEY_GENERATE_REQUEST with a fresh key of the kind asked for.
  KeyDecision answer_new_key(const SessionInfo& s, EnrollmentContext& context) {
    auto key = pki::PrivateKey::generate(context.current_key());
    EXPECT_TRUE(key) << key.error().message;
    return answer_key(s, context, *key);
  }

  // Runs a whole install for `name` with a fresh key of `spec`; returns the stored certificate.
  std::optional<pki::Certificate> install(const std::string& name, const protocol::AuthResponse& r,
                                          KeySpec spec,
                                          std::optional<pki::PrivateKey>* key_out = nullptr) {
    SessionInfo s = session();
    OpenDecision d = service_->open(s, r);
    if (d.kind != OpenDecision::Kind::kInstall)
      return std::nullopt;
    auto key = pki::PrivateKey::generate(d.context->current_key());
    (void)spec;
    KeyDecision k = answer_key(s, *d.context, *key);
    if (k.kind != KeyDecision::Kind::kStore)
      return std::nullopt;
    if (service_->stored(s, *d.context, kDone) != SessionEnd::kCertificateStored)
      return std::nullopt;
    if (key_out != nullptr)
      *key_out = *key;
    (void)name;
    return *pki::Certificate::from_der(k.certificate_der);
  }

  // A session that got as far as delivering its certificate: issued and recorded, waiting for
  // the phone's confirmation (stored()).
  struct Delivered {
    SessionInfo session;
    EnrollmentContext context;
    pki::Certificate cert;
  };
  std::optional<Delivered> deliver(const protocol::AuthResponse& r) {
    SessionInfo s = session();
    OpenDecision d = service_->open(s, r);
    if (d.kind != OpenDecision::Kind::kInstall)
      return std::nullopt;
    KeyDecision k = answer_new_key(s, *d.context);
    if (k.kind != KeyDecision::Kind::kStore)
      return std::nullopt;
    return Delivered{s, std::move(*d.context), *pki::Certificate::from_der(k.certificate_der)};
  }

  FakeClock clock_{*parse_utc("2026-11-25T12:00:00Z")};
  bool fsync_ = false;          // the registry syncs its commits (set before SetUp)
  int busy_timeout_ms_ = 5000;  // how long the registry waits for another writer (before SetUp)
  TempDir tmp_;
  std::filesystem::path dir_;
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<TrustStores> trust_;
  std::unique_ptr<IdentityHolder> identity_;
  EnrollmentPolicy policy_;
  std::unique_ptr<IssuerHolder> issuers_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<EnrollmentService> service_;
  std::unique_ptr<AdminService> admin_;
};

}  // namespace capf::testing
