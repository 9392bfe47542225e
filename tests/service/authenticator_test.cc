// Which certificate may authenticate which device: a table of MICs and LSCs from every kind of
// issuer against the Authenticator, with real certificates, trust stores and ledger.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

// Who signed the presented certificate.
enum class Signer {
  kManufacturer,     // a manufacturing root in mic-trust
  kOldManufacturer,  // a manufacturing root an admin put in capf-trust (before mic-trust existed)
  kCapf,             // the CAPF certificate itself
  kOnlineCa,         // an online/offline CA root in capf-trust
  kStranger,         // in no trust store
};

class AuthenticatorTest : public ServiceFixture {
 protected:
  struct Issuer {
    pki::Certificate cert;
    pki::PrivateKey key;
  };
  struct Leaf {
    pki::Certificate cert;
    pki::PrivateKey key;
  };

  void SetUp() override {
    ServiceFixture::SetUp();
    manufacturer_ = make_root("CN=Test Manufacturing CA,O=Cisco test");
    old_manufacturer_ = make_root("CN=Old Manufacturing CA,O=Cisco test");
    online_ca_ = make_root("CN=Online Issuing CA,O=Example");
    stranger_ = make_root("CN=Stranger CA,O=Elsewhere");
    ASSERT_TRUE(trust_->add(kMicTrust, manufacturer_->cert, "mfg"));
    ASSERT_TRUE(trust_->add(kCapfTrust, old_manufacturer_->cert, "old mfg"));
    ASSERT_TRUE(trust_->add(kCapfTrust, online_ca_->cert, "online root"));
  }

  std::optional<Issuer> make_root(const std::string& subject) {
    auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
    auto cert = pki::make_capf_certificate(*key, {subject, 3650}, clock_);
    EXPECT_TRUE(cert) << cert.error().message;
    return Issuer{*cert, *key};
  }

  Issuer issuer(Signer s) {
    switch (s) {
      case Signer::kManufacturer:
        return *manufacturer_;
      case Signer::kOldManufacturer:
        return *old_manufacturer_;
      case Signer::kCapf:
        return Issuer{identity_->current()->certificate, identity_->current()->key};
      case Signer::kOnlineCa:
        return *online_ca_;
      case Signer::kStranger:
        return *stranger_;
    }
    return *stranger_;
  }

  Leaf issue(const std::string& cn, Signer s, Bytes serial = pki::random_serial()) {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    Issuer by = issuer(s);
    auto cert =
        pki::issue_lsc({cn, key->spki_der(), std::move(serial), 365}, by.cert, by.key, clock_);
    EXPECT_TRUE(cert) << cert.error().message;
    return Leaf{*cert, *key};
  }

  void record(const pki::Certificate& cert, const std::string& device, CertificateState state) {
    IssuedCertificate c;
    c.serial_hex = cert.serial_hex();
    c.device_name = device;
    c.issuer = cert.issuer();
    c.subject = cert.subject();
    c.key_spec = "ec:p256";
    c.not_before = cert.not_before();
    c.not_after = cert.not_after();
    c.pem = cert.pem();
    c.state = state;
    c.issued_at = clock_.now();
    c.state_time = clock_.now();
    ASSERT_TRUE(registry_->record_issued(c));
  }

  AuthOutcome authenticate(const std::string& device_name, AuthMode mode, const Leaf& leaf) {
    Device device;
    device.name = *DeviceName::parse(device_name);
    device.auth_mode = mode;
    auto r = auth_response(device.name.str());
    present(r, leaf.cert, leaf.key);
    return authenticator_->authenticate(device, r, 0x2a);
  }

  std::optional<Issuer> manufacturer_, old_manufacturer_, online_ca_, stranger_;
};

struct Case {
  const char* what;
  const char* common_name;
  Signer signer;
  const char* ledger_device;  // nullptr: not in the ledger
  CertificateState state;
  const char* device;
  bool ok;
  const char* method;
  FailureReason reason;
  const char* detail;  // part of the refusal's words
};

constexpr auto kInstalled = CertificateState::kInstalled;
constexpr auto kRevoked = CertificateState::kRevoked;
constexpr auto kNoReason = FailureReason::kNone;
constexpr auto kBadMic = FailureReason::kInvalidMic;
constexpr auto kBadLsc = FailureReason::kInvalidLsc;

