// The §12 worked example, byte for byte, in both directions.
#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "tests/protocol/test_vectors.h"

namespace capf::protocol {
namespace {

using testing::hex;
using testing::kSessionId;

std::string encoded_hex(const Message& m) {
  auto bytes = encode(m);
  EXPECT_TRUE(bytes) << bytes.error().message;
  return bytes ? to_hex(*bytes) : std::string();
}

Message decoded(std::string_view frame_hex) {
  auto m = decode(hex(frame_hex));
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : Message{};
}

// The LSC DER inside message 6: the frame's last 474 bytes.
Bytes lsc_der() {
  Bytes frame = hex(testing::kStoreCertificateRequestHex);
  return Bytes(frame.end() - 474, frame.end());
}

// The SPKI inside message 5: everything after the header and the PUBLIC_KEY element header.
Bytes spki() {
  Bytes frame = hex(testing::kKeyGenerateResponseHex);
  return Bytes(frame.begin() + 11, frame.end());
}

AuthResponse vector_auth_response(std::optional<std::string> password) {
  AuthResponse m;
  m.reason = reason::kSuccess;
  m.version = 3;
  m.device_name = "SEP001122334455";
  m.password = std::move(password);
  return m;
}

TEST(TestVector, Message1AuthRequest) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, AuthRequest{})), testing::kAuthRequestHex);
  auto parsed = parse_auth_request(decoded(testing::kAuthRequestHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->version, 3);
  EXPECT_EQ(parsed->auth_type, std::optional<std::uint8_t>(0));
}

TEST(TestVector, Message2AuthResponse) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, vector_auth_response("123456"))),
            testing::kAuthResponseHex);
  auto parsed = parse_auth_response(decoded(testing::kAuthResponseHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->reason, std::optional<std::uint8_t>(1));
  EXPECT_EQ(parsed->version, 3);
  EXPECT_EQ(parsed->device_name, "SEP001122334455");
  EXPECT_EQ(parsed->password, std::optional<std::string>("123456"));
  EXPECT_TRUE(parsed->certificates.empty());
  EXPECT_FALSE(parsed->signed_data);
  EXPECT_FALSE(parsed->sha2_signed_data);
  EXPECT_FALSE(parsed->sudi);
  EXPECT_TRUE(parsed->unknown_tags.empty());
}

TEST(TestVector, Message2NullStringVariant) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, vector_auth_response(""))),
            testing::kAuthResponseNullHex);
  auto parsed = parse_auth_response(decoded(testing::kAuthResponseNullHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->password, std::optional<std::string>(""));
  EXPECT_EQ(parsed->device_name, "SEP001122334455");
}

TEST(TestVector, Message3KeyGenerateRequestEc) {
  KeyGenerateRequest m;
  m.key_type = kKeyTypeEc;
  m.curve = kCurveP256;
  EXPECT_EQ(encoded_hex(to_message(kSessionId, m)), testing::kKeyGenerateEcHex);
  auto parsed = parse_key_generate_request(decoded(testing::kKeyGenerateEcHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->key_type, kKeyTypeEc);
  EXPECT_EQ(parsed->curve, std::optional<std::uint8_t>(kCurveP256));
  EXPECT_FALSE(parsed->key_size);
}

TEST(TestVector, Message3KeyGenerateRequestRsa) {
  KeyGenerateRequest m;
  m.key_type = kKeyTypeRsa;
  m.key_size = 2048;
  EXPECT_EQ(encoded_hex(to_message(kSessionId, m)), testing::kKeyGenerateRsaHex);
  auto parsed = parse_key_generate_request(decoded(testing::kKeyGenerateRsaHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->key_type, kKeyTypeRsa);
  EXPECT_EQ(parsed->key_size, std::optional<std::uint16_t>(2048));
  EXPECT_FALSE(parsed->curve);
}

TEST(TestVector, Message4RequestInProgress) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, RequestInProgress{})),
            testing::kRequestInProgressHex);
  Message m = decoded(testing::kRequestInProgressHex);
  EXPECT_EQ(m.command, static_cast<std::uint8_t>(Command::kRequestInProgress));
  EXPECT_EQ(m.session_id, kSessionId);
  EXPECT_TRUE(m.elements.empty());
}

