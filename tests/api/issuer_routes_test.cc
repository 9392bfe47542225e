// The issuer and renewal routes over real HTTPS against the real daemon: GET and PUT
// /api/v1/issuer (the same checks and refusals as `opencapf issuer set`, nothing written on a
// refusal) and POST /api/v1/certificates/renew, with the roles that may call them.
#include <fstream>

#include <nlohmann/json.hpp>

#include "capf/common/file.h"
#include "tests/api/api_fixture.h"
#include "tests/support/test_pki.h"

namespace capf::testing {
namespace {

using nlohmann::json;

class IssuerRoutesTest : public ApiFixture {
 protected:
  // The status and the JSON body of one call.
  std::pair<int, json> send(const std::string& method, const std::string& path,
                            const std::string& bearer, const std::string& body = "") {
    HttpResponse r = call(method, path, bearer, body);
    return {r.status, json::parse(r.body, nullptr, false)};
  }

  std::string toml() {
    auto text = read_file(data_ / "opencapf.toml");
    EXPECT_TRUE(text) << text.error().message;
    return text ? *text : std::string();
  }

  // An offline CA's root, as a file in the data directory (named relative to it in the PUT).
  pki::Certificate offline_root() {
    namespace tp = pki::testing;
    tp::Subordinate chain =
        tp::make_subordinate(tmp_, tp::rsa_key(3), tp::rsa_key(4), tp::CrlSign::kWith);
    std::ofstream(data_ / "offline-root.pem") << chain.root.pem();
    return chain.root;
  }

