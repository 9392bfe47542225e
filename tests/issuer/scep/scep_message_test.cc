// The SCEP messages without a server: requests opened as a CA opens them, and CertReps in every
// pkiStatus (PENDING included, which micromdm's scepserver never sends) made by the test CA.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/issuer/online/scep/scep_message.h"
#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "tests/issuer/scep/scep_test_pki.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::scep {
namespace {

using ::testing::HasSubstr;
namespace test_pki = capf::testing::scep_pki;

const test_pki::Identity& test_ca() {
  static const test_pki::Identity ca = test_pki::make_ca("SCEP Message Test CA");
  return ca;
}

FakeClock& clock() {
  static FakeClock clock(std::chrono::system_clock::now());
  return clock;
}

Bytes phone_csr(const pki::PrivateKey& key, const std::string& device) {
  pki::RequestInfoOptions options;
  options.challenge_password = "s3cret";
  auto info = pki::build_request_info("CN=" + device, key.spki_der(), options);
  EXPECT_TRUE(info) << info.error().message;
  auto signature = key.sign(pki::Hash::kSha256, *info);
  auto csr = pki::assemble_csr(*info, pki::Hash::kSha256, *signature);
  EXPECT_TRUE(csr) << csr.error().message;
  return *csr;
}

Requester requester_for(const Bytes& csr) {
  auto subject = csr_subject_der(csr);
  EXPECT_TRUE(subject) << subject.error().message;
  auto requester = make_requester(*subject, clock());
  EXPECT_TRUE(requester) << requester.error().message;
  return *requester;
}

TEST(ScepRequest, PkcsReqOpensAsTheCaOpensIt) {
  const pki::PrivateKey& phone = pki::testing::rsa_key(0);
  Bytes csr = phone_csr(phone, "SEP001122334455");
  Requester requester = requester_for(csr);
  EXPECT_EQ(requester.certificate.subject(), "CN=SEP001122334455");
  EXPECT_TRUE(requester.certificate.is_self_issued());

  RequestMessage message{MessageType::kPkcsReq, transaction_id_for(phone.spki_der()), new_nonce(),
                         csr};
  auto der = build_request(
      message, {test_ca().certificate, ContentCipher::kAes128Cbc, pki::Hash::kSha256, requester});
  ASSERT_TRUE(der) << der.error().message;
  auto opened = test_pki::open_request(*der, test_ca());
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->signature_verifies);
  ASSERT_EQ(opened->certificates.size(), 1u);
  EXPECT_EQ(opened->certificates[0], requester.certificate);
  EXPECT_EQ(opened->message_type, "19");
  EXPECT_EQ(opened->transaction_id, message.transaction_id);
  EXPECT_EQ(opened->transaction_id.size(), 64u);  // hex SHA-256 of the phone's SPKI
  EXPECT_EQ(opened->sender_nonce, message.sender_nonce);
  EXPECT_EQ(opened->sender_nonce.size(), 16u);
  EXPECT_EQ(opened->digest, "SHA256");
  EXPECT_EQ(opened->cipher, "AES-128-CBC");
  EXPECT_EQ(opened->content, csr);
}

TEST(ScepRequest, CertPollCarriesIssuerAndSubjectWithTripleDesAndSha1) {
  const pki::PrivateKey& phone = pki::testing::rsa_key(0);
  Bytes csr = phone_csr(phone, "SEP00AABBCCDDEE");
  Requester requester = requester_for(csr);
  Bytes issuer = certificate_subject_der(test_ca().certificate);
  Bytes subject = *csr_subject_der(csr);
  RequestMessage message{MessageType::kCertPoll, transaction_id_for(phone.spki_der()), new_nonce(),
                         issuer_and_subject(issuer, subject)};
  auto der = build_request(
      message, {test_ca().certificate, ContentCipher::kDes3Cbc, pki::Hash::kSha1, requester});
  ASSERT_TRUE(der) << der.error().message;
  auto opened = test_pki::open_request(*der, test_ca());
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->signature_verifies);
  EXPECT_EQ(opened->message_type, "20");
  EXPECT_EQ(opened->transaction_id, message.transaction_id);
  EXPECT_EQ(opened->digest, "SHA1");
  EXPECT_EQ(opened->cipher, "DES-EDE3-CBC");
  // IssuerAndSubject ::= SEQUENCE { issuer Name, subject Name }, checked byte by byte.
  Bytes expected{0x30, static_cast<std::uint8_t>(issuer.size() + subject.size())};
  ASSERT_LT(issuer.size() + subject.size(), 128u);
  append(expected, issuer);
  append(expected, subject);
  EXPECT_EQ(opened->content, expected);
}

TEST(ScepRequest, IssuerAndSubjectUsesLongFormLengths) {
  Bytes issuer(100, 0x11);
  Bytes subject(100, 0x22);
  Bytes der = issuer_and_subject(issuer, subject);
  ASSERT_EQ(der.size(), 203u);
  EXPECT_EQ(der[0], 0x30);
  EXPECT_EQ(der[1], 0x81);
  EXPECT_EQ(der[2], 200);
}

TEST(ScepRequest, RefusesARecipientWithoutAnRsaKey) {
  auto ec_key = pki::PrivateKey::generate({KeyType::kEc, 256});
  ASSERT_TRUE(ec_key);
  auto ec_ca = pki::make_capf_certificate(*ec_key, {"CN=EC CA", 30}, clock());
  ASSERT_TRUE(ec_ca) << ec_ca.error().message;
  Bytes csr = phone_csr(pki::testing::rsa_key(0), "SEP001122334455");
  Requester requester = requester_for(csr);
  auto der = build_request({MessageType::kPkcsReq, "t", new_nonce(), csr},
                           {*ec_ca, ContentCipher::kAes128Cbc, pki::Hash::kSha256, requester});
  EXPECT_THAT(der, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("rsa")));
}

