// HttpClient against real servers on 127.0.0.1: `openssl s_server -www` for TLS trust and host
// names, and a raw-socket HTTP server for what goes on the wire, retries and timeouts.
#include "capf/issuer/online/http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/issuer/online/online_test_util.h"
#include "tests/issuer/online/raw_http_server.h"
#include "tests/support/child_process.h"

namespace capf {
namespace {

using std::chrono::milliseconds;
using testing::CannedResponse;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawHttpServer;
using testing::RecordedRequest;
using SteadyClock = std::chrono::steady_clock;

// The test PKI, made once per test binary.
struct SharedPki {
  testing::TempDir dir;
  Result<testing::TlsTestPki> files = testing::make_tls_test_pki(dir);
};
const SharedPki& shared() {
  static SharedPki pki;
  return pki;
}

pki::Certificate cert(const std::string& path) {
  auto certs = testing::read_certificates(path);
  if (!certs)
    ADD_FAILURE() << certs.error().message;
  return certs->front();
}

HttpClientOptions quick_options(std::vector<pki::Certificate> trust = {}) {
  HttpClientOptions options;
  options.trust = std::move(trust);
  options.connect_timeout = std::chrono::seconds(5);
  options.timeout = std::chrono::seconds(5);
  options.retries = 0;
  options.retry_backoff = milliseconds(50);
  return options;
}

std::unique_ptr<HttpClient> client(const HttpClientOptions& options) {
  auto made = HttpClient::create(options);
  EXPECT_TRUE(made) << made.error().message;
  return made ? std::move(made).value() : nullptr;
}

Result<HttpResponse> get(const HttpClientOptions& options, const std::string& url) {
  return client(options)->send(HttpRequest{"GET", url, {}, {}});
}

// `openssl s_server -www` on 127.0.0.1 with the given certificate: answers a GET with 200.
class TlsServer {
 public:
  bool start(const std::string& cert_pem, const std::string& key_pem) {
    port_ = testing::free_loopback_port();
    return process_.start({"openssl", "s_server", "-www", "-accept",
                           fmt::format("127.0.0.1:{}", port_), "-cert", cert_pem, "-key", key_pem},
                          dir_ / "s_server.log") &&
           process_.wait_for_port(port_);
  }
  std::string url(std::string_view host) const {
    return fmt::format("https://{}:{}/", host, port_);
  }
  std::string log() const { return process_.log_text(); }

 private:
  testing::TempDir dir_;
  testing::ChildProcess process_;
  std::uint16_t port_ = 0;
};

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(shared().files) << shared().files.error().message;
    pki_ = *shared().files;
  }
  void start(const std::string& cert_pem, const std::string& key_pem) {
    ASSERT_TRUE(server_.start(cert_pem, key_pem)) << server_.log();
  }
  testing::TlsTestPki pki_;
  TlsServer server_;
};

TEST_F(HttpClientTls, TrustsAServerThroughItsCa) {
  start(pki_.server_pem, pki_.server_key);
  for (std::string_view host : {"localhost", "127.0.0.1"}) {
    auto response = get(quick_options({cert(pki_.ca_pem)}), server_.url(host));
    ASSERT_TRUE(response) << response.error().message << "\n" << server_.log();
    EXPECT_EQ(response->status, 200);
    EXPECT_THAT(response->body, HasSubstr("s_server"));
  }
}

