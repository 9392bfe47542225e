// A real CapfServer and PhoneSession over loopback TLS, with a scripted EnrollmentApi in place of
// the enrollment service: every wire error path (one table: what the service decides, where the
// phone misbehaves, what the phone sees and what the session records), deadlines that expire, and
// the session cap, and that nothing leaves before the commits it depends on are on disk. No daemon,
// no registry.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "capf/common/clock.h"
#include "capf/pki/profiles.h"
#include "capf/server/capf_server.h"
#include "capf/store/deferred_sync.h"
#include "tests/api/tls_probe.h"
#include "tests/integration/raw_client.h"

namespace capf {
namespace {

using protocol::Command;

// What the scripted service decides.
struct Script {
  OpenDecision::Kind open = OpenDecision::Kind::kInstall;
  SessionEnd open_end = SessionEnd::kNoOperation;           // when open is kEnd
  KeyDecision::Kind after_key = KeyDecision::Kind::kStore;  // kStore, kSign or kEnd
  bool deferred = false;  // the key and store steps commit deferred (a ticket each)
  bool durable = true;    // wait_durable succeeds
};

class ScriptedEnrollment final : public EnrollmentApi {
 public:
  explicit ScriptedEnrollment(Script script) : script_(script) {}

  OpenDecision open(const SessionInfo&, const protocol::AuthResponse&) override {
    OpenDecision d;
    d.kind = script_.open;
    d.end = script_.open_end;
    d.log = "scripted";
    if (d.kind != OpenDecision::Kind::kEnd) {
      EnrollmentContext ctx;
      ctx.device = *DeviceName::parse("SEP001122334455");
      ctx.key_plan = {KeySpec{KeyType::kEc, 256}};
      d.context = ctx;
    }
    return d;
  }
  KeyDecision key_generated(const SessionInfo&, EnrollmentContext&,
                            const protocol::KeyGenerateResponse&) override {
    commit("key");
    KeyDecision d;
    d.kind = script_.after_key;
    d.end = SessionEnd::kKeyGenerationFailed;
    d.request_info_der = {0x30, 0x00};
    d.certificate_der = {0x30, 0x00};
    return d;
  }
  KeyDecision request_signed(const SessionInfo&, EnrollmentContext&, PhoneAnswer answer,
                             const std::optional<protocol::HashedSignature>&) override {
    KeyDecision d;
    d.kind = answer.done ? KeyDecision::Kind::kStore : KeyDecision::Kind::kEnd;
    d.end = SessionEnd::kSigningFailed;
    d.certificate_der = {0x30, 0x00};
    return d;
  }
  SessionEnd stored(const SessionInfo&, EnrollmentContext&, PhoneAnswer answer) override {
    commit("stored");
    return answer.done ? SessionEnd::kCertificateStored : SessionEnd::kNotStored;
  }
  SessionEnd fetched(const SessionInfo&, EnrollmentContext&, PhoneAnswer answer,
                     const std::vector<protocol::CertificateItem>&) override {
    return answer.done ? SessionEnd::kCertificatesFetched : SessionEnd::kNothingFetched;
  }
  SessionEnd deleted(const SessionInfo&, EnrollmentContext&, PhoneAnswer answer) override {
    return answer.done ? SessionEnd::kCertificateDeleted : SessionEnd::kNotDeleted;
  }
  void failed(const SessionInfo&, const EnrollmentContext* ctx, SessionFailure failure,
              const std::string&) override {
    if (ctx == nullptr)
      return;
    std::lock_guard lock(mu_);
    recorded_ = failure;
  }
  std::optional<SessionFailure> recorded() {
    std::lock_guard lock(mu_);
    return recorded_;
  }
  Status wait_durable(std::uint64_t ticket) override {
    note("durable " + std::to_string(ticket));
    if (!script_.durable)
      return make_error(ErrorCode::kDatabase, "the disk refused");
    return ok();
  }
  // What happened, in order: the service's steps and waits, and what the phone received.
  void note(const std::string& what) {
    std::lock_guard lock(mu_);
    log_.push_back(what);
  }
  std::vector<std::string> log() {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  // Like a registry that defers: a step's commit inside the session's DeferredSync leaves a
  // ticket there.
  void commit(const char* step) {
    note(step);
    if (script_.deferred && DeferredSync::current() != nullptr)
      DeferredSync::current()->add(++tickets_);
  }

  Script script_;
  std::mutex mu_;
  std::optional<SessionFailure> recorded_;
  std::vector<std::string> log_;
  std::uint64_t tickets_ = 0;
};

// How the phone behaves at one request of the server; it answers every other one as asked.
enum class Phone { kAnswers, kSilent, kCloses, kGarbage, kWrongCommand, kRefuses };

struct WireCase {
  const char* name;
  Script script;
  Command at;  // the request the phone misbehaves at
  Phone phone;
  std::optional<std::uint8_t> end_reason;  // END_SESSION reason seen; nullopt: closed without one
  std::optional<SessionFailure> recorded;  // what the session told the service
};

class PhoneSessionTest : public ::testing::Test {
 protected:
  void serve(EnrollmentApi& api, int max_sessions = 100) {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    ASSERT_TRUE(key);
    auto cert = pki::make_capf_certificate(*key, {"CN=CAPF-session-test", 30}, clock_);
    ASSERT_TRUE(cert) << cert.error().message;
    identity_ = std::make_unique<IdentityHolder>(
        std::make_shared<const CapfIdentity>(CapfIdentity{*cert, *key, {}}));
    ServerOptions options;
    options.listen = {ListenAddress{"127.0.0.1", 0}};
    options.max_sessions = max_sessions;
    options.limits.handshake = std::chrono::seconds(2);
    options.limits.read = std::chrono::seconds(1);
    options.limits.keygen = std::chrono::seconds(1);
    options.limits.keygen_max = std::chrono::seconds(2);
    auto server = CapfServer::create(options, api, *identity_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->start());
    port_ = server_->ports().front();
  }

