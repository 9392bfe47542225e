// IdentityAdmin: the CAPF request for a corporate CA, importing what the CA signed (refused, with
// every problem named and nothing changed, unless it is for the CAPF key, carries the CA profile
// and chains to a root), regeneration that keeps the previous certificate trusted, retiring it,
// and the bundle the call-control side must trust. The corporate CA is the openssl command line.
#include "capf/service/identity_admin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_registry.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kSubject = "CN=CAPF-0badcafe,O=Example,OU=Voice,C=NZ";

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const std::filesystem::path& p, std::string_view text) {
  std::ofstream(p, std::ios::binary) << text;
}

// What a corporate CA adds to a certificate it signs.
constexpr std::string_view kCapfExtensions =
    "basicConstraints=critical,CA:TRUE,pathlen:0\n"
    "keyUsage=critical,digitalSignature,keyCertSign,cRLSign\n"
    "extendedKeyUsage=serverAuth\n"
    "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
constexpr std::string_view kWebServerExtensions =
    "keyUsage=critical,digitalSignature,keyEncipherment\n"
    "extendedKeyUsage=serverAuth\n";

class IdentityAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path();
    auto config = Config::parse("", dir_);
    ASSERT_TRUE(config) << config.error().message;
    config_ = *config;
    registry_ = testing::open_test_registry(dir_, clock_);
    ASSERT_TRUE(registry_);
    trust_ = std::make_unique<TrustStores>(*registry_);
    auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
    ASSERT_TRUE(key);
    auto cert = pki::make_capf_certificate(*key, {std::string(kSubject), 365}, clock_);
    ASSERT_TRUE(cert) << cert.error().message;
    original_ = *cert;
    ASSERT_TRUE(write_identity(identity_paths_of(config_), CapfIdentity{*cert, *key, {}}, {}));
    for (const char* store : {kCapfTrust, kCallManagerTrust})
      ASSERT_TRUE(trust_->add(store, *cert, std::string(kCurrentIdentityLabel)));
    admin_ = std::make_unique<IdentityAdmin>(config_, *trust_, *registry_, clock_);
    // The corporate root.
    root_key_ = dir_ / "root.key";
    root_ = dir_ / "root.pem";
    auto made = capf::testing::run_shell(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + root_key_.string() + " -out " +
        root_.string() +
        " -subj '/CN=Corporate Root/O=Example' -days 3650"
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    clock_.set(SystemClock().now() + std::chrono::seconds(2));  // the root's notBefore has passed
  }

  // Has the corporate root sign `csr_pem` with `extensions`; returns the certificate's PEM.
  std::string corporate_sign(const std::string& csr_pem, std::string_view extensions) {
    write(dir_ / "req.pem", csr_pem);
    write(dir_ / "ext.cnf", std::string("[v3]\n") + std::string(extensions));
    auto r = capf::testing::run_shell(
        "openssl x509 -req -in " + (dir_ / "req.pem").string() + " -CA " + root_.string() +
        " -CAkey " + root_key_.string() + " -set_serial 0x1234 -days 365 -extfile " +
        (dir_ / "ext.cnf").string() + " -extensions v3 -out " + (dir_ / "signed.pem").string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return read(dir_ / "signed.pem");
  }

  std::string csr() {
    auto pem = admin_->csr_pem();
    EXPECT_TRUE(pem) << pem.error().message;
    return *pem;
  }

  // Everything an import or regeneration may change: the identity files and both trust stores.
  std::string snapshot() {
    std::string s =
        read(dir_ / "capf-cert.pem") + read(dir_ / "capf-key.pem") + read(dir_ / "capf-chain.pem");
    for (const char* store : {kCapfTrust, kCallManagerTrust}) {
      auto entries = trust_->list(store);
      EXPECT_TRUE(entries);
      for (const auto& e : *entries)
        s += e.fingerprint + e.label + "\n";
    }
    return s;
  }

  std::vector<std::string> labels_of(const pki::Certificate& c, const char* store) {
    std::vector<std::string> out;
    auto entries = trust_->list(store);
    EXPECT_TRUE(entries);
    if (!entries)
      return out;
    for (const auto& e : *entries) {
      if (e.fingerprint == c.fingerprint_sha256())
        out.push_back(e.label);
    }
    return out;
  }

  TempDir tmp_;
  std::filesystem::path dir_;
  // The openssl-made root is valid from the real "now".
  FakeClock clock_{SystemClock().now()};
  Config config_;
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<TrustStores> trust_;
  std::unique_ptr<IdentityAdmin> admin_;
  std::optional<pki::Certificate> original_;
  std::filesystem::path root_key_, root_;
};