// A CertRep from the test CA for one request.
struct Exchange {
  Bytes csr = phone_csr(pki::testing::rsa_key(0), "SEP001122334455");
  Requester requester = requester_for(csr);
  std::string transaction = transaction_id_for(pki::testing::rsa_key(0).spki_der());
  Bytes nonce = new_nonce();
  std::vector<pki::Certificate> signers{test_ca().certificate};

  test_pki::CertRepFields fields(std::string status) const {
    test_pki::CertRepFields f;
    f.pki_status = std::move(status);
    f.transaction_id = transaction;
    f.recipient_nonce = nonce;
    return f;
  }
  Result<CertRep> decode(const Bytes& der) const {
    return decode_cert_rep(der, ReplyContext{signers, requester, transaction, nonce});
  }
};

TEST(ScepCertRep, PendingWithoutContent) {
  Exchange x;
  auto rep = x.decode(test_pki::cert_rep(x.fields("3"), test_ca()));
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rep->status, PkiStatus::kPending);
  EXPECT_TRUE(rep->certificates.empty());
}

TEST(ScepCertRep, FailureKeepsFailInfoAndText) {
  Exchange x;
  auto fields = x.fields("2");
  fields.fail_info = "2";
  fields.fail_info_text = "challenge password expired";
  auto rep = x.decode(test_pki::cert_rep(fields, test_ca()));
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rep->status, PkiStatus::kFailure);
  ASSERT_TRUE(rep->fail_info);
  EXPECT_EQ(*rep->fail_info, 2);
  EXPECT_EQ(fail_info_name(*rep->fail_info), "badRequest");
  EXPECT_EQ(rep->fail_info_text, "challenge password expired");
}

TEST(ScepCertRep, SuccessDecryptsSingleDesAndAes) {
  for (auto cipher : {test_pki::Cipher::kDes, test_pki::Cipher::kAes128}) {
    Exchange x;
    pki::Certificate issued =
        test_pki::issue_for(pki::testing::rsa_key(0).spki_der(), "SEP001122334455", test_ca());
    auto fields = x.fields("0");
    fields.content =
        test_pki::envelope(test_pki::certificates_only({issued}), x.requester.certificate, cipher);
    auto rep = x.decode(test_pki::cert_rep(fields, test_ca()));
    ASSERT_TRUE(rep) << rep.error().message;
    EXPECT_EQ(rep->status, PkiStatus::kSuccess);
    ASSERT_EQ(rep->certificates.size(), 1u);
    EXPECT_EQ(rep->certificates[0], issued);
  }
}

TEST(ScepCertRep, RefusesASignerThatIsNotTheCa) {
  Exchange x;
  test_pki::Identity stranger = test_pki::make_ca("Stranger");
  auto rep = x.decode(test_pki::cert_rep(x.fields("3"), stranger));
  EXPECT_THAT(rep, FailsWith(ErrorCode::kUntrusted, HasSubstr("neither the CA's nor its RA's")));
}

TEST(ScepCertRep, RefusesAnotherNonceOrTransaction) {
  Exchange x;
  auto fields = x.fields("3");
  fields.recipient_nonce = new_nonce();
  auto rep = x.decode(test_pki::cert_rep(fields, test_ca()));
  EXPECT_THAT(rep, FailsWith(ErrorCode::kUntrusted, HasSubstr("recipientNonce")));

  fields = x.fields("3");
  fields.transaction_id = "someone-else";
  rep = x.decode(test_pki::cert_rep(fields, test_ca()));
  EXPECT_THAT(rep, FailsWith(ErrorCode::kUntrusted, HasSubstr("someone-else")));
}

TEST(ScepCertRep, RefusesATamperedSignature) {
  Exchange x;
  auto fields = x.fields("2");
  fields.fail_info = "2";
  Bytes der = test_pki::cert_rep(fields, test_ca());
  der[der.size() - 5] ^= 0x01;  // inside the signature value, the last field
  auto rep = x.decode(der);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kUntrusted);
}

TEST(ScepCertRep, RefusesOtherMessagesStatusesAndBytes) {
  Exchange x;
  auto fields = x.fields("3");
  fields.message_type = "19";
  auto rep = x.decode(test_pki::cert_rep(fields, test_ca()));
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kProtocol);

  rep = x.decode(test_pki::cert_rep(x.fields("7"), test_ca()));
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kProtocol);

  rep = x.decode(test_pki::cert_rep(x.fields("0"), test_ca()));  // SUCCESS without content
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kMalformed);
}

TEST(ScepCertRep, RefusesBytesThatAreNotPkcs7) {
  Exchange x;
  std::string_view html = "<html>proxy error</html>";
  auto rep = x.decode(Bytes(html.begin(), html.end()));
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kMalformed);
  rep = x.decode({});
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kMalformed);
}

TEST(ScepBase64, RoundTripsAndRefusesGarbage) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 5u, 300u}) {
    Bytes data(n);
    for (std::size_t i = 0; i < n; ++i)
      data[i] = static_cast<std::uint8_t>(i * 7 + 3);
    std::string text = to_base64(data);
    EXPECT_EQ(text.size(), 4 * ((n + 2) / 3));
    auto back = from_base64(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, data);
  }
  EXPECT_EQ(to_base64(as_bytes("any carnal pleas")), "YW55IGNhcm5hbCBwbGVhcw==");
  EXPECT_FALSE(from_base64("abc"));
  EXPECT_FALSE(from_base64("ab!d"));
}

}  // namespace
}  // namespace capf::scep
