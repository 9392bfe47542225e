// AdminServer on its own: TLS on 127.0.0.1 port 0, a small router, libcurl as the client; the
// limits (body size, connection cap, read deadline) and a stop with connections still open.
#include "capf/api/admin_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "capf/api/admin_tls.h"
#include "capf/api/problem.h"
#include "capf/issuer/online/http_client.h"
#include "capf/pki/profiles.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/api/tls_probe.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::api {
namespace {

using nlohmann::json;

// A plain TCP connection to the server that sends nothing.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  // True when the server closed the connection (read gives end of file or a reset).
  bool closed_by_server() {
    char c = 0;
    ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_;
  bool connected_ = false;
};

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = testing::open_test_registry(tmp_.path(), clock_);
    ASSERT_TRUE(registry_);
    access_ = std::make_unique<AccessService>(*registry_, clock_);
    limiter_ = std::make_unique<AuthFailureLimiter>(clock_, 10);
    router_ = std::make_unique<Router>(*access_, *limiter_);
    router_->add("GET", "/echo/{word}", std::nullopt, [](const RouteRequest& r) {
      json query = json::object();
      for (const auto& [k, v] : r.http.query)
        query[k] = v;
      return json_response(json{{"word", r.params.at("word")}, {"query", query}});
    });
    router_->add("POST", "/size", std::nullopt, [](const RouteRequest& r) {
      return json_response(json{{"bytes", r.http.body.size()}});
    });
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
    ASSERT_TRUE(key);
    // The client checks the validity against the real time, with time(), which lags the clock by
    // up to a kernel tick: a certificate valid from "now" could be not yet valid to it.
    FakeClock hour_ago(SystemClock().now() - std::chrono::hours(1));
    auto cert = pki::make_capf_certificate(*key, {"CN=admin-test,O=opencapf,C=NZ", 30}, hour_ago);
    ASSERT_TRUE(cert) << cert.error().message;
    cert_ = *cert;
    auto tls = make_admin_tls_context(*cert, {}, *key);
    ASSERT_TRUE(tls) << tls.error().message;
    tls_ = *tls;
  }

  void start(AdminServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    auto server = AdminServer::create(options, tls_, *router_);
    ASSERT_TRUE(server) << server.error().message;
    server_ = std::move(server).value();
    ASSERT_TRUE(server_->start());
    ASSERT_NE(server_->port(), 0);
    HttpClientOptions o;
    o.trust = {*cert_};
    o.verify_host = false;
    o.retries = 0;
    o.timeout = std::chrono::seconds(10);
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(client).value();
  }

  Result<HttpResponse> send(const std::string& method, const std::string& target,
                            std::string body = "") {
    HttpRequest r;
    r.method = method;
    r.url = "https://127.0.0.1:" + std::to_string(server_->port()) + target;
    r.body = std::move(body);
    if (!r.body.empty())
      r.headers.emplace_back("Content-Type", "application/octet-stream");
    return client_->send(r);
  }

  capf::testing::TempDir tmp_;
  FakeClock clock_{from_unix(1'750'000'000)};
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<AuthFailureLimiter> limiter_;
  std::unique_ptr<Router> router_;
  std::optional<pki::Certificate> cert_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<HttpClient> client_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, AnswersOverTlsWithDecodedPathAndQuery) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = send("GET", "/echo/SEP%30011?name=a%20b&lsc=with+out");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("cache-control"), "no-store");
  json j = json::parse(r->body);
  EXPECT_EQ(j["word"], "SEP0011");
  EXPECT_EQ(j["query"]["name"], "a b");
  EXPECT_EQ(j["query"]["lsc"], "with out");
  auto bad = send("GET", "/echo/%zz");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(bad->header("content-type"), "application/problem+json");
}

TEST_F(AdminServerTest, BodiesUpToTheLimitPassAndLargerOnesAre413) {
  AdminServerOptions o;
  o.max_body_bytes = 1000;
  ASSERT_NO_FATAL_FAILURE(start(o));
  auto fits = send("POST", "/size", std::string(1000, 'x'));
  ASSERT_TRUE(fits) << fits.error().message;
  EXPECT_EQ(fits->status, 200);
  EXPECT_EQ(json::parse(fits->body)["bytes"], 1000);
  auto over = send("POST", "/size", std::string(1001, 'x'));
  ASSERT_TRUE(over) << over.error().message;
  EXPECT_EQ(over->status, 413);
}

