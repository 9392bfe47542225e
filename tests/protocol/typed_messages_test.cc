// Typed messages: every builder round-trips through the wire bytes, and the parsers enforce the
// element rules of docs/protocol.md §2.2 and §4.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "tests/protocol/test_vectors.h"
#include "tests/support/result_matchers.h"

namespace capf::protocol {
namespace {

using ::testing::HasSubstr;
using testing::hex;

constexpr std::uint32_t kSid = 0x12345678;

// to_message → encode → decode, checking the command and the session id survive.
template <typename T>
Message through_wire(const T& typed) {
  Message m = to_message(kSid, typed);
  auto bytes = encode(m);
  EXPECT_TRUE(bytes) << bytes.error().message;
  auto back = decode(bytes.value_or(Bytes{}));
  EXPECT_TRUE(back) << back.error().message;
  EXPECT_EQ(back.value_or(Message{}), m);
  return back.value_or(Message{});
}

// A message with the given command and payload; the payload is written as hex.
Message message(Command command, std::string_view payload_hex) {
  auto elements = parse_elements(hex(payload_hex));
  EXPECT_TRUE(elements) << elements.error().message;
  return Message{static_cast<std::uint8_t>(command), kSid,
                 elements.value_or(std::vector<Element>{})};
}

AuthResponse certificate_auth_response() {
  AuthResponse m;
  m.reason = 1;
  m.version = 3;
  m.device_name = "SEP0011223344AA";
  m.password = "";
  m.certificates = {{cert_type::kLsc, 0, Bytes(300, 0x30)}};
  m.signed_data = Bytes(103, 0x06);
  m.sha2_signed_data = HashedSignature{hash_id::kSha512, Bytes(104, 0x14)};
  m.sudi = SudiData{
      0, Bytes(97, 0x31), {hash_id::kSha1, Bytes(256, 1)}, {hash_id::kSha512, Bytes(256, 3)}};
  return m;
}

TEST(TypedRoundTrip, ServerToClientMessages) {
  AuthRequest auth{2, std::nullopt};
  auto a = parse_auth_request(through_wire(auth));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->version, 2);
  EXPECT_FALSE(a->auth_type);

  KeyGenerateRequest key{kKeyTypeRsa, 4096, std::nullopt};
  auto k = parse_key_generate_request(through_wire(key));
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->key_type, kKeyTypeRsa);
  EXPECT_EQ(k->key_size, std::optional<std::uint16_t>(4096));
  EXPECT_FALSE(k->curve);

  StoreCertificateRequest store{cert_type::kMic, Bytes(1000, 0x42)};
  auto s = parse_store_certificate_request(through_wire(store));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->certificate_type, cert_type::kMic);
  EXPECT_EQ(s->certificate_der, store.certificate_der);

  auto f = parse_fetch_certificate_request(through_wire(FetchCertificateRequest{cert_type::kMic}));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->certificate_type, std::optional<std::uint8_t>(cert_type::kMic));

  Message del = through_wire(DeleteCertificateRequest{});
  EXPECT_EQ(del.command, static_cast<std::uint8_t>(Command::kDeleteCertificateRequest));
  EXPECT_TRUE(del.elements.empty());

  auto e = parse_end_session(through_wire(EndSession{reason::kUnknownDevice}));
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->reason, reason::kUnknownDevice);

  SignCertificateRequest sign{hash_id::kSha512, Bytes(200, 0x30)};
  Message sign_message = through_wire(sign);
  ASSERT_EQ(sign_message.elements.size(), 2u);
  EXPECT_EQ(sign_message.elements[0].tag, static_cast<std::uint8_t>(Tag::kCertificate));
  EXPECT_EQ(sign_message.elements[1].tag, static_cast<std::uint8_t>(Tag::kDigestType));
  EXPECT_EQ(to_hex(ByteView(sign_message.elements[0].value).first(5)), "0100ca0003");
  auto g = parse_sign_certificate_request(sign_message);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->digest_type, hash_id::kSha512);
  EXPECT_EQ(g->request_info_der, sign.request_info_der);
}