TEST_F(IdentityAdminTest, CsrAsksForTheCapfCaProfileWithTheCurrentSubjectAndKey) {
  write(dir_ / "csr.pem", csr());
  auto text = capf::testing::run_shell("openssl req -in " + (dir_ / "csr.pem").string() +
                                       " -noout -text -verify");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("CN = CAPF-0badcafe"));
  EXPECT_THAT(text.output, HasSubstr("CA:TRUE, pathlen:0"));
  EXPECT_THAT(text.output, HasSubstr("Digital Signature, Certificate Sign"));
  EXPECT_THAT(text.output, HasSubstr("TLS Web Server Authentication"));
  auto pub =
      capf::testing::run_shell("openssl req -in " + (dir_ / "csr.pem").string() +
                               " -noout -pubkey | openssl pkey -pubin -outform DER | od -An -tx1");
  auto mine =
      capf::testing::run_shell("openssl x509 -in " + (dir_ / "capf-cert.pem").string() +
                               " -noout -pubkey | openssl pkey -pubin -outform DER | od -An -tx1");
  EXPECT_EQ(pub.output, mine.output);
}

TEST_F(IdentityAdminTest, WebServerTemplateIsRefusedNamingEachExtensionAndNothingChanges) {
  const std::string before = snapshot();
  const std::string signed_pem = corporate_sign(csr(), kWebServerExtensions);
  auto r = admin_->import(signed_pem, read(root_), "cli:test");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, HasSubstr("nothing changed"));
  EXPECT_THAT(r.error().message, HasSubstr("basicConstraints"));
  EXPECT_THAT(r.error().message, HasSubstr("keyCertSign"));
  EXPECT_THAT(r.error().message, Not(HasSubstr("does not chain")));
  EXPECT_EQ(snapshot(), before);
}

TEST_F(IdentityAdminTest, ForeignKeyUnchainedAndNonCertificatesAreRefusedAndNothingChanges) {
  const std::string before = snapshot();
  // Signed properly, but for another key.
  auto other = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  auto other_csr = pki::make_capf_csr(*other, std::string(kSubject));
  ASSERT_TRUE(other_csr);
  auto foreign = admin_->import(
      corporate_sign(pki::pem_encode("CERTIFICATE REQUEST", *other_csr), kCapfExtensions),
      read(root_), "cli:test");
  ASSERT_FALSE(foreign);
  EXPECT_THAT(foreign.error().message, HasSubstr("another key"));
  EXPECT_THAT(foreign.error().message, HasSubstr("opencapf ca csr"));
  // Right key and profile, but the root is neither given nor trusted.
  const std::string good = corporate_sign(csr(), kCapfExtensions);
  auto unchained = admin_->import(good, std::nullopt, "cli:test");
  ASSERT_FALSE(unchained);
  EXPECT_THAT(unchained.error().message, HasSubstr("does not chain"));
  EXPECT_THAT(unchained.error().message, HasSubstr("--chain"));
  // Not certificates at all.
  auto junk = admin_->import("hello, I am not a certificate\n", std::nullopt, "cli:test");
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().message,
            "the file to import is not a certificate: give a PEM or DER X.509 certificate");
  auto bad_pem = admin_->import("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                std::nullopt, "cli:test");
  ASSERT_FALSE(bad_pem);
  EXPECT_THAT(bad_pem.error().message, HasSubstr("not a certificate"));
  auto bad_chain = admin_->import(good, std::string_view("junk"), "cli:test");
  ASSERT_FALSE(bad_chain);
  EXPECT_THAT(bad_chain.error().message, HasSubstr("the --chain file is not a certificate"));
  EXPECT_EQ(snapshot(), before);
}

