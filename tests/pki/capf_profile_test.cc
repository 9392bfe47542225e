// The CAPF certificate profile: what make_capf_certificate builds and what
// capf_profile_problems reports, cross-checked with the openssl command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/pki/profiles.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::run_shell;
using testing::TempDir;

std::vector<int> extension_nids(const Certificate& cert) {
  std::vector<int> nids;
  for (int i = 0; i < X509_get_ext_count(cert.get()); ++i) {
    nids.push_back(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert.get(), i))));
  }
  return nids;
}

// A self-signed certificate made by `openssl req -x509` with the given extension lines.
Certificate openssl_made(const TempDir& dir, const PrivateKey& key, std::string_view extensions) {
  std::string config = dir.write("req.cnf",
                                 "[req]\ndistinguished_name = dn\nprompt = no\n"
                                 "[dn]\nCN = CAPF-cli\nO = Example\n[ext]\n" +
                                     std::string(extensions) + "\n");
  std::string key_file = dir.write("key.pem", *key.to_pem());
  auto made = run_shell("openssl req -x509 -new -key " + key_file + " -config " + config +
                        " -extensions ext -days 30 -out " + dir.file("cert.pem"));
  EXPECT_EQ(made.exit_code, 0) << made.output;
  auto cert = Certificate::from_pem(to_string(dir.read("cert.pem")));
  EXPECT_TRUE(cert) << made.output;
  return *cert;
}

TEST(CapfCertificate, GeneratedOnePassesTheProfile) {
  FakeClock clock(testing::test_now());
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    auto cert =
        make_capf_certificate(*key, {"CN=CAPF-1a2b3c4d,O=Example,OU=Voice,C=NZ", 3650}, clock);
    ASSERT_TRUE(cert) << cert.error().message;
    EXPECT_THAT(capf_profile_problems(*cert), ::testing::IsEmpty());
    EXPECT_EQ(X509_get_version(cert->get()), X509_VERSION_3);
    EXPECT_EQ(cert->subject(), "CN=CAPF-1a2b3c4d, O=Example, OU=Voice, C=NZ");
    EXPECT_EQ(cert->issuer(), cert->subject());
    EXPECT_EQ(cert->not_before(), testing::test_now());
    EXPECT_EQ(cert->not_after(), testing::test_now() + std::chrono::hours(24 * 3650));
    EXPECT_GE(cert->serial_hex().size(), 30u);  // 128-bit random serial, top bit clear
    EXPECT_EQ(cert->spki_der(), key->spki_der());
    EXPECT_THAT(extension_nids(*cert),
                ElementsAre(NID_basic_constraints, NID_key_usage, NID_ext_key_usage,
                            NID_subject_key_identifier, NID_authority_key_identifier,
                            NID_subject_alt_name));
    EXPECT_EQ(X509_get_signature_nid(cert->get()), key->spec().type == KeyType::kRsa
                                                       ? NID_sha256WithRSAEncryption
                                                       : NID_ecdsa_with_SHA256);
    EXPECT_EQ(X509_verify(cert->get(), X509_get0_pubkey(cert->get())), 1);
    const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert->get());
    const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(cert->get());
    ASSERT_NE(ski, nullptr);
    ASSERT_NE(aki, nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(ski, aki), 0);
    EXPECT_EQ(ASN1_STRING_length(ski), 20);
  }
}

TEST(CapfCertificate, SerialsAreRandomAndPositive) {
  FakeClock clock(testing::test_now());
  auto a = make_capf_certificate(testing::ec_key(), {"CN=CAPF-a", 30}, clock);
  auto b = make_capf_certificate(testing::ec_key(), {"CN=CAPF-a", 30}, clock);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->serial_hex(), b->serial_hex());
  for (int i = 0; i < 64; ++i) {
    Bytes serial = random_serial();
    ASSERT_EQ(serial.size(), 16u);
    EXPECT_EQ(serial[0] & 0x80, 0);
  }
}

TEST(CapfCertificate, OpensslAgreesWithTheProfile) {
  TempDir dir;
  FakeClock clock(testing::test_now());
  auto cert = make_capf_certificate(testing::rsa_key(), {"CN=CAPF-1a2b3c4d,O=Example", 365}, clock);
  ASSERT_TRUE(cert) << cert.error().message;
  std::string pem_file = dir.write("capf.pem", cert->pem());
  auto text = run_shell("openssl x509 -in " + pem_file + " -noout -text");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("Version: 3 (0x2)"));
  EXPECT_THAT(text.output, HasSubstr("X509v3 Basic Constraints: critical"));
  EXPECT_THAT(text.output, HasSubstr("CA:TRUE, pathlen:0"));
  EXPECT_THAT(text.output, HasSubstr("X509v3 Key Usage: critical"));
  EXPECT_THAT(text.output, HasSubstr("Digital Signature, Certificate Sign, CRL Sign"));
  EXPECT_THAT(text.output, HasSubstr("TLS Web Server Authentication, TLS Web Client "
                                     "Authentication, IPSec End System"));
  EXPECT_THAT(text.output, HasSubstr("DNS:capf-1a2b3c4d"));
  EXPECT_THAT(text.output, HasSubstr("sha256WithRSAEncryption"));
  EXPECT_THAT(text.output, HasSubstr("Not Before: Mar  1 00:00:00 2026 GMT"));

  auto verify =
      run_shell("openssl verify -attime " + std::to_string(to_unix(testing::test_now()) + 60) +
                " -CAfile " + pem_file + " " + pem_file);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr(": OK"));
}

