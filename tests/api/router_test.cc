#include "capf/api/router.h"

#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "capf/api/problem.h"
#include "capf/api/respond.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "tests/api/log_capture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::api {
namespace {

using nlohmann::json;

constexpr const char* kBoomText = "near \"INSERT INTO devices\" in /var/lib/opencapf/registry.db";

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = testing::open_test_registry(tmp_.path(), clock_);
    ASSERT_TRUE(registry_);
    access_ = std::make_unique<AccessService>(*registry_, clock_);
    limiter_ = std::make_unique<AuthFailureLimiter>(clock_, 3);
    router_ = std::make_unique<Router>(*access_, *limiter_);
    router_->add("GET", "/api/v1/things/{id}", Permission::kRead, [](const RouteRequest& r) {
      return json_response(json{{"id", r.params.at("id")}, {"actor", r.actor()}});
    });
    router_->add("PUT", "/api/v1/things/{id}", Permission::kOperate,
                 [](const RouteRequest&) { return json_response(json::object()); });
    router_->add("GET", "/public", std::nullopt, [](const RouteRequest& r) {
      return json_response(json{{"actor", r.actor()}});
    });
    router_->add("GET", "/boom", std::nullopt,
                 [](const RouteRequest&) -> ApiResponse { throw std::runtime_error(kBoomText); });
  }

  std::string token(AdminRole role) {
    auto created = access_->create_token("t", role, "test");
    EXPECT_TRUE(created);
    return created ? created->secret : std::string();
  }

  ApiResponse call(std::string method, std::string path, std::string bearer = "",
                   std::string client = "10.0.0.1") {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    if (!bearer.empty())
      r.authorization = "Bearer " + bearer;
    r.client = std::move(client);
    return router_->handle(r);
  }

  testing::TempDir tmp_;
  FakeClock clock_{from_unix(1'750'000'000)};
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<AccessService> access_;
  std::unique_ptr<AuthFailureLimiter> limiter_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, MatchesPathParametersAndPassesTheCaller) {
  std::string viewer = token(AdminRole::kViewer);
  ApiResponse r = call("GET", "/api/v1/things/SEP001122334455", viewer);
  ASSERT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body);
  EXPECT_EQ(j["id"], "SEP001122334455");
  EXPECT_EQ(j["actor"].get<std::string>().rfind("token:", 0), 0u);
  EXPECT_EQ(json::parse(call("GET", "/public").body)["actor"], "anonymous");
}

TEST_F(RouterTest, UnknownPathsAre404AndWrongMethods405) {
  ApiResponse missing = call("GET", "/api/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  ApiResponse wrong = call("DELETE", "/api/v1/things/1");
  EXPECT_EQ(wrong.status, 405);
  ASSERT_EQ(wrong.headers.size(), 1u);
  EXPECT_EQ(wrong.headers[0].first, "Allow");
  EXPECT_EQ(wrong.headers[0].second, "GET, PUT");
}

TEST_F(RouterTest, TokensAndRolesAreChecked) {
  EXPECT_EQ(call("GET", "/api/v1/things/1").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/things/1", "nonsense").status, 401);
  std::string viewer = token(AdminRole::kViewer);
  ApiResponse denied = call("PUT", "/api/v1/things/1", viewer);
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(json::parse(denied.body)["detail"].get<std::string>().find("operator or admin"),
            std::string::npos);
  EXPECT_EQ(call("PUT", "/api/v1/things/1", token(AdminRole::kOperator)).status, 200);
}

// The client cannot tell an expired token from an unknown one: the same 401, challenge and detail.
// Only the server's log says which token expired.
TEST_F(RouterTest, AnExpiredTokenGetsTheUnknownTokensAnswer) {
  LogCapture log;
  auto created =
      access_->create_token("t", AdminRole::kViewer, "test", clock_.now() + std::chrono::hours(1));
  ASSERT_TRUE(created);
  EXPECT_EQ(call("GET", "/api/v1/things/1", created->secret).status, 200);
  clock_.advance(std::chrono::hours(1));
  ApiResponse expired = call("GET", "/api/v1/things/1", created->secret);
  ApiResponse unknown = call("GET", "/api/v1/things/1", "ocapf_999_" + std::string(64, 'a'));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.status, unknown.status);
  EXPECT_EQ(expired.headers, unknown.headers);
  EXPECT_EQ(json::parse(expired.body)["detail"], json::parse(unknown.body)["detail"]);
  const std::string logged = log.text();
  EXPECT_NE(logged.find("warning admin API: refused token " + std::to_string(created->token.id) +
                        " (t): it expired at "),
            std::string::npos)
      << logged;
  EXPECT_EQ(logged.find("token 999"), std::string::npos) << logged;
}

// Past the limit, an address's failed attempts get 429; a valid token is still served from that
// address (a colleague behind the same NAT, or the admin who mistyped it), and other addresses
// are untouched.
TEST_F(RouterTest, OnlyFailedAttemptsFromAnAddressPastItsLimitGet429) {
  std::string good = token(AdminRole::kAdmin);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call("GET", "/api/v1/things/1", "bad").status, 401);
  }
  struct Case {
    const char* what;
    std::string bearer;
    std::string client;
    int status;
  };
  const Case cases[] = {
      {"a bad token from the limited address", "bad", "10.0.0.1", 429},
      {"a valid token from the limited address", good, "10.0.0.1", 200},
      {"no token from the limited address", "", "10.0.0.1", 401},
      {"a bad token from another address", "bad", "10.0.0.2", 401},
      {"a valid token from another address", good, "10.0.0.2", 200},
  };
  for (const Case& c : cases) {
    ApiResponse r = call("GET", "/api/v1/things/1", c.bearer, c.client);
    EXPECT_EQ(r.status, c.status) << c.what;
    if (c.status == 429) {
      ASSERT_FALSE(r.headers.empty()) << c.what;
      EXPECT_EQ(r.headers[0].first, "Retry-After");
      EXPECT_EQ(r.headers[0].second, "60");
    }
  }
  EXPECT_EQ(call("GET", "/public").status, 200);
  clock_.advance(std::chrono::seconds(60));
  EXPECT_EQ(call("GET", "/api/v1/things/1", "bad").status, 401) << "the window is over";
}