TEST(TypedRoundTrip, AuthResponseWithEveryElement) {
  AuthResponse in = certificate_auth_response();
  Message m = through_wire(in);
  std::vector<std::uint8_t> tags;
  for (const Element& e : m.elements) {
    tags.push_back(e.tag);
  }
  EXPECT_EQ(tags, (std::vector<std::uint8_t>{1, 4, 6, 7, 11, 13, 16, 20}));
  auto out = parse_auth_response(m);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->reason, in.reason);
  EXPECT_EQ(out->version, in.version);
  EXPECT_EQ(out->device_name, in.device_name);
  EXPECT_EQ(out->password, in.password);
  EXPECT_EQ(out->certificates, in.certificates);
  EXPECT_EQ(out->signed_data, in.signed_data);
  EXPECT_EQ(out->sha2_signed_data, in.sha2_signed_data);
  EXPECT_EQ(out->sudi, in.sudi);
  EXPECT_TRUE(out->unknown_tags.empty());
}

TEST(TypedRoundTrip, ClientToServerMessages) {
  KeyGenerateResponse key;
  key.public_key = Bytes(294, 0x30);
  auto k = parse_key_generate_response(through_wire(key));
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->public_key, key.public_key);
  EXPECT_FALSE(k->reason);

  Message rip = through_wire(RequestInProgress{});
  EXPECT_EQ(rip.command, static_cast<std::uint8_t>(Command::kRequestInProgress));
  EXPECT_TRUE(rip.elements.empty());

  auto s = parse_store_certificate_response(through_wire(StoreCertificateResponse{7}));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->reason, 7);

  FetchCertificateResponse fetch{1,
                                 {{cert_type::kLsc, 0, Bytes(50, 1)}, {cert_type::kMic, 0, {2}}}};
  auto f = parse_fetch_certificate_response(through_wire(fetch));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->reason, 1);
  EXPECT_EQ(f->certificates, fetch.certificates);

  auto f7 = parse_fetch_certificate_response(through_wire(FetchCertificateResponse{7, {}}));
  ASSERT_TRUE(f7) << f7.error().message;
  EXPECT_TRUE(f7->certificates.empty());

  auto d = parse_delete_certificate_response(through_wire(DeleteCertificateResponse{1}));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->reason, 1);

  SignCertificateResponse sign{1, HashedSignature{hash_id::kSha256, Bytes(256, 9)}};
  auto g = parse_sign_certificate_response(through_wire(sign));
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->reason, 1);
  EXPECT_EQ(g->signature, sign.signature);

  auto refused = parse_sign_certificate_response(through_wire(SignCertificateResponse{7, {}}));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(refused->signature);
}