TEST(CapfCertificate, SubjectAltNameOnlyWhenTheCnIsADnsName) {
  FakeClock clock(testing::test_now());
  auto spaced = make_capf_certificate(testing::ec_key(), {"CN=CAPF example,O=Example", 30}, clock);
  ASSERT_TRUE(spaced) << spaced.error().message;
  EXPECT_EQ(X509_get_ext_by_NID(spaced->get(), NID_subject_alt_name, -1), -1);
  EXPECT_THAT(capf_profile_problems(*spaced), ::testing::IsEmpty());

  auto dotted = make_capf_certificate(testing::ec_key(), {"CN=CAPF.Voice.Example.COM", 30}, clock);
  ASSERT_TRUE(dotted);
  auto* san = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(dotted->get(), NID_subject_alt_name, nullptr, nullptr));
  ASSERT_NE(san, nullptr);
  ASSERT_EQ(sk_GENERAL_NAME_num(san), 1);
  int type = 0;
  auto* dns =
      static_cast<ASN1_STRING*>(GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(san, 0), &type));
  EXPECT_EQ(type, GEN_DNS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns))),
            "capf.voice.example.com");
  GENERAL_NAMES_free(san);

  for (std::string_view cn : {"CN=-capf", "CN=capf-", "CN=a..b", "CN=caf\xc3\xa9"}) {
    auto cert = make_capf_certificate(testing::ec_key(), {std::string(cn), 30}, clock);
    ASSERT_TRUE(cert) << cn;
    EXPECT_EQ(X509_get_ext_by_NID(cert->get(), NID_subject_alt_name, -1), -1) << cn;
  }
}

TEST(CapfCertificate, RefusesBadInput) {
  FakeClock clock(testing::test_now());
  auto small = PrivateKey::generate({KeyType::kRsa, 1024});
  ASSERT_TRUE(small);
  auto weak = make_capf_certificate(*small, {"CN=CAPF-a", 30}, clock);
  EXPECT_THAT(weak, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("2048")));

  auto bad_dn = make_capf_certificate(testing::ec_key(), {"CN=a,BOGUS=b", 30}, clock);
  EXPECT_THAT(bad_dn, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("BOGUS")));

  auto no_days = make_capf_certificate(testing::ec_key(), {"CN=a", 0}, clock);
  ASSERT_FALSE(no_days);
  EXPECT_EQ(no_days.error().code, ErrorCode::kInvalidArgument);
}

TEST(CapfProfile, OpensslCertificateWithoutPathlenIsNamed) {
  TempDir dir;
  Certificate cert = openssl_made(dir, testing::rsa_key(),
                                  "basicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,digitalSignature,keyCertSign");
  EXPECT_THAT(capf_profile_problems(cert),
              ElementsAre("basicConstraints has no pathlen:0: reissue with "
                          "basicConstraints=critical,CA:TRUE,pathlen:0"));
}

TEST(CapfProfile, OpensslCertificateWithoutKeyCertSignIsNamed) {
  TempDir dir;
  Certificate cert = openssl_made(dir, testing::rsa_key(),
                                  "basicConstraints = critical,CA:TRUE,pathlen:0\n"
                                  "keyUsage = critical,digitalSignature,keyEncipherment");
  EXPECT_THAT(capf_profile_problems(cert),
              ElementsAre("keyUsage lacks keyCertSign: reissue with "
                          "keyUsage=critical,digitalSignature,keyCertSign"));
}

TEST(CapfProfile, OpensslMkcertStyleCertificatePasses) {
  TempDir dir;
  Certificate cert = openssl_made(
      dir, testing::rsa_key(),
      "basicConstraints = critical,CA:TRUE,pathlen:0\n"
      "keyUsage = keyCertSign,cRLSign,digitalSignature,keyEncipherment,dataEncipherment\n"
      "extendedKeyUsage = serverAuth,clientAuth,1.3.6.1.5.5.7.3.5\n"
      "subjectKeyIdentifier = hash\nsubjectAltName = DNS:capf-cli");
  EXPECT_THAT(capf_profile_problems(cert), ::testing::IsEmpty());
}

TEST(CapfProfile, ListsEveryDeparture) {
  TempDir dir;
  auto small = PrivateKey::generate({KeyType::kRsa, 1024});
  ASSERT_TRUE(small);
  Certificate cert = openssl_made(dir, *small,
                                  "basicConstraints = CA:FALSE\n"
                                  "extendedKeyUsage = clientAuth");
  auto problems = capf_profile_problems(cert);
  EXPECT_THAT(problems, ElementsAre(HasSubstr("basicConstraints is not critical"),
                                    HasSubstr("basicConstraints has CA:FALSE"),
                                    "basicConstraints has no pathlen:0: reissue with "
                                    "basicConstraints=critical,CA:TRUE,pathlen:0",
                                    "keyUsage is missing: reissue with "
                                    "keyUsage=critical,digitalSignature,keyCertSign",
                                    HasSubstr("extendedKeyUsage lacks serverAuth"),
                                    HasSubstr("rsa key has 1024 bits")));
  for (const std::string& p : problems) {
    EXPECT_TRUE(std::islower(static_cast<unsigned char>(p.front()))) << p;
    EXPECT_THAT(p, HasSubstr("reissue")) << p;
  }

  Certificate no_bc = openssl_made(dir, testing::rsa_key(),
                                   "keyUsage = critical,keyCertSign\nsubjectKeyIdentifier = none");
  EXPECT_THAT(capf_profile_problems(no_bc),
              ElementsAre("basicConstraints is missing: reissue with "
                          "basicConstraints=critical,CA:TRUE,pathlen:0",
                          "keyUsage lacks digitalSignature: reissue with "
                          "keyUsage=critical,digitalSignature,keyCertSign"));
}

}  // namespace
}  // namespace capf::pki