  void insert_device(const std::string& name, std::chrono::hours lsc_left) {
    Device d;
    d.name = DeviceName::parse(name).value();
    d.lsc = LscInfo{"0a0b0c" + name.substr(name.size() - 2), "CN=some CA",
                    env_->clock().now() + lsc_left};
    auto inserted = env_->registry().insert_device(d);
    ASSERT_TRUE(inserted) << inserted.error().message;
  }
};

TEST_F(IssuerRoutesTest, GetShowsTheModeItsSettingsAndPrerequisites) {
  auto [status, s] = send("GET", "/api/v1/issuer", token(AdminRole::kViewer));
  ASSERT_EQ(status, 200) << s.dump();
  EXPECT_EQ(s["mode"], "capf");
  EXPECT_EQ(s["ready"], true);
  EXPECT_TRUE(s["problems"].empty());
  EXPECT_EQ(s["online"]["timeout"], 20);
  EXPECT_TRUE(s["online"]["secret"].is_null());
  EXPECT_EQ(s["requests"]["waiting"], 0);
}

TEST_F(IssuerRoutesTest, APutThatMeetsThePrerequisitesIsWrittenAndShown) {
  const pki::Certificate root = offline_root();
  const std::string change = R"({"mode": "offline", "ca_chain": "offline-root.pem"})";
  // Without the root in the trust stores the switch is refused, naming what is missing.
  const std::string before = toml();
  auto [refused, problem] = send("PUT", "/api/v1/issuer", admin_token_, change);
  EXPECT_EQ(refused, 400) << problem.dump();
  EXPECT_NE(problem["detail"].get<std::string>().find("cannot switch to offline mode; nothing "
                                                      "changed"),
            std::string::npos)
      << problem.dump();
  EXPECT_NE(problem["detail"].get<std::string>().find("capf-trust"), std::string::npos);
  EXPECT_EQ(toml(), before);

  for (const char* store : {"capf-trust", "callmanager-trust"})
    ASSERT_TRUE(env_->admin().trust_add(store, as_bytes(root.pem()), "offline root", "test"));
  auto [status, s] = send("PUT", "/api/v1/issuer", admin_token_, change);
  ASSERT_EQ(status, 200) << s.dump();
  EXPECT_EQ(s["mode"], "offline");
  EXPECT_EQ(s["ready"], true);
  // A relative file name is taken relative to the data directory.
  const std::string chain = (data_ / "offline-root.pem").lexically_normal().string();
  EXPECT_EQ(s["offline"]["ca_chain"], chain);
  EXPECT_NE(toml().find("offline"), std::string::npos);

  auto [got, shown] = send("GET", "/api/v1/issuer", admin_token_);
  ASSERT_EQ(got, 200);
  EXPECT_EQ(shown["mode"], "offline");
  EXPECT_EQ(shown["offline"]["ca_chain"], chain);
  // The switch is in the audit log as `issuer set` writes it.
  auto [audited, audit] = send("GET", "/api/v1/audit", admin_token_);
  ASSERT_EQ(audited, 200);
  bool found = false;
  for (const auto& e : audit["items"])
    found = found ||
            (e["action"] == "issuer.set" && e["after"].dump().find("offline") != std::string::npos);
  EXPECT_TRUE(found) << audit.dump();
}

TEST_F(IssuerRoutesTest, BadChangesAreRefusedNamingTheFieldAndChangeNothing) {
  struct Case {
    const char* body;
    const char* field;  // the problem's "field", or "" when it names none
    const char* words;  // in the detail
  };
  const Case cases[] = {
      {R"({"mode": "vault"})", "", "vault"},
      {R"({"protocol": "cfssl"})", "mode", "required"},
      {R"({"mode": "online", "timeout": "20"})", "timeout", "whole number"},
      {R"({"mode": "online", "timeout": -1})", "timeout", "whole number"},
      {R"({"mode": "online", "key_types": "rsa:2048"})", "key_types", "array"},
      {R"({"mode": 1})", "mode", "string"},
      {R"({"mode": "capf", "colour": "red"})", "colour", "unknown field"},
      {R"(["mode", "capf"])", "", "JSON object"},
      {R"({"mode": "online", "protocol": "ldap"})", "", "ldap"},
      {R"({"mode": "online", "protocol": "cfssl"})", "", "cannot switch to online mode"},
  };
  const std::string before = toml();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto [status, p] = send("PUT", "/api/v1/issuer", admin_token_, c.body);
    EXPECT_EQ(status, 400) << p.dump();
    if (*c.field != '\0') {
      EXPECT_EQ(p.value("field", ""), c.field) << p.dump();
    }
    EXPECT_NE(p.value("detail", "").find(c.words), std::string::npos) << p.dump();
  }
  EXPECT_EQ(toml(), before);
  EXPECT_EQ(send("GET", "/api/v1/issuer", admin_token_).second["mode"], "capf");
}

TEST_F(IssuerRoutesTest, OnlyAdministratorsChangeTheIssuerOrRenew) {
  const std::string before = toml();
  for (AdminRole role : {AdminRole::kViewer, AdminRole::kOperator}) {
    const std::string t = token(role);
    EXPECT_EQ(send("GET", "/api/v1/issuer", t).first, 200);
    EXPECT_EQ(send("PUT", "/api/v1/issuer", t, R"({"mode": "capf", "timeout": 30})").first, 403);
    EXPECT_EQ(send("POST", "/api/v1/certificates/renew", t, R"({"within_days": 30})").first, 403);
  }
  EXPECT_EQ(toml(), before);
  // An administrator's change of a setting kept for later (CAPF mode has no prerequisite).
  auto [status, s] =
      send("PUT", "/api/v1/issuer", admin_token_, R"({"mode": "capf", "timeout": 30})");
  ASSERT_EQ(status, 200) << s.dump();
  EXPECT_EQ(send("GET", "/api/v1/issuer", admin_token_).second["online"]["timeout"], 30);
}

TEST_F(IssuerRoutesTest, RenewSchedulesTheLscsThatExpireWithinTheDays) {
  ASSERT_NO_FATAL_FAILURE(insert_device("SEP0000000000A1", std::chrono::hours(24 * 10)));
  ASSERT_NO_FATAL_FAILURE(insert_device("SEP0000000000A2", std::chrono::hours(24 * 200)));
  ASSERT_NO_FATAL_FAILURE(insert_device("SEP0000000000A3", -std::chrono::hours(24)));

  for (const char* bad :
       {R"({"within_days": 0})", R"({"within_days": 3651})", R"({"within_days": 99999999999})",
        R"({"within_days": "30"})", "{}", R"({"within_days": 30, "dry_run": true})", "30"}) {
    SCOPED_TRACE(bad);
    auto [status, p] = send("POST", "/api/v1/certificates/renew", admin_token_, bad);
    EXPECT_EQ(status, 400) << p.dump();
  }
  EXPECT_EQ(device("SEP0000000000A1").operation, Operation::kNone);

  auto [status, r] =
      send("POST", "/api/v1/certificates/renew", admin_token_, R"({"within_days": 30})");
  ASSERT_EQ(status, 200) << r.dump();
  EXPECT_EQ(r["scheduled"], json::array({"SEP0000000000A1"}));
  EXPECT_EQ(r["count"], 1);
  EXPECT_EQ(device("SEP0000000000A1").operation, Operation::kInstall);
  EXPECT_EQ(device("SEP0000000000A1").auth_mode, AuthMode::kLscFirst);
  EXPECT_EQ(device("SEP0000000000A2").operation, Operation::kNone);
  EXPECT_EQ(device("SEP0000000000A3").operation, Operation::kNone);

  // The late one within a longer window; the first already has its operation.
  auto [again, r2] =
      send("POST", "/api/v1/certificates/renew", admin_token_, R"({"within_days": 365})");
  ASSERT_EQ(again, 200);
  EXPECT_EQ(r2["scheduled"], json::array({"SEP0000000000A2"}));
}

}  // namespace
}  // namespace capf::testing