TEST(TestVector, Message5KeyGenerateResponse) {
  Bytes key = spki();
  ASSERT_EQ(key.size(), 91u);
  EXPECT_EQ(to_hex(ByteView(key).first(4)), "30593013");
  KeyGenerateResponse m;
  m.public_key = key;
  EXPECT_EQ(encoded_hex(to_message(kSessionId, m)), testing::kKeyGenerateResponseHex);
  auto parsed = parse_key_generate_response(decoded(testing::kKeyGenerateResponseHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_TRUE(parsed->public_key);
  EXPECT_EQ(*parsed->public_key, key);
  EXPECT_FALSE(parsed->reason);
}

TEST(TestVector, Message6StoreCertificateRequest) {
  Bytes der = lsc_der();
  StoreCertificateRequest m;
  m.certificate_type = cert_type::kLsc;
  m.certificate_der = der;
  EXPECT_EQ(encoded_hex(to_message(kSessionId, m)), testing::kStoreCertificateRequestHex);

  Message message = decoded(testing::kStoreCertificateRequestHex);
  ASSERT_EQ(message.elements.size(), 2u);
  const Element* cert = message.find(Tag::kCertificate);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(cert->value.size(), 479u);
  auto items = parse_certificate_value(cert->value);
  ASSERT_TRUE(items) << items.error().message;
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].type, cert_type::kLsc);
  EXPECT_EQ((*items)[0].reserved, 0);
  EXPECT_EQ((*items)[0].der.size(), 474u);

  auto parsed = parse_store_certificate_request(message);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->certificate_type, cert_type::kLsc);
  ASSERT_EQ(parsed->certificate_der.size(), 474u);
  EXPECT_EQ(to_hex(ByteView(parsed->certificate_der).first(4)), "308201d6");
  EXPECT_EQ(parsed->certificate_der, der);
}

TEST(TestVector, Message7StoreCertificateResponse) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, StoreCertificateResponse{reason::kSuccess})),
            testing::kStoreCertificateResponseHex);
  auto parsed = parse_store_certificate_response(decoded(testing::kStoreCertificateResponseHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->reason, reason::kSuccess);
}

TEST(TestVector, Message8EndSession) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, EndSession{reason::kSuccess})),
            testing::kEndSessionChangedHex);
  auto parsed = parse_end_session(decoded(testing::kEndSessionChangedHex));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->reason, reason::kSuccess);
}

TEST(TestVector, OtherSingleMessages) {
  EXPECT_EQ(encoded_hex(to_message(kSessionId, FetchCertificateRequest{})),
            testing::kFetchRequestHex);
  EXPECT_EQ(encoded_hex(to_message(kSessionId, DeleteCertificateRequest{})),
            testing::kDeleteRequestHex);
  EXPECT_EQ(encoded_hex(to_message(kSessionId, EndSession{reason::kNoAction})),
            testing::kEndSessionNoActionHex);
  EXPECT_EQ(encoded_hex(to_message(kSessionId, EndSession{reason::kFailure})),
            testing::kEndSessionFailureHex);
  EXPECT_EQ(encoded_hex(to_message(kSessionId, EndSession{reason::kUnknownDevice})),
            testing::kEndSessionUnknownDeviceHex);
  EXPECT_EQ(encoded_hex(to_message(kSessionId, DeleteCertificateResponse{reason::kFailure})),
            testing::kDeleteResponseNothingHex);

  auto fetch = parse_fetch_certificate_request(decoded(testing::kFetchRequestHex));
  ASSERT_TRUE(fetch) << fetch.error().message;
  EXPECT_FALSE(fetch->certificate_type);
  auto end = parse_end_session(decoded(testing::kEndSessionUnknownDeviceHex));
  ASSERT_TRUE(end) << end.error().message;
  EXPECT_EQ(end->reason, reason::kUnknownDevice);
  auto del = parse_delete_certificate_response(decoded(testing::kDeleteResponseNothingHex));
  ASSERT_TRUE(del) << del.error().message;
  EXPECT_EQ(del->reason, reason::kFailure);
}

TEST(TestVector, SudiSignedPrefixIsLittleEndianSessionId) {
  Bytes der = lsc_der();
  Bytes signed_bytes = sudi_signed_bytes(kSessionId, der);
  ASSERT_EQ(signed_bytes.size(), 4 + der.size());
  EXPECT_EQ(to_hex(ByteView(signed_bytes).first(4)), "2a000000");
  EXPECT_EQ(Bytes(signed_bytes.begin() + 4, signed_bytes.end()), der);
  EXPECT_EQ(to_hex(sudi_signed_bytes(0x12345678, {})), "78563412");
}

TEST(TestVector, AuthSignedBytesAreNameNulCertificate) {
  Bytes der = {0x30, 0x03, 0x02, 0x01, 0x00};
  EXPECT_EQ(to_hex(auth_signed_bytes("SEP001122334455", der)),
            "53455030303131323233333434353500"
            "3003020100");
}

}  // namespace
}  // namespace capf::protocol