const Case kCases[] = {
    {"MIC as <model>-<name>", "CP-8865-SEP001122334455", Signer::kManufacturer, nullptr, kInstalled,
     "SEP001122334455", true, "mic", kNoReason, ""},
    {"MIC with the exact name", "SEP001122334455", Signer::kManufacturer, nullptr, kInstalled,
     "SEP001122334455", true, "mic", kNoReason, ""},
    {"MIC with lower-case MAC digits", "CP-8865-sep00112233aabb", Signer::kManufacturer, nullptr,
     kInstalled, "SEP00112233AABB", true, "mic", kNoReason, ""},
    {"MIC of a longer name never names its prefix", "CP-8865-CSFJOHNSMITH", Signer::kManufacturer,
     nullptr, kInstalled, "CSFJOHN", false, "mic", kBadMic, "does not name CSFJOHN"},
    {"MIC naming the device in its middle", "CP-8865-CSFJOHN-2", Signer::kManufacturer, nullptr,
     kInstalled, "CSFJOHN", false, "mic", kBadMic, "does not name"},
    {"MIC of another phone", "CP-8865-SEP999999999999", Signer::kManufacturer, nullptr, kInstalled,
     "SEP001122334455", false, "mic", kBadMic, "does not name"},
    {"a manufacturing root in capf-trust no longer makes a MIC", "CP-8865-SEP001122334455",
     Signer::kOldManufacturer, nullptr, kInstalled, "SEP001122334455", false, "lsc", kBadLsc,
     "mic-trust"},
    {"a certificate of the online CA is never a MIC", "CP-8865-SEP001122334455", Signer::kOnlineCa,
     nullptr, kInstalled, "SEP001122334455", false, "lsc", kBadLsc, "not in the ledger"},
    {"an issuer in no store", "CP-8865-SEP001122334455", Signer::kStranger, nullptr, kInstalled,
     "SEP001122334455", false, "certificate", kBadMic, "chains neither"},
    {"CAPF LSC in the ledger for the device", "SEP001122334455", Signer::kCapf, "SEP001122334455",
     kInstalled, "SEP001122334455", true, "lsc", kNoReason, ""},
    {"online CA LSC in the ledger for the device", "CSFANNA", Signer::kOnlineCa, "CSFANNA",
     kInstalled, "CSFANNA", true, "lsc", kNoReason, ""},
    {"LSC of a longer name", "CSFANNASMITH", Signer::kCapf, "CSFANNASMITH", kInstalled, "CSFANNA",
     false, "lsc", kBadLsc, "issued to CSFANNASMITH, not CSFANNA"},
    {"offline LSC of a longer name", "CSFANNASMITH", Signer::kOnlineCa, "CSFANNASMITH", kInstalled,
     "CSFANNA", false, "lsc", kBadLsc, "issued to CSFANNASMITH"},
    {"LSC recorded for another device under the device's name", "SEP001122334455", Signer::kCapf,
     "SEPAAAAAAAAAAAA", kInstalled, "SEP001122334455", false, "lsc", kBadLsc,
     "issued to SEPAAAAAAAAAAAA"},
    {"LSC not in the ledger", "SEP001122334455", Signer::kCapf, nullptr, kInstalled,
     "SEP001122334455", false, "lsc", kBadLsc, "not in the ledger"},
    {"revoked LSC", "SEP001122334455", Signer::kCapf, "SEP001122334455", kRevoked,
     "SEP001122334455", false, "lsc", kBadLsc, "revoked"},
};

TEST_F(AuthenticatorTest, WhichCertificateAuthenticatesWhichDevice) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.what);
    Leaf leaf = issue(c.common_name, c.signer);
    if (c.ledger_device != nullptr)
      record(leaf.cert, c.ledger_device, c.state);
    const AuthMode mode =
        std::string(c.method) == "lsc" ? AuthMode::kLscFirst : AuthMode::kMicFirst;
    AuthOutcome out = authenticate(c.device, mode, leaf);
    EXPECT_EQ(out.ok, c.ok) << out.detail;
    EXPECT_EQ(out.method, c.method);
    EXPECT_EQ(out.reason, c.reason) << out.detail;
    EXPECT_NE(out.detail.find(c.detail), std::string::npos) << out.detail;
    if (!c.ok) {
      EXPECT_EQ(out.certificate_serial, leaf.cert.serial_hex());
    }
  }
}