TEST_F(HttpClientTls, TrustsTheServerCertificateItselfAsAPartialChain) {
  start(pki_.server_pem, pki_.server_key);
  auto response = get(quick_options({cert(pki_.server_pem)}), server_.url("localhost"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpClientTls, RefusesAServerThatNoAnchorVouchesFor) {
  start(pki_.server_pem, pki_.server_key);
  const std::vector<std::vector<pki::Certificate>> untrusted = {{}, {cert(pki_.other_ca_pem)}};
  for (const auto& trust : untrusted) {
    auto started = SteadyClock::now();
    auto response = get(quick_options(trust), server_.url("localhost"));
    ASSERT_FALSE(response) << "trusted with " << trust.size() << " anchors";
    EXPECT_EQ(response.error().code, ErrorCode::kUntrusted) << response.error().message;
    EXPECT_THAT(response.error().message, HasSubstr("not trusted"));
    EXPECT_THAT(response.error().message, HasSubstr("to capf-trust"));
    EXPECT_THAT(response.error().message, HasSubstr(server_.url("localhost")));
    EXPECT_LT(SteadyClock::now() - started, std::chrono::seconds(3)) << "a trust failure is final";
  }
}

TEST_F(HttpClientTls, RefusesACertificateForAnotherHostName) {
  start(pki_.wrong_name_pem, pki_.wrong_name_key);
  auto response = get(quick_options({cert(pki_.ca_pem)}), server_.url("localhost"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUntrusted) << response.error().message;
  // The certificate is trusted; the name is what to fix.
  EXPECT_THAT(response.error().message, HasSubstr("does not match the host name in the url"));
  EXPECT_THAT(response.error().message, Not(HasSubstr("capf-trust")));

  // A wrong name on a certificate nobody vouches for is a trust problem first.
  auto both = get(quick_options({cert(pki_.other_ca_pem)}), server_.url("localhost"));
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code, ErrorCode::kUntrusted);
  EXPECT_THAT(both.error().message, HasSubstr("capf-trust"));

  HttpClientOptions no_host_check = quick_options({cert(pki_.ca_pem)});
  no_host_check.verify_host = false;
  auto lax = get(no_host_check, server_.url("localhost"));
  ASSERT_TRUE(lax) << lax.error().message;
  EXPECT_EQ(lax->status, 200);
}

TEST_F(HttpClientTls, HttpsToAPlainHttpServerIsACommunicationFailure) {
  RawHttpServer plain([](const RecordedRequest&) { return CannedResponse{}; });
  ASSERT_TRUE(plain.listening());
  auto response =
      get(quick_options({cert(pki_.ca_pem)}), fmt::format("https://127.0.0.1:{}/", plain.port()));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable) << response.error().message;
}

TEST(HttpClient, ConnectionRefusedIsUnavailableAfterTheRetriesAndBackoff) {
  const std::string url = fmt::format("http://127.0.0.1:{}/", testing::free_loopback_port());
  HttpClientOptions options = quick_options();
  options.retries = 2;
  options.retry_backoff = milliseconds(200);  // 200 + 400 ms between the three attempts
  auto started = SteadyClock::now();
  auto response = get(options, url);
  auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(response.error().message, HasSubstr(url));
  EXPECT_THAT(response.error().message, HasSubstr("after 3 attempts"));
  EXPECT_GE(elapsed, milliseconds(600));
  EXPECT_LT(elapsed, std::chrono::seconds(5));

  options.retries = 0;
  started = SteadyClock::now();
  auto once = get(options, url);
  ASSERT_FALSE(once);
  EXPECT_EQ(once.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(once.error().message, Not(HasSubstr("attempts")));
  EXPECT_LT(SteadyClock::now() - started, milliseconds(500));
}

TEST(HttpClient, RetriesANetworkFailureExactlyTheConfiguredNumberOfTimes) {
  RawHttpServer hang_up(nullptr, RawHttpServer::Mode::kHangUp);
  ASSERT_TRUE(hang_up.listening());
  HttpClientOptions options = quick_options();
  options.retries = 2;
  auto response = get(options, hang_up.url("/"));
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable) << response.error().message;
  EXPECT_EQ(hang_up.connections(), 3);
}

TEST(HttpClient, NeverRetriesAnHttpAnswer) {
  RawHttpServer busy([](const RecordedRequest&) {
    return CannedResponse{503, "Service Unavailable", {}, "try later"};
  });
  ASSERT_TRUE(busy.listening());
  HttpClientOptions options = quick_options();
  options.retries = 3;
  auto response = get(options, busy.url("/"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(response->body, "try later");
  EXPECT_EQ(busy.connections(), 1);
}

TEST(HttpClient, AServerThatNeverAnswersTimesOut) {
  RawHttpServer silent(nullptr, RawHttpServer::Mode::kSilent);
  ASSERT_TRUE(silent.listening());
  HttpClientOptions options = quick_options();
  options.timeout = std::chrono::seconds(1);
  auto started = SteadyClock::now();
  auto response = get(options, silent.url("/"));
  auto elapsed = SteadyClock::now() - started;
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(response.error().message, HasSubstr("timed out"));
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(4));
}

TEST(HttpClient, BasicAuthSendsTheCredentials) {
  RawHttpServer guarded([](const RecordedRequest& request) {
    if (request.header("authorization") == "Basic Y2FwZi1zdmM6cEBzczp3MHJk")  // capf-svc:p@ss:w0rd
      return CannedResponse{200, "OK", {}, "welcome"};
    return CannedResponse{401, "Unauthorized", {{"WWW-Authenticate", "Basic realm=\"ca\""}}, ""};
  });
  ASSERT_TRUE(guarded.listening());
  HttpClientOptions options = quick_options();
  options.auth = HttpAuth::kBasic;
  options.username = "capf-svc";
  options.password = "p@ss:w0rd";
  auto response = get(options, guarded.url("/certsrv/"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "welcome");

  options.password = "wrong";
  auto refused = get(options, guarded.url("/certsrv/"));
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->status, 401);

  auto anonymous = get(quick_options(), guarded.url("/certsrv/"));
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(guarded.requests().back().header("authorization"), "");
}

TEST(HttpClient, PostSendsTheBodyAndHeaders) {
  RawHttpServer echo([](const RecordedRequest& request) {
    return CannedResponse{
        201, "Created", {{"Content-Type", "application/octet-stream"}}, request.body};
  });
  ASSERT_TRUE(echo.listening());
  std::string body = "{\"certificate_request\":\"x\"}";
  body.push_back('\0');
  body += std::string(3000, 'z');  // binary-safe and larger than one small write
  HttpRequest request{"POST",
                      echo.url("/api/v1/cfssl/sign?x=1"),
                      {{"Content-Type", "application/json"}, {"X-Capf-Test", "yes"}},
                      body};
  auto response = client(quick_options())->send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, body);
  const std::vector<RecordedRequest> requests = echo.requests();
  ASSERT_EQ(requests.size(), 1u);
  const RecordedRequest& got = requests.front();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/api/v1/cfssl/sign?x=1");
  EXPECT_EQ(got.header("content-type"), "application/json");
  EXPECT_EQ(got.header("x-capf-test"), "yes");
  EXPECT_EQ(got.header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(got.header("user-agent"), HttpClientOptions{}.user_agent);
  EXPECT_EQ(got.body, body);
}

TEST(HttpClient, SendsHeadAndOtherMethods) {
  RawHttpServer echo([](const RecordedRequest& request) {
    return CannedResponse{200, "OK", {{"X-Method", request.method}}, request.body};
  });
  ASSERT_TRUE(echo.listening());
  auto http = client(quick_options());
  auto head = http->send(HttpRequest{"HEAD", echo.url("/"), {}, {}});
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->header("x-method"), "HEAD");
  EXPECT_EQ(head->body, "");
  auto put = http->send(HttpRequest{"PUT", echo.url("/"), {}, "payload"});
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->header("x-method"), "PUT");
  EXPECT_EQ(put->body, "payload");
}

