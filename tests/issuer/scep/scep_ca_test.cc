// GetCACaps and GetCACert answers, and the check of the CA's certificates against the configured
// chain, without a server (the CA + RA case cannot come from micromdm's scepserver).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/issuer/online/scep/scep_ca.h"
#include "tests/issuer/scep/scep_test_pki.h"
#include "tests/support/result_matchers.h"

namespace capf::scep {
namespace {

using ::testing::HasSubstr;
namespace test_pki = capf::testing::scep_pki;

struct RaSetup {
  test_pki::Identity root = test_pki::make_ca("SCEP Root");
  test_pki::Identity sign_ra = test_pki::make_issued("SCEP RA sign", root, "digitalSignature");
  test_pki::Identity encrypt_ra = test_pki::make_issued("SCEP RA encrypt", root, "keyEncipherment");
};

const RaSetup& setup() {
  static const RaSetup s;
  return s;
}

TimePoint now() {
  return std::chrono::system_clock::now();
}

TEST(ScepCapabilities, MicromdmAnswerPicksAesSha256AndPost) {
  auto caps =
      parse_capabilities("Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation\n");
  EXPECT_EQ(caps.cipher(), ContentCipher::kAes128Cbc);
  EXPECT_EQ(caps.hash(), pki::Hash::kSha256);
  EXPECT_TRUE(caps.use_post());
  EXPECT_EQ(caps.keywords.size(), 7u);
  EXPECT_EQ(caps.summary(), "Renewal SHA-1 SHA-256 AES DES3 SCEPStandard POSTPKIOperation");
}

TEST(ScepCapabilities, OldCaFallsBackToTripleDesSha1AndGet) {
  for (std::string_view body : {"", "DES3\r\nSHA-1\r\n", "GetNextCACert\n\n"}) {
    auto caps = parse_capabilities(body);
    EXPECT_EQ(caps.cipher(), ContentCipher::kDes3Cbc) << body;
    EXPECT_EQ(caps.hash(), pki::Hash::kSha1) << body;
    EXPECT_FALSE(caps.use_post()) << body;
  }
}

TEST(ScepCapabilities, ScepStandardImpliesAesSha256AndPostCaseInsensitively) {
  auto caps = parse_capabilities("  scepstandard  \n");
  EXPECT_EQ(caps.cipher(), ContentCipher::kAes128Cbc);
  EXPECT_EQ(caps.hash(), pki::Hash::kSha256);
  EXPECT_TRUE(caps.use_post());
}

TEST(ScepCaCertificates, SingleDerCertificateIsCaRecipientAndSigner) {
  const auto& s = setup();
  auto certs = parse_ca_certificates(s.root.certificate.der(), nullptr);
  ASSERT_TRUE(certs) << certs.error().message;
  EXPECT_EQ(certs->ca, s.root.certificate);
  EXPECT_EQ(certs->recipient, s.root.certificate);
  EXPECT_EQ(certs->signers, std::vector<pki::Certificate>{s.root.certificate});
  EXPECT_TRUE(certs->ra.empty());
  EXPECT_TRUE(check_against_chain(*certs, {s.root.certificate}, now()));
}

TEST(ScepCaCertificates, CaWithRaEncryptsToTheRaEncryptionCertificate) {
  const auto& s = setup();
  Bytes p7 = test_pki::certificates_only(
      {s.sign_ra.certificate, s.root.certificate, s.encrypt_ra.certificate});
  auto certs = parse_ca_certificates(p7, &s.root.certificate);
  ASSERT_TRUE(certs) << certs.error().message;
  EXPECT_EQ(certs->ca, s.root.certificate);
  EXPECT_EQ(certs->recipient, s.encrypt_ra.certificate);
  EXPECT_EQ(certs->ra.size(), 2u);
  // The encryption-only RA certificate may not sign replies.
  EXPECT_EQ(certs->signers,
            (std::vector<pki::Certificate>{s.root.certificate, s.sign_ra.certificate}));
  EXPECT_TRUE(check_against_chain(*certs, {s.root.certificate}, now()));
}

TEST(ScepCaCertificates, PicksTheConfiguredCaElseTheLowestOfAChain) {
  const auto& s = setup();
  test_pki::Identity issuing =
      test_pki::make_issued("SCEP Issuing CA", s.root, "keyCertSign,cRLSign", /*ca=*/true);
  Bytes p7 = test_pki::certificates_only({s.root.certificate, issuing.certificate});
  auto lowest = parse_ca_certificates(p7, nullptr);
  ASSERT_TRUE(lowest) << lowest.error().message;
  EXPECT_EQ(lowest->ca, issuing.certificate);
  EXPECT_EQ(lowest->ca_others, std::vector<pki::Certificate>{s.root.certificate});
  // The issuing CA chains to a configured root-only chain.
  EXPECT_TRUE(check_against_chain(*lowest, {s.root.certificate}, now()));

  auto configured = parse_ca_certificates(p7, &s.root.certificate);
  ASSERT_TRUE(configured);
  EXPECT_EQ(configured->ca, s.root.certificate);
}

TEST(ScepCaCertificates, RefusesBodiesWithoutACaCertificate) {
  const auto& s = setup();
  auto none = parse_ca_certificates(as_bytes("not a certificate"), nullptr);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kMalformed);
  auto ra_only = parse_ca_certificates(
      test_pki::certificates_only({s.sign_ra.certificate, s.encrypt_ra.certificate}), nullptr);
  EXPECT_THAT(ra_only, FailsWith(ErrorCode::kMalformed, HasSubstr("none of them is a CA")));
}

TEST(ScepCaCertificates, AnotherCaThanTheConfiguredOneIsNamed) {
  const auto& s = setup();
  test_pki::Identity configured = test_pki::make_ca("Configured CA");
  auto certs = parse_ca_certificates(s.root.certificate.der(), &configured.certificate);
  ASSERT_TRUE(certs);
  Status status = check_against_chain(*certs, {configured.certificate}, now());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kPermissionDenied);
  EXPECT_THAT(status.error().message, HasSubstr("SCEP Root"));
  EXPECT_THAT(status.error().message, HasSubstr("Configured CA"));
  EXPECT_THAT(status.error().message, HasSubstr(configured.certificate.fingerprint_sha256()));
}

TEST(ScepCaCertificates, RefusesAnRaFromAnotherCa) {
  const auto& s = setup();
  test_pki::Identity stranger = test_pki::make_ca("Stranger CA");
  test_pki::Identity foreign_ra = test_pki::make_issued("Foreign RA", stranger, "keyEncipherment");
  auto certs = parse_ca_certificates(
      test_pki::certificates_only({s.root.certificate, foreign_ra.certificate}), nullptr);
  ASSERT_TRUE(certs);
  Status status = check_against_chain(*certs, {s.root.certificate}, now());
  EXPECT_THAT(status, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("Foreign RA")));
}

TEST(ScepCaCertificates, NoConfiguredChainIsAnInvalidArgument) {
  const auto& s = setup();
  auto certs = parse_ca_certificates(s.root.certificate.der(), nullptr);
  ASSERT_TRUE(certs);
  Status status = check_against_chain(*certs, {}, now());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace capf::scep