TEST_F(AdminServerTest, ConnectionsOverTheCapAreClosedAtOnce) {
  AdminServerOptions o;
  o.max_connections = 1;
  ASSERT_NO_FATAL_FAILURE(start(o));
  RawConnection holder(server_->port());
  ASSERT_TRUE(holder.connected());
  for (int i = 0; i < 100 && server_->active_connections() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server_->active_connections(), 1);
  RawConnection extra(server_->port());
  ASSERT_TRUE(extra.connected());
  EXPECT_TRUE(extra.closed_by_server());
  EXPECT_FALSE(send("GET", "/echo/x"));  // refused while the first one holds the only slot
}

TEST_F(AdminServerTest, ASilentConnectionIsClosedAtTheReadDeadline) {
  AdminServerOptions o;
  o.request_timeout = std::chrono::seconds(1);
  ASSERT_NO_FATAL_FAILURE(start(o));
  RawConnection silent(server_->port());
  ASSERT_TRUE(silent.connected());
  const auto begin = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_by_server());
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(4));
  auto r = send("GET", "/echo/still-serving");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
}

TEST_F(AdminServerTest, StopsWithConnectionsStillOpen) {
  ASSERT_NO_FATAL_FAILURE(start());
  RawConnection a(server_->port());
  RawConnection b(server_->port());
  ASSERT_TRUE(a.connected() && b.connected());
  for (int i = 0; i < 100 && server_->active_connections() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto begin = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(3));
  EXPECT_TRUE(a.closed_by_server());
  server_->stop();  // idempotent
}

// One address holding its connections, or its TLS handshakes, does not lock another address out:
// 127.0.0.1 at its limit is closed at once while 127.0.0.2 is served.
TEST_F(AdminServerTest, PerAddressLimitsLeaveOtherAddressesServed) {
  struct Case {
    const char* what;
    int connections;
    int handshakes;
  };
  for (const Case c : {Case{"connections", 2, 0}, Case{"handshakes", 0, 2}}) {
    SCOPED_TRACE(c.what);
    AdminServerOptions o;
    o.max_connections_per_address = c.connections;
    o.max_handshakes_per_address = c.handshakes;
    ASSERT_NO_FATAL_FAILURE(start(o));
    // Silent connections: each holds a connection and a handshake slot of 127.0.0.1.
    capf::testing::TlsProbe a("127.0.0.1", server_->port());
    capf::testing::TlsProbe b("127.0.0.1", server_->port());
    ASSERT_TRUE(a.connected() && b.connected());
    for (int i = 0; i < 100 && server_->active_connections() < 2; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(server_->active_connections(), 2);
    capf::testing::TlsProbe third("127.0.0.1", server_->port());
    ASSERT_TRUE(third.connected());
    EXPECT_TRUE(third.closed_by_server());
    capf::testing::TlsProbe other("127.0.0.2", server_->port());
    ASSERT_TRUE(other.connected()) << "127.0.0.2 must be a loopback address here";
    ASSERT_TRUE(other.handshake());
    EXPECT_NE(other.get("/echo/x").find("HTTP/1.1 200"), std::string::npos);
    AdminServerCounters counters = server_->counters();
    EXPECT_EQ(c.connections > 0 ? counters.refused_address_connections
                                : counters.refused_address_handshakes,
              1u);
    server_->stop();
  }
}

// Every response carries the security headers: a handler's, the router's problem (404) and the
// server's own (413, before any route).
TEST_F(AdminServerTest, EveryResponseCarriesTheSecurityHeaders) {
  AdminServerOptions o;
  o.max_body_bytes = 10;
  ASSERT_NO_FATAL_FAILURE(start(o));
  struct Case {
    const char* method;
    const char* target;
    std::string body;
    int status;
  };
  const Case cases[] = {{"GET", "/echo/x", "", 200},
                        {"GET", "/no/such/thing", "", 404},
                        {"POST", "/size", std::string(11, 'x'), 413}};
  for (const Case& c : cases) {
    auto r = send(c.method, c.target, c.body);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, c.status) << c.target;
    EXPECT_EQ(r->header("x-content-type-options"), "nosniff") << c.target;
    EXPECT_EQ(r->header("cache-control"), "no-store") << c.target;
    EXPECT_EQ(r->header("x-frame-options"), "DENY") << c.target;
    const std::string csp = r->header("content-security-policy");
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << c.target;
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << c.target;
  }
}

}  // namespace
}  // namespace capf::api