TEST_F(IdentityAdminTest, ImportInstallsTheSignedCertificateAndKeepsThePreviousTrusted) {
  const std::string key_before = read(dir_ / "capf-key.pem");
  const std::string good = corporate_sign(csr(), kCapfExtensions);
  auto r = admin_->import(good, read(root_), "cli:test");
  ASSERT_TRUE(r) << r.error().message;
  auto root = pki::Certificate::from_pem(read(root_));
  ASSERT_TRUE(root);
  EXPECT_EQ(r->issuer(), root->subject());
  EXPECT_EQ(read(dir_ / "capf-cert.pem"), r->pem());
  EXPECT_EQ(read(dir_ / "capf-chain.pem"), root->pem());
  EXPECT_EQ(read(dir_ / "capf-key.pem"), key_before);  // same key
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    EXPECT_EQ(labels_of(*r, store), std::vector<std::string>{std::string(kCurrentIdentityLabel)})
        << store;
    EXPECT_EQ(labels_of(*original_, store),
              std::vector<std::string>{std::string(kPreviousIdentityLabel)})
        << store;
    EXPECT_EQ(labels_of(*root, store), std::vector<std::string>{std::string(kChainLabel)}) << store;
  }
  auto list = admin_->list();
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2U);
  EXPECT_TRUE((*list)[0].current);
  EXPECT_EQ((*list)[0].certificate, *r);
  EXPECT_TRUE((*list)[0].problems.empty());
  EXPECT_FALSE((*list)[1].current);
  EXPECT_EQ((*list)[1].certificate, *original_);
  auto current = admin_->export_bundle(false);
  ASSERT_TRUE(current);
  EXPECT_EQ(*current, r->pem() + root->pem());
  auto all = admin_->export_bundle(true);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, r->pem() + root->pem() + original_->pem());
  // The chain in the file to import works as well as --chain, once the root is trusted.
  EXPECT_TRUE(admin_->import(good + root->pem(), std::nullopt, "cli:test"));
}

TEST_F(IdentityAdminTest, RegenerateMakesANewKeyAndKeepsThePreviousUntilRetired) {
  const std::string key_before = read(dir_ / "capf-key.pem");
  RegenerateOptions options;
  options.key = KeySpec{KeyType::kEc, 256};
  auto r = admin_->regenerate(options, "cli:test");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject(), original_->subject());
  EXPECT_NE(read(dir_ / "capf-key.pem"), key_before);
  EXPECT_TRUE(pki::capf_profile_problems(*r).empty());
  auto loaded = load_identity(identity_paths_of(config_), {});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->certificate, *r);
  EXPECT_EQ(loaded->key.spec().type, KeyType::kEc);
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    EXPECT_EQ(labels_of(*original_, store),
              std::vector<std::string>{std::string(kPreviousIdentityLabel)});
  }

  // The current one cannot be retired; a prefix too short or unknown is refused.
  auto current = admin_->retire(r->fingerprint_sha256(), "cli:test");
  ASSERT_FALSE(current);
  EXPECT_THAT(current.error().message, HasSubstr("is the current CAPF certificate"));
  EXPECT_FALSE(admin_->retire(original_->fingerprint_sha256().substr(0, 6), "cli:test"));
  EXPECT_FALSE(admin_->retire("00000000000000", "cli:test"));
  EXPECT_EQ(admin_->list()->size(), 2U);

  // As openssl prints it: upper case with colons.
  std::string openssl_form;
  for (std::size_t i = 0; i < 16; i += 2) {
    if (i > 0)
      openssl_form += ':';
    for (char c : original_->fingerprint_sha256().substr(i, 2))
      openssl_form.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  ASSERT_TRUE(admin_->retire(openssl_form, "cli:test"));
  for (const char* store : {kCapfTrust, kCallManagerTrust})
    EXPECT_TRUE(labels_of(*original_, store).empty()) << store;
  EXPECT_EQ(admin_->list()->size(), 1U);

  // Both changes are in the audit log, newest first, with the certificates before and after;
  // the refused retirements left nothing there.
  auto audit = registry_->list_audit({});
  ASSERT_TRUE(audit) << audit.error().message;
  ASSERT_EQ(audit->size(), 2U);
  EXPECT_EQ((*audit)[0].action, "ca.retire");
  EXPECT_EQ((*audit)[0].actor, "cli:test");
  EXPECT_THAT((*audit)[0].before, HasSubstr(original_->fingerprint_sha256()));
  EXPECT_EQ((*audit)[0].after, "");
  EXPECT_EQ((*audit)[1].action, "ca.regenerate");
  EXPECT_EQ((*audit)[1].target, "capf");
  EXPECT_THAT((*audit)[1].before, HasSubstr(original_->fingerprint_sha256()));
  EXPECT_THAT((*audit)[1].after, HasSubstr(r->fingerprint_sha256()));
}

