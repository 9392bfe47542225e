// Bad input from a phone ends only that session — with END_SESSION 7 or a close — and changes no
// other device. Each case runs against the real server over TLS with a raw client.
#include <poll.h>

#include <functional>
#include <thread>

#include "tests/integration/raw_client.h"
#include "tests/integration/server_fixture.h"

namespace capf::testing {
namespace {

constexpr const char* kPhone = "SEP001122334455";
constexpr const char* kBystander = "SEP00112233CCCC";

class BadInput : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    start("[timeouts]\nread_seconds = 2\nkeygen_seconds = 2\nkeygen_max_seconds = 4\n");
    set(install(kPhone));
    set(install(kBystander));
    bystander_before_ = device(kBystander);
  }
  void TearDown() override {
    // The bystander is untouched and the server still serves a well-behaved phone.
    Device after = device(kBystander);
    EXPECT_EQ(after.version, bystander_before_.version);
    EXPECT_EQ(after.status, bystander_before_.status);
    EXPECT_EQ(run_phone(kBystander).exit_code, 0) << last_transcript_;
    ServerFixture::TearDown();
  }

  static protocol::Message auth(std::uint32_t session, const std::string& name) {
    protocol::AuthResponse r;
    r.reason = 1;
    r.version = 3;
    r.device_name = name;
    r.password = "";
    return protocol::to_message(session, r);
  }

  // The END_SESSION reason the server answers an AUTH_RESPONSE of kPhone with, after
  // `edit_message` changed the message and `edit_frame` its encoding.
  std::optional<std::uint8_t> end_reason_for_auth(
      const std::function<void(protocol::Message&)>& edit_message,
      const std::function<void(Bytes&)>& edit_frame = [](Bytes&) {}) {
    RawClient c(port_);
    std::uint32_t id = c.open();
    protocol::Message m = auth(id, kPhone);
    edit_message(m);
    Bytes frame = *protocol::encode(m);
    edit_frame(frame);
    c.write(frame);
    return c.end_reason();
  }
  static void unchanged(protocol::Message&) {}

  Device bystander_before_;
};

TEST_F(BadInput, WrongProtocolIdEndsWith7) {
  EXPECT_EQ(end_reason_for_auth(unchanged, [](Bytes& frame) { frame[0] = 0x56; }), 7);
}

TEST_F(BadInput, WrongSessionIdEndsWith7) {
  RawClient c(port_);
  std::uint32_t id = c.open();
  c.send(auth(id + 1, kPhone));
  EXPECT_EQ(c.end_reason(), 7);
  EXPECT_EQ(device(kPhone).status, OperationStatus::pending());
}

TEST_F(BadInput, LengthThatDoesNotAddUpEndsWith7) {
  // The first element claims one byte more than the payload holds.
  EXPECT_EQ(end_reason_for_auth(unchanged, [](Bytes& frame) { frame[9] += 1; }), 7);
}

TEST_F(BadInput, UnexpectedCommandEndsWith7) {
  RawClient c(port_);
  std::uint32_t id = c.open();
  c.send(protocol::to_message(id, protocol::StoreCertificateResponse{1}));
  EXPECT_EQ(c.end_reason(), 7);
}

TEST_F(BadInput, MissingDeviceNameEndsWith7) {
  EXPECT_EQ(end_reason_for_auth([](protocol::Message& m) {
              std::erase_if(m.elements, [](const protocol::Element& e) { return e.tag == 13; });
            }),
            7);
}

TEST_F(BadInput, DeviceNameWithoutNulEndsWith7) {
  EXPECT_EQ(end_reason_for_auth([](protocol::Message& m) {
              for (auto& e : m.elements) {
                if (e.tag == 13)
                  e.value.pop_back();
              }
            }),
            7);
}

TEST_F(BadInput, UnknownTagsAreIgnored) {
  RawClient c(port_);
  std::uint32_t id = c.open();
  protocol::Message m = auth(id, kPhone);
  m.elements.insert(m.elements.begin(), protocol::Element{0x42, {1, 2, 3}});
  c.send(m);
  auto next = c.read();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->command, static_cast<std::uint8_t>(protocol::Command::kKeyGenerateRequest));
}

TEST_F(BadInput, GarbageCertificateForLscAuthIsInvalidLsc) {
  set(install(kPhone, AuthMode::kLscFirst));
  RawClient c(port_);
  std::uint32_t id = c.open();
  protocol::AuthResponse r;
  r.reason = 1;
  r.version = 3;
  r.device_name = kPhone;
  r.certificates = {protocol::CertificateItem{1, 0, Bytes{0x30, 0x82, 0x01, 0x00, 0x01}}};
  r.signed_data = Bytes(256, 0xab);
  r.sha2_signed_data = protocol::HashedSignature{3, Bytes(256, 0xcd)};
  c.send(protocol::to_message(id, r));
  EXPECT_EQ(c.end_reason(), 7);
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidLsc));
}

