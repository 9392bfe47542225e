// The LSC profile (docs/architecture.md §4): issue_lsc and lsc_profile_problems, with self-signed,
// EC and subordinate CAPF certificates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::run_shell;
using testing::TempDir;

constexpr std::string_view kDevice = "SEP001122334455";

LscParams lsc_params(const PrivateKey& phone_key, std::string_view device = kDevice) {
  return LscParams{std::string(device), phone_key.spki_der(), random_serial(), 365};
}

std::vector<int> extension_nids(const Certificate& cert) {
  std::vector<int> nids;
  for (int i = 0; i < X509_get_ext_count(cert.get()); ++i) {
    nids.push_back(OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(cert.get(), i))));
  }
  return nids;
}

Bytes ext_value(const Certificate& cert, int nid, int* critical) {
  int index = X509_get_ext_by_NID(cert.get(), nid, -1);
  if (index < 0) {
    return {};
  }
  X509_EXTENSION* ext = X509_get_ext(cert.get(), index);
  *critical = X509_EXTENSION_get_critical(ext);
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(ext);
  return Bytes(ASN1_STRING_get0_data(data), ASN1_STRING_get0_data(data) + ASN1_STRING_length(data));
}

TEST(Lsc, SelfSignedRsaCapfIssuesTheProfile) {
  const PrivateKey& capf_key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  const PrivateKey& phone = testing::rsa_key(1);
  FakeClock clock(testing::test_now());
  LscParams params = lsc_params(phone);
  auto lsc = issue_lsc(params, capf, capf_key, clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_THAT(lsc_profile_problems(*lsc, capf, kDevice), IsEmpty());

  EXPECT_EQ(X509_get_version(lsc->get()), X509_VERSION_3);
  EXPECT_EQ(lsc->subject(), "CN=SEP001122334455, O=Example, OU=Voice, L=Town, ST=State, C=NZ");
  EXPECT_EQ(lsc->issuer(), capf.subject());
  EXPECT_EQ(lsc->common_name(), kDevice);
  EXPECT_EQ(lsc->serial_hex(), to_hex(params.serial).substr(params.serial[0] == 0 ? 2 : 0));
  EXPECT_EQ(lsc->not_before(), testing::test_now());
  EXPECT_EQ(lsc->not_after(), testing::test_now() + std::chrono::hours(24 * 365));
  EXPECT_EQ(lsc->spki_der(), phone.spki_der());
  EXPECT_EQ(X509_get_signature_nid(lsc->get()), NID_sha256WithRSAEncryption);
  EXPECT_FALSE(lsc->is_ca());
  EXPECT_EQ(X509_verify(lsc->get(), X509_get0_pubkey(capf.get())), 1);
}

TEST(Lsc, ExtensionsAreTheProfileInOrderByteForByte) {
  const PrivateKey& capf_key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  FakeClock clock(testing::test_now());
  auto lsc = issue_lsc(lsc_params(testing::ec_key(1)), capf, capf_key, clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_THAT(
      extension_nids(*lsc),
      ElementsAre(NID_basic_constraints, NID_key_usage, NID_ext_key_usage, NID_subject_alt_name,
                  NID_subject_key_identifier, NID_authority_key_identifier));
  int critical = -1;
  // The same encodings as the reference profile in the docs/protocol.md §12 vector.
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_basic_constraints, &critical)), "3000");
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_key_usage, &critical)), "030205a0");
  EXPECT_EQ(critical, 1);
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_ext_key_usage, &critical)),
            "301e06082b0601050507030106082b0601050507030206082b06010505070305");
  EXPECT_EQ(critical, 0);
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_subject_alt_name, &critical)),
            "3011860f534550303031313232333334343535");
  EXPECT_EQ(critical, 0);
  // SKI = SHA-1 of the subjectPublicKey bits (the bytes after "03 42 00" in a P-256 SPKI).
  Bytes spki = testing::ec_key(1).spki_der();
  Bytes ski = digest(Hash::kSha1, ByteView(spki).subspan(spki.size() - 65));
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_subject_key_identifier, &critical)), "0414" + to_hex(ski));
  EXPECT_EQ(critical, 0);
  const ASN1_OCTET_STRING* capf_ski = X509_get0_subject_key_id(capf.get());
  ASSERT_NE(capf_ski, nullptr);
  EXPECT_EQ(to_hex(ext_value(*lsc, NID_authority_key_identifier, &critical)),
            "30168014" + to_hex(ByteView(ASN1_STRING_get0_data(capf_ski), 20)));
  EXPECT_EQ(X509_get_signature_nid(lsc->get()), NID_ecdsa_with_SHA256);
}

