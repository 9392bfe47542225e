// Certificate parsing and accessors, and parse_dn.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <limits>

#include "capf/pki/certificate.h"
#include "capf/pki/profiles.h"
#include "tests/support/result_matchers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::HasSubstr;

Certificate make_capf(std::string_view subject, const PrivateKey& key = testing::rsa_key()) {
  return testing::test_capf_certificate(key, subject, 365);
}

std::string entry_text(const X509_NAME* name, int index, int* type) {
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  *type = ASN1_STRING_type(value);
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

TEST(Certificate, ReadsTheSpecVectorLsc) {
  auto cert = Certificate::from_der(testing::vector_lsc_der());
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_EQ(cert->subject(), "CN=SEP001122334455, O=Example, OU=CAPF");
  EXPECT_EQ(cert->issuer(), "O=Example, OU=CAPF, CN=CAPF-example");
  EXPECT_EQ(cert->common_name(), "SEP001122334455");
  EXPECT_EQ(cert->serial_hex(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(format_utc(cert->not_before()), "2025-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(cert->not_after()), "2026-01-01T00:00:00Z");
  EXPECT_EQ(cert->fingerprint_sha256(),
            "50787459654fac956f061aeeaabc854cefe8bf10355e909958488496e8c6ae89");
  EXPECT_EQ(cert->der(), testing::vector_lsc_der());
  EXPECT_FALSE(cert->is_ca());
  EXPECT_FALSE(cert->is_self_issued());
  EXPECT_EQ(cert->public_key().spec(), (KeySpec{KeyType::kEc, 256}));
  EXPECT_EQ(cert->spki_der().size(), 91u);
}

TEST(Certificate, FingerprintPrefixTakesOpensslsFormToFingerprintSha256s) {
  auto cert = Certificate::from_der(testing::vector_lsc_der());
  ASSERT_TRUE(cert) << cert.error().message;
  // As `openssl x509 -fingerprint -sha256` prints it: upper case, colons between bytes.
  EXPECT_EQ(fingerprint_prefix("50:78:74:59:65:4F:AC:95:6F:06:1A:EE:AA:BC:85:4C:EF:E8:BF:10:35:5E:"
                               "90:99:58:48:84:96:E8:C6:AE:89"),
            cert->fingerprint_sha256());
  EXPECT_EQ(fingerprint_prefix("50787459"), "50787459");
  EXPECT_EQ(fingerprint_prefix("50:78:74:5"), "5078745");
  EXPECT_EQ(fingerprint_prefix(""), "");
}

// RFC 5280 4.1.2.5: 99991231235959Z means "no well-defined expiration" (SUDI certificates use
// it). It is past what the clock holds: it reads as the latest time, never an overflow.
TEST(Certificate, NoExpirationNotAfterReadsAsTheLatestTime) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("SUDI test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  ASSERT_EQ(ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "99991231235959Z"), 1);
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  unsigned char* der = nullptr;
  const int len = i2d_X509(x, &der);
  ASSERT_GT(len, 0);
  auto cert = Certificate::from_der(ByteView(der, static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  X509_free(x);
  EVP_PKEY_free(key);
  ASSERT_TRUE(cert) << cert.error().message;
  EXPECT_GT(cert->not_after(), *parse_utc("2261-12-31"));
  EXPECT_EQ(cert->not_after(), from_unix(std::numeric_limits<std::int64_t>::max()));
}

TEST(Certificate, FromDerRejectsTrailingBytesAndGarbage) {
  Bytes der = testing::vector_lsc_der();
  der.push_back(0x00);
  auto trailing = Certificate::from_der(der);
  EXPECT_THAT(trailing, FailsWith(ErrorCode::kMalformed, HasSubstr("trailing")));

  der.pop_back();
  der.pop_back();
  auto truncated = Certificate::from_der(der);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kMalformed);

  EXPECT_FALSE(Certificate::from_der({}));
  EXPECT_FALSE(Certificate::from_der(as_bytes("not a certificate")));
}

TEST(Certificate, PemRoundTripAndBundles) {
  Certificate a = make_capf("CN=CAPF-aaaa,O=Example");
  Certificate b = make_capf("CN=CAPF-bbbb,O=Example", testing::ec_key());
  std::string pem = a.pem();
  EXPECT_THAT(pem, HasSubstr("-----BEGIN CERTIFICATE-----"));
  auto back = Certificate::from_pem(pem);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, a);
  EXPECT_FALSE(*back == b);

  std::string bundle = "junk before\n" + a.pem() + "text between\n" + b.pem();
  auto all = Certificate::all_from_pem(bundle);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0], a);
  EXPECT_EQ((*all)[1], b);

  auto first = Certificate::from_bytes(as_bytes(bundle));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, a);
  auto from_der = Certificate::from_bytes(b.der());
  ASSERT_TRUE(from_der);
  EXPECT_EQ(*from_der, b);
}

TEST(Certificate, PemErrorsAreMalformed) {
  auto none = Certificate::from_pem("no certificate here");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kMalformed);
  auto empty = Certificate::all_from_pem("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kMalformed);

  Certificate a = make_capf("CN=CAPF-aaaa");
  std::string broken = a.pem();
  broken.replace(broken.find("\n") + 10, 4, "!!!!");
  auto bad = Certificate::all_from_pem(a.pem() + broken);
  EXPECT_THAT(bad, FailsWith(ErrorCode::kMalformed, HasSubstr("number 2")));
}

TEST(Certificate, SubjectIsOneLineInDerOrderWithRfc2253Escapes) {
  Certificate cert = make_capf("CN=Doe\\, John,O=Zoë & Co,OU=Voice,C=NZ");
  EXPECT_EQ(cert.subject(), "CN=Doe\\, John, O=Zoë & Co, OU=Voice, C=NZ");
  EXPECT_EQ(cert.issuer(), cert.subject());
  EXPECT_EQ(cert.common_name(), "Doe, John");
  EXPECT_TRUE(cert.is_self_issued());
  EXPECT_TRUE(cert.is_ca());
}

TEST(Certificate, SerialHexIsLowerCaseWithoutLeadingZeroBytes) {
  const Certificate issuer = make_capf("CN=CAPF-1a2b3c4d,O=Example");
  FakeClock clock(testing::test_now());
  LscParams params{"SEP001122334455", testing::ec_key(3).spki_der(),
                   testing::hex("00 00 ab cd ef 01 02 03 04 05"), 365};
  auto lsc = issue_lsc(params, issuer, testing::rsa_key(), clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_EQ(lsc->serial_hex(), "abcdef0102030405");
  params.serial = testing::hex("ff 00 00 00 00 00 00 00 00 01");  // top bit set: still positive
  lsc = issue_lsc(params, issuer, testing::rsa_key(), clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_EQ(lsc->serial_hex(), "ff000000000000000001");
}

TEST(ParseDn, ReadsCommaAndSlashForms) {
  for (std::string_view text : {"CN=CAPF-1a2b3c4d,O=Example,OU=Voice,L=Town,ST=State,C=NZ",
                                "/CN=CAPF-1a2b3c4d/O=Example/OU=Voice/L=Town/ST=State/C=NZ",
                                " CN = CAPF-1a2b3c4d , O=Example, OU=Voice,L=Town,ST=State,C=NZ"}) {
    auto name = parse_dn(text);
    ASSERT_TRUE(name) << text << ": " << name.error().message;
    ASSERT_EQ(X509_NAME_entry_count(name->get()), 6) << text;
    int type = 0;
    EXPECT_EQ(entry_text(name->get(), 0, &type), "CAPF-1a2b3c4d");
    EXPECT_EQ(type, V_ASN1_UTF8STRING);
    EXPECT_EQ(entry_text(name->get(), 1, &type), "Example");
    EXPECT_EQ(type, V_ASN1_UTF8STRING);
    EXPECT_EQ(entry_text(name->get(), 5, &type), "NZ");
    EXPECT_EQ(type, V_ASN1_PRINTABLESTRING);
    EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(name->get(), 3))),
              NID_localityName);
  }
}

