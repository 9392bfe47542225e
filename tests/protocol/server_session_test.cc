// The server state machine (docs/protocol.md §13), driven with the §12 frames.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/protocol/server_session.h"
#include "tests/protocol/test_vectors.h"
#include "tests/support/result_matchers.h"

namespace capf::protocol {
namespace {

using ::testing::HasSubstr;
using testing::hex;
using testing::kSessionId;

template <typename T>
std::string sent_hex(ServerSession& session, const T& m) {
  auto frame = session.send(m);
  EXPECT_TRUE(frame) << frame.error().message;
  return frame ? to_hex(*frame) : std::string();
}

template <typename T>
Bytes client_frame(const T& m, std::uint32_t session_id = kSessionId) {
  auto bytes = encode(to_message(session_id, m));
  EXPECT_TRUE(bytes);
  return bytes.value_or(Bytes{});
}

KeyGenerateRequest ec_p256() {
  return KeyGenerateRequest{kKeyTypeEc, std::nullopt, kCurveP256};
}

KeyGenerateRequest rsa_2048() {
  return KeyGenerateRequest{kKeyTypeRsa, 2048, std::nullopt};
}

// A session that has sent AUTH_REQUEST and received the §12 auth response.
ServerSession authenticated() {
  ServerSession session(kSessionId);
  EXPECT_TRUE(session.send(AuthRequest{}));
  EXPECT_TRUE(session.receive(hex(testing::kAuthResponseHex)));
  return session;
}

TEST(ServerSession, RunsTheTestVectorInstall) {
  ServerSession session(kSessionId);
  EXPECT_EQ(session.state(), ServerState::kStart);
  EXPECT_EQ(sent_hex(session, AuthRequest{}), testing::kAuthRequestHex);
  EXPECT_EQ(session.state(), ServerState::kWaitAuth);

  auto auth = session.receive(hex(testing::kAuthResponseHex));
  ASSERT_TRUE(auth) << auth.error().message;
  ASSERT_TRUE(std::holds_alternative<AuthResponse>(*auth));
  EXPECT_EQ(std::get<AuthResponse>(*auth).device_name, "SEP001122334455");
  EXPECT_EQ(std::get<AuthResponse>(*auth).password, std::optional<std::string>("123456"));

  EXPECT_EQ(sent_hex(session, ec_p256()), testing::kKeyGenerateEcHex);
  EXPECT_EQ(session.state(), ServerState::kWaitKey);
  for (int i = 0; i < 5; ++i) {
    auto progress = session.receive(hex(testing::kRequestInProgressHex));
    ASSERT_TRUE(progress) << progress.error().message;
    EXPECT_TRUE(std::holds_alternative<RequestInProgress>(*progress));
    EXPECT_EQ(session.state(), ServerState::kWaitKey);
  }
  auto key = session.receive(hex(testing::kKeyGenerateResponseHex));
  ASSERT_TRUE(key) << key.error().message;
  ASSERT_TRUE(std::holds_alternative<KeyGenerateResponse>(*key));
  ASSERT_TRUE(std::get<KeyGenerateResponse>(*key).public_key);
  EXPECT_EQ(std::get<KeyGenerateResponse>(*key).public_key->size(), 91u);

  Bytes store_frame = hex(testing::kStoreCertificateRequestHex);
  StoreCertificateRequest store{cert_type::kLsc, Bytes(store_frame.end() - 474, store_frame.end())};
  EXPECT_EQ(sent_hex(session, store), testing::kStoreCertificateRequestHex);
  EXPECT_EQ(session.state(), ServerState::kWaitStore);
  auto stored = session.receive(hex(testing::kStoreCertificateResponseHex));
  ASSERT_TRUE(stored) << stored.error().message;
  EXPECT_EQ(std::get<StoreCertificateResponse>(*stored).reason, reason::kSuccess);

  EXPECT_EQ(sent_hex(session, EndSession{reason::kSuccess}), testing::kEndSessionChangedHex);
  EXPECT_EQ(session.state(), ServerState::kEnded);
  auto after = session.receive(hex(testing::kStoreCertificateResponseHex));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code, ErrorCode::kProtocol);
  EXPECT_EQ(after.error().message, "nothing may be received after END_SESSION");
  auto send_after = session.send(EndSession{});
  ASSERT_FALSE(send_after);
  EXPECT_EQ(send_after.error().code, ErrorCode::kInternal);
}

TEST(ServerSession, NothingIsReceivedBeforeAuthRequest) {
  ServerSession session(kSessionId);
  auto r = session.receive(hex(testing::kAuthResponseHex));
  EXPECT_THAT(
      r, FailsWith(ErrorCode::kProtocol, "nothing may be received before AUTH_REQUEST is sent"));
}

// What a session that has sent AUTH_REQUEST makes of the §12 auth response after `change`.
Result<ClientEvent> receive_changed_auth_response(void (*change)(Bytes&)) {
  ServerSession session(kSessionId);
  EXPECT_TRUE(session.send(AuthRequest{}));
  Bytes frame = hex(testing::kAuthResponseHex);
  change(frame);
  return session.receive(frame);
}

TEST(ServerSession, RejectsAnotherSessionId) {
  EXPECT_THAT(receive_changed_auth_response([](Bytes& frame) { frame[5] = 0x2b; }),
              FailsWith(ErrorCode::kProtocol, "session id 0x0000002b, expected 0x0000002a"));
}

TEST(ServerSession, RejectsMalformedFrames) {
  EXPECT_THAT(receive_changed_auth_response([](Bytes& frame) { frame[0] = 0x54; }),
              FailsWith(ErrorCode::kMalformed, HasSubstr("protocol id 0x54")));
  EXPECT_THAT(receive_changed_auth_response([](Bytes& frame) { frame.pop_back(); }),
              FailsWith(ErrorCode::kMalformed, ::testing::_));
}

TEST(ServerSession, RejectsACommandNotExpectedInTheState) {
  ServerSession session = authenticated();
  ASSERT_TRUE(session.send(ec_p256()));
  auto r = session.receive(client_frame(FetchCertificateResponse{1, {}}));
  EXPECT_THAT(
      r,
      FailsWith(ErrorCode::kProtocol,
                "FETCH_CERTIFICATE_RESPONSE not expected while waiting for KEY_GENERATE_RESPONSE"));
}

TEST(ServerSession, RequestInProgressOnlyWhileAKeyOrSignatureIsPending) {
  ServerSession session(kSessionId);
  ASSERT_TRUE(session.send(AuthRequest{}));
  auto during_auth = session.receive(hex(testing::kRequestInProgressHex));
  ASSERT_FALSE(during_auth);
  EXPECT_EQ(during_auth.error().message,
            "REQUEST_IN_PROGRESS not expected while waiting for AUTH_RESPONSE");

  ServerSession store = authenticated();
  ASSERT_TRUE(store.send(rsa_2048()));
  ASSERT_TRUE(store.receive(hex(testing::kKeyGenerateResponseHex)));
  auto after_key = store.receive(hex(testing::kRequestInProgressHex));
  ASSERT_FALSE(after_key);
  EXPECT_EQ(after_key.error().code, ErrorCode::kProtocol);
  ASSERT_TRUE(store.send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}));
  EXPECT_FALSE(store.receive(hex(testing::kRequestInProgressHex)));
}