TEST(Lsc, EcCapfIssuesForRsaAndEcPhones) {
  const PrivateKey& capf_key = testing::test_key({KeyType::kEc, 384});
  Certificate capf = testing::test_capf_certificate(capf_key);
  FakeClock clock(testing::test_now());
  for (const PrivateKey* phone :
       {&testing::rsa_key(2), &testing::ec_key(2), &testing::test_key({KeyType::kEc, 521})}) {
    auto lsc = issue_lsc(lsc_params(*phone), capf, capf_key, clock);
    ASSERT_TRUE(lsc) << lsc.error().message;
    EXPECT_THAT(lsc_profile_problems(*lsc, capf, kDevice), IsEmpty());
    EXPECT_EQ(lsc->spki_der(), phone->spki_der());
    EXPECT_EQ(lsc->public_key().spec(), phone->spec());
  }
}

TEST(Lsc, SubjectCopiesTheIssuerEntriesWithTheirEncodings) {
  TempDir dir;
  // A CAPF certificate whose names openssl writes as PrintableString, with attributes (CN,
  // emailAddress) that an LSC must not copy, and without a subjectKeyIdentifier.
  std::string config =
      dir.write("req.cnf",
                "[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = default\n"
                "[dn]\nC = NZ\nO = Example Ltd\nCN = CAPF-cli\nemailAddress = pki@example.com\n"
                "OU = Voice\n[ext]\nbasicConstraints = critical,CA:TRUE,pathlen:0\n"
                "keyUsage = critical,digitalSignature,keyCertSign\nsubjectKeyIdentifier = none\n"
                "authorityKeyIdentifier = none\n");
  const PrivateKey& capf_key = testing::rsa_key();
  std::string key_file = dir.write("key.pem", *capf_key.to_pem());
  auto made = run_shell("openssl req -x509 -new -key " + key_file + " -config " + config +
                        " -extensions ext -days 30 -out " + dir.file("capf.pem"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto capf = Certificate::from_pem(to_string(dir.read("capf.pem")));
  ASSERT_TRUE(capf);
  ASSERT_EQ(X509_get0_subject_key_id(capf->get()), nullptr);

  FakeClock clock(testing::test_now());
  auto lsc = issue_lsc(lsc_params(testing::ec_key(1)), *capf, capf_key, clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_EQ(lsc->subject(), "CN=SEP001122334455, C=NZ, O=Example Ltd, OU=Voice");
  const X509_NAME* subject = X509_get_subject_name(lsc->get());
  EXPECT_EQ(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, 0))),
            V_ASN1_UTF8STRING);
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))),
              V_ASN1_PRINTABLESTRING)
        << i;
  }
  // Without an issuer SKI, the AKI is the hash of the issuer's key.
  Bytes capf_spki = capf->spki_der();
  const ASN1_OCTET_STRING* aki = X509_get0_authority_key_id(lsc->get());
  ASSERT_NE(aki, nullptr);
  ASSERT_EQ(capf_spki.size(), 294u);
  Bytes rsa_bits(capf_spki.begin() + 24, capf_spki.end());  // after "03 82 01 0f 00"
  EXPECT_EQ(to_hex(ByteView(ASN1_STRING_get0_data(aki), 20)),
            to_hex(digest(Hash::kSha1, rsa_bits)));
  EXPECT_THAT(lsc_profile_problems(*lsc, *capf, kDevice), IsEmpty());
}

TEST(Lsc, LscIssuerIsCapfSubjectNotItsIssuer) {
  TempDir dir;
  const PrivateKey& capf_key = testing::ec_key();
  auto chain =
      testing::make_subordinate(dir, testing::rsa_key(3), capf_key, testing::CrlSign::kWithout);
  ASSERT_NE(chain.capf.subject(), chain.capf.issuer());
  EXPECT_THAT(capf_profile_problems(chain.capf), IsEmpty());

  FakeClock clock(std::chrono::system_clock::now());
  auto lsc = issue_lsc(lsc_params(testing::rsa_key(1)), chain.capf, capf_key, clock);
  ASSERT_TRUE(lsc) << lsc.error().message;
  EXPECT_EQ(lsc->issuer(), "CN=CAPF-sub, O=Example, OU=Voice, C=NZ");
  EXPECT_EQ(lsc->subject(), "CN=SEP001122334455, O=Example, OU=Voice, C=NZ");
  EXPECT_THAT(lsc_profile_problems(*lsc, chain.capf, kDevice), IsEmpty());

  VerifyOptions options;
  options.at = clock.now() + std::chrono::minutes(1);
  options.require_client_auth = true;
  auto anchor = verify_chain(*lsc, {chain.root}, {chain.capf}, options);
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(*anchor, chain.root);

  std::string lsc_file = dir.write("lsc.pem", lsc->pem());
  auto verify = run_shell("openssl verify -CAfile " + dir.file("root.pem") + " -untrusted " +
                          dir.file("capf.pem") + " " + lsc_file);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_THAT(verify.output, HasSubstr(": OK"));
}

