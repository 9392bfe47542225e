// PKCS#10 for the phone-signed request of docs/protocol.md §6.10.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "capf/pki/csr.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::HasSubstr;
using testing::run_shell;
using testing::TempDir;

constexpr std::string_view kSubject = "CN=SEP001122334455,O=Example,OU=Voice";

bool contains(ByteView haystack, ByteView needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(RequestInfo, IsVersion0WithTheSpkiVerbatimAndNoAttributes) {
  Bytes spki = testing::ec_key().spki_der();
  auto info = build_request_info(kSubject, spki);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->front(), 0x30);
  const std::size_t header = (*info)[1] & 0x80 ? 2 + ((*info)[1] & 0x7f) : 2;
  EXPECT_EQ(to_hex(ByteView(*info).subspan(header, 3)), "020100");  // INTEGER 0
  EXPECT_TRUE(contains(*info, spki));
  EXPECT_EQ(to_hex(ByteView(*info).last(2)), "a000");  // [0] empty attributes
}

TEST(RequestInfo, RefusesBadSubjectOrKey) {
  auto bad_dn = build_request_info("CN=a,NOPE=b", testing::ec_key().spki_der());
  ASSERT_FALSE(bad_dn);
  EXPECT_EQ(bad_dn.error().code, ErrorCode::kInvalidArgument);
  auto bad_key = build_request_info(kSubject, testing::hex("3003020100"));
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code, ErrorCode::kMalformed);
}

TEST(Csr, PhoneSignedRequestVerifiesWithOpenssl) {
  TempDir dir;
  const std::pair<const PrivateKey*, Hash> cases[] = {
      {&testing::rsa_key(1), Hash::kSha256},
      {&testing::rsa_key(1), Hash::kSha512},
      {&testing::ec_key(1), Hash::kSha256},
      {&testing::test_key({KeyType::kEc, 384}), Hash::kSha512},
  };
  for (auto [phone, hash] : cases) {
    auto info = build_request_info(kSubject, phone->spki_der());
    ASSERT_TRUE(info);
    auto sig = phone->sign(hash, *info);  // what the phone returns in SHA2_SIGNED_DATA
    ASSERT_TRUE(sig);
    auto csr = assemble_csr(*info, hash, *sig);
    ASSERT_TRUE(csr) << csr.error().message;
    std::string file = dir.write("req.der", *csr);
    auto verify = run_shell("openssl req -inform DER -in " + file + " -verify -noout -text");
    EXPECT_EQ(verify.exit_code, 0) << verify.output;
    EXPECT_THAT(verify.output, HasSubstr("verify OK"));
    const bool rsa = phone->spec().type == KeyType::kRsa;
    const std::string alg =
        rsa ? (hash == Hash::kSha256 ? "sha256WithRSAEncryption" : "sha512WithRSAEncryption")
            : (hash == Hash::kSha256 ? "ecdsa-with-SHA256" : "ecdsa-with-SHA512");
    EXPECT_THAT(verify.output, HasSubstr(alg));
    EXPECT_THAT(verify.output, HasSubstr("CN = SEP001122334455, O = Example, OU = Voice"));

    auto spki = csr_public_key(*csr);
    ASSERT_TRUE(spki) << spki.error().message;
    EXPECT_EQ(*spki, phone->spki_der());
  }
}

TEST(Csr, RequestInfoCanCarryDnsNamesAndAChallengePassword) {
  TempDir dir;
  const PrivateKey& phone = testing::ec_key(1);
  RequestInfoOptions options;
  options.dns_names = {"sep001122334455.phones.test", "alt.phones.test"};
  options.challenge_password = "s3cret";
  auto info = build_request_info("CN=sep001122334455.phones.test", phone.spki_der(), options);
  ASSERT_TRUE(info) << info.error().message;
  auto csr = assemble_csr(*info, Hash::kSha256, *phone.sign(Hash::kSha256, *info));
  ASSERT_TRUE(csr) << csr.error().message;
  auto text = run_shell("openssl req -inform DER -in " + dir.write("req.der", *csr) +
                        " -verify -noout -text");
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("Requested Extensions"));
  EXPECT_THAT(text.output, HasSubstr("DNS:sep001122334455.phones.test, DNS:alt.phones.test"));
  EXPECT_THAT(text.output, HasSubstr("challengePassword"));
  EXPECT_THAT(text.output, HasSubstr("s3cret"));
}

TEST(Csr, WrongSignatureIsACryptoError) {
  const PrivateKey& phone = testing::rsa_key(1);
  auto info = build_request_info(kSubject, phone.spki_der());
  ASSERT_TRUE(info);

  auto other = testing::rsa_key(2).sign(Hash::kSha256, *info);
  auto by_other_key = assemble_csr(*info, Hash::kSha256, *other);
  ASSERT_FALSE(by_other_key);
  EXPECT_EQ(by_other_key.error().code, ErrorCode::kCrypto);

  auto sig = phone.sign(Hash::kSha256, *info);
  auto declared_wrong = assemble_csr(*info, Hash::kSha512, *sig);
  ASSERT_FALSE(declared_wrong);
  EXPECT_EQ(declared_wrong.error().code, ErrorCode::kCrypto);

  Bytes flipped = *sig;
  flipped[10] ^= 1;
  EXPECT_EQ(assemble_csr(*info, Hash::kSha256, flipped).error().code, ErrorCode::kCrypto);

  auto proof = phone.sign_proof(Hash::kSha256, *info);  // raw hash, no DigestInfo
  EXPECT_EQ(assemble_csr(*info, Hash::kSha256, *proof).error().code, ErrorCode::kCrypto);

  EXPECT_EQ(assemble_csr(testing::hex("300302010a"), Hash::kSha256, *sig).error().code,
            ErrorCode::kMalformed);
  EXPECT_EQ(assemble_csr(*info, Hash::kSha256, {}).error().code, ErrorCode::kMalformed);
}

TEST(Csr, PublicKeyOfPemAndDerRequestsChecksTheSelfSignature) {
  TempDir dir;
  const PrivateKey& key = testing::ec_key(2);
  std::string key_file = dir.write("key.pem", *key.to_pem());
  auto made =
      run_shell("openssl req -new -key " + key_file + " -subj /CN=CAPF-ca-csr/O=Example -out " +
                dir.file("req.pem") + " && openssl req -in " + dir.file("req.pem") +
                " -outform DER -out " + dir.file("req.der"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto from_pem = csr_public_key(dir.read("req.pem"));
  ASSERT_TRUE(from_pem) << from_pem.error().message;
  EXPECT_EQ(*from_pem, key.spki_der());
  Bytes der = dir.read("req.der");
  auto from_der = csr_public_key(der);
  ASSERT_TRUE(from_der) << from_der.error().message;
  EXPECT_EQ(*from_der, key.spki_der());

  Bytes tampered = der;
  tampered[tampered.size() - 5] ^= 1;  // inside the signature
  auto bad = csr_public_key(tampered);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kCrypto);

  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_EQ(csr_public_key(trailing).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(csr_public_key(as_bytes("junk")).error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace capf::pki
