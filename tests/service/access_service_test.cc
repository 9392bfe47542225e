#include "capf/service/access_service.h"

#include <set>

#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

class AccessServiceTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    access_ = std::make_unique<AccessService>(*registry_, clock_);
  }
  std::unique_ptr<AccessService> access_;
};

TEST_F(AccessServiceTest, ACreatedTokenVerifiesAsItsRoleAndOnlyItsHashIsStored) {
  auto created = access_->create_token("ops-team", AdminRole::kOperator, "cli:root");
  ASSERT_TRUE(created) << created.error().message;
  EXPECT_EQ(created->secret.rfind("ocapf_", 0), 0u);
  auto caller = access_->verify(created->secret);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->role, AdminRole::kOperator);
  EXPECT_EQ(caller->token_id, created->token.id);
  EXPECT_EQ(caller->actor(), "token:" + std::to_string(created->token.id) + ":ops-team");

  auto stored = registry_->list_tokens();
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ(stored->front().hash_hex.size(), 64u);
  EXPECT_EQ(created->secret.find(stored->front().hash_hex), std::string::npos);
  ASSERT_TRUE(stored->front().last_used.has_value());  // verify() noted the use
}

TEST_F(AccessServiceTest, TwoTokensHaveDifferentSecrets) {
  auto a = access_->create_token("a", AdminRole::kViewer, "t");
  auto b = access_->create_token("b", AdminRole::kViewer, "t");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->secret.substr(a->secret.rfind('_')), b->secret.substr(b->secret.rfind('_')));
}

TEST_F(AccessServiceTest, WrongMalformedAndRevokedTokensAreAllDeniedAlike) {
  auto created = access_->create_token("ops", AdminRole::kAdmin, "t");
  ASSERT_TRUE(created);
  std::string wrong = created->secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  std::string other_id = "ocapf_999_" + created->secret.substr(created->secret.rfind('_') + 1);
  std::set<std::string> messages;
  for (const std::string& bad :
       {wrong, other_id, std::string("ocapf_1_abc"), std::string(""), std::string("Bearer x"),
        std::string("ocapf_-1_") + std::string(64, 'a')}) {
    auto r = access_->verify(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kPermissionDenied);
    messages.insert(r.error().message);
  }
  ASSERT_TRUE(access_->revoke_token(created->token.id, "cli:root"));
  auto revoked = access_->verify(created->secret);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kPermissionDenied);
  messages.insert(revoked.error().message);
  EXPECT_EQ(messages.size(), 1u);  // nothing tells a guesser which part was wrong
  auto unknown = access_->revoke_token(created->token.id + 10, "cli:root");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

// An expired token gets exactly the refusal an unknown one gets; the server's log and the audit
// log (once) say that it expired. Tokens without an expiry, or before it, keep working.
TEST_F(AccessServiceTest, AnExpiredTokenIsRefusedLikeAnUnknownOneAndAuditedOnce) {
  const TimePoint start = clock_.now();
  auto forever = access_->create_token("forever", AdminRole::kViewer, "cli:root");
  auto hourly = access_->create_token("hourly", AdminRole::kOperator, "cli:root",
                                      start + std::chrono::hours(1));
  ASSERT_TRUE(forever && hourly);
  EXPECT_FALSE(forever->token.expires.has_value());
  ASSERT_TRUE(hourly->token.expires.has_value());
  EXPECT_EQ(to_unix(*hourly->token.expires), to_unix(start) + 3600);

  struct Step {
    const char* when;
    std::chrono::seconds advance;  // from the step before
    bool forever_ok;
    bool hourly_ok;
  };
  const Step steps[] = {
      {"just created", std::chrono::seconds(0), true, true},
      {"a second before the expiry", std::chrono::seconds(3599), true, true},
      {"at the expiry", std::chrono::seconds(1), true, false},
      {"a year later", std::chrono::hours(24 * 365), true, false},
  };
  auto unknown = access_->verify("ocapf_999_" + std::string(64, 'a'));
  ASSERT_FALSE(unknown);
  for (const Step& step : steps) {
    clock_.advance(step.advance);
    auto f = access_->verify(forever->secret);
    EXPECT_EQ(static_cast<bool>(f), step.forever_ok) << step.when;
    auto h = access_->verify(hourly->secret);
    EXPECT_EQ(static_cast<bool>(h), step.hourly_ok) << step.when;
    if (!h) {
      EXPECT_EQ(h.error().code, unknown.error().code) << step.when;
      EXPECT_EQ(h.error().message, unknown.error().message) << step.when;
    } else {
      EXPECT_EQ(h->role, AdminRole::kOperator);
    }
  }

  AuditFilter f;
  f.target = "token:" + std::to_string(hourly->token.id);
  auto log = access_->audit_log(f);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 2u);  // created, then expired once despite two refusals
  EXPECT_EQ((*log)[0].action, "token.expired");
  EXPECT_EQ((*log)[0].actor, "token:" + std::to_string(hourly->token.id) + ":hourly");
  EXPECT_EQ(to_json((*log)[0])["after"]["expires"], format_utc(start + std::chrono::hours(1)));
  EXPECT_EQ((*log)[1].action, "token.create");

  // A wrong secret for the expired token's id is refused without being audited as its expiry.
  std::string wrong = hourly->secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(access_->verify(wrong));
  log = access_->audit_log(f);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), 2u);
}