TEST(ServerSession, ASecondReplyBeforeTheNextSendIsRejected) {
  ServerSession session = authenticated();
  auto again = session.receive(hex(testing::kAuthResponseHex));
  EXPECT_THAT(again, FailsWith(ErrorCode::kProtocol, HasSubstr("no request is outstanding")));
}

TEST(ServerSession, SendsOnlyInTheRightState) {
  ServerSession session(kSessionId);
  EXPECT_EQ(session.send(ec_p256()).error().code, ErrorCode::kInternal);
  EXPECT_EQ(session.send(FetchCertificateRequest{}).error().code, ErrorCode::kInternal);
  EXPECT_EQ(session.send(StoreCertificateRequest{}).error().code, ErrorCode::kInternal);
  ASSERT_TRUE(session.send(AuthRequest{}));
  EXPECT_EQ(session.state(), ServerState::kWaitAuth);

  // The auth response has not arrived yet.
  auto early = session.send(ec_p256());
  EXPECT_THAT(
      early,
      FailsWith(
          ErrorCode::kInternal,
          "cannot send KEY_GENERATE_REQUEST in state wait_auth while a reply is outstanding"));
  EXPECT_FALSE(session.send(AuthRequest{}));
  EXPECT_FALSE(session.send(DeleteCertificateRequest{}));
  EXPECT_EQ(session.state(), ServerState::kWaitAuth);

  ASSERT_TRUE(session.receive(hex(testing::kAuthResponseHex)));
  EXPECT_FALSE(session.send(AuthRequest{}));
  EXPECT_FALSE(session.send(SignCertificateRequest{}));
  ASSERT_TRUE(session.send(DeleteCertificateRequest{}));
  EXPECT_EQ(session.state(), ServerState::kWaitDelete);
  EXPECT_FALSE(session.send(FetchCertificateRequest{}));
}

TEST(ServerSession, DeliversAPendingCertificateRightAfterAuthentication) {
  // An external CA signed the phone's earlier request: STORE comes without a new key.
  ServerSession session = authenticated();
  ASSERT_TRUE(session.send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}));
  EXPECT_EQ(session.state(), ServerState::kWaitStore);
  ASSERT_TRUE(session.receive(hex(testing::kStoreCertificateResponseHex)));
  EXPECT_TRUE(session.send(EndSession{reason::kSuccess}));
}