  // Waits until no session is running (the last one has told the service what it records).
  void wait_idle() {
    for (int i = 0; i < 500 && server_->counters().active > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(server_->counters().active, 0);
  }

  SystemClock clock_;
  std::unique_ptr<IdentityHolder> identity_;
  std::unique_ptr<CapfServer> server_;
  std::uint16_t port_ = 0;
};

protocol::Message answer(std::uint32_t id, Command request, bool refuse) {
  const std::uint8_t reason = refuse ? protocol::reason::kFailure : protocol::reason::kSuccess;
  switch (request) {
    case Command::kAuthRequest: {
      protocol::AuthResponse auth;
      auth.reason = 1;
      auth.version = 3;
      auth.device_name = "SEP001122334455";
      return protocol::to_message(id, auth);
    }
    case Command::kKeyGenerateRequest:
      return refuse ? protocol::to_message(id, protocol::KeyGenerateResponse{std::nullopt, reason})
                    : protocol::to_message(id, protocol::KeyGenerateResponse{Bytes{1, 2, 3}, {}});
    case Command::kSignCertificateRequest:
      return refuse ? protocol::to_message(id, protocol::SignCertificateResponse{reason, {}})
                    : protocol::to_message(id, protocol::SignCertificateResponse{
                                                   reason, protocol::HashedSignature{2, {9}}});
    case Command::kStoreCertificateRequest:
      return protocol::to_message(id, protocol::StoreCertificateResponse{reason});
    case Command::kFetchCertificateRequest:
      return protocol::to_message(
          id, protocol::FetchCertificateResponse{
                  reason, refuse ? std::vector<protocol::CertificateItem>{}
                                 : std::vector<protocol::CertificateItem>{{1, 0, {0x30, 0x00}}}});
    default:
      return protocol::to_message(id, protocol::DeleteCertificateResponse{reason});
  }
}

// Plays the phone until END_SESSION (its reason) or a close (nullopt).
std::optional<std::uint8_t> converse(testing::RawClient& client, Command at, Phone phone) {
  client.handshake();
  while (auto m = client.read()) {
    const auto command = static_cast<Command>(m->command);
    if (command == Command::kEndSession) {
      auto end = protocol::parse_end_session(*m);
      return end ? std::optional<std::uint8_t>(end->reason) : std::nullopt;
    }
    if (command == at) {
      switch (phone) {
        case Phone::kAnswers:
          break;
        case Phone::kSilent:
          continue;  // the server's deadline ends it
        case Phone::kCloses:
          client.socket().close();
          return std::nullopt;
        case Phone::kGarbage:
          client.write(Bytes(protocol::kHeaderSize, 0xff));
          continue;
        case Phone::kWrongCommand:
          client.send(protocol::to_message(m->session_id, protocol::DeleteCertificateResponse{1}));
          continue;
        case Phone::kRefuses:
          client.send(answer(m->session_id, command, true));
          continue;
      }
    }
    client.send(answer(m->session_id, command, false));
  }
  return std::nullopt;
}

class WirePaths : public PhoneSessionTest, public ::testing::WithParamInterface<WireCase> {};

TEST_P(WirePaths, ThePhoneSeesTheRightEndAndTheSessionRecordsTheFailure) {
  const WireCase& c = GetParam();
  ScriptedEnrollment api(c.script);
  ASSERT_NO_FATAL_FAILURE(serve(api));
  testing::RawClient client(port_);
  EXPECT_EQ(converse(client, c.at, c.phone), c.end_reason);
  ASSERT_NO_FATAL_FAILURE(wait_idle());
  EXPECT_EQ(api.recorded(), c.recorded);
}

using K = OpenDecision::Kind;
using Key = KeyDecision::Kind;
constexpr Script kInstall{K::kInstall, SessionEnd::kNoOperation, Key::kStore};
constexpr Script kSigned{K::kInstall, SessionEnd::kNoOperation, Key::kSign};
constexpr Script kKeyRefused{K::kInstall, SessionEnd::kNoOperation, Key::kEnd};
constexpr Script kFetch{K::kFetch, SessionEnd::kNoOperation, Key::kStore};
constexpr Script kDelete{K::kDelete, SessionEnd::kNoOperation, Key::kStore};
constexpr Script end_with(SessionEnd end) {
  return Script{K::kEnd, end, Key::kStore};
}
constexpr Command kNever = Command::kEndSession;
constexpr Command kAuth = Command::kAuthRequest;
constexpr Command kKeygen = Command::kKeyGenerateRequest;
constexpr Command kSign = Command::kSignCertificateRequest;
constexpr Command kStore = Command::kStoreCertificateRequest;
constexpr Command kFetchReq = Command::kFetchCertificateRequest;
constexpr Command kDeleteReq = Command::kDeleteCertificateRequest;
constexpr auto kNone = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Table, WirePaths,
    ::testing::Values(
        WireCase{"UnknownDevice", end_with(SessionEnd::kUnknownDevice), kNever, Phone::kAnswers, 9,
                 kNone},
        WireCase{"NothingToDo", end_with(SessionEnd::kNoOperation), kNever, Phone::kAnswers, 0,
                 kNone},
        WireCase{"AuthenticationFailed", end_with(SessionEnd::kAuthenticationFailed), kNever,
                 Phone::kAnswers, 7, kNone},
        WireCase{"WaitingForCa", end_with(SessionEnd::kWaitingForCa), kNever, Phone::kAnswers, 0,
                 kNone},
        WireCase{"GarbageForAuth", kInstall, kAuth, Phone::kGarbage, 7, kNone},
        WireCase{"WrongCommandForAuth", kInstall, kAuth, Phone::kWrongCommand, 7, kNone},
        WireCase{"SilentAfterAuthRequest", kInstall, kAuth, Phone::kSilent, kNone, kNone},
        WireCase{"Installed", kInstall, kNever, Phone::kAnswers, 1, kNone},
        WireCase{"NotStored", kInstall, kStore, Phone::kRefuses, 7, kNone},
        WireCase{"GarbageForStore", kInstall, kStore, Phone::kGarbage, 7,
                 SessionFailure::kBadMessage},
        WireCase{"SilentAfterStoreRequest", kInstall, kStore, Phone::kSilent, kNone,
                 SessionFailure::kReadTimeout},
        WireCase{"KeyRefusedByTheService", kKeyRefused, kNever, Phone::kAnswers, 7, kNone},
        WireCase{"WrongCommandForKey", kInstall, kKeygen, Phone::kWrongCommand, 7,
                 SessionFailure::kBadMessage},
        WireCase{"SilentDuringKeygen", kInstall, kKeygen, Phone::kSilent, kNone,
                 SessionFailure::kKeygenTimeout},
        WireCase{"ClosesDuringKeygen", kInstall, kKeygen, Phone::kCloses, kNone,
                 SessionFailure::kDisconnected},
        WireCase{"SignedAndStored", kSigned, kNever, Phone::kAnswers, 1, kNone},
        WireCase{"RefusesToSign", kSigned, kSign, Phone::kRefuses, 7, kNone},
        WireCase{"SilentWhileSigning", kSigned, kSign, Phone::kSilent, kNone,
                 SessionFailure::kKeygenTimeout},
        WireCase{"Fetched", kFetch, kNever, Phone::kAnswers, 0, kNone},
        WireCase{"NothingFetched", kFetch, kFetchReq, Phone::kRefuses, 0, kNone},
        WireCase{"Deleted", kDelete, kNever, Phone::kAnswers, 1, kNone},
        WireCase{"NotDeleted", kDelete, kDeleteReq, Phone::kRefuses, 7, kNone}),
    [](const ::testing::TestParamInfo<WireCase>& info) { return std::string(info.param.name); });

// A connection that never starts TLS is closed when the handshake deadline passes.
TEST_F(PhoneSessionTest, AHandshakeThatNeverStartsIsClosedAtItsDeadline) {
  ScriptedEnrollment api(kInstall);
  ASSERT_NO_FATAL_FAILURE(serve(api));
  testing::TlsProbe silent("127.0.0.1", port_);
  ASSERT_TRUE(silent.connected());
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_server());
  EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(1500));
}

// Over the session cap a new connection is closed at once; a freed place serves the next one.
TEST_F(PhoneSessionTest, TheSessionCapClosesExtraConnectionsAtOnce) {
  ScriptedEnrollment api(end_with(SessionEnd::kNoOperation));
  ASSERT_NO_FATAL_FAILURE(serve(api, 1));
  testing::RawClient first(port_);
  first.handshake();
  auto hello = first.read();
  ASSERT_TRUE(hello);
  testing::TlsProbe extra("127.0.0.1", port_);
  ASSERT_TRUE(extra.connected());
  EXPECT_TRUE(extra.closed_by_server());
  EXPECT_EQ(server_->counters().refused_over_cap, 1u);
  first.send(answer(hello->session_id, Command::kAuthRequest, false));
  EXPECT_EQ(first.end_reason(), 0);
  ASSERT_NO_FATAL_FAILURE(wait_idle());
  testing::RawClient next(port_);
  EXPECT_NE(next.open(), 0u) << "served once the first session ended";
}

// The session waits until the commits of its steps are on disk before it sends anything after
// them: the certificate after the ledger row's commit, END_SESSION after the confirmation's. When
// the disk refuses, the certificate never leaves and the session closes.
TEST_F(PhoneSessionTest, NothingLeavesBeforeTheCommitsItDependsOnAreOnDisk) {
  struct Case {
    bool durable;
    std::vector<std::string> log;
  };
  const std::vector<Case> cases = {
      {true,
       {"phone: AUTH_REQUEST", "phone: KEY_GENERATE_REQUEST", "key", "durable 1",
        "phone: STORE_CERTIFICATE_REQUEST", "stored", "durable 2", "phone: END_SESSION"}},
      {false,
       {"phone: AUTH_REQUEST", "phone: KEY_GENERATE_REQUEST", "key", "durable 1", "phone: closed"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.durable ? "durable" : "the disk refuses");
    Script script = kInstall;
    script.deferred = true;
    script.durable = c.durable;
    ScriptedEnrollment api(script);
    ASSERT_NO_FATAL_FAILURE(serve(api));
    testing::RawClient client(port_);
    client.handshake();
    bool ended = false;
    while (auto m = client.read()) {
      api.note(std::string("phone: ") + std::string(protocol::command_name(m->command)));
      if (static_cast<Command>(m->command) == Command::kEndSession) {
        ended = true;
        break;
      }
      client.send(answer(m->session_id, static_cast<Command>(m->command), false));
    }
    if (!ended)
      api.note("phone: closed");
    ASSERT_NO_FATAL_FAILURE(wait_idle());
    EXPECT_EQ(api.log(), c.log);
    EXPECT_EQ(api.recorded().has_value(), !c.durable);
    server_.reset();
  }
}

}  // namespace
}  // namespace capf