TEST_F(BadInput, GarbagePublicKeyEndsWith7AndIssuesNothing) {
  RawClient c(port_);
  std::uint32_t id = c.open();
  c.send(auth(id, kPhone));
  ASSERT_TRUE(c.read());  // KEY_GENERATE_REQUEST
  protocol::KeyGenerateResponse k;
  k.public_key = Bytes{0x30, 0x10, 0x06, 0x03, 0x2a, 0x03, 0x04};
  c.send(protocol::to_message(id, k));
  EXPECT_EQ(c.end_reason(), 7);
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kKeyGenerationFailed));
  EXPECT_TRUE(env_->admin().device_certificates(kPhone)->empty());
}

TEST_F(BadInput, TruncatedFrameThenCloseIsPhoneCommunicationFailure) {
  {
    RawClient c(port_);
    std::uint32_t id = c.open();
    c.send(auth(id, kPhone));
    ASSERT_TRUE(c.read());  // KEY_GENERATE_REQUEST
    Bytes frame = *protocol::encode(protocol::to_message(id, protocol::KeyGenerateResponse{}));
    c.write(ByteView(frame).first(5));
  }  // the connection drops mid-frame
  for (int i = 0; i < 100 && device(kPhone).status.kind != StatusKind::kFailed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(
      device(kPhone).status,
      OperationStatus::failed(Operation::kInstall, FailureReason::kPhoneCommunicationFailure));
}

TEST_F(BadInput, NotTlsAtAllIsClosed) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket s(io);
  s.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  const char junk[] = "GET / HTTP/1.0\r\n\r\n";
  boost::asio::write(s, boost::asio::buffer(junk, sizeof junk - 1));
  char buf[512];
  boost::system::error_code ec;
  std::size_t total = 0;
  for (int i = 0; i < 10 && !ec; ++i)
    total += s.read_some(boost::asio::buffer(buf), ec);
  EXPECT_TRUE(ec);  // closed after at most a TLS alert
  EXPECT_LT(total, sizeof buf);
}

TEST_F(BadInput, SilentClientIsDroppedAfterTheReadDeadline) {
  RawClient c(port_);
  c.open();
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(c.end_reason().has_value());
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(1500));
  EXPECT_LT(waited, std::chrono::seconds(6));
}

TEST_F(BadInput, RequestInProgressRestartsTheKeygenTimer) {
  auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});  // before the clock starts
  RawClient c(port_);
  std::uint32_t id = c.open();
  c.send(auth(id, kPhone));
  ASSERT_TRUE(c.read());  // KEY_GENERATE_REQUEST (RSA 2048)
  // 3 s of REQUEST_IN_PROGRESS every 0.5 s: longer than keygen_seconds = 2, within the 4 s cap.
  for (int i = 0; i < 6; ++i) {
    c.send(protocol::to_message(id, protocol::RequestInProgress{}));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  protocol::KeyGenerateResponse k;
  k.public_key = key->spki_der();
  c.send(protocol::to_message(id, k));
  auto store = c.read();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->command, static_cast<std::uint8_t>(protocol::Command::kStoreCertificateRequest));
}

TEST_F(BadInput, KeygenWaitIsBoundedEvenWithRequestInProgress) {
  RawClient c(port_);
  std::uint32_t id = c.open();
  c.send(auth(id, kPhone));
  ASSERT_TRUE(c.read());
  auto started = std::chrono::steady_clock::now();
  // REQUEST_IN_PROGRESS forever: the 4 s keygen_max_seconds still ends the session.
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(8)) {
    Bytes f = *protocol::encode(protocol::to_message(id, protocol::RequestInProgress{}));
    try {
      c.write(f);
    } catch (const std::exception&) {
      break;
    }
    // The server closing (close_notify or FIN) makes the socket readable.
    pollfd pfd{c.socket().native_handle(), POLLIN, 0};
    if (::poll(&pfd, 1, 500) > 0)
      break;
  }
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_LT(waited, std::chrono::seconds(7));
  EXPECT_GE(waited, std::chrono::milliseconds(3500));
  for (int i = 0; i < 100 && device(kPhone).status.kind != StatusKind::kFailed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(device(kPhone).status,
            OperationStatus::failed(Operation::kInstall, FailureReason::kKeyGenerationTimeout));
}

}  // namespace
}  // namespace capf::testing