TEST(HttpClient, OneClientServesSeveralThreadsAtOnce) {
  RawHttpServer echo([](const RecordedRequest& request) {
    return CannedResponse{200, "OK", {}, request.body};
  });
  ASSERT_TRUE(echo.listening());
  auto http = client(quick_options());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::string body = fmt::format("thread {} request {}", t, i);
        auto response = http->send(HttpRequest{"POST", echo.url("/"), {}, body});
        if (response && response->status == 200 && response->body == body)
          ++good;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(good.load(), 20);
  EXPECT_EQ(echo.connections(), 20);
}

TEST(HttpClient, ReadsTheStatusAndHeadersOfTheAnswer) {
  RawHttpServer server([](const RecordedRequest&) {
    return CannedResponse{
        404,
        "Not Found",
        {{"Content-Type", "text/html; charset=utf-8"}, {"X-Request-Id", "  abc 123  "}},
        "<html>nope</html>"};
  });
  ASSERT_TRUE(server.listening());
  auto response = get(quick_options(), server.url("/missing"));
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "<html>nope</html>");
  EXPECT_EQ(response->header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(response->header("x-request-id"), "abc 123");
  EXPECT_EQ(response->header("content-length"), "17");
  EXPECT_EQ(response->header("X-Request-Id"), "") << "names are looked up in lower case";
  EXPECT_EQ(response->header("absent"), "");
}

TEST(HttpClient, FormEncodeEscapesAllButUnreservedCharacters) {
  EXPECT_EQ(HttpClient::form_encode("a b&c=d/\xc3\xa9~*"), "a+b%26c%3Dd%2F%C3%A9~%2A");
  EXPECT_EQ(HttpClient::form_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(HttpClient::form_encode("-----BEGIN NEW CERTIFICATE REQUEST-----\r\nMII+/=="),
            "-----BEGIN+NEW+CERTIFICATE+REQUEST-----%0D%0AMII%2B%2F%3D%3D");
  EXPECT_EQ(HttpClient::form_encode(""), "");
}

TEST(HttpClient, CreateRefusesNegativeRetriesAndZeroTimeout) {
  HttpClientOptions options;
  options.retries = -1;
  auto negative = HttpClient::create(options);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidArgument);
  options.retries = 0;
  options.timeout = std::chrono::seconds(0);
  auto zero = HttpClient::create(options);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace capf