TEST(ParseDn, SupportsEveryListedAttributeWithItsStringType) {
  auto name = parse_dn(
      "CN=a,O=b,OU=c,L=d,ST=e,C=NZ,emailAddress=pki@example.com,serialNumber=1234,DC=example");
  ASSERT_TRUE(name) << name.error().message;
  const std::pair<int, int> expected[] = {
      {NID_commonName, V_ASN1_UTF8STRING},
      {NID_organizationName, V_ASN1_UTF8STRING},
      {NID_organizationalUnitName, V_ASN1_UTF8STRING},
      {NID_localityName, V_ASN1_UTF8STRING},
      {NID_stateOrProvinceName, V_ASN1_UTF8STRING},
      {NID_countryName, V_ASN1_PRINTABLESTRING},
      {NID_pkcs9_emailAddress, V_ASN1_IA5STRING},
      {NID_serialNumber, V_ASN1_PRINTABLESTRING},
      {NID_domainComponent, V_ASN1_IA5STRING},
  };
  ASSERT_EQ(X509_NAME_entry_count(name->get()), 9);
  for (int i = 0; i < 9; ++i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name->get(), i);
    EXPECT_EQ(OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry)), expected[i].first) << i;
    EXPECT_EQ(ASN1_STRING_type(X509_NAME_ENTRY_get_data(entry)), expected[i].second) << i;
  }
}