TEST_F(IdentityAdminTest, RegenerateRefusesKeysAndLifetimesInitWouldRefuse) {
  const std::string before = snapshot();
  for (KeySpec spec :
       {KeySpec{KeyType::kEc, 521}, KeySpec{KeyType::kRsa, 2050}, KeySpec{KeyType::kRsa, 1024}}) {
    RegenerateOptions options;
    options.key = spec;
    auto r = admin_->regenerate(options, "cli:test");
    ASSERT_FALSE(r) << to_string(spec);
    EXPECT_THAT(r.error().message, HasSubstr("is not allowed: use"));
  }
  RegenerateOptions long_lived;
  long_lived.days = 36500;
  auto r = admin_->regenerate(long_lived, "cli:test");
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("use 1 to 7300"));
  EXPECT_EQ(snapshot(), before);
}

// The identity's files change together even across a crash: a write that was interrupted after
// its commit marker is finished by the next reader; one interrupted before it is ignored.
TEST_F(IdentityAdminTest, AnInterruptedReplacementIsRolledForwardOrIgnoredNeverHalfApplied) {
  const IdentityPaths paths = identity_paths_of(config_);
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  auto cert = pki::make_capf_certificate(*key, {std::string(kSubject), 365}, clock_);
  ASSERT_TRUE(cert);
  auto key_pem = key->to_pem(std::nullopt);
  ASSERT_TRUE(key_pem);
  // Crashed before the marker: the staged files are not used.
  write(dir_ / "capf-key.pem.new", *key_pem);
  write(dir_ / "capf-cert.pem.new", cert->pem());
  auto before = load_identity(paths, {});
  ASSERT_TRUE(before) << before.error().message;
  EXPECT_EQ(before->certificate, *original_);
  // Crashed after the marker and the key's rename: the reader finishes the job.
  write(dir_ / "capf-chain.pem.new", "");
  write(dir_ / "capf-cert.pem.commit", "");
  std::filesystem::rename(dir_ / "capf-key.pem.new", dir_ / "capf-key.pem");
  auto after = load_identity(paths, {});
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->certificate, *cert);
  EXPECT_EQ(after->key.spki_der(), key->spki_der());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "capf-cert.pem.commit"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "capf-cert.pem.new"));
  // A key that matches no certificate is named, not used.
  write(dir_ / "capf-key.pem", read(dir_ / "root.key"));
  auto mismatch = load_identity(paths, {});
  ASSERT_FALSE(mismatch);
  EXPECT_THAT(mismatch.error().message, HasSubstr("does not hold the key of"));
}

TEST_F(IdentityAdminTest, ExpiredIdentitiesAreMarked) {
  clock_.advance(std::chrono::hours(24) * 400);
  auto list = admin_->list();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1U);
  EXPECT_TRUE((*list)[0].expired);
}

}  // namespace
}  // namespace capf::testing
