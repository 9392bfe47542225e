// Phone sessions whose CA answers slowly: a real CapfServer with one CPU worker, real phones over
// loopback TLS, and a service whose signed-request step asks a CA stand-in over HTTP (the real
// HttpClient). The stand-in counts the requests it holds at once: the online path keeps many in
// flight without holding the worker, [issuer] max_in_flight caps them, and a session that waits
// in line past its deadline ends like any other timeout. Counts only, no timing thresholds.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "capf/common/clock.h"
#include "capf/issuer/online/http_client.h"
#include "capf/pki/profiles.h"
#include "capf/server/capf_server.h"
#include "tests/integration/raw_client.h"
#include "tests/issuer/online/held_http_server.h"

namespace capf {
namespace {

using protocol::Command;
using testing::HeldHttpServer;
using testing::HoldPolicy;

// An external CA as the session sees it: only its mode and name matter here.
class StandInIssuer final : public Issuer {
 public:
  std::string describe() const override { return "online stand-in"; }
  IssuerMode mode() const override { return IssuerMode::kOnline; }
  bool needs_signed_request() const override { return true; }
  bool supports(const KeySpec&) const override { return true; }
  Result<IssueOutcome> issue(const IssueRequest&) override {
    return make_error(ErrorCode::kInternal, "the session test issues through the service");
  }
};

// Installs through an external CA: the signed request goes to the stand-in, a 200 is stored.
class CaBoundEnrollment final : public EnrollmentApi {
 public:
  explicit CaBoundEnrollment(std::string url) : url_(std::move(url)) {
    HttpClientOptions options;
    options.retries = 0;
    options.timeout = std::chrono::seconds(30);
    http_ = std::move(HttpClient::create(options)).value();
  }
  OpenDecision open(const SessionInfo&, const protocol::AuthResponse&) override {
    OpenDecision d;
    d.kind = OpenDecision::Kind::kInstall;
    d.context.emplace();
    d.context->device = *DeviceName::parse("SEP001122334455");
    d.context->key_plan = {KeySpec{KeyType::kEc, 256}};
    d.context->issuer = std::make_shared<StandInIssuer>();
    return d;
  }
  KeyDecision key_generated(const SessionInfo&, EnrollmentContext&,
                            const protocol::KeyGenerateResponse&) override {
    KeyDecision d;
    d.kind = KeyDecision::Kind::kSign;
    d.request_info_der = {0x30, 0x00};
    return d;
  }
  KeyDecision request_signed(const SessionInfo&, EnrollmentContext&, PhoneAnswer,
                             const std::optional<protocol::HashedSignature>&) override {
    HttpRequest request;
    request.method = "POST";
    request.url = url_;
    request.body = "{}";
    auto response = http_->send(request);
    KeyDecision d;
    d.kind =
        response && response->status == 200 ? KeyDecision::Kind::kStore : KeyDecision::Kind::kEnd;
    d.end = SessionEnd::kCaUnreachable;
    d.certificate_der = {0x30, 0x00};
    return d;
  }
  SessionEnd stored(const SessionInfo&, EnrollmentContext&, PhoneAnswer) override {
    return SessionEnd::kCertificateStored;
  }
  SessionEnd fetched(const SessionInfo&, EnrollmentContext&, PhoneAnswer,
                     const std::vector<protocol::CertificateItem>&) override {
    return SessionEnd::kNothingFetched;
  }
  SessionEnd deleted(const SessionInfo&, EnrollmentContext&, PhoneAnswer) override {
    return SessionEnd::kNotDeleted;
  }
  void failed(const SessionInfo&, const EnrollmentContext*, SessionFailure failure,
              const std::string&) override {
    if (failure == SessionFailure::kReadTimeout)
      ++read_timeouts;
  }
  std::atomic<int> read_timeouts{0};

