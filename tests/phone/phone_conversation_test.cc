// The phone's protocol logic without sockets.
#include "phone/phone_conversation.h"

#include <gtest/gtest.h>

#include "capf/pki/profiles.h"

namespace capf::phone {
namespace {

namespace proto = capf::protocol;

constexpr std::uint32_t kSession = 0x2a;

template <typename M>
Bytes frame(const M& message, std::uint32_t session = kSession) {
  return proto::encode(proto::to_message(session, message)).value();
}

proto::Message decoded(const Bytes& bytes) {
  return proto::decode(bytes).value();
}

class PhoneConversationTest : public ::testing::Test {
 protected:
  PhoneConversationTest() : state_(PhoneState::in_memory()) {
    options_.device_name = "SEP001122334455";
  }

  // Feeds a frame through on_header + on_frame.
  Result<PhoneAction> feed(const Bytes& bytes) {
    auto header = conversation_.on_header(ByteView(bytes).first(proto::kHeaderSize));
    if (!header) {
      return header.error();
    }
    return conversation_.on_frame(bytes);
  }

  Bytes single_reply(const Bytes& bytes) {
    auto action = feed(bytes);
    EXPECT_TRUE(action.has_value()) << action.error().message;
    auto* send = std::get_if<SendFrames>(&*action);
    EXPECT_NE(send, nullptr);
    EXPECT_EQ(send->frames.size(), 1u);
    return send->frames.at(0);
  }

  PhoneOptions options_;
  PhoneState state_;
  PhoneConversation conversation_{options_, state_};
};

TEST_F(PhoneConversationTest, RejectsAnotherProtocolId) {
  Bytes bytes = frame(proto::AuthRequest{});
  bytes[0] = 0x56;
  EXPECT_FALSE(conversation_.on_header(ByteView(bytes).first(proto::kHeaderSize)).has_value());
}

TEST_F(PhoneConversationTest, FirstMessageMustBeAuthRequest) {
  auto action = feed(frame(proto::FetchCertificateRequest{}));
  ASSERT_FALSE(action.has_value());
  EXPECT_NE(action.error().message.find("AUTH_REQUEST"), std::string::npos);
}

TEST_F(PhoneConversationTest, AuthResponseAlwaysCarriesAPassword) {
  const Bytes reply = single_reply(frame(proto::AuthRequest{}));
  auto auth = proto::parse_auth_response(decoded(reply)).value();
  EXPECT_EQ(auth.password, "");
  EXPECT_EQ(auth.reason, proto::reason::kSuccess);
  EXPECT_EQ(auth.device_name, "SEP001122334455");
  EXPECT_EQ(decoded(reply).session_id, kSession);
}

TEST_F(PhoneConversationTest, InvalidKeyRequestIsAnsweredWithSeven) {
  single_reply(frame(proto::AuthRequest{}));
  proto::KeyGenerateRequest request;
  request.key_type = proto::kKeyTypeRsa;
  request.key_size = 1000;
  auto response = proto::parse_key_generate_response(decoded(single_reply(frame(request)))).value();
  EXPECT_FALSE(response.public_key.has_value());
  EXPECT_EQ(response.reason, proto::reason::kFailure);
}

TEST_F(PhoneConversationTest, StoreOfACertificateForAnotherKeyIsRefused) {
  single_reply(frame(proto::AuthRequest{}));
  proto::KeyGenerateRequest request;
  request.key_type = proto::kKeyTypeEc;
  request.curve = proto::kCurveP256;
  auto action = feed(frame(request));
  ASSERT_TRUE(action.has_value());
  ASSERT_NE(std::get_if<GenerateKey>(&*action), nullptr);
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  ASSERT_TRUE(conversation_.on_key(key).has_value());

  auto other = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  auto cert =
      pki::make_capf_certificate(other, {"CN=SEP001122334455,O=x", 30}, SystemClock()).value();
  auto store = proto::parse_store_certificate_response(
                   decoded(single_reply(
                       frame(proto::StoreCertificateRequest{proto::cert_type::kLsc, cert.der()}))))
                   .value();
  EXPECT_EQ(store.reason, proto::reason::kFailure);
  EXPECT_FALSE(state_.lsc().has_value());

  auto end = feed(frame(proto::EndSession{proto::reason::kFailure}));
  ASSERT_TRUE(end.has_value());
  EXPECT_NE(std::get_if<SessionEnded>(&*end), nullptr);
  EXPECT_EQ(conversation_.report().exit_code, exit_code::kFailure);
  EXPECT_NE(conversation_.report().summary.find("not for the key"), std::string::npos)
      << conversation_.report().summary;
}

TEST_F(PhoneConversationTest, SecondKeyRequestReplacesThePendingKey) {
  single_reply(frame(proto::AuthRequest{}));
  proto::KeyGenerateRequest request;
  request.key_type = proto::kKeyTypeEc;
  request.curve = proto::kCurveP256;
  ASSERT_TRUE(feed(frame(request)).has_value());
  auto first = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  ASSERT_TRUE(conversation_.on_key(first).has_value());
  ASSERT_TRUE(feed(frame(request)).has_value());
  auto second = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  ASSERT_TRUE(conversation_.on_key(second).has_value());

  auto cert =
      pki::make_capf_certificate(first, {"CN=SEP001122334455,O=x", 30}, SystemClock()).value();
  auto store = proto::parse_store_certificate_response(
                   decoded(single_reply(
                       frame(proto::StoreCertificateRequest{proto::cert_type::kLsc, cert.der()}))))
                   .value();
  EXPECT_EQ(store.reason, proto::reason::kFailure);
}

TEST_F(PhoneConversationTest, EndRightAfterAuthenticationMeansNoOperation) {
  single_reply(frame(proto::AuthRequest{}));
  ASSERT_TRUE(feed(frame(proto::EndSession{proto::reason::kNoAction})).has_value());
  EXPECT_TRUE(conversation_.ended());
  EXPECT_EQ(conversation_.report().exit_code, exit_code::kNoOperation);
  EXPECT_EQ(conversation_.report().operation, "none");
}

// The transcript describes each certificate it carries, unless the phone is told to name commands
// only (the benchmark), and the conversation goes on the same either way.
TEST_F(PhoneConversationTest, TranscriptDescribesCertificatesUnlessToldNotTo) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
  auto cert =
      pki::make_capf_certificate(key, {"CN=SEP001122334455,O=x", 30}, SystemClock()).value();
  for (bool describe : {true, false}) {
    SCOPED_TRACE(describe);
    PhoneOptions options = options_;
    options.describe_messages = describe;
    PhoneState state = PhoneState::in_memory();
    PhoneConversation conversation(options, state);
    for (const Bytes& bytes :
         {frame(proto::AuthRequest{}),
          frame(proto::StoreCertificateRequest{proto::cert_type::kLsc, cert.der()})}) {
      ASSERT_TRUE(conversation.on_header(ByteView(bytes).first(proto::kHeaderSize)).has_value());
      ASSERT_TRUE(conversation.on_frame(bytes).has_value());
    }
    const std::string line = conversation.report().transcript.at(2);
    EXPECT_EQ(line.rfind("<- STORE_CERTIFICATE_REQUEST", 0), 0u) << line;
    EXPECT_EQ(line.find("serial " + cert.serial_hex()) != std::string::npos, describe) << line;
  }
}

}  // namespace
}  // namespace capf::phone