TEST(Lsc, ClientAuthNeedsAnIssuerEkuThatAllowsIt) {
  // OpenSSL applies a CA's extendedKeyUsage to the certificates below it: a CAPF certificate with
  // serverAuth alone makes every LSC it signs unusable as a TLS client certificate.
  TempDir dir;
  const PrivateKey& capf_key = testing::rsa_key();
  std::string config = dir.write(
      "req.cnf",
      "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = CAPF-server-only\n"
      "[ext]\nbasicConstraints = critical,CA:TRUE,pathlen:0\n"
      "keyUsage = critical,digitalSignature,keyCertSign\nextendedKeyUsage = serverAuth\n");
  auto made =
      run_shell("openssl req -x509 -new -key " + dir.write("key.pem", *capf_key.to_pem()) +
                " -config " + config + " -extensions ext -days 30 -out " + dir.file("capf.pem"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto capf = Certificate::from_pem(to_string(dir.read("capf.pem")));
  ASSERT_TRUE(capf);
  EXPECT_THAT(capf_profile_problems(*capf), IsEmpty());
  FakeClock clock(std::chrono::system_clock::now());
  auto lsc = issue_lsc(lsc_params(testing::ec_key(1)), *capf, capf_key, clock);
  ASSERT_TRUE(lsc);
  VerifyOptions options;
  EXPECT_TRUE(verify_chain(*lsc, {*capf}, {}, options));
  options.require_client_auth = true;
  auto client = verify_chain(*lsc, {*capf}, {}, options);
  ASSERT_FALSE(client);
  EXPECT_THAT(client.error().message, HasSubstr("unsuitable certificate purpose"));
  EXPECT_THAT(client.error().message, HasSubstr("CN=CAPF-server-only"));
}

TEST(Lsc, OpensslReadsAndVerifiesTheLsc) {
  TempDir dir;
  const PrivateKey& capf_key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  FakeClock clock(testing::test_now());
  auto lsc = issue_lsc(lsc_params(testing::ec_key(1)), capf, capf_key, clock);
  ASSERT_TRUE(lsc);
  std::string capf_file = dir.write("capf.pem", capf.pem());
  std::string lsc_file = dir.write("lsc.der", lsc->der());
  auto text = run_shell("openssl x509 -inform DER -in " + lsc_file + " -noout -text");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("CA:FALSE"));
  EXPECT_THAT(text.output, HasSubstr("Digital Signature, Key Encipherment"));
  EXPECT_THAT(text.output, HasSubstr("TLS Web Server Authentication, TLS Web Client "
                                     "Authentication, IPSec End System"));
  EXPECT_THAT(text.output, HasSubstr("URI:SEP001122334455"));
  dir.write("lsc.pem", lsc->pem());
  auto verify =
      run_shell("openssl verify -attime " + std::to_string(to_unix(testing::test_now()) + 60) +
                " -purpose sslclient -CAfile " + capf_file + " " + dir.file("lsc.pem"));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

TEST(Lsc, ReferenceVectorLacksOnlyTheKeyIdentifiers) {
  // The docs/protocol.md §12 LSC follows the older reference profile: no SKI/AKI, otherwise the
  // same.
  PrivateKey issuer_key = testing::vector_issuer_key();
  Certificate issuer =
      testing::test_capf_certificate(issuer_key, "O=Example,OU=CAPF,CN=CAPF-example");
  auto lsc = Certificate::from_der(testing::vector_lsc_der());
  ASSERT_TRUE(lsc);
  EXPECT_THAT(lsc_profile_problems(*lsc, issuer, kDevice),
              ElementsAre(HasSubstr("extensions are [basicConstraints, keyUsage, extendedKeyUsage, "
                                    "subjectAltName]"),
                          HasSubstr("subjectKeyIdentifier"), HasSubstr("authorityKeyIdentifier")));
}

TEST(Lsc, ProblemsNameEachDeparture) {
  const PrivateKey& capf_key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  Certificate other_capf =
      testing::test_capf_certificate(testing::rsa_key(1), "CN=CAPF-other,O=Other");
  FakeClock clock(testing::test_now());
  auto lsc = issue_lsc(lsc_params(testing::ec_key(1)), capf, capf_key, clock);
  ASSERT_TRUE(lsc);

  EXPECT_THAT(lsc_profile_problems(*lsc, capf, "SEP00AABBCCDDEE"),
              ElementsAre("subject CN is 'SEP001122334455', not the device name 'SEP00AABBCCDDEE'",
                          "subjectAltName is not exactly URI:SEP00AABBCCDDEE"));
  EXPECT_THAT(lsc_profile_problems(*lsc, other_capf, kDevice),
              ElementsAre(HasSubstr("does not follow its CN"),
                          HasSubstr("is not the capf certificate's subject"),
                          HasSubstr("authorityKeyIdentifier"),
                          "signature does not verify with the capf certificate's key"));
  // A CAPF certificate is not an LSC.
  auto problems = lsc_profile_problems(capf, capf, kDevice);
  EXPECT_THAT(problems,
              ::testing::Contains(HasSubstr("basicConstraints is not critical,CA:FALSE")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("keyUsage is not critical")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("subjectAltName is not exactly")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("extensions are [basicConstraints, "
                                                      "keyUsage, extendedKeyUsage, "
                                                      "subjectKeyIdentifier")));
  EXPECT_THAT(problems, ::testing::Contains(HasSubstr("subject CN is 'CAPF-1a2b3c4d'")));

  // A short serial is reported.
  LscParams short_serial = lsc_params(testing::ec_key(1));
  short_serial.serial = testing::hex("0102030405060708");
  auto weak = issue_lsc(short_serial, capf, capf_key, clock);
  ASSERT_TRUE(weak);
  EXPECT_THAT(lsc_profile_problems(*weak, capf, kDevice),
              ElementsAre(HasSubstr("serial 0102030405060708 is not a positive integer of more "
                                    "than 64 bits")));
}

TEST(Lsc, RefusesBadInput) {
  const PrivateKey& capf_key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  FakeClock clock(testing::test_now());

  LscParams garbage = lsc_params(testing::ec_key(1));
  garbage.subject_public_key_der = testing::hex("3003020100");
  auto malformed = issue_lsc(garbage, capf, capf_key, clock);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::kMalformed);

  LscParams trailing = lsc_params(testing::ec_key(1));
  trailing.subject_public_key_der.push_back(0);
  EXPECT_EQ(issue_lsc(trailing, capf, capf_key, clock).error().code, ErrorCode::kMalformed);

  PKeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(ed25519.get(), &der);
  LscParams unsupported = lsc_params(testing::ec_key(1));
  unsupported.subject_public_key_der.assign(der, der + len);
  OPENSSL_free(der);
  EXPECT_EQ(issue_lsc(unsupported, capf, capf_key, clock).error().code,
            ErrorCode::kInvalidArgument);

  auto wrong_key = issue_lsc(lsc_params(testing::ec_key(1)), capf, testing::ec_key(2), clock);
  EXPECT_THAT(wrong_key, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("does not belong")));

  for (std::string_view device :
       {std::string_view(""), std::string_view("SEP 0011"), std::string_view("SEP\0", 4)}) {
    auto bad = issue_lsc(lsc_params(testing::ec_key(1), device), capf, capf_key, clock);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  }
  auto too_long =
      issue_lsc(lsc_params(testing::ec_key(1), std::string(65, 'A')), capf, capf_key, clock);
  EXPECT_FALSE(too_long);

  LscParams zero = lsc_params(testing::ec_key(1));
  zero.serial = Bytes(16, 0);
  EXPECT_EQ(issue_lsc(zero, capf, capf_key, clock).error().code, ErrorCode::kInvalidArgument);
  zero.serial = {};
  EXPECT_EQ(issue_lsc(zero, capf, capf_key, clock).error().code, ErrorCode::kInvalidArgument);

  LscParams no_days = lsc_params(testing::ec_key(1));
  no_days.days = 0;
  EXPECT_EQ(issue_lsc(no_days, capf, capf_key, clock).error().code, ErrorCode::kInvalidArgument);
}

TEST(Lsc, ConcurrentIssuanceSharesOneIssuer) {
  const PrivateKey& capf_key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(capf_key);
  FakeClock clock(testing::test_now());
  Bytes phone_spki = testing::ec_key(1).spki_der();
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::vector<Certificate>> issued(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto lsc = issue_lsc({std::string(kDevice), phone_spki, random_serial(), 365}, capf,
                             capf_key, clock);
        if (lsc) {
          issued[t].push_back(*lsc);
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  std::set<std::string> serials;
  VerifyOptions options;
  options.at = testing::test_now() + std::chrono::hours(1);
  for (const auto& list : issued) {
    ASSERT_EQ(list.size(), static_cast<std::size_t>(kEach));
    for (const Certificate& lsc : list) {
      serials.insert(lsc.serial_hex());
      ASSERT_TRUE(verify_chain(lsc, {capf}, {}, options));
    }
  }
  EXPECT_EQ(serials.size(), static_cast<std::size_t>(kThreads * kEach));
  EXPECT_THAT(lsc_profile_problems(issued[0][0], capf, kDevice), IsEmpty());
}

}  // namespace
}  // namespace capf::pki