TEST_F(RouterTest, AHandlerExceptionIsA500ProblemAndResponsesAreCounted) {
  ApiResponse r = call("GET", "/boom");
  EXPECT_EQ(r.status, 500);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["status"], 500);
  // What the exception said stays in the log, found there by the answer's error id.
  ASSERT_TRUE(body.contains("error_id"));
  EXPECT_EQ(body["detail"].get<std::string>().find(kBoomText), std::string::npos);
  call("GET", "/nothing");
  auto counts = router_->responses_by_status();
  EXPECT_EQ(counts[500], 1u);
  EXPECT_EQ(counts[404], 1u);
}

TEST(UrlDecode, DecodesEscapesAndRefusesBadOnes) {
  EXPECT_EQ(url_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(url_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(url_decode("%2f%2F", false), "//");
  EXPECT_FALSE(url_decode("%2", false).has_value());
  EXPECT_FALSE(url_decode("%zz", false).has_value());
  EXPECT_FALSE(url_decode("%::", false).has_value());
  EXPECT_FALSE(url_decode("% 4x", false).has_value());
  EXPECT_EQ(split_path("/api//v1/x/"), (std::vector<std::string>{"api", "v1", "x"}));
}

struct Counter {
  int calls = 0;
};

ApiResponse count_call(Counter& counter, const RouteRequest&) {
  ++counter.calls;
  return json_response(json{{"calls", counter.calls}});
}

// Builds a handler that reads a parameter and a service result with CAPF_API_ASSIGN.
ApiResponse half(Counter& counter, const RouteRequest& req) {
  CAPF_API_ASSIGN(const auto n, query_int(req.http, "n", 0, 100, "a number: give 0 to 100"));
  CAPF_API_ASSIGN(
      const int even,
      (n.value_or(0) % 2 == 0 ? Result<int>(static_cast<int>(n.value_or(0)))
                              : Result<int>(make_error(ErrorCode::kInvalidArgument, "odd"))));
  ++counter.calls;
  return json_response(json{{"half", even / 2}});
}

TEST_F(RouterTest, AddBindsTheServicesToTheHandler) {
  Counter counter;
  Router& router = *router_;
  router.add("GET", "/count", std::nullopt, counter, count_call);
  router.add("GET", "/half", std::nullopt, counter, half);
  ApiRequest get;
  get.method = "GET";
  get.path = "/count";
  EXPECT_EQ(json::parse(router.handle(get).body)["calls"], 1);
  EXPECT_EQ(json::parse(router.handle(get).body)["calls"], 2);
  get.path = "/half";
  get.query = {{"n", "8"}};
  EXPECT_EQ(json::parse(router.handle(get).body)["half"], 4);
  get.query = {{"n", "7"}};
  EXPECT_EQ(router.handle(get).status, 400);
  get.query = {{"n", "x"}};
  EXPECT_EQ(router.handle(get).status, 400);
  EXPECT_EQ(counter.calls, 3);
}

}  // namespace
}  // namespace capf::api
