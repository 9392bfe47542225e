// The admin REST API over real HTTPS against the real daemon: tokens and roles, validation,
// pagination, bulk changes, the audit log, the CRL, the failed-authentication limit, metrics, and
// a phone's install seen through the API. The client verifies the server against the admin
// listener's own certificate.
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "capf/api/admin_tls.h"
#include "capf/issuer/online/http_client.h"
#include "capf/pki/certificate.h"
#include "capf/pki/crl.h"
#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "tests/api/api_fixture.h"
#include "tests/support/test_pki.h"

namespace capf::testing {
namespace {

using nlohmann::json;

class ApiTest : public ApiFixture {};

TEST_F(ApiTest, EveryCallButTheCrlNeedsAValidToken) {
  auto none = call("GET", "/api/v1/devices");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("content-type"), "application/problem+json");
  EXPECT_NE(none.header("www-authenticate").find("Bearer"), std::string::npos);
  json p = body_of(none);
  EXPECT_EQ(p["status"], 401);
  EXPECT_EQ(p["title"], "Unauthorized");
  EXPECT_NE(p["detail"].get<std::string>().find("Authorization: Bearer"), std::string::npos);

  std::string forged = admin_token_;
  forged.back() = forged.back() == 'a' ? 'b' : 'a';
  EXPECT_EQ(call("GET", "/api/v1/devices", forged).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/devices", "not-a-token").status, 401);
  EXPECT_EQ(call("GET", "/metrics").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/devices", admin_token_).status, 200);

  // A revoked token stops working at once.
  std::string viewer = token(AdminRole::kViewer);
  EXPECT_EQ(call("GET", "/api/v1/devices", viewer).status, 200);
  auto tokens = body_of(call("GET", "/api/v1/tokens", admin_token_));
  std::int64_t viewer_id = tokens["items"].back()["id"];
  EXPECT_EQ(call("DELETE", "/api/v1/tokens/" + std::to_string(viewer_id), admin_token_).status,
            204);
  EXPECT_EQ(call("GET", "/api/v1/devices", viewer).status, 401);
}

TEST_F(ApiTest, RolesLimitWhatATokenMayDo) {
  std::string viewer = token(AdminRole::kViewer);
  std::string oper = token(AdminRole::kOperator);
  const std::string change = R"({"operation": "install", "auth_mode": "null"})";

  auto denied = call("PUT", "/api/v1/devices/SEP001122334455", viewer, change);
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(body_of(denied)["detail"].get<std::string>().find("viewer"), std::string::npos);
  EXPECT_FALSE(env_->admin().get_device("SEP001122334455"));

  auto scheduled = call("PUT", "/api/v1/devices/SEP001122334455", oper, change);
  ASSERT_EQ(scheduled.status, 201) << scheduled.body;
  EXPECT_EQ(body_of(scheduled)["status"], "Operation Pending");
  EXPECT_EQ(device("SEP001122334455").operation, Operation::kInstall);

  EXPECT_EQ(call("GET", "/api/v1/devices/SEP001122334455", viewer).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/tokens", oper, R"({"role": "admin"})").status, 403);
  EXPECT_EQ(call("GET", "/api/v1/tokens", oper).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/trust/capf-trust", oper, "x", "application/x-pem-file").status,
            403);

  auto created =
      call("POST", "/api/v1/tokens", admin_token_, R"({"role": "operator", "name": "nightly"})");
  ASSERT_EQ(created.status, 201) << created.body;
  json t = body_of(created);
  EXPECT_EQ(t["role"], "operator");
  EXPECT_EQ(t["name"], "nightly");
  const std::string secret = t["token"];
  EXPECT_EQ(call("GET", "/api/v1/devices", secret).status, 200);
  // The list never shows a secret or its hash.
  auto listed = call("GET", "/api/v1/tokens", admin_token_);
  EXPECT_EQ(listed.body.find(secret.substr(secret.rfind('_') + 1)), std::string::npos);
  EXPECT_EQ(listed.body.find("hash"), std::string::npos);
}

TEST_F(ApiTest, ATokenCanBeCreatedWithAnExpiry) {
  struct Case {
    std::string expires;  // JSON value
    int status;
  };
  const Case cases[] = {
      {R"("90d")", 201},
      {R"("12h")", 201},
      {R"("2099-01-01")", 201},
      {R"("2099-01-01T18:00:00+02:00")", 201},
      {"null", 201},  // never
      {R"("0d")", 400},
      {R"("-5d")", 400},
      {R"("soon")", 400},
      {R"("2020-01-01T00:00:00Z")", 400},
      {"90", 400},
  };
  for (const Case& c : cases) {
    auto r = call("POST", "/api/v1/tokens", admin_token_,
                  R"({"role": "viewer", "expires": )" + c.expires + "}");
    ASSERT_EQ(r.status, c.status) << c.expires << ": " << r.body;
    json j = body_of(r);
    if (c.status == 201) {
      EXPECT_EQ(j["expires"].is_null(), c.expires == "null") << c.expires;
      EXPECT_EQ(call("GET", "/api/v1/devices", j["token"].get<std::string>()).status, 200);
    } else {
      EXPECT_EQ(j["field"], "expires") << c.expires;
      EXPECT_NE(j["detail"].get<std::string>().find("90d"), std::string::npos) << j["detail"];
    }
  }
  auto rfc3339 = call("POST", "/api/v1/tokens", admin_token_,
                      R"({"role": "viewer", "expires": "2099-01-01T18:00:00+02:00"})");
  EXPECT_EQ(body_of(rfc3339)["expires"], "2099-01-01T16:00:00Z");
  auto listed = body_of(call("GET", "/api/v1/tokens", admin_token_));
  EXPECT_TRUE(listed["items"].back().contains("expires"));
}

TEST_F(ApiTest, ValidationErrorsNameTheField) {
  auto bad_type =
      call("PUT", "/api/v1/devices/SEP001122334455", admin_token_, R"({"rsa_bits": "big"})");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(bad_type.header("content-type"), "application/problem+json");
  json p = body_of(bad_type);
  EXPECT_EQ(p["field"], "rsa_bits");
  EXPECT_NE(p["detail"].get<std::string>().find("rsa_bits"), std::string::npos);

  auto bad_value =
      call("PUT", "/api/v1/devices/SEP001122334455", admin_token_, R"({"operation": "bogus"})");
  EXPECT_EQ(bad_value.status, 400);
  EXPECT_EQ(body_of(bad_value)["field"], "operation");

  auto unknown =
      call("PUT", "/api/v1/devices/SEP001122334455", admin_token_, R"({"colour": "red"})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(body_of(unknown)["field"], "colour");

  auto bad_size =
      call("PUT", "/api/v1/devices/SEP001122334455", admin_token_, R"({"rsa_bits": 1000})");
  EXPECT_EQ(bad_size.status, 400);
  EXPECT_NE(body_of(bad_size)["detail"].get<std::string>().find("1024, 2048, 3072 or 4096"),
            std::string::npos);

  EXPECT_EQ(call("PUT", "/api/v1/devices/SEP12", admin_token_, "{}").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/devices/SEP001122334455", admin_token_, "{not json").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/devices?status=sideways", admin_token_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/devices?limit=0", admin_token_).status, 400);
  EXPECT_FALSE(env_->admin().get_device("SEP001122334455"));

  EXPECT_EQ(call("GET", "/api/v1/devices/SEP0011223344AA", admin_token_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/nothing", admin_token_).status, 404);
  auto wrong_method = call("PATCH", "/api/v1/devices/SEP001122334455", admin_token_, "{}");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_NE(wrong_method.header("allow").find("PUT"), std::string::npos);
}

TEST_F(ApiTest, PagesCoverEveryDeviceExactlyOnce) {
  std::set<std::string> expected;
  for (int i = 0; i < 25; ++i) {
    std::string name = fmt::format("SEP0000000001{:02X}", i);
    DeviceChange c;
    c.name = name;
    set(c);
    expected.insert(name);
  }
  DeviceChange other;
  other.name = "CSFJSMITH";
  set(other);

  std::set<std::string> seen;
  std::string after;
  int pages = 0;
  while (true) {
    std::string path = "/api/v1/devices?name=SEP&limit=10";
    if (!after.empty())
      path += "&after=" + after;
    auto r = call("GET", path, admin_token_);
    ASSERT_EQ(r.status, 200) << r.body;
    json page = body_of(r);
    EXPECT_EQ(page["total"], 25);
    ++pages;
    for (const auto& item : page["items"]) {
      EXPECT_TRUE(seen.insert(item["name"].get<std::string>()).second) << item["name"];
    }
    if (page["next"].is_null())
      break;
    EXPECT_EQ(page["items"].size(), 10u);
    after = page["next"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);

  auto by_operation = body_of(call("GET", "/api/v1/devices?operation=install", admin_token_));
  EXPECT_EQ(by_operation["total"], 0);
  auto without_lsc = body_of(call("GET", "/api/v1/devices?lsc=without&limit=1000", admin_token_));
  EXPECT_EQ(without_lsc["total"], 26);
}

TEST_F(ApiTest, ABulkChangeAppliesToAllOrNone) {
  for (const char* name : {"SEP0000000000A1", "SEP0000000000A2"}) {
    DeviceChange c;
    c.name = name;
    set(c);
  }
  auto bad = call("POST", "/api/v1/devices/bulk", admin_token_,
                  R"({"names": ["SEP0000000000A1", "SEP0000000000A2", "SEP-NOT-A-NAME"],
                      "change": {"operation": "install", "auth_mode": "null"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(body_of(bad)["detail"].get<std::string>().find("SEP-NOT-A-NAME"), std::string::npos);
  EXPECT_EQ(device("SEP0000000000A1").operation, Operation::kNone);
  EXPECT_EQ(device("SEP0000000000A2").operation, Operation::kNone);

  auto good = call("POST", "/api/v1/devices/bulk", admin_token_,
                   R"({"names": ["SEP0000000000A1", "SEP0000000000A2", "SEP0000000000A3"],
                       "change": {"operation": "install", "auth_mode": "string",
                                  "generate_auth_string": true}})");
  ASSERT_EQ(good.status, 200) << good.body;
  json result = body_of(good);
  EXPECT_EQ(result["changed"], 3);
  ASSERT_EQ(result["devices"].size(), 3u);
  std::set<std::string> strings;
  for (const auto& d : result["devices"]) {
    EXPECT_EQ(d["status"], "Operation Pending");
    strings.insert(d["generated_auth_string"].get<std::string>());
  }
  EXPECT_EQ(strings.size(), 3u);  // each device its own string
  EXPECT_TRUE(result["devices"][2]["created"].get<bool>());
  // Shown once: a later read does not include it.
  auto later = call("GET", "/api/v1/devices/SEP0000000000A1", admin_token_);
  EXPECT_EQ(later.body.find(*strings.begin()), std::string::npos);
  EXPECT_EQ(body_of(later)["auth_string_set"], true);
}

TEST_F(ApiTest, ANewAuthenticationStringIsShownOnceAndWorks) {
  std::string oper = token(AdminRole::kOperator);
  ASSERT_EQ(
      call("PUT", "/api/v1/devices/SEP001122334455", oper, R"({"operation": "install"})").status,
      201);
  auto made = call("POST", "/api/v1/devices/SEP001122334455/auth-string", oper);
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string secret = body_of(made)["auth_string"];
  EXPECT_EQ(secret.size(), 8u);
  EXPECT_EQ(device("SEP001122334455").auth_mode, AuthMode::kAuthString);
  auto shown = call("GET", "/api/v1/devices/SEP001122334455", oper);
  EXPECT_EQ(shown.body.find(secret), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/audit", oper).body.find(secret), std::string::npos);
  EXPECT_EQ(
      call("POST", "/api/v1/devices/SEP001122334455/auth-string", token(AdminRole::kViewer)).status,
      403);

  phone::PhoneOptions wrong = phone_options("SEP001122334455");
  wrong.auth_string = "00000000" == secret ? "11111111" : "00000000";
  EXPECT_NE(run_phone(wrong).exit_code, 0);
  phone::PhoneOptions right = phone_options("SEP001122334455");
  right.auth_string = secret;
  auto r = run_phone(right);
  EXPECT_EQ(r.exit_code, 0) << last_transcript_;
  EXPECT_EQ(body_of(call("GET", "/api/v1/devices/SEP001122334455", oper))["status"],
            "Upgrade Success");
}

TEST_F(ApiTest, ChangesAreAuditedWithBeforeAndAfter) {
  std::string oper = token(AdminRole::kOperator, "ops");
  ASSERT_EQ(
      call("PUT", "/api/v1/devices/SEP001122334455", oper, R"({"description": "lobby"})").status,
      201);
  ASSERT_EQ(call("PUT", "/api/v1/devices/SEP001122334455", oper,
                 R"({"operation": "install", "auth_mode": "string", "auth_string": "482915"})")
                .status,
            200);
  ASSERT_EQ(call("DELETE", "/api/v1/devices/SEP001122334455", oper).status, 204);

  auto r = call("GET", "/api/v1/audit?target=SEP001122334455", oper);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("482915"), std::string::npos);  // never the authentication string
  json items = body_of(r)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["action"], "device.remove");
  EXPECT_EQ(items[0]["before"]["operation"], "install");
  EXPECT_TRUE(items[0]["after"].is_null());
  EXPECT_EQ(items[1]["action"], "device.set");
  EXPECT_EQ(items[1]["before"]["operation"], "none");
  EXPECT_EQ(items[1]["after"]["operation"], "install");
  EXPECT_EQ(items[1]["after"]["auth_string_set"], true);
  EXPECT_TRUE(items[2]["before"].is_null());
  EXPECT_EQ(items[2]["after"]["description"], "lobby");
  for (const auto& e : items) {
    EXPECT_NE(e["actor"].get<std::string>().find(":ops"), std::string::npos) << e["actor"];
  }
}

TEST_F(ApiTest, TheCrlIsPublicVerifiesAndIsCached) {
  auto first = call("GET", "/api/v1/crl");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.header("content-type"), "application/pkix-crl");
  const auto& capf = daemon_->identity().certificate;
  EXPECT_TRUE(pki::verify_crl(as_bytes(first.body), capf));
  auto info = pki::parse_crl(as_bytes(first.body));
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_TRUE(info->entries.empty());

  auto second = call("GET", "/api/v1/crl?format=pem");
  ASSERT_EQ(second.status, 200);
  EXPECT_NE(second.body.find("-----BEGIN X509 CRL-----"), std::string::npos);
  auto again = pki::parse_crl(as_bytes(second.body));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->crl_number, info->crl_number);  // nothing changed: the same CRL

  auto crl_file = root_ / "api.crl";
  auto capf_file = root_ / "capf.pem";
  std::ofstream(crl_file, std::ios::binary) << first.body;
  std::ofstream(capf_file) << capf.pem();
  auto [code, out] = run_shell("openssl crl -inform DER -in " + crl_file.string() + " -CAfile " +
                               capf_file.string() + " -noout -verify");
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("verify OK"), std::string::npos) << out;
}

TEST_F(ApiTest, RepeatedBadTokensAreRefusedFor429) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(call("GET", "/api/v1/devices", "ocapf_1_" + std::string(64, 'f')).status, 401);
  }
  auto limited = call("GET", "/api/v1/devices", "ocapf_1_" + std::string(64, 'f'));
  EXPECT_EQ(limited.status, 429);
  EXPECT_FALSE(limited.header("retry-after").empty());
  EXPECT_EQ(body_of(limited)["status"], 429);
  // Only failed attempts are stopped: a valid token from the same address is still served, and
  // the CRL stays public.
  EXPECT_EQ(call("GET", "/api/v1/devices", admin_token_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/crl").status, 200);
}

TEST_F(ApiTest, APhoneInstallShowsAsUpgradeSuccess) {
  std::string oper = token(AdminRole::kOperator);
  ASSERT_EQ(call("PUT", "/api/v1/devices/SEP00AABBCCDDEE", oper,
                 R"({"operation": "install", "auth_mode": "null"})")
                .status,
            201);
  auto r = run_phone("SEP00AABBCCDDEE");
  ASSERT_EQ(r.exit_code, 0) << last_transcript_;
  ASSERT_TRUE(r.installed);

  json d = body_of(call("GET", "/api/v1/devices/SEP00AABBCCDDEE", oper));
  EXPECT_EQ(d["status"], "Upgrade Success");
  ASSERT_FALSE(d["lsc"].is_null());
  EXPECT_EQ(d["lsc"]["serial"], r.installed->serial_hex());
  ASSERT_EQ(d["certificates"].size(), 1u);

  auto with = body_of(call("GET", "/api/v1/devices?lsc=with", oper));
  EXPECT_EQ(with["total"], 1);
  // The session is the newest in the dashboard's list of recent sessions.
  auto sessions = body_of(call("GET", "/api/v1/sessions?limit=5", token(AdminRole::kViewer)));
  ASSERT_EQ(sessions["items"].size(), 1u) << sessions.dump();
  EXPECT_EQ(sessions["items"][0]["device"], "SEP00AABBCCDDEE");
  EXPECT_EQ(sessions["items"][0]["kind"], "status");
  EXPECT_EQ(sessions["items"][0]["detail"].get<std::string>().rfind("Upgrade Success", 0), 0u);
  EXPECT_FALSE(sessions["items"][0]["session"].get<std::string>().empty());
  EXPECT_EQ(call("GET", "/api/v1/sessions?limit=0", oper).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/sessions?device=x", oper).status, 400);
  auto cert = call("GET", "/api/v1/certificates/" + r.installed->serial_hex(), oper);
  ASSERT_EQ(cert.status, 200) << cert.body;
  EXPECT_EQ(body_of(cert)["device"], "SEP00AABBCCDDEE");
  auto certs = body_of(call("GET", "/api/v1/certificates?device=SEP00AABBCCDDEE", oper));
  EXPECT_EQ(certs["items"].size(), 1u);

  // Revocation is the admin's; the next CRL lists the certificate.
  const std::string revoke = "/api/v1/certificates/" + r.installed->serial_hex() + "/revoke";
  const std::string why = R"({"reason": "keyCompromise"})";
  auto crl_before = pki::parse_crl(as_bytes(call("GET", "/api/v1/crl").body));
  ASSERT_TRUE(crl_before) << crl_before.error().message;
  EXPECT_TRUE(crl_before->entries.empty());
  EXPECT_EQ(call("POST", revoke, oper, why).status, 403);
  EXPECT_EQ(call("POST", revoke, admin_token_, R"({"reason": "whim"})").status, 400);
  auto revoked = call("POST", revoke, admin_token_, why);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(body_of(revoked)["state"], "revoked");
  auto crl_after = pki::parse_crl(as_bytes(call("GET", "/api/v1/crl").body));
  ASSERT_TRUE(crl_after) << crl_after.error().message;
  ASSERT_EQ(crl_after->entries.size(), 1u);
  EXPECT_EQ(crl_after->entries[0].serial_hex, r.installed->serial_hex());
  EXPECT_GT(crl_after->crl_number, crl_before->crl_number);
  auto audit = body_of(call("GET", "/api/v1/audit?target=" + r.installed->serial_hex(), oper));
  ASSERT_EQ(audit["items"].size(), 1u);
  EXPECT_EQ(audit["items"][0]["action"], "certificate.revoke");

  auto metrics = call("GET", "/metrics", token(AdminRole::kViewer));
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("opencapf_devices{status=\"success\"} 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("opencapf_phone_connections_total 1"), std::string::npos)
      << metrics.body;
  EXPECT_NE(
      metrics.body.find("opencapf_sessions_total{operation=\"install\",result=\"success\"} 1"),
      std::string::npos);
  EXPECT_NE(metrics.body.find("opencapf_issuer_calls_total{mode=\"capf\",result=\"ok\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("opencapf_issuer_call_seconds_count{mode=\"capf\"} 1"),
            std::string::npos);
}

TEST_F(ApiTest, TheCaAndTrustStoresAreReadableAndAdminsChangeThem) {
  std::string viewer = token(AdminRole::kViewer);
  auto ca = body_of(call("GET", "/api/v1/ca", viewer));
  ASSERT_EQ(ca["items"].size(), 1u);
  EXPECT_TRUE(ca["items"][0]["current"].get<bool>());
  EXPECT_EQ(ca["items"][0]["fingerprint"], daemon_->identity().certificate.fingerprint_sha256());

  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  ASSERT_TRUE(key);
  FakeClock clock(from_unix(1'750'000'000));
  auto root = pki::make_capf_certificate(*key, {"CN=Extra Root,O=Example,C=NZ", 365}, clock);
  ASSERT_TRUE(root) << root.error().message;
  auto added = call("POST", "/api/v1/trust/capf-trust?label=extra", admin_token_, root->pem(),
                    "application/x-pem-file");
  ASSERT_EQ(added.status, 201) << added.body;
  auto listed = body_of(call("GET", "/api/v1/trust/capf-trust", viewer));
  EXPECT_EQ(listed["items"].size(), 2u);
  auto removed =
      call("DELETE", "/api/v1/trust/capf-trust/" + root->fingerprint_sha256(), admin_token_);
  EXPECT_EQ(removed.status, 204) << removed.body;
  EXPECT_EQ(body_of(call("GET", "/api/v1/trust/capf-trust", viewer))["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/trust/nowhere", viewer).status, 400);
  auto audit = body_of(call("GET", "/api/v1/audit?target=capf-trust", viewer));
  ASSERT_EQ(audit["items"].size(), 2u);
  EXPECT_EQ(audit["items"][0]["action"], "trust.remove");
  EXPECT_EQ(audit["items"][0]["before"]["fingerprint"], root->fingerprint_sha256());
}

// The CAPF identity through the API as `opencapf ca` does it: the request for a corporate CA, the
// import of what it signed (refused, changing nothing, for another key or junk), regeneration,
// retiring a previous identity; admins only, every change audited, and the running daemon (phones
// and this listener) moves to the new identity.
TEST_F(ApiTest, AdminsChangeTheCapfIdentityThroughTheApiAndTheDaemonFollows) {
  std::string viewer = token(AdminRole::kViewer);
  std::string oper = token(AdminRole::kOperator);
  const pki::Certificate original = daemon_->identity().certificate;

  auto csr = call("GET", "/api/v1/ca/csr", viewer);
  ASSERT_EQ(csr.status, 200) << csr.body;
  EXPECT_EQ(csr.header("content-type"), "application/x-pem-file");
  auto spki = pki::csr_public_key(as_bytes(csr.body));
  ASSERT_TRUE(spki) << spki.error().message;
  EXPECT_EQ(*spki, daemon_->identity().key.spki_der());

  EXPECT_EQ(call("POST", "/api/v1/ca/regenerate", oper, "{}").status, 403);
  EXPECT_EQ(
      call("POST", "/api/v1/ca/import", oper, original.pem(), "application/x-pem-file").status,
      403);
  EXPECT_EQ(call("DELETE", "/api/v1/ca/" + original.fingerprint_sha256(), viewer).status, 403);

  // Bad input is refused with what to change, and nothing changes.
  auto junk = call("POST", "/api/v1/ca/import", admin_token_, "not a certificate",
                   "application/x-pem-file");
  EXPECT_EQ(junk.status, 400) << junk.body;
  auto other_key = pki::PrivateKey::generate({KeyType::kEc, 256});
  ASSERT_TRUE(other_key);
  SystemClock now;
  auto other = pki::make_capf_certificate(*other_key, {"CN=Other,O=Example,C=NZ", 30}, now);
  ASSERT_TRUE(other);
  auto foreign = call("POST", "/api/v1/ca/import", admin_token_, other->pem() + other->pem(),
                      "application/x-pem-file");
  EXPECT_EQ(foreign.status, 400) << foreign.body;
  EXPECT_NE(body_of(foreign)["detail"].get<std::string>().find("another key than the CAPF key"),
            std::string::npos)
      << foreign.body;
  EXPECT_EQ(body_of(call("POST", "/api/v1/ca/regenerate", admin_token_, R"({"days": 0})"))["field"],
            "days");
  EXPECT_EQ(
      body_of(call("POST", "/api/v1/ca/regenerate", admin_token_, R"({"curve": "p256"})"))["field"],
      "curve");
  EXPECT_EQ(call("POST", "/api/v1/ca/regenerate", admin_token_, R"({"key": "rsa:1024"})").status,
            400);
  EXPECT_EQ(call("DELETE", "/api/v1/ca/" + original.fingerprint_sha256(), admin_token_).status,
            400);  // the current identity
  EXPECT_EQ(call("DELETE", "/api/v1/ca/0123456789abcdef", admin_token_).status, 404);
  EXPECT_EQ(body_of(call("GET", "/api/v1/ca", viewer))["items"].size(), 1u);
  EXPECT_EQ(daemon_->identity().certificate, original);

  // A corporate CA (the openssl command line) signs the request; the import installs it.
  const auto dir = root_ / "corporate";
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  auto made = capf::testing::run_shell(
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/root.key -out " + d +
      "/root.pem -subj '/CN=Corporate Root/O=Example' -days 3650"
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  std::ofstream(dir / "req.pem") << csr.body;
  std::ofstream(dir / "ext.cnf") << "[v3]\nbasicConstraints=critical,CA:TRUE,pathlen:0\n"
                                    "keyUsage=critical,digitalSignature,keyCertSign\n"
                                    "extendedKeyUsage=serverAuth\n";
  auto signed_ = capf::testing::run_shell("openssl x509 -req -in " + d + "/req.pem -CA " + d +
                                          "/root.pem -CAkey " + d +
                                          "/root.key -set_serial 0x77 -days 365 -extfile " + d +
                                          "/ext.cnf -extensions v3 -out " + d + "/signed.pem");
  ASSERT_EQ(signed_.exit_code, 0) << signed_.output;
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto root = pki::Certificate::from_pem(read(dir / "root.pem"));
  ASSERT_TRUE(root);
  auto imported = call("POST", "/api/v1/ca/import", admin_token_,
                       read(dir / "signed.pem") + root->pem(), "application/x-pem-file");
  ASSERT_EQ(imported.status, 201) << imported.body;
  json imported_json = body_of(imported);
  EXPECT_EQ(imported_json["issuer"], root->subject());
  const std::string imported_fp = imported_json["fingerprint"];

  // The admin listener keeps its own certificate through an import and a regeneration: the
  // client, trusting only admin-cert.pem, goes on working.
  auto regenerated =
      call("POST", "/api/v1/ca/regenerate", admin_token_,
           R"({"key": "ec:p256", "subject": "CN=CAPF-regen,O=Example", "days": 365})");
  ASSERT_EQ(regenerated.status, 201) << regenerated.body;
  auto next = pki::Certificate::from_pem(body_of(regenerated)["pem"].get<std::string>());
  ASSERT_TRUE(next);
  EXPECT_TRUE(pki::capf_profile_problems(*next).empty());

  // The daemon moves to the new identity by itself (it polls the identity files every second).
  for (int i = 0; i < 100 && !(daemon_->identity().certificate == *next); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(daemon_->identity().certificate, *next);

  auto listed = body_of(call("GET", "/api/v1/ca", viewer));
  ASSERT_EQ(listed["items"].size(), 3u) << listed.dump();
  EXPECT_EQ(listed["items"][0]["fingerprint"], next->fingerprint_sha256());
  EXPECT_TRUE(listed["items"][0]["current"].get<bool>());
  auto retired = call("DELETE", "/api/v1/ca/" + original.fingerprint_sha256(), admin_token_);
  EXPECT_EQ(retired.status, 204) << retired.body;
  listed = body_of(call("GET", "/api/v1/ca", viewer));
  ASSERT_EQ(listed["items"].size(), 2u) << listed.dump();
  EXPECT_EQ(listed["items"][1]["fingerprint"], imported_fp);

  // Newest first: retire, regenerate, import; each with the token that made it.
  auto audit = body_of(call("GET", "/api/v1/audit?target=capf", viewer));
  ASSERT_EQ(audit["items"].size(), 3u) << audit.dump();
  EXPECT_EQ(audit["items"][0]["action"], "ca.retire");
  EXPECT_EQ(audit["items"][1]["action"], "ca.regenerate");
  EXPECT_EQ(audit["items"][2]["action"], "ca.import");
  for (const auto& e : audit["items"])
    EXPECT_EQ(e["actor"].get<std::string>().rfind("token:", 0), 0u) << e.dump();
  EXPECT_EQ(audit["items"][1]["after"]["fingerprint_sha256"], next->fingerprint_sha256());
  EXPECT_EQ(audit["items"][0]["before"]["fingerprint_sha256"], original.fingerprint_sha256());
}

TEST_F(ApiTest, TheConsoleIsServedWithoutATokenUnderAStrictContentSecurityPolicy) {
  auto index = call("GET", "/");
  ASSERT_EQ(index.status, 200) << index.body;
  EXPECT_EQ(index.header("content-type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<title>opencapf console</title>"), std::string::npos);
  EXPECT_NE(index.body.find("src=\"/console/app.js\""), std::string::npos);
  EXPECT_EQ(index.header("content-security-policy").rfind("default-src 'self';", 0), 0u)
      << index.header("content-security-policy");
  EXPECT_EQ(index.header("cache-control"), "no-cache");
  EXPECT_EQ(index.header("x-content-type-options"), "nosniff");

  for (const char* file : {"app.js", "api.js", "ui.js", "devices.js", "pages.js", "app.css"}) {
    auto asset = call("GET", fmt::format("/console/{}", file));
    ASSERT_EQ(asset.status, 200) << file;
    EXPECT_NE(asset.header("content-security-policy"), "") << file;
    EXPECT_GT(asset.body.size(), 500u) << file;
    // Works offline: nothing is fetched from anywhere but opencapf itself.
    EXPECT_EQ(asset.body.find("http://"), std::string::npos) << file;
    EXPECT_EQ(asset.body.find("https://"), std::string::npos) << file;
    // Data goes into the page as text only.
    EXPECT_EQ(asset.body.find("innerHTML"), std::string::npos) << file;
  }
  EXPECT_EQ(call("GET", "/console/app.js").header("content-type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(call("GET", "/console/app.css").header("content-type"), "text/css; charset=utf-8");

  auto missing = call("GET", "/console/nothing.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("content-type"), "application/problem+json");
  EXPECT_NE(body_of(missing)["detail"].get<std::string>().find("nothing.js"), std::string::npos);
  EXPECT_EQ(call("POST", "/", "", "x").status, 405);
}

TEST_F(ApiTest, CsvImportExportAndReportsGoThroughTheApi) {
  const std::string viewer = token(AdminRole::kViewer);
  const std::string operator_token = token(AdminRole::kOperator);
  const std::string csv =
      "device_name,operation,auth_mode,generate_auth_string,key_order\n"
      "SEP0000000000C1,install,string,true,ec\n"
      "SEP0000000000C2,install,null,,rsa\n";
  EXPECT_EQ(call("POST", "/api/v1/devices/import", viewer, csv, "text/csv").status, 403);
  auto imported = call("POST", "/api/v1/devices/import", operator_token, csv, "text/csv");
  ASSERT_EQ(imported.status, 200) << imported.body;
  auto report = body_of(imported);
  EXPECT_TRUE(report["applied"].get<bool>());
  EXPECT_EQ(report["created"], 2);
  ASSERT_EQ(report["lines"].size(), 2u);
  EXPECT_EQ(report["lines"][0]["generated_auth_string"].get<std::string>().size(), 8u);
  EXPECT_EQ(body_of(call("GET", "/api/v1/devices/SEP0000000000C2", viewer))["status"],
            "Operation Pending");

  // A bad line imports nothing and is named by line; valid_only imports the rest.
  const std::string bad =
      "device_name,operation\n"
      "SEP0000000000C3,install\n"
      "SEP0000000000C4,reinstall\n";
  auto refused = call("POST", "/api/v1/devices/import", operator_token, bad, "text/csv");
  ASSERT_EQ(refused.status, 400) << refused.body;
  auto problem = body_of(refused);
  EXPECT_NE(problem["detail"].get<std::string>().find("valid_only=true"), std::string::npos);
  ASSERT_EQ(problem["report"]["lines"].size(), 2u);
  ASSERT_EQ(problem["report"]["lines"][1]["errors"].size(), 1u);
  EXPECT_EQ(problem["report"]["lines"][1]["errors"][0].get<std::string>().rfind("line 3: ", 0), 0u)
      << problem.dump();
  EXPECT_EQ(call("GET", "/api/v1/devices/SEP0000000000C3", viewer).status, 404);
  auto partial =
      call("POST", "/api/v1/devices/import?valid_only=true", operator_token, bad, "text/csv");
  ASSERT_EQ(partial.status, 200) << partial.body;
  EXPECT_EQ(body_of(partial)["created"], 1);
  EXPECT_EQ(body_of(partial)["errors"], 1);
  EXPECT_EQ(
      call("POST", "/api/v1/devices/import?valid_only=yes", operator_token, bad, "text/csv").status,
      400);
  EXPECT_EQ(call("POST", "/api/v1/devices/import", operator_token, "", "text/csv").status, 400);

  auto exported = call("GET", "/api/v1/devices/export", viewer);
  ASSERT_EQ(exported.status, 200);
  EXPECT_EQ(exported.header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(exported.body.rfind("device_name,operation,auth_mode,auth_string_set,", 0), 0u)
      << exported.body;
  EXPECT_NE(exported.body.find("SEP0000000000C1,install,string,true,ec,"), std::string::npos);
  EXPECT_EQ(exported.body.find(report["lines"][0]["generated_auth_string"].get<std::string>()),
            std::string::npos);

  auto capf = call("GET", "/api/v1/reports/capf", viewer);
  ASSERT_EQ(capf.status, 200);
  EXPECT_EQ(capf.body.rfind("device,operation,auth_mode,status,", 0), 0u) << capf.body;
  EXPECT_NE(capf.body.find("SEP0000000000C3,install,"), std::string::npos);
  auto expiring = call("GET", "/api/v1/reports/expiring?days=30", viewer);
  ASSERT_EQ(expiring.status, 200);
  EXPECT_EQ(expiring.body.rfind("device,lsc_serial,", 0), 0u) << expiring.body;
  EXPECT_EQ(call("GET", "/api/v1/reports/expiring?days=soon", viewer).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/reports/expiring?days=-1", viewer).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/reports/capf").status, 401);
}

TEST_F(ApiTest, ABodyOverTheLimitIs413) {
  auto r = call("PUT", "/api/v1/devices/SEP001122334455", admin_token_,
                std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(r.status, 413);
}

}  // namespace
}  // namespace capf::testing