TEST_F(AuthenticatorTest, LscWhoseSerialCollidesWithAnotherIssuersIsRefused) {
  // The online CA happens to use the serial of an LSC the CAPF issued to the same name: the
  // ledger row is not this certificate, so it proves nothing.
  Bytes serial = pki::random_serial();
  Leaf ours = issue("SEP001122334455", Signer::kCapf, serial);
  record(ours.cert, "SEP001122334455", kInstalled);
  Leaf theirs = issue("SEP001122334455", Signer::kOnlineCa, serial);
  ASSERT_EQ(theirs.cert.serial_hex(), ours.cert.serial_hex());
  AuthOutcome out = authenticate("SEP001122334455", AuthMode::kLscFirst, theirs);
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.detail.find("not in the ledger"), std::string::npos) << out.detail;
  EXPECT_TRUE(authenticate("SEP001122334455", AuthMode::kLscFirst, ours).ok);
}

TEST_F(AuthenticatorTest, ExpiredLscIsRefusedButExpiredMicFollowsThePolicy) {
  Leaf lsc = issue("SEP001122334455", Signer::kCapf);
  record(lsc.cert, "SEP001122334455", kInstalled);
  Leaf mic = issue("CP-8865-SEP001122334455", Signer::kManufacturer);
  clock_.advance(std::chrono::hours(24 * 400));
  EXPECT_FALSE(authenticate("SEP001122334455", AuthMode::kLscFirst, lsc).ok);
  EXPECT_TRUE(authenticate("SEP001122334455", AuthMode::kMicFirst, mic).ok);  // accept_expired_mic
}

TEST_F(AuthenticatorTest, SudiMustChainToAManufacturingRoot) {
  Leaf mic = issue("CP-8865-SEP001122334455", Signer::kManufacturer);
  Device device;
  device.name = *DeviceName::parse("SEP001122334455");
  device.auth_mode = AuthMode::kMicFirst;
  for (Signer sudi_signer : {Signer::kManufacturer, Signer::kOnlineCa}) {
    Leaf sudi = issue("SUDI", sudi_signer);
    auto r = auth_response("SEP001122334455");
    present(r, mic.cert, mic.key);
    Bytes le = protocol::sudi_signed_bytes(0x2a, sudi.cert.der());
    r.sudi = protocol::SudiData{0,
                                sudi.cert.der(),
                                {1, *sudi.key.sign_proof(pki::Hash::kSha1, le)},
                                {3, *sudi.key.sign_proof(pki::Hash::kSha512, le)}};
    AuthOutcome out = authenticator_->authenticate(device, r, 0x2a);
    EXPECT_EQ(out.ok, sudi_signer == Signer::kManufacturer) << out.detail;
  }
}

TEST(MicNamesDevice, TheNameIsTheWholeLastPart) {
  struct {
    const char* cn;
    const char* name;
    bool match;
  } cases[] = {
      {"SEP001122334455", "SEP001122334455", true},
      {"CP-8865-SEP001122334455", "SEP001122334455", true},
      {"CP-7975G-sep001122334455", "SEP001122334455", true},
      {"cp-8865-csfjohn", "CSFJOHN", true},
      {"CP-8865-CSFJOHNSMITH", "CSFJOHN", false},
      {"CP-8865-XCSFJOHN", "CSFJOHN", false},
      {"CP-8865-CSFJOHN-2", "CSFJOHN", false},
      {"-CSFJOHN", "CSFJOHN", false},
      {"CP--CSFJOHN", "CSFJOHN", false},
      {"CP 8865-CSFJOHN", "CSFJOHN", false},
      {"CP.8865-CSFJOHN", "CSFJOHN", false},
      {"CSFJOHN", "", false},
      {"", "CSFJOHN", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(mic_names_device(c.cn, c.name), c.match) << c.cn << " / " << c.name;
}

}  // namespace
}  // namespace capf::testing