TEST(AuthResponseParse, AcceptsJabberElementOrder) {
  // §6.9: VERSION, DEVICE_NAME, REASON.
  auto r = parse_auth_response(
      message(Command::kAuthResponse, "07 0001 02  0d 0007 43534631323300  01 0001 01"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->version, 2);
  EXPECT_EQ(r->device_name, "CSF123");
  EXPECT_EQ(r->reason, std::optional<std::uint8_t>(1));
  EXPECT_FALSE(r->password);
}

TEST(AuthResponseParse, IgnoresAndListsUnknownTags) {
  auto r = parse_auth_response(
      message(Command::kAuthResponse,
              "63 0002 abcd 07 0001 03 0e 0000 0d 0002 4100 63 0000 0a 0003 000000"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->device_name, "A");
  // Tag 10 (KEY_SIZE) has no meaning here and is ignored even with a wrong size.
  EXPECT_EQ(r->unknown_tags, (std::vector<std::uint8_t>{0x63, 0x0e, 0x0a}));
}

TEST(AuthResponseParse, DuplicateTagKeepsTheFirst) {
  auto r = parse_auth_response(
      message(Command::kAuthResponse, "0d 0002 4100  07 0001 03  0d 0002 4200  07 0001 09"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->device_name, "A");
  EXPECT_EQ(r->version, 3);
}

TEST(AuthResponseParse, RequiresVersionAndDeviceName) {
  auto no_version = parse_auth_response(message(Command::kAuthResponse, "0d 0002 4100"));
  EXPECT_THAT(no_version, FailsWith(ErrorCode::kProtocol, "AUTH_RESPONSE lacks VERSION"));
  auto no_name = parse_auth_response(message(Command::kAuthResponse, "07 0001 03"));
  EXPECT_THAT(no_name, FailsWith(ErrorCode::kProtocol, "AUTH_RESPONSE lacks DEVICE_NAME"));
}

TEST(AuthResponseParse, DoesNotRangeCheckTheVersion) {
  auto r = parse_auth_response(message(Command::kAuthResponse, "07 0001 63 0d 0002 4100"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->version, 0x63);
}

TEST(AuthResponseParse, TextElementsNeedTheirTrailingNul) {
  auto no_nul = parse_auth_response(message(Command::kAuthResponse, "07 0001 03 0d 0002 4142"));
  EXPECT_THAT(no_nul, FailsWith(ErrorCode::kMalformed, "DEVICE_NAME value lacks its trailing NUL"));
  auto empty = parse_auth_response(message(Command::kAuthResponse, "07 0001 03 0d 0000"));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "DEVICE_NAME value is empty");
  auto password =
      parse_auth_response(message(Command::kAuthResponse, "07 0001 03 0d 0002 4100 0b 0002 3132"));
  ASSERT_FALSE(password);
  EXPECT_EQ(password.error().message, "PASSWORD value lacks its trailing NUL");
  // Only the final NUL is stripped.
  auto two_nuls = parse_auth_response(message(Command::kAuthResponse, "07 0001 03 0d 0003 410000"));
  ASSERT_TRUE(two_nuls) << two_nuls.error().message;
  EXPECT_EQ(two_nuls->device_name, std::string("A\0", 2));
}

TEST(AuthResponseParse, RejectsBadNestedValues) {
  auto cert = parse_auth_response(
      message(Command::kAuthResponse, "07 0001 03 0d 0002 4100 04 0003 020000"));
  ASSERT_FALSE(cert);
  EXPECT_EQ(cert.error().code, ErrorCode::kMalformed);
  auto sha2 = parse_auth_response(
      message(Command::kAuthResponse, "07 0001 03 0d 0002 4100 14 0004 03 0002 aa"));
  ASSERT_FALSE(sha2);
  EXPECT_THAT(sha2.error().message, HasSubstr("SHA2_SIGNED_DATA: signature declares 2 bytes"));
  auto sudi = parse_auth_response(
      message(Command::kAuthResponse, "07 0001 03 0d 0002 4100 10 0003 000000"));
  ASSERT_FALSE(sudi);
  EXPECT_THAT(sudi.error().message, HasSubstr("SUDI_DATA SHA-1 part"));
}

// A typed parser of `command`, reduced to whether it accepts a message with `payload`.
template <Command command, auto Parse>
Status parses(std::string_view payload) {
  CAPF_TRY(Parse(message(command, payload)));
  return ok();
}

TEST(TypedParse, FixedSizeElementsMustHaveTheirSize) {
  struct Case {
    Status (*parse)(std::string_view payload);
    std::string_view payload;
    std::string_view message;
  };
  constexpr auto* kKeyGenerateRequest =
      &parses<Command::kKeyGenerateRequest, parse_key_generate_request>;
  constexpr auto* kAuthRequest = &parses<Command::kAuthRequest, parse_auth_request>;
  constexpr auto* kEndSession = &parses<Command::kEndSession, parse_end_session>;
  constexpr auto* kStoreCertRequest =
      &parses<Command::kStoreCertificateRequest, parse_store_certificate_request>;
  constexpr auto* kSignCertRequest =
      &parses<Command::kSignCertificateRequest, parse_sign_certificate_request>;
  constexpr auto* kAuthResponse = &parses<Command::kAuthResponse, parse_auth_response>;
  constexpr auto* kStoreCertResponse =
      &parses<Command::kStoreCertificateResponse, parse_store_certificate_response>;
  const Case cases[] = {
      {kKeyGenerateRequest, "0a 0003 000800 11 0001 00",
       "element KEY_SIZE has 3 bytes, expected 2"},
      {kKeyGenerateRequest, "11 0002 0000", "element KEY_TYPE has 2 bytes, expected 1"},
      {kKeyGenerateRequest, "11 0001 01 12 0000", "element CURVE has 0 bytes, expected 1"},
      {kAuthRequest, "07 0002 0003", "element VERSION has 2 bytes, expected 1"},
      {kAuthRequest, "07 0001 03 08 0002 0000", "element AUTH_TYPE has 2 bytes, expected 1"},
      {kEndSession, "01 0000", "element REASON has 0 bytes, expected 1"},
      {kStoreCertRequest, "03 0002 0001 04 0006 01 0003 00 01 aa",
       "element CERTIFICATE_TYPE has 2 bytes, expected 1"},
      {kSignCertRequest, "13 0002 0002 04 0006 01 0003 00 03 aa",
       "element DIGEST_TYPE has 2 bytes, expected 1"},
      {kAuthResponse, "01 0002 0101 07 0001 03 0d 0002 4100",
       "element REASON has 2 bytes, expected 1"},
      {kStoreCertResponse, "01 0002 0101", "element REASON has 2 bytes, expected 1"},
  };
  for (const Case& c : cases) {
    Status outcome = c.parse(c.payload);
    ASSERT_FALSE(outcome) << c.payload;
    EXPECT_EQ(outcome.error().code, ErrorCode::kMalformed) << c.payload;
    EXPECT_EQ(outcome.error().message, c.message);
  }
}

TEST(TypedParse, WrongCommandIsAProtocolError) {
  auto r =
      parse_store_certificate_response(message(Command::kDeleteCertificateResponse, "01 0001 01"));
  EXPECT_THAT(r, FailsWith(ErrorCode::kProtocol,
                           "expected STORE_CERTIFICATE_RESPONSE, got DELETE_CERTIFICATE_RESPONSE"));
}

TEST(TypedParse, RequiredElements) {
  EXPECT_EQ(parse_end_session(message(Command::kEndSession, "")).error().message,
            "END_SESSION lacks REASON");
  EXPECT_EQ(parse_key_generate_request(message(Command::kKeyGenerateRequest, "0a 0002 0800"))
                .error()
                .message,
            "KEY_GENERATE_REQUEST lacks KEY_TYPE");
  EXPECT_EQ(
      parse_store_certificate_request(message(Command::kStoreCertificateRequest, "03 0001 01"))
          .error()
          .message,
      "STORE_CERTIFICATE_REQUEST lacks CERTIFICATE");
  EXPECT_EQ(parse_auth_request(message(Command::kAuthRequest, "08 0001 00")).error().code,
            ErrorCode::kProtocol);
  EXPECT_EQ(parse_delete_certificate_response(message(Command::kDeleteCertificateResponse, ""))
                .error()
                .message,
            "DELETE_CERTIFICATE_RESPONSE lacks REASON");
  EXPECT_EQ(
      parse_sign_certificate_response(message(Command::kSignCertificateResponse, "")).error().code,
      ErrorCode::kProtocol);
  EXPECT_EQ(parse_fetch_certificate_response(message(Command::kFetchCertificateResponse, ""))
                .error()
                .code,
            ErrorCode::kProtocol);
}

TEST(KeyGenerateResponseParse, PublicKeyReasonOrNeither) {
  auto key = parse_key_generate_response(message(Command::kKeyGenerateResponse, "09 0002 3000"));
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->public_key, (Bytes{0x30, 0x00}));
  auto refused = parse_key_generate_response(message(Command::kKeyGenerateResponse, "01 0001 07"));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_FALSE(refused->public_key);
  EXPECT_EQ(refused->reason, std::optional<std::uint8_t>(7));
  auto neither = parse_key_generate_response(message(Command::kKeyGenerateResponse, "63 0000"));
  EXPECT_THAT(neither, FailsWith(ErrorCode::kProtocol,
                                 "KEY_GENERATE_RESPONSE has neither PUBLIC_KEY nor REASON"));
}

TEST(StoreCertificateRequestParse, UsesTheFirstItemAndItsTypeWhenTypeIsAbsent) {
  auto r = parse_store_certificate_request(
      message(Command::kStoreCertificateRequest, "04 000c 01 0003 00 02 aa 01 0003 00 01 bb"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->certificate_type, cert_type::kMic);
  EXPECT_EQ(r->certificate_der, Bytes{0xaa});
}

TEST(SignCertificateRequestParse, NeedsARequestInfoItem) {
  auto r = parse_sign_certificate_request(
      message(Command::kSignCertificateRequest, "13 0001 02 04 0006 01 0003 00 01 aa"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_THAT(r.error().message, HasSubstr("no certificate item of type 3"));
  auto ok_r = parse_sign_certificate_request(
      message(Command::kSignCertificateRequest, "04 0006 01 0003 00 03 aa 13 0001 02"));
  ASSERT_TRUE(ok_r) << ok_r.error().message;
  EXPECT_EQ(ok_r->digest_type, hash_id::kSha256);
  EXPECT_EQ(ok_r->request_info_der, Bytes{0xaa});
}

TEST(TypedBuild, OversizedValuesAreRejectedByEncode) {
  StoreCertificateRequest store{cert_type::kLsc, Bytes(65531, 0x30)};
  auto bytes = encode(to_message(kSid, store));
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, ErrorCode::kInvalidArgument);
  AuthResponse auth;
  auth.device_name = std::string(65535, 'A');  // plus the NUL: 65536
  auto auth_bytes = encode(to_message(kSid, auth));
  ASSERT_FALSE(auth_bytes);
  EXPECT_THAT(auth_bytes.error().message, HasSubstr("DEVICE_NAME value has 65536 bytes"));
}

}  // namespace
}  // namespace capf::protocol