TEST(ServerSession, FallsBackFromEcToRsa) {
  ServerSession session = authenticated();
  ASSERT_TRUE(session.send(ec_p256()));
  auto refused = session.receive(client_frame(KeyGenerateResponse{std::nullopt, reason::kFailure}));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(std::get<KeyGenerateResponse>(*refused).reason,
            std::optional<std::uint8_t>(reason::kFailure));
  EXPECT_EQ(sent_hex(session, rsa_2048()), testing::kKeyGenerateRsaHex);
  EXPECT_EQ(session.state(), ServerState::kWaitKey);
  ASSERT_TRUE(session.receive(hex(testing::kKeyGenerateResponseHex)));
  ASSERT_TRUE(session.send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}));
}

TEST(ServerSession, PhoneSignsTheRequest) {
  ServerSession session = authenticated();
  ASSERT_TRUE(session.send(rsa_2048()));
  ASSERT_TRUE(session.receive(hex(testing::kKeyGenerateResponseHex)));
  ASSERT_TRUE(session.send(SignCertificateRequest{hash_id::kSha256, {0x30, 0x00}}));
  EXPECT_EQ(session.state(), ServerState::kWaitSign);
  EXPECT_FALSE(session.send(SignCertificateRequest{}));
  for (int i = 0; i < 3; ++i) {
    auto progress = session.receive(client_frame(RequestInProgress{}));
    ASSERT_TRUE(progress) << progress.error().message;
    EXPECT_TRUE(std::holds_alternative<RequestInProgress>(*progress));
  }
  auto wrong = session.receive(hex(testing::kKeyGenerateResponseHex));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message,
            "KEY_GENERATE_RESPONSE not expected while waiting for SIGN_CERTIFICATE_RESPONSE");
  SignCertificateResponse signed_response{reason::kSuccess,
                                          HashedSignature{hash_id::kSha256, Bytes(256, 7)}};
  auto sig = session.receive(client_frame(signed_response));
  ASSERT_TRUE(sig) << sig.error().message;
  EXPECT_EQ(std::get<SignCertificateResponse>(*sig).signature, signed_response.signature);
  EXPECT_FALSE(session.send(SignCertificateRequest{}));
  EXPECT_FALSE(session.send(rsa_2048()));
  ASSERT_TRUE(session.send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}));
  ASSERT_TRUE(session.receive(hex(testing::kStoreCertificateResponseHex)));
  ASSERT_TRUE(session.send(EndSession{reason::kSuccess}));
}

TEST(ServerSession, FetchAndDeleteFlows) {
  ServerSession fetch = authenticated();
  EXPECT_EQ(sent_hex(fetch, FetchCertificateRequest{}), testing::kFetchRequestHex);
  EXPECT_EQ(fetch.state(), ServerState::kWaitFetch);
  FetchCertificateResponse fetched{reason::kSuccess, {{cert_type::kLsc, 0, Bytes(20, 0x30)}}};
  auto f = fetch.receive(client_frame(fetched));
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(std::get<FetchCertificateResponse>(*f).certificates, fetched.certificates);
  EXPECT_EQ(sent_hex(fetch, EndSession{reason::kNoAction}), testing::kEndSessionNoActionHex);

  ServerSession del = authenticated();
  EXPECT_EQ(sent_hex(del, DeleteCertificateRequest{}), testing::kDeleteRequestHex);
  auto d = del.receive(hex(testing::kDeleteResponseNothingHex));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(std::get<DeleteCertificateResponse>(*d).reason, reason::kFailure);
  EXPECT_EQ(sent_hex(del, EndSession{reason::kFailure}), testing::kEndSessionFailureHex);
}

TEST(ServerSession, EndIsLegalAtAnyTimeBeforeEnded) {
  ServerSession at_start(kSessionId);
  ASSERT_TRUE(at_start.send(EndSession{reason::kFailure}));
  EXPECT_EQ(at_start.state(), ServerState::kEnded);
  EXPECT_FALSE(at_start.send(AuthRequest{}));

  ServerSession waiting = authenticated();
  ASSERT_TRUE(waiting.send(ec_p256()));
  ASSERT_TRUE(waiting.send(EndSession{reason::kFailure}));
  EXPECT_FALSE(waiting.receive(hex(testing::kKeyGenerateResponseHex)));
}

TEST(ServerSession, BadTypedReplyLeavesTheRequestOutstanding) {
  ServerSession session(kSessionId);
  ASSERT_TRUE(session.send(AuthRequest{}));
  auto bad = session.receive(hex("55020000002a0004070001 03"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "AUTH_RESPONSE lacks DEVICE_NAME");
  EXPECT_EQ(session.state(), ServerState::kWaitAuth);
  EXPECT_FALSE(session.send(FetchCertificateRequest{}));
  EXPECT_EQ(sent_hex(session, EndSession{reason::kFailure}), testing::kEndSessionFailureHex);
}

TEST(ServerSession, StateNames) {
  EXPECT_EQ(to_string(ServerState::kStart), "start");
  EXPECT_EQ(to_string(ServerState::kWaitKey), "wait_key");
  EXPECT_EQ(to_string(ServerState::kEnded), "ended");
}

}  // namespace
}  // namespace capf::protocol