TEST_F(AccessServiceTest, AnExpiryMustBeInTheFutureAndIsListed) {
  const TimePoint now = clock_.now();
  for (TimePoint bad : {now, now - std::chrono::seconds(1), now + std::chrono::milliseconds(500)}) {
    auto r = access_->create_token("x", AdminRole::kViewer, "t", bad);
    ASSERT_FALSE(r) << format_utc(bad);
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find("--expires"), std::string::npos) << r.error().message;
  }
  ASSERT_TRUE(access_->create_token("never", AdminRole::kViewer, "t"));
  ASSERT_TRUE(access_->create_token("soon", AdminRole::kViewer, "t", now + std::chrono::hours(2)));
  auto listed = access_->list_tokens();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE(to_json((*listed)[0])["expires"].is_null());
  EXPECT_EQ(to_json((*listed)[1])["expires"], format_utc(now + std::chrono::hours(2)));
}

TEST_F(AccessServiceTest, ANameIsRequired) {
  auto r = access_->create_token("", AdminRole::kViewer, "t");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("--name"), std::string::npos);
}

TEST_F(AccessServiceTest, RolesAllowWhatTheirNamesSay) {
  EXPECT_TRUE(role_allows(AdminRole::kViewer, Permission::kRead));
  EXPECT_FALSE(role_allows(AdminRole::kViewer, Permission::kOperate));
  EXPECT_FALSE(role_allows(AdminRole::kViewer, Permission::kAdminister));
  EXPECT_TRUE(role_allows(AdminRole::kOperator, Permission::kOperate));
  EXPECT_FALSE(role_allows(AdminRole::kOperator, Permission::kAdminister));
  EXPECT_TRUE(role_allows(AdminRole::kAdmin, Permission::kAdminister));
}

TEST_F(AccessServiceTest, TokenChangesAreAuditedWithoutTheSecret) {
  auto created = access_->create_token("ops", AdminRole::kOperator, "cli:root");
  ASSERT_TRUE(created);
  ASSERT_TRUE(access_->revoke_token(created->token.id, "cli:root"));
  auto log = access_->audit_log(AuditFilter{});
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].action, "token.revoke");
  EXPECT_EQ((*log)[1].action, "token.create");
  EXPECT_EQ((*log)[1].actor, "cli:root");
  auto after = to_json((*log)[0])["after"];
  EXPECT_FALSE(after["revoked"].is_null());
  EXPECT_TRUE(to_json((*log)[0])["before"]["revoked"].is_null());
  const std::string secret_part = created->secret.substr(created->secret.rfind('_') + 1);
  for (const auto& e : *log) {
    EXPECT_EQ(e.before.find(secret_part), std::string::npos);
    EXPECT_EQ(e.after.find(secret_part), std::string::npos);
  }
}