TEST(ParseDn, BackslashEscapesSeparators) {
  auto name = parse_dn("CN=Doe\\, John,O=A\\/B");
  ASSERT_TRUE(name) << name.error().message;
  int type = 0;
  EXPECT_EQ(entry_text(name->get(), 0, &type), "Doe, John");
  EXPECT_EQ(entry_text(name->get(), 1, &type), "A/B");
  auto slashed = parse_dn("/CN=a\\/b/O=x,y");
  ASSERT_TRUE(slashed) << slashed.error().message;
  EXPECT_EQ(entry_text(slashed->get(), 0, &type), "a/b");
  EXPECT_EQ(entry_text(slashed->get(), 1, &type), "x,y");
}

TEST(ParseDn, ErrorsNameTheBadPart) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"CN=a,XX=b", "'XX=b' has unknown attribute 'XX'"},
      {"CN=a,O", "'O' has no '='"},
      {"CN=a,O=", "'O=' has an empty value"},
      {"CN=a,C=NZL", "'C=NZL'"},
      {"CN=a,C=1Z", "two-letter"},
      {"CN=a,,O=b", "empty part"},
      {"CN=a,", "empty part"},
      {"", "empty"},
      {"CN=a\\", "backslash"},
      {"emailAddress=zoë@example.com", "ia5string"},
      {"serialNumber=a@b", "printablestring"},
  };
  for (auto [text, needle] : cases) {
    auto name = parse_dn(text);
    ASSERT_FALSE(name) << text;
    EXPECT_EQ(name.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_THAT(name.error().message, HasSubstr(needle)) << text;
  }
  auto long_cn = parse_dn("CN=" + std::string(65, 'a'));
  ASSERT_FALSE(long_cn);
  EXPECT_THAT(long_cn.error().message, HasSubstr("1..64"));
  EXPECT_TRUE(parse_dn("CN=" + std::string(64, 'a')));
}

struct CertificateFileCase {
  std::string name;
  std::string content;  // "" with `directory` or for a missing file
  std::size_t certificates;
  std::string reason;  // what the one message ends with; "" when it reads
};

TEST(ReadCertificates, ReadsPemChainsAndOneDerWithOneMessageOtherwise) {
  ::capf::testing::TempDir dir;
  std::filesystem::create_directory(dir / "folder");
  const Certificate a = make_capf("CN=A"), b = make_capf("CN=B");
  const CertificateFileCase cases[] = {
      {"chain.pem", a.pem() + b.pem(), 2, ""},
      {"one.pem", "junk before\n" + a.pem(), 1, ""},
      {"one.der", to_string(a.der()), 1, ""},
      {"missing.pem", "", 0, "No such file or directory"},
      {"folder", "", 0, "Is a directory"},
      {"empty.pem", "", 0, "the file is empty"},
      {"garbage.pem", "not a certificate", 0, "neither PEM certificates nor one DER certificate"},
      {"broken.pem", a.pem() + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", 0,
       "pem certificate number 2 is broken"},
  };
  for (const auto& c : cases) {
    if (!c.content.empty() || c.name == "empty.pem")
      dir.write(c.name, c.content);
    auto certs = read_certificates(dir / c.name);
    if (c.reason.empty()) {
      ASSERT_TRUE(certs) << c.name << ": " << certs.error().message;
      ASSERT_EQ(certs->size(), c.certificates) << c.name;
      EXPECT_EQ(certs->front().subject(), "CN=A") << c.name;
      continue;
    }
    ASSERT_FALSE(certs) << c.name;
    EXPECT_EQ(certs.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_THAT(certs.error().message,
                ::testing::StartsWith("cannot read " + (dir / c.name).string() + ": "));
    EXPECT_THAT(certs.error().message, HasSubstr(c.reason)) << c.name;
  }
}

}  // namespace
}  // namespace capf::pki