 private:
  std::string url_;
  std::unique_ptr<HttpClient> http_;
};

// A phone that does all it is asked: the END_SESSION reason, or nullopt when the server closed.
std::optional<std::uint8_t> install(std::uint16_t port) {
  testing::RawClient phone(port);
  phone.handshake();
  while (auto m = phone.read()) {
    const std::uint32_t id = m->session_id;
    switch (static_cast<Command>(m->command)) {
      case Command::kAuthRequest: {
        protocol::AuthResponse auth;
        auth.reason = 1;
        auth.version = 3;
        auth.device_name = "SEP001122334455";
        phone.send(protocol::to_message(id, auth));
        break;
      }
      case Command::kKeyGenerateRequest:
        phone.send(protocol::to_message(id, protocol::KeyGenerateResponse{Bytes{4, 5, 6}, {}}));
        break;
      case Command::kSignCertificateRequest:
        phone.send(protocol::to_message(
            id, protocol::SignCertificateResponse{1, protocol::HashedSignature{2, {7}}}));
        break;
      case Command::kStoreCertificateRequest:
        phone.send(protocol::to_message(id, protocol::StoreCertificateResponse{1}));
        break;
      case Command::kEndSession: {
        auto end = protocol::parse_end_session(*m);
        return end ? std::optional<std::uint8_t>(end->reason) : std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

class CaConcurrency : public ::testing::Test {
 protected:
  void serve(EnrollmentApi& api, int max_in_flight, std::chrono::seconds read) {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    ASSERT_TRUE(key);
    auto cert = pki::make_capf_certificate(*key, {"CN=CAPF-ca-concurrency", 30}, clock_);
    ASSERT_TRUE(cert);
    identity_ = std::make_unique<IdentityHolder>(
        std::make_shared<const CapfIdentity>(CapfIdentity{*cert, *key, {}}));
    ServerOptions options;
    options.listen = {ListenAddress{"127.0.0.1", 0}};
    options.max_connections_per_address = 0;
    options.max_handshakes_per_address = 0;
    options.worker_threads = 1;
    options.ca_max_in_flight = max_in_flight;
    options.limits.read = read;
    auto server = CapfServer::create(options, api, *identity_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->start());
  }
  // `phones` installs at once; the END_SESSION reason each saw (-1: closed without one).
  std::vector<int> run_phones(int phones) {
    std::vector<int> ends(static_cast<std::size_t>(phones), -2);
    std::vector<std::thread> threads;
    const std::uint16_t port = server_->ports().front();
    for (int i = 0; i < phones; ++i) {
      threads.emplace_back([&ends, i, port] {
        std::optional<std::uint8_t> end = install(port);
        ends[static_cast<std::size_t>(i)] = end ? *end : -1;
      });
    }
    for (auto& t : threads)
      t.join();
    return ends;
  }

  SystemClock clock_;
  std::unique_ptr<IdentityHolder> identity_;
  std::unique_ptr<CapfServer> server_;
};

TEST_F(CaConcurrency, ManyCaRequestsAreInFlightAtOnceWithOneWorker) {
  constexpr int kPhones = 32;
  // The stand-in answers nothing until it holds 16 requests at once (or 10 s have passed).
  HeldHttpServer ca(HoldPolicy{16, std::chrono::seconds(10), "ok"});
  CaBoundEnrollment api(ca.url("/sign"));
  ASSERT_NO_FATAL_FAILURE(serve(api, 32, std::chrono::seconds(30)));
  const std::vector<int> ends = run_phones(kPhones);
  EXPECT_GE(ca.peak_held(), 16) << "CA calls were serialised on the worker pool";
  EXPECT_EQ(ca.requests(), kPhones);
  EXPECT_EQ(std::count(ends.begin(), ends.end(), 1), kPhones) << "every phone stored its LSC";
  ASSERT_EQ(server_->ca_load().size(), 1u);
  EXPECT_EQ(server_->ca_load()[0].name, "online stand-in");
  EXPECT_EQ(server_->ca_load()[0].in_flight, 0);
}

TEST_F(CaConcurrency, MaxInFlightCapsTheRequestsAndEveryPhoneIsServedInTurn) {
  constexpr int kPhones = 32;
  // Held until 4 are in flight; a gate that let more through would show a peak above 4.
  HeldHttpServer ca(HoldPolicy{0, std::chrono::seconds(10), "ok"});
  CaBoundEnrollment api(ca.url("/sign"));
  ASSERT_NO_FATAL_FAILURE(serve(api, 4, std::chrono::seconds(30)));
  std::thread phones_thread;
  std::vector<int> ends;
  phones_thread = std::thread([&] { ends = run_phones(kPhones); });
  ASSERT_TRUE(ca.wait_held(4)) << "four requests never reached the CA at once";
  // The line forms behind the four: wait until every other phone queues at the gate.
  for (int i = 0; i < 1000 && server_->ca_load().at(0).queued < kPhones - 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const GateLoad load = server_->ca_load().at(0);
  EXPECT_EQ(load.in_flight, 4);
  EXPECT_EQ(load.queued, kPhones - 4);
  const std::string metrics = server_->ca_metrics();
  EXPECT_NE(metrics.find("opencapf_ca_requests_in_flight{ca=\"online stand-in\"} 4\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("opencapf_ca_requests_queued{ca=\"online stand-in\"} 28\n"),
            std::string::npos)
      << metrics;
  ca.release();
  phones_thread.join();
  EXPECT_EQ(ca.peak_held(), 4);
  EXPECT_EQ(ca.requests(), kPhones);
  EXPECT_EQ(std::count(ends.begin(), ends.end(), 1), kPhones) << "every phone stored its LSC";
}

TEST_F(CaConcurrency, ASessionWhoseDeadlinePassesInLineEndsAsATimeoutAndNeverReachesTheCa) {
  HeldHttpServer ca(HoldPolicy{0, std::chrono::seconds(20), "ok"});
  CaBoundEnrollment api(ca.url("/sign"));
  ASSERT_NO_FATAL_FAILURE(serve(api, 1, std::chrono::seconds(1)));
  std::optional<std::uint8_t> first;
  std::thread first_phone([&] { first = install(server_->ports().front()); });
  ASSERT_TRUE(ca.wait_held(1));
  // The CA holds the only slot: the second session waits its read timeout in line, then ends.
  EXPECT_EQ(install(server_->ports().front()), std::nullopt) << "closed as on a read timeout";
  EXPECT_EQ(api.read_timeouts.load(), 1);
  EXPECT_EQ(server_->ca_load().at(0).queued, 0);
  EXPECT_EQ(ca.requests(), 1) << "the session that gave up reached the CA";
  ca.release();
  first_phone.join();
  EXPECT_EQ(first, 1) << "the first session stored its LSC";
}

}  // namespace
}  // namespace capf