TEST_F(AccessServiceTest, DeviceChangesAreAuditedWithBeforeAndAfter) {
  DeviceChange c;
  c.name = "SEP001122334455";
  ASSERT_TRUE(admin_->set_device(c, "token:1:ops"));
  c.operation = Operation::kInstall;
  c.auth_string = "123456";
  c.auth_mode = AuthMode::kAuthString;
  ASSERT_TRUE(admin_->set_device(c, "token:1:ops"));
  ASSERT_TRUE(admin_->remove_device("SEP001122334455", "cli:bob"));
  AuditFilter f;
  f.target = "SEP001122334455";
  auto log = access_->audit_log(f);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 3u);
  auto removed = to_json((*log)[0]);
  EXPECT_EQ(removed["action"], "device.remove");
  EXPECT_EQ(removed["actor"], "cli:bob");
  EXPECT_EQ(removed["before"]["operation"], "install");
  EXPECT_TRUE(removed["after"].is_null());
  auto changed = to_json((*log)[1]);
  EXPECT_EQ(changed["before"]["operation"], "none");
  EXPECT_EQ(changed["after"]["operation"], "install");
  EXPECT_EQ(changed["after"]["status"], "Operation Pending");
  auto created = to_json((*log)[2]);
  EXPECT_TRUE(created["before"].is_null());
  for (const auto& e : *log) {
    EXPECT_EQ(e.after.find("123456"), std::string::npos);  // never the authentication string
  }
}

TEST_F(AccessServiceTest, BulkChangesEveryDeviceOrNone) {
  DeviceChange existing;
  existing.name = "SEP0000000000A1";
  ASSERT_TRUE(admin_->set_device(existing, "t"));

  DeviceChange change;
  change.operation = Operation::kInstall;
  change.generate_auth_string = true;
  change.auth_mode = AuthMode::kAuthString;
  auto bad = admin_->set_devices({"SEP0000000000A1", "SEP0000000000A2", "SEPNOTHEX"}, change, "t");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("SEPNOTHEX"), std::string::npos) << bad.error().message;
  EXPECT_EQ(get("SEP0000000000A1").operation, Operation::kNone);
  EXPECT_FALSE(admin_->get_device("SEP0000000000A2"));

  auto twice = admin_->set_devices({"SEP0000000000A1", "sep0000000000a1"}, change, "t");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("twice"), std::string::npos);

  auto good = admin_->set_devices({"SEP0000000000A1", "SEP0000000000A2"}, change, "t");
  ASSERT_TRUE(good) << good.error().message;
  ASSERT_EQ(good->size(), 2u);
  EXPECT_FALSE((*good)[0].created);
  EXPECT_TRUE((*good)[1].created);
  ASSERT_TRUE((*good)[0].generated_auth_string && (*good)[1].generated_auth_string);
  EXPECT_EQ(get("SEP0000000000A1").status.kind, StatusKind::kPending);
  EXPECT_EQ(get("SEP0000000000A2").operation, Operation::kInstall);
}

TEST_F(AccessServiceTest, ABulkChangeOneDeviceCannotTakeChangesNothing) {
  DeviceChange by_string;
  by_string.name = "SEP0000000000B1";
  by_string.auth_mode = AuthMode::kAuthString;
  by_string.auth_string = "1234";
  ASSERT_TRUE(admin_->set_device(by_string, "t"));
  DeviceChange plain;
  plain.name = "SEP0000000000B2";
  plain.auth_mode = AuthMode::kAuthString;
  ASSERT_TRUE(admin_->set_device(plain, "t"));  // no operation yet: no string needed

  DeviceChange change;
  change.operation = Operation::kInstall;
  auto r = admin_->set_devices({"SEP0000000000B1", "SEP0000000000B2"}, change, "t");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("SEP0000000000B2"), std::string::npos) << r.error().message;
  EXPECT_EQ(get("SEP0000000000B1").operation, Operation::kNone);
  AuditFilter f;
  f.target = "SEP0000000000B1";
  auto log = registry_->list_audit(f);
  ASSERT_TRUE(log);
  EXPECT_EQ(log->size(), 1u);  // only its creation
}

}  // namespace
}  // namespace capf::testing
